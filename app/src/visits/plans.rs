//! 拟家访 reports: a teacher tells the school leaders about a visit to come
//! (made offline too, so idempotent like visits); a leader acknowledges it;
//! the visit that follows points back at it.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set, TransactionTrait,
};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{student, visit, visit_plan};
use crate::db::is_unique_violation;
use crate::error::AppError;
use crate::visits::lookup::{People, Students, body_hash, first_error, now};
use crate::visits::{PlanInput, PlanView, VisitReason};

/// Save `input` as plan `id`: `Ok((true, _))` when created (201).
pub async fn put_plan(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Uuid,
    input: PlanInput,
) -> Result<(bool, PlanView), AppError> {
    let (hash, _) = body_hash(&input)?;
    for _ in 0..3 {
        if let Some(done) = attempt(db, current, id, &input, &hash).await? {
            return Ok(done);
        }
    }
    Err(AppError::Conflict {
        message: "该拟家访报告正在其他设备上同时保存，请稍后重试".into(),
    })
}

async fn attempt(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Uuid,
    input: &PlanInput,
    hash: &str,
) -> Result<Option<(bool, PlanView)>, AppError> {
    if current.access.staff_schools.is_empty() {
        return Err(AppError::Forbidden);
    }
    let existing = visit_plan::Entity::find_by_id(id).one(db).await?;
    if let Some(p) = &existing {
        if p.teacher_id != current.user.id {
            return Err(AppError::Forbidden);
        }
        if p.body_hash == hash {
            return Ok(Some((false, one_view(db, p.clone()).await?)));
        }
        if p.acknowledged_at.is_some() {
            return Err(AppError::Conflict {
                message: "该拟家访报告已由学校确认，不能再修改；如有变化请另行报告".into(),
            });
        }
    }
    first_error(input.validate())?;
    let s = student::Entity::find_by_id(input.student_id)
        .one(db)
        .await?
        .filter(|s| current.access.can_visit_student(s))
        .ok_or(AppError::Forbidden)?;
    let now = now();
    let content = visit_plan::ActiveModel {
        school_id: Set(s.school_id),
        student_id: Set(s.id),
        reason: Set(input.reason.code().into()),
        planned_at: Set(input.planned_at.with_timezone(&Utc)),
        note: Set(input.note.trim().to_owned()),
        body_hash: Set(hash.to_owned()),
        updated_at: Set(now),
        ..Default::default()
    };
    let txn = db.begin().await?;
    let (created, action) = match &existing {
        None => {
            let mut model = content;
            model.id = Set(id);
            model.teacher_id = Set(current.user.id);
            model.acknowledged_by = Set(None);
            model.acknowledged_at = Set(None);
            model.created_at = Set(now);
            match visit_plan::Entity::insert(model)
                .exec_without_returning(&txn)
                .await
            {
                Ok(_) => (true, "visit_plan.create"),
                Err(err) if is_unique_violation(&err) => return Ok(None),
                Err(err) => return Err(err.into()),
            }
        }
        Some(old) => {
            // Not once acknowledged, and not over a change made meanwhile.
            let result = visit_plan::Entity::update_many()
                .set(content)
                .filter(visit_plan::Column::Id.eq(id))
                .filter(visit_plan::Column::BodyHash.eq(old.body_hash.clone()))
                .filter(visit_plan::Column::AcknowledgedAt.is_null())
                .exec(&txn)
                .await?;
            if result.rows_affected != 1 {
                return Ok(None);
            }
            (false, "visit_plan.update")
        }
    };
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(s.school_id),
            action,
            entity: "visit_plan",
            entity_id: Some(id.to_string()),
            detail: Some(serde_json::json!({ "student_id": s.id })),
        },
    )
    .await?;
    txn.commit().await?;
    let row = visit_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal("visit plan", "saved plan missing"))?;
    Ok(Some((created, one_view(db, row).await?)))
}

