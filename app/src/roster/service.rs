//! Roster queries and changes, always checked against the caller's `Access`.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{class, guardian, student, student_status_history};
use crate::error::AppError;
use crate::roster::{
    Gender, GuardianView, MoveClassRequest, STUDENT_NO_TAIL, SpecialGroup, StatusChange,
    StatusChangeRequest, StudentDetail, StudentStatus, StudentSummary, mask, number_tail,
};

pub async fn list_students(
    db: &DatabaseConnection,
    current: &CurrentUser,
) -> Result<Vec<StudentSummary>, AppError> {
    let Some(condition) = current.access.student_condition() else {
        return Ok(Vec::new());
    };
    let rows = student::Entity::find()
        .filter(condition)
        .order_by_asc(student::Column::ClassId)
        .order_by_asc(student::Column::Name)
        .order_by_asc(student::Column::Id)
        .all(db)
        .await?;
    let mut class_ids: Vec<i32> = rows.iter().map(|s| s.class_id).collect();
    class_ids.sort_unstable();
    class_ids.dedup();
    let class_names: HashMap<i32, String> = class::Entity::find()
        .filter(class::Column::Id.is_in(class_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    Ok(rows.iter().map(|s| summary(s, &class_names)).collect())
}

pub async fn get_student(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
) -> Result<StudentDetail, AppError> {
    // Unknown ids and other people's students get the same answer.
    let s = student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    current.access.ensure_read_student(&s)?;
    let class_names: HashMap<i32, String> = class::Entity::find_by_id(s.class_id)
        .one(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let contacts = current.access.can_see_contacts(&s);
    let manages = current.access.can_edit_student(&s);
    let guardians = guardian::Entity::find()
        .filter(guardian::Column::StudentId.eq(s.id))
        .order_by_desc(guardian::Column::IsPrimary)
        .order_by_asc(guardian::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|g| GuardianView {
            name: g.name,
            relation: g.relation,
            phone: if contacts { g.phone } else { None },
            is_primary: g.is_primary,
        })
        .collect();
    let history = student_status_history::Entity::find()
        .filter(student_status_history::Column::StudentId.eq(s.id))
        .order_by_asc(student_status_history::Column::EffectiveDate)
        .order_by_asc(student_status_history::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(|h| {
            Some(StatusChange {
                from: h.from_status.as_deref().and_then(StudentStatus::from_code),
                to: StudentStatus::from_code(&h.to_status)?,
                effective_date: h.effective_date,
                note: h.note,
            })
        })
        .collect();
    Ok(StudentDetail {
        summary: summary(&s, &class_names),
        birth_date: s.birth_date,
        student_no: if manages {
            s.student_no.clone()
        } else {
            mask(&s.student_no, 1, STUDENT_NO_TAIL)
        },
        id_card_masked: s.id_card.as_deref().map(|v| mask(v, 3, 4)),
        home_address: if contacts {
            s.home_address.clone()
        } else {
            None
        },
        other_group_note: s.flag_other.clone(),
        home_teaching: s.home_teaching,
        status_since: s.status_since,
        guardians,
        history,
    })
}

fn summary(s: &student::Model, class_names: &HashMap<i32, String>) -> StudentSummary {
    StudentSummary {
        id: s.id,
        name: s.name.clone(),
        gender: Gender::from_code(&s.gender).unwrap_or(Gender::Male),
        school_id: s.school_id,
        class_id: s.class_id,
        class_name: class_names.get(&s.class_id).cloned().unwrap_or_default(),
        status: StudentStatus::from_code(&s.status).unwrap_or(StudentStatus::InSchool),
        special_groups: special_groups(s),
        student_no_tail: number_tail(&s.student_no),
    }
}

pub fn special_groups(s: &student::Model) -> Vec<SpecialGroup> {
    [
        (s.flag_left_behind, SpecialGroup::LeftBehind),
        (s.flag_orphan, SpecialGroup::Orphan),
        (s.flag_disabled, SpecialGroup::Disabled),
        (s.flag_low_income, SpecialGroup::LowIncome),
        (s.flag_poverty, SpecialGroup::Poverty),
        (s.flag_single_parent, SpecialGroup::SingleParent),
        (
            s.flag_other
                .as_deref()
                .is_some_and(|v| !v.trim().is_empty()),
            SpecialGroup::Other,
        ),
    ]
    .into_iter()
    .filter_map(|(on, group)| on.then_some(group))
    .collect()
}

/// Record a dated status change (with the reason) and keep the history.
pub async fn change_status(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
    req: StatusChangeRequest,
) -> Result<StudentDetail, AppError> {
    let s = editable_student(db, current, id).await?;
    let from = StudentStatus::from_code(&s.status).unwrap_or(StudentStatus::InSchool);
    if !from.can_become(req.to) {
        return Err(AppError::invalid(
            "to",
            format!("不能从“{}”直接改为“{}”", from.label(), req.to.label()),
        ));
    }
    let note = req.note.trim().to_owned();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::invalid("note", "请填写变更说明（最多 500 字）"));
    }
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    if req.effective_date > today || req.effective_date < s.status_since {
        return Err(AppError::invalid(
            "effective_date",
            "生效日期不能晚于今天，也不能早于上一次状态变更",
        ));
    }
    let txn = db.begin().await?;
    let now = chrono::Utc::now();
    student_status_history::ActiveModel {
        student_id: Set(s.id),
        from_status: Set(Some(from.code().into())),
        to_status: Set(req.to.code().into()),
        effective_date: Set(req.effective_date),
        note: Set(Some(note)),
        changed_by: Set(Some(current.user.id)),
        changed_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let school_id = s.school_id;
    let mut row = s.into_active_model();
    row.status = Set(req.to.code().into());
    row.status_since = Set(req.effective_date);
    row.updated_at = Set(now);
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: "change_status",
            entity: "student",
            entity_id: Some(id.to_string()),
            detail: Some(serde_json::json!({ "from": from.code(), "to": req.to.code(), "effective_date": req.effective_date })),
        },
    )
    .await?;
    txn.commit().await?;
    get_student(db, current, id).await
}

/// Move a student to another class of the same school (school leaders only:
/// a head teacher cannot hand pupils to someone else's class).
pub async fn move_class(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
    req: MoveClassRequest,
) -> Result<StudentDetail, AppError> {
    let s = student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    if !current.access.led_schools.contains(&s.school_id) {
        return Err(AppError::Forbidden);
    }
    let target = class::Entity::find_by_id(req.class_id)
        .one(db)
        .await?
        .filter(|c| c.school_id == s.school_id)
        .ok_or_else(|| AppError::invalid("class_id", "所选班级不属于本校"))?;
    if target.id == s.class_id {
        return get_student(db, current, id).await;
    }
    let txn = db.begin().await?;
    let (school_id, from_class) = (s.school_id, s.class_id);
    let mut row = s.into_active_model();
    row.class_id = Set(target.id);
    row.updated_at = Set(chrono::Utc::now());
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: "move_class",
            entity: "student",
            entity_id: Some(id.to_string()),
            detail: Some(
                serde_json::json!({ "from_class_id": from_class, "to_class_id": target.id }),
            ),
        },
    )
    .await?;
    txn.commit().await?;
    get_student(db, current, id).await
}

/// Adds a student (`id` none) or edits one from the admin's form; school
/// leaders only, like the import the form goes through.
pub async fn save_student(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Option<i32>,
    form: crate::roster::import::StudentForm,
) -> Result<StudentDetail, AppError> {
    let existing = match id {
        Some(id) => Some(
            student::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(AppError::Forbidden)?,
        ),
        None => None,
    };
    let school_id = match &existing {
        Some(s) => s.school_id,
        None => {
            class::Entity::find_by_id(form.class_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::invalid("class_id", "请选择班级"))?
                .school_id
        }
    };
    if !current.access.led_schools.contains(&school_id) {
        return Err(AppError::Forbidden);
    }
    let saved = crate::roster::import::service::save_one(
        db,
        school_id,
        current.user.id,
        existing.as_ref(),
        &form,
    )
    .await?;
    get_student(db, current, saved).await
}

async fn editable_student(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
) -> Result<student::Model, AppError> {
    let s = student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    if current.access.can_edit_student(&s) {
        Ok(s)
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn can_change_status(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
) -> Result<bool, AppError> {
    Ok(editable_student(db, current, id).await.is_ok())
}
