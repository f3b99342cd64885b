//! 一生一案 files on the server: read, plan, record 劝返 attempts, close.
//! Writing the plan closes the principal's day-3 step, a 劝返 record closes
//! the head teacher's day-5 step (see `tasks::close_step`).

use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use super::TaskKind;
use super::cases::{
    CaseClose, CaseFile, CaseInput, CaseView, LinkedVisit, PersuasionInput, PersuasionMethod,
    PersuasionOutcome, PersuasionView,
};
use super::tasks::close_step;
use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{dropout_case, persuasion_record, school, student, visit};
use crate::error::AppError;
use crate::roster::StudentStatus;
use crate::roster::service::get_student;
use crate::visits::VisitReason;
use crate::visits::lookup::{People, first_error, photo_counts};

const OPEN: &str = "open";
const CLOSED: &str = "closed";

/// The student's case file; anyone who may read the student may read it
/// (officers of the area included: the records go to them).
pub async fn case_file(
    db: &DatabaseConnection,
    current: &CurrentUser,
    student_id: i32,
) -> Result<CaseFile, AppError> {
    let detail = get_student(db, current, student_id).await?;
    let s = find_student(db, student_id).await?;
    let school_name = school::Entity::find_by_id(s.school_id)
        .one(db)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let visits = linked_visits(db, student_id).await?;
    let by_id: HashMap<Uuid, LinkedVisit> = visits.iter().map(|v| (v.id, v.clone())).collect();
    let cases = dropout_case::Entity::find()
        .filter(dropout_case::Column::StudentId.eq(student_id))
        .order_by_desc(dropout_case::Column::OpenedOn)
        .order_by_desc(dropout_case::Column::Id)
        .all(db)
        .await?;
    let records = persuasion_record::Entity::find()
        .filter(persuasion_record::Column::StudentId.eq(student_id))
        .order_by_asc(persuasion_record::Column::Day)
        .order_by_asc(persuasion_record::Column::Id)
        .all(db)
        .await?;
    let names = People::load(db, records.iter().map(|r| r.recorded_by)).await?;
    let cases = cases
        .into_iter()
        .map(|c| CaseView {
            records: records
                .iter()
                .filter(|r| r.case_id == c.id)
                .map(|r| PersuasionView {
                    id: r.id,
                    day: r.day,
                    persons: r.persons.clone(),
                    method: PersuasionMethod::from_code(&r.method)
                        .unwrap_or(PersuasionMethod::Home),
                    result: r.result.clone(),
                    outcome: PersuasionOutcome::from_code(&r.outcome)
                        .unwrap_or(PersuasionOutcome::Undecided),
                    visit: r.visit_id.and_then(|id| by_id.get(&id).cloned()),
                    recorded_by: names.person(r.recorded_by).name,
                    created_at: r.created_at,
                })
                .collect(),
            id: c.id,
            opened_on: c.opened_on,
            reason: c.reason,
            plan: c.plan,
            responsible: c.responsible,
            closed_on: c.closed_on,
            close_note: c.close_note,
            updated_at: c.updated_at,
        })
        .collect();
    Ok(CaseFile {
        student: detail,
        school_name,
        cases,
        visits,
        can_plan: current.access.can_edit_student(&s),
        can_record: current.access.can_visit_student(&s),
    })
}

