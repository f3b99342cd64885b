//! 批量导入教师: the school's teacher list from Excel or CSV (the same file
//! reading as the student import). Columns 姓名, 用户名 (or 手机号), 角色,
//! 班级, 学科, matched flexibly. A preview explains every bad row; the
//! commit creates the new accounts (initial passwords shown once, changed
//! at first login) and sets the roles of the school's existing ones, in one
//! transaction. Importing the same file again changes nothing.

use serde::{Deserialize, Serialize};

use super::InitialPassword;
use crate::roster::import::RowError;

/// What a teacher import would do (preview) or did (commit).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeacherImportReport {
    pub total_rows: usize,
    pub valid_rows: usize,
    pub errors: Vec<RowError>,
    pub to_create: usize,
    pub to_update: usize,
    pub unchanged: usize,
    pub committed: bool,
    /// After a commit: the new accounts and their initial passwords (shown
    /// only this once).
    pub created: Vec<InitialPassword>,
}

#[cfg(feature = "ssr")]
pub use service::{commit, preview};

#[cfg(feature = "ssr")]
mod service {
    use std::collections::{BTreeSet, HashMap};

    use chrono::Utc;
    use sea_orm::{
        ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
        QueryFilter, Set,
    };

    use super::TeacherImportReport;
    use crate::audit::{self, AuditEntry};
    use crate::auth::Role;
    use crate::auth::current_user::CurrentUser;
    use crate::auth::password::hash_password_async;
    use crate::auth::service::normalize_username;
    use crate::db::entities::{class, user, user_role};
    use crate::error::AppError;
    use crate::roster::import::RowError;
    use crate::roster::import::columns::halfwidth;
    use crate::roster::import::table::Table;
    use crate::staff::service::{generate_initial_password, is_principal_of, role_rows};
    use crate::staff::{InitialPassword, RoleInput};

    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Col {
        Name,
        Username,
        Phone,
        Roles,
        Classes,
        Subject,
    }

    const HEADERS: [(Col, &[&str]); 6] = [
        (Col::Name, &["姓名", "教师姓名", "名字"]),
        (Col::Username, &["用户名", "账号", "登录名", "登录账号"]),
        (Col::Phone, &["手机号", "手机", "联系电话", "电话"]),
        (Col::Roles, &["角色", "职务", "岗位"]),
        (Col::Classes, &["班级", "任教班级", "所带班级"]),
        (Col::Subject, &["学科", "任教学科", "科目"]),
    ];

    fn push(errors: &mut Vec<RowError>, row: usize, col: Col, message: String) {
        errors.push(RowError {
            row,
            column: label(col).into(),
            message,
        });
    }