/// Leaders see their schools' reports, teachers their own; `open_only`
/// keeps those no visit has reported back on yet.
pub async fn list_plans(
    db: &DatabaseConnection,
    current: &CurrentUser,
    open_only: bool,
) -> Result<Vec<PlanView>, AppError> {
    let mut scope = Condition::any().add(visit_plan::Column::TeacherId.eq(current.user.id));
    if !current.access.led_schools.is_empty() {
        scope = scope.add(visit_plan::Column::SchoolId.is_in(current.access.led_schools.clone()));
    }
    let rows = visit_plan::Entity::find()
        .filter(scope)
        .order_by_desc(visit_plan::Column::PlannedAt)
        .order_by_asc(visit_plan::Column::Id)
        .all(db)
        .await?;
    let mut views = views(db, rows).await?;
    if open_only {
        views.retain(|p| p.visit_id.is_none());
    }
    Ok(views)
}

/// A leader of the plan's school confirms having seen it (idempotent: the
/// first acknowledgement stays).
pub async fn acknowledge(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Uuid,
) -> Result<PlanView, AppError> {
    let plan = visit_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("该拟家访报告"))?;
    if !current.access.led_schools.contains(&plan.school_id) {
        return Err(AppError::Forbidden);
    }
    if plan.acknowledged_at.is_none() {
        let txn = db.begin().await?;
        let result = visit_plan::Entity::update_many()
            .set(visit_plan::ActiveModel {
                acknowledged_by: Set(Some(current.user.id)),
                acknowledged_at: Set(Some(now())),
                ..Default::default()
            })
            .filter(visit_plan::Column::Id.eq(id))
            .filter(visit_plan::Column::AcknowledgedAt.is_null())
            .exec(&txn)
            .await?;
        if result.rows_affected == 1 {
            audit::record(
                &txn,
                AuditEntry {
                    actor_id: Some(current.user.id),
                    school_id: Some(plan.school_id),
                    action: "visit_plan.acknowledge",
                    entity: "visit_plan",
                    entity_id: Some(id.to_string()),
                    detail: None,
                },
            )
            .await?;
        }
        txn.commit().await?;
    }
    let row = visit_plan::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("该拟家访报告"))?;
    one_view(db, row).await
}

async fn one_view(db: &DatabaseConnection, row: visit_plan::Model) -> Result<PlanView, AppError> {
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("plan view", "view of one plan missing"))
}

/// Views of `rows` in their order, with a fixed number of queries.
async fn views(
    db: &DatabaseConnection,
    rows: Vec<visit_plan::Model>,
) -> Result<Vec<PlanView>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    // The earliest visit reporting back on each plan.
    let mut reported: HashMap<Uuid, Uuid> = HashMap::new();
    let links: Vec<(Uuid, Option<Uuid>)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::Id)
        .column(visit::Column::PlanId)
        .filter(visit::Column::PlanId.is_in(rows.iter().map(|p| p.id)))
        .order_by_desc(visit::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    for (visit_id, plan_id) in links {
        if let Some(plan_id) = plan_id {
            reported.insert(plan_id, visit_id);
        }
    }
    let students = Students::load(db, rows.iter().map(|p| p.student_id)).await?;
    let people = People::load(
        db,
        rows.iter()
            .flat_map(|p| std::iter::once(p.teacher_id).chain(p.acknowledged_by)),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|p| {
            let (student_name, class_name) = students.labels(p.student_id);
            PlanView {
                id: p.id,
                student_id: p.student_id,
                student_name,
                class_name,
                teacher: people.person(p.teacher_id),
                reason: VisitReason::from_code(&p.reason).unwrap_or(VisitReason::Other),
                planned_at: p
                    .planned_at
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .fixed_offset(),
                note: p.note,
                acknowledged_by: p.acknowledged_by.map(|id| people.person(id)),
                acknowledged_at: p.acknowledged_at,
                visit_id: reported.get(&p.id).copied(),
                created_at: p.created_at,
            }
        })
        .collect())
}
