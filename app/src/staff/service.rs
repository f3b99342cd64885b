//! Staff account management, scoped to one school the caller administers.

use std::collections::HashMap;

use chrono::Utc;
use rand::Rng;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::{
    ClassOption, CreateStaffRequest, InitialPassword, RoleInput, SCHOOL_ROLES, StaffMember,
};
use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::auth::password::hash_password_async;
use crate::auth::service::{describe_roles, normalize_username};
use crate::auth::{Role, session_store};
use crate::db::entities::{class, user, user_role};
use crate::error::AppError;

/// The school the caller manages: the only one they lead, or the one asked
/// for if they lead it.
pub fn managed_school(current: &CurrentUser, requested: Option<i32>) -> Result<i32, AppError> {
    let led = &current.access.led_schools;
    match requested {
        Some(id) if led.contains(&id) => Ok(id),
        Some(_) => Err(AppError::Forbidden),
        None => match led.iter().copied().collect::<Vec<_>>().as_slice() {
            [only] => Ok(*only),
            [] => Err(AppError::Forbidden),
            _ => Err(AppError::invalid("school_id", "您管理多所学校，请指定学校")),
        },
    }
}

/// Unambiguous characters only (no 0/O, 1/l/I): read aloud or copied from paper.
pub fn generate_initial_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = OsRng;
    (0..10)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

pub async fn list_staff(
    db: &DatabaseConnection,
    school_id: i32,
) -> Result<Vec<StaffMember>, AppError> {
    let rows = user_role::Entity::find()
        .filter(user_role::Column::SchoolId.eq(school_id))
        .all(db)
        .await?;
    let mut by_user: HashMap<i32, Vec<user_role::Model>> = HashMap::new();
    for row in rows {
        by_user.entry(row.user_id).or_default().push(row);
    }
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(by_user.keys().copied().collect::<Vec<_>>()))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::DisplayName)
        .all(db)
        .await?;
    let mut staff = Vec::with_capacity(users.len());
    for u in users {
        let roles = by_user.remove(&u.id).unwrap_or_default();
        staff.push(StaffMember {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            must_change_password: u.must_change_password,
            roles: describe_roles(db, &roles).await?.roles,
        });
    }
    Ok(staff)
}

pub async fn list_classes(
    db: &DatabaseConnection,
    school_id: i32,
) -> Result<Vec<ClassOption>, AppError> {
    Ok(class::Entity::find()
        .filter(class::Column::SchoolId.eq(school_id))
        .order_by_asc(class::Column::GradeId)
        .order_by_asc(class::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|c| ClassOption {
            id: c.id,
            name: c.name,
        })
        .collect())
}

/// Check role inputs against the school: known school roles, classes of
/// this school, subjects where needed, no duplicates.
pub async fn role_rows(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    school_id: i32,
    user_id: i32,
    roles: &[RoleInput],
) -> Result<Vec<user_role::ActiveModel>, AppError> {
    if roles.is_empty() {
        return Err(AppError::invalid("roles", "请至少分配一个角色"));
    }
    if roles.iter().any(|r| r.role == Role::Principal) && !is_principal_of(current, school_id) {
        return Err(AppError::invalid("roles", "只有校长本人可以任命校长"));
    }
    let classes: Vec<i32> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let mut rows: Vec<user_role::ActiveModel> = Vec::new();
    let mut seen = Vec::new();
    for input in roles {
        if !SCHOOL_ROLES.contains(&input.role) {
            return Err(AppError::invalid(
                "roles",
                format!("学校不能分配“{}”角色", input.role.label()),
            ));
        }
        let subject = input
            .subject
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let needs_class = matches!(input.role, Role::HeadTeacher | Role::SubjectTeacher);
        let class_id = if needs_class {
            match input.class_id {
                Some(id) if classes.contains(&id) => Some(id),
                Some(_) => return Err(AppError::invalid("roles", "所选班级不属于本校")),
                None => {
                    return Err(AppError::invalid(
                        "roles",
                        format!("{}须指定班级", input.role.label()),
                    ));
                }
            }
        } else {
            None
        };
        if input.role == Role::SubjectTeacher && subject.is_none() {
            return Err(AppError::invalid("roles", "科任教师须填写任教学科"));
        }
        if subject.as_ref().is_some_and(|s| s.chars().count() > 16) {
            return Err(AppError::invalid("roles", "学科名称过长"));
        }
        let key = (input.role, class_id, subject.clone());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        rows.push(user_role::ActiveModel {
            user_id: Set(user_id),
            role: Set(input.role.code().into()),
            school_id: Set(Some(school_id)),
            class_id: Set(class_id),
            subject: Set(subject),
            ..Default::default()
        });
    }
    Ok(rows)
}