    fn label(col: Col) -> &'static str {
        HEADERS
            .iter()
            .find(|(c, _)| *c == col)
            .map_or("", |(_, names)| names[0])
    }

    /// Splits "班主任、科任教师" / "三年级(1)班,四年级(1)班".
    fn parts(cell: &str) -> Vec<String> {
        halfwidth(cell)
            .split([',', '、', ';', '/', '，', '；', ' '])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }

    fn role_of(word: &str) -> Option<Role> {
        match word {
            "校长" => Some(Role::Principal),
            "副校长" => Some(Role::VicePrincipal),
            "班主任" => Some(Role::HeadTeacher),
            "科任教师" | "任课教师" | "教师" => Some(Role::SubjectTeacher),
            "学校管理员" | "管理员" => Some(Role::SchoolAdmin),
            "家访审核员" | "审核员" => Some(Role::Reviewer),
            _ => None,
        }
    }

    /// "三年级（1）班" and "三年级1班" are the same class.
    fn class_key(name: &str) -> String {
        halfwidth(name)
            .chars()
            .filter(|c| !matches!(c, '(' | ')' | ' '))
            .collect()
    }

    /// (role code, class, subject): a role as stored, to compare with the file.
    type RoleKey = (String, Option<i32>, Option<String>);

    struct TeacherRow {
        row: usize,
        name: String,
        username: String,
        roles: Vec<RoleInput>,
    }

    struct Plan {
        report: TeacherImportReport,
        create: Vec<TeacherRow>,
        update: Vec<(i32, TeacherRow)>,
    }

    async fn plan(
        db: &impl ConnectionTrait,
        current: &CurrentUser,
        school_id: i32,
        table: &Table,
    ) -> Result<Plan, AppError> {
        let mut rows = table
            .rows
            .iter()
            .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
        let (_, header) = rows
            .next()
            .ok_or_else(|| AppError::invalid("file", "文件中没有数据"))?;
        let mut at: HashMap<u8, usize> = HashMap::new();
        for (i, cell) in header.iter().enumerate() {
            let cell = halfwidth(cell).trim().to_owned();
            if let Some((col, _)) = HEADERS
                .iter()
                .find(|(_, names)| names.contains(&cell.as_str()))
            {
                at.entry(*col as u8).or_insert(i);
            }
        }
        for col in [Col::Name, Col::Roles] {
            if !at.contains_key(&(col as u8)) {
                return Err(AppError::invalid(
                    "file",
                    format!(
                        "缺少“{}”列（表头须包含：姓名、用户名或手机号、角色、班级、学科）",
                        label(col)
                    ),
                ));
            }
        }
        if !at.contains_key(&(Col::Username as u8)) && !at.contains_key(&(Col::Phone as u8)) {
            return Err(AppError::invalid("file", "缺少“用户名”或“手机号”列"));
        }
        let classes: HashMap<String, i32> = class::Entity::find()
            .filter(class::Column::SchoolId.eq(school_id))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (class_key(&c.name), c.id))
            .collect();
        let mut report = TeacherImportReport::default();
        let mut checked: Vec<TeacherRow> = Vec::new();
        let mut seen = BTreeSet::new();
        for (row, cells) in rows {
            report.total_rows += 1;
            let value = |col: Col| {
                at.get(&(col as u8))
                    .and_then(|i| cells.get(*i))
                    .map(|v| halfwidth(v).trim().to_owned())
                    .unwrap_or_default()
            };
            let mut errors = Vec::new();
            let name = value(Col::Name);
            if name.is_empty() || name.chars().count() > 32 {
                push(
                    &mut errors,
                    *row,
                    Col::Name,
                    "请填写姓名（最多 32 字）".into(),
                );
            }
            let login = match value(Col::Username) {
                u if !u.is_empty() => u,
                _ => value(Col::Phone).replace(['-', ' '], ""),
            };
            let username = normalize_username(&login);
            let valid_username = username.len() >= 2
                && username.len() <= 32
                && username
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid_username {
                push(
                    &mut errors,
                    *row,
                    Col::Username,
                    "用户名须为 2–32 位字母、数字或 _ . -（可用手机号）".into(),
                );
            } else if !seen.insert(username.clone()) {
                push(
                    &mut errors,
                    *row,
                    Col::Username,
                    format!("用户名 {username} 在文件中重复"),
                );
            }
            let class_cell = value(Col::Classes);
            let class_ids: Vec<Option<i32>> = parts(&class_cell)
                .iter()
                .map(|c| classes.get(&class_key(c)).copied())
                .collect();
            if class_ids.iter().any(Option::is_none) {
                push(
                    &mut errors,
                    *row,
                    Col::Classes,
                    "班级不存在（写法如 三年级(1)班；请先导入学生名册建立班级）".into(),
                );
            }
            let class_ids: Vec<i32> = class_ids.into_iter().flatten().collect();
            let subject = value(Col::Subject);
            let mut roles = Vec::new();
            for word in parts(&value(Col::Roles)) {
                match role_of(&word) {
                    Some(role @ (Role::HeadTeacher | Role::SubjectTeacher)) => {
                        if class_cell.is_empty() {
                            push(
                                &mut errors,
                                *row,
                                Col::Classes,
                                format!("{}须填写班级", role.label()),
                            );
                        }
                        roles.extend(class_ids.iter().map(|c| RoleInput {
                            role,
                            class_id: Some(*c),
                            subject: (role == Role::SubjectTeacher).then(|| subject.clone()),
                        }));
                    }
                    Some(role) => roles.push(RoleInput {
                        role,
                        class_id: None,
                        subject: None,
                    }),
                    None => push(
                        &mut errors,
                        *row,
                        Col::Roles,
                        format!(
                            "无法识别角色“{word}”（可填：校长、副校长、班主任、科任教师、学校管理员、家访审核员）"
                        ),
                    ),
                }
            }
            if roles.is_empty() && errors.is_empty() {
                push(&mut errors, *row, Col::Roles, "请填写角色".into());
            }
            if errors.is_empty()
                && let Err(e) = role_rows(db, current, school_id, 0, &roles).await
            {
                push(&mut errors, *row, Col::Roles, e.to_string());
            }
            if errors.is_empty() {
                checked.push(TeacherRow {
                    row: *row,
                    name,
                    username,
                    roles,
                });
            } else {
                report.errors.extend(errors);
            }
        }
        let usernames: Vec<String> = checked.iter().map(|t| t.username.clone()).collect();
        let existing: HashMap<String, i32> = user::Entity::find()
            .filter(user::Column::Username.is_in(usernames))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.username, u.id))
            .collect();
        let mut roles_here: HashMap<i32, BTreeSet<RoleKey>> = HashMap::new();
        for r in user_role::Entity::find()
            .filter(user_role::Column::UserId.is_in(existing.values().copied()))
            .filter(user_role::Column::SchoolId.eq(school_id))
            .all(db)
            .await?
        {
            roles_here
                .entry(r.user_id)
                .or_default()
                .insert((r.role, r.class_id, r.subject));
        }
        let mut plan = Plan {
            report,
            create: Vec::new(),
            update: Vec::new(),
        };
        for t in checked {
            match existing.get(&t.username) {
                None => plan.create.push(t),
                Some(id) => match roles_here.get(id) {
                    None => plan.report.errors.push(RowError {
                        row: t.row,
                        column: label(Col::Username).into(),
                        message: format!("用户名 {} 已被其他学校或县区使用", t.username),
                    }),
                    Some(now)
                        if now
                            .iter()
                            .any(|(role, _, _)| role == Role::Principal.code())
                            && !is_principal_of(current, school_id) =>
                    {
                        plan.report.errors.push(RowError {
                            row: t.row,
                            column: label(Col::Roles).into(),
                            message: "校长的账号只能由校长本人修改".into(),
                        })
                    }
                    Some(now) => {
                        let wanted: BTreeSet<_> = t
                            .roles
                            .iter()
                            .map(|r| {
                                (
                                    r.role.code().to_owned(),
                                    r.class_id,
                                    r.subject.clone().filter(|s| !s.is_empty()),
                                )
                            })
                            .collect();
                        if &wanted == now {
                            plan.report.unchanged += 1;
                        } else {
                            plan.update.push((*id, t));
                        }
                    }
                },
            }
        }
        plan.report.errors.sort_by_key(|e| e.row);
        plan.report.to_create = plan.create.len();
        plan.report.to_update = plan.update.len();
        plan.report.valid_rows = plan.create.len() + plan.update.len() + plan.report.unchanged;
        Ok(plan)
    }

    pub async fn preview(
        db: &DatabaseConnection,
        current: &CurrentUser,
        school_id: i32,
        table: &Table,
    ) -> Result<TeacherImportReport, AppError> {
        Ok(plan(db, current, school_id, table).await?.report)
    }

    /// Creates and updates the good rows in one transaction; bad rows are
    /// skipped and reported, like the student import.
    pub async fn commit(
        db: &DatabaseConnection,
        current: &CurrentUser,
        school_id: i32,
        table: &Table,
    ) -> Result<TeacherImportReport, AppError> {
        let txn = crate::db::begin_write(db).await?;
        let plan = plan(&txn, current, school_id, table).await?;
        let mut report = plan.report;
        let now = Utc::now();
        for t in plan.create {
            let password = generate_initial_password();
            let hash = hash_password_async(password.clone()).await?;
            let created = user::ActiveModel {
                username: Set(t.username.clone()),
                display_name: Set(t.name.clone()),
                password_hash: Set(hash),
                must_change_password: Set(true),
                is_active: Set(true),
                phone: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            for row in role_rows(&txn, current, school_id, created.id, &t.roles).await? {
                row.insert(&txn).await?;
            }
            report.created.push(InitialPassword {
                user_id: created.id,
                username: t.username,
                initial_password: password,
            });
        }
        for (user_id, t) in plan.update {
            user_role::Entity::delete_many()
                .filter(user_role::Column::UserId.eq(user_id))
                .filter(user_role::Column::SchoolId.eq(school_id))
                .exec(&txn)
                .await?;
            for row in role_rows(&txn, current, school_id, user_id, &t.roles).await? {
                row.insert(&txn).await?;
            }
        }
        report.committed = true;
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(current.user.id),
                school_id: Some(school_id),
                action: "import_teachers",
                entity: "user",
                entity_id: None,
                detail: Some(serde_json::json!({
                    "created": report.to_create,
                    "updated": report.to_update,
                    "unchanged": report.unchanged,
                    "skipped_rows": report.errors.iter().map(|e| e.row).collect::<BTreeSet<_>>().len(),
                })),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(report)
    }
}