/// Opens the case (only for a suspected or confirmed dropout) or updates
/// the open one. A plan closes the day-3 "制定控辍方案" step.
pub async fn save_case(
    db: &DatabaseConnection,
    current: &CurrentUser,
    student_id: i32,
    input: CaseInput,
    today: NaiveDate,
) -> Result<CaseFile, AppError> {
    let s = find_student(db, student_id).await?;
    if !current.access.can_edit_student(&s) {
        return Err(AppError::Forbidden);
    }
    first_error(input.validate(today))?;
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let action = match open_case(&txn, student_id).await? {
        Some(case) => {
            let mut row = case.into_active_model();
            row.opened_on = Set(input.opened_on);
            row.reason = Set(input.reason.trim().to_owned());
            row.plan = Set(input.plan.trim().to_owned());
            row.responsible = Set(input.responsible.trim().to_owned());
            row.updated_at = Set(now);
            row.update(&txn).await?;
            "update_case"
        }
        None => {
            if !is_out_of_school(&s) {
                return Err(AppError::invalid(
                    "opened_on",
                    "只有疑似辍学、辍学或劝返中的学生才建立一生一案",
                ));
            }
            insert_case(&txn, current, &s, &input, now).await?;
            "open_case"
        }
    };
    close_step(&txn, student_id, TaskKind::ControlPlan, "已制定控辍方案").await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(s.school_id),
            action,
            entity: "dropout_case",
            entity_id: Some(student_id.to_string()),
            detail: Some(serde_json::json!({ "responsible": input.responsible.trim() })),
        },
    )
    .await?;
    txn.commit().await?;
    case_file(db, current, student_id).await
}

/// Ends the open case; the student must be back or gone with evidence.
pub async fn close_case(
    db: &DatabaseConnection,
    current: &CurrentUser,
    student_id: i32,
    input: CaseClose,
    today: NaiveDate,
) -> Result<CaseFile, AppError> {
    let s = find_student(db, student_id).await?;
    if !current.access.can_edit_student(&s) {
        return Err(AppError::Forbidden);
    }
    let case = open_case(db, student_id)
        .await?
        .ok_or_else(|| AppError::invalid("closed_on", "该学生没有未结的一生一案"))?;
    first_error(input.validate(today, case.opened_on))?;
    if is_out_of_school(&s) {
        let status = StudentStatus::from_code(&s.status).unwrap_or(StudentStatus::InSchool);
        return Err(AppError::invalid(
            "closed_on",
            format!(
                "学生当前为“{}”，请先在学生页面登记复学、转出或销号，再结案",
                status.label()
            ),
        ));
    }
    let txn = db.begin().await?;
    let mut row = case.into_active_model();
    row.status = Set(CLOSED.into());
    row.closed_on = Set(Some(input.closed_on));
    row.close_note = Set(input.note.trim().to_owned());
    row.updated_at = Set(Utc::now());
    row.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(s.school_id),
            action: "close_case",
            entity: "dropout_case",
            entity_id: Some(student_id.to_string()),
            detail: Some(serde_json::json!({ "closed_on": input.closed_on })),
        },
    )
    .await?;
    txn.commit().await?;
    case_file(db, current, student_id).await
}

/// Records one 劝返 attempt in the open case (opening one if the school has
/// not yet, so the head teacher's day-5 record is never blocked) and closes
/// the day-5 step.
pub async fn add_record(
    db: &DatabaseConnection,
    current: &CurrentUser,
    student_id: i32,
    input: PersuasionInput,
    today: NaiveDate,
) -> Result<CaseFile, AppError> {
    let s = find_student(db, student_id).await?;
    if !current.access.can_visit_student(&s) {
        return Err(AppError::Forbidden);
    }
    first_error(input.validate(today))?;
    if let Some(id) = input.visit_id {
        let linked = visit::Entity::find_by_id(id).one(db).await?;
        if linked.is_none_or(|v| v.student_id != student_id) {
            return Err(AppError::invalid("visit_id", "所选家访记录不属于该学生"));
        }
    }
    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let case = match open_case(&txn, student_id).await? {
        Some(case) => case,
        None if is_out_of_school(&s) => {
            let input = CaseInput {
                opened_on: input.day,
                reason: "无故缺勤未到校".into(),
                plan: String::new(),
                responsible: current.user.display_name.clone(),
            };
            insert_case(&txn, current, &s, &input, now).await?
        }
        None => {
            return Err(AppError::invalid(
                "day",
                "只有疑似辍学、辍学或劝返中的学生才需要劝返记录",
            ));
        }
    };
    if input.day < case.opened_on {
        return Err(AppError::invalid("day", "劝返日期不能早于建档日期"));
    }
    persuasion_record::ActiveModel {
        case_id: Set(case.id),
        school_id: Set(s.school_id),
        student_id: Set(student_id),
        day: Set(input.day),
        persons: Set(input.persons.trim().to_owned()),
        method: Set(input.method.code().into()),
        result: Set(input.result.trim().to_owned()),
        outcome: Set(input.outcome.code().into()),
        visit_id: Set(input.visit_id),
        recorded_by: Set(current.user.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    close_step(
        &txn,
        student_id,
        TaskKind::PersuasionRecord,
        "已填写劝返情况记录",
    )
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(s.school_id),
            action: "add_persuasion_record",
            entity: "dropout_case",
            entity_id: Some(student_id.to_string()),
            detail: Some(serde_json::json!({
                "day": input.day,
                "method": input.method.code(),
                "outcome": input.outcome.code(),
            })),
        },
    )
    .await?;
    txn.commit().await?;
    case_file(db, current, student_id).await
}