pub async fn create_staff(
    db: &DatabaseConnection,
    current: &CurrentUser,
    school_id: i32,
    req: CreateStaffRequest,
) -> Result<InitialPassword, AppError> {
    let username = normalize_username(&req.username);
    let valid = username.len() >= 2
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !valid {
        return Err(AppError::invalid(
            "username",
            "用户名须为 2–64 位字母、数字、下划线、点或短横线",
        ));
    }
    let display_name = req.display_name.trim().to_owned();
    if display_name.is_empty() || display_name.chars().count() > 32 {
        return Err(AppError::invalid(
            "display_name",
            "请填写姓名（最多 32 字）",
        ));
    }
    let password = generate_initial_password();
    let hash = hash_password_async(password.clone()).await?;

    let txn = crate::db::begin_write(db).await?;
    if user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(AppError::Conflict {
            message: format!("用户名 {username} 已被使用"),
        });
    }
    let now = Utc::now();
    let created = user::ActiveModel {
        username: Set(username.clone()),
        display_name: Set(display_name),
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
    for row in role_rows(&txn, current, school_id, created.id, &req.roles).await? {
        row.insert(&txn).await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: "create_account",
            entity: "user",
            entity_id: Some(created.id.to_string()),
            detail: Some(serde_json::json!({ "username": username, "roles": req.roles.iter().map(|r| r.role.code()).collect::<Vec<_>>() })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(InitialPassword {
        user_id: created.id,
        username,
        initial_password: password,
    })
}

pub fn is_principal_of(current: &CurrentUser, school_id: i32) -> bool {
    current
        .roles
        .iter()
        .any(|r| r.role == Role::Principal.code() && r.school_id == Some(school_id))
}

/// The member must hold a role in this school, or it is none of the caller's
/// business. The principal's account is the principal's own: a vice
/// principal or the school admin resetting its password would be handed
/// the new one, i.e. the principal's rights.
async fn staff_of_school(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    school_id: i32,
    user_id: i32,
) -> Result<user::Model, AppError> {
    let roles = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::SchoolId.eq(school_id))
        .all(db)
        .await?;
    if roles.is_empty() {
        return Err(AppError::Forbidden);
    }
    let target_is_principal = roles.iter().any(|r| r.role == Role::Principal.code());
    if target_is_principal && !is_principal_of(current, school_id) {
        return Err(AppError::Forbidden);
    }
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)
}

pub async fn reset_password(
    db: &DatabaseConnection,
    current: &CurrentUser,
    school_id: i32,
    user_id: i32,
) -> Result<InitialPassword, AppError> {
    let member = staff_of_school(db, current, school_id, user_id).await?;
    let password = generate_initial_password();
    let hash = hash_password_async(password.clone()).await?;
    let txn = db.begin().await?;
    let username = member.username.clone();
    let mut row = member.into_active_model();
    row.password_hash = Set(hash);
    row.must_change_password = Set(true);
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: "reset_password",
            entity: "user",
            entity_id: Some(user_id.to_string()),
            detail: None,
        },
    )
    .await?;
    txn.commit().await?;
    // Whoever held the old password is logged out everywhere.
    session_store::delete_user_sessions(db, user_id, None).await?;
    Ok(InitialPassword {
        user_id,
        username,
        initial_password: password,
    })
}

/// Replace the member's roles in this school (roles elsewhere stay).
pub async fn set_roles(
    db: &DatabaseConnection,
    current: &CurrentUser,
    school_id: i32,
    user_id: i32,
    roles: Vec<RoleInput>,
) -> Result<StaffMember, AppError> {
    let member = staff_of_school(db, current, school_id, user_id).await?;
    // Reads, then writes: see `begin_write`.
    let txn = crate::db::begin_write(db).await?;
    let rows = role_rows(&txn, current, school_id, user_id, &roles).await?;
    let before: Vec<String> = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::SchoolId.eq(school_id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| r.role)
        .collect();
    user_role::Entity::delete_many()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::SchoolId.eq(school_id))
        .exec(&txn)
        .await?;
    for row in rows {
        row.insert(&txn).await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: "set_roles",
            entity: "user",
            entity_id: Some(user_id.to_string()),
            detail: Some(serde_json::json!({ "before": before, "after": roles.iter().map(|r| r.role.code()).collect::<Vec<_>>() })),
        },
    )
    .await?;
    txn.commit().await?;
    let new_roles = user_role::Entity::find()
        .filter(user_role::Column::UserId.eq(user_id))
        .filter(user_role::Column::SchoolId.eq(school_id))
        .all(db)
        .await?;
    Ok(StaffMember {
        id: member.id,
        username: member.username,
        display_name: member.display_name,
        must_change_password: member.must_change_password,
        roles: describe_roles(db, &new_roles).await?.roles,
    })
}

#[cfg(test)]
mod tests {
    use super::generate_initial_password;

    #[test]
    fn initial_passwords_are_long_and_unambiguous() {
        let a = generate_initial_password();
        assert_eq!(a.len(), 10);
        assert!(!a.contains(['0', 'O', '1', 'l', 'I']));
        assert_ne!(a, generate_initial_password());
    }
}