/// Unknown ids and other schools' students get the same answer (403).
async fn find_student(
    db: &DatabaseConnection,
    student_id: i32,
) -> Result<student::Model, AppError> {
    student::Entity::find_by_id(student_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)
}

fn is_out_of_school(s: &student::Model) -> bool {
    StudentStatus::from_code(&s.status).is_some_and(StudentStatus::is_out_of_school)
}

async fn open_case(
    db: &impl sea_orm::ConnectionTrait,
    student_id: i32,
) -> Result<Option<dropout_case::Model>, AppError> {
    Ok(dropout_case::Entity::find()
        .filter(dropout_case::Column::StudentId.eq(student_id))
        .filter(dropout_case::Column::Status.eq(OPEN))
        .one(db)
        .await?)
}

async fn insert_case(
    db: &impl sea_orm::ConnectionTrait,
    current: &CurrentUser,
    s: &student::Model,
    input: &CaseInput,
    now: chrono::DateTime<Utc>,
) -> Result<dropout_case::Model, AppError> {
    Ok(dropout_case::ActiveModel {
        school_id: Set(s.school_id),
        student_id: Set(s.id),
        opened_on: Set(input.opened_on),
        reason: Set(input.reason.trim().to_owned()),
        plan: Set(input.plan.trim().to_owned()),
        responsible: Set(input.responsible.trim().to_owned()),
        status: Set(OPEN.into()),
        closed_on: Set(None),
        close_note: Set(String::new()),
        created_by: Set(current.user.id),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// The student's 缺勤 / 劝返 visits, newest first, with photo counts.
async fn linked_visits(
    db: &DatabaseConnection,
    student_id: i32,
) -> Result<Vec<LinkedVisit>, AppError> {
    let visits = visit::Entity::find()
        .filter(visit::Column::StudentId.eq(student_id))
        .filter(visit::Column::Reason.is_in([
            VisitReason::Absence.code(),
            VisitReason::PersuadeReturn.code(),
        ]))
        .order_by_desc(visit::Column::VisitedAt)
        .all(db)
        .await?;
    let photos = photo_counts(db, visits.iter().map(|v| v.id)).await?;
    let names = People::load(db, visits.iter().map(|v| v.visitor_id)).await?;
    Ok(visits
        .into_iter()
        .map(|v| LinkedVisit {
            id: v.id,
            visit_date: v.visit_date,
            visitor: names.person(v.visitor_id).name,
            reason: VisitReason::from_code(&v.reason)
                .map(|r| r.label().to_owned())
                .unwrap_or_default(),
            photos: photos.get(&v.id).copied().unwrap_or(0),
            signed: v.signature.is_some(),
        })
        .collect())
}
