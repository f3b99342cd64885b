//! Saving visits sent by the phone: `PUT /api/v1/visits/{uuid}` for one,
//! `POST /api/v1/visits/batch` for several in one transaction.
//!
//! The phone may send the same record any number of times (lost answers,
//! retries, two tabs). The body hash makes that harmless: the same body
//! is the same answer, a different body is an edit, accepted only on top
//! of the revision it was made from.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{
    attachment, student, user, user_role, visit, visit_co_visitor, visit_photo, visit_plan,
    visit_revision,
};
use crate::db::is_unique_violation;
use crate::error::AppError;
use crate::quotas::tallies;
use crate::semesters::service::semester_for_date;
use crate::visits::lookup::{body_hash, first_error, now};
use crate::visits::{VisitInput, VisitSaved};

/// Whether the visit was created (201) or already there / updated (200).
#[derive(Debug)]
pub struct Saved {
    pub created: bool,
    pub saved: VisitSaved,
}

/// Save `input` as visit `id` (create, replay or edit): a batch of one.
pub async fn put_visit(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Uuid,
    input: VisitInput,
) -> Result<Saved, AppError> {
    put_visits(db, current, vec![(id, input)])
        .await?
        .pop()
        .map_or(Err(AppError::Internal), |(_, result)| result)
}

/// Save several visits from one phone in one transaction: one commit (one
/// flush to disk) however many visits, and one request over a slow link.
/// Each visit is decided exactly as `PUT /api/v1/visits/{id}` decides it
/// and gets its own answer; a refused one leaves the others alone. A
/// database failure fails the whole batch and keeps nothing of it (the
/// phone sends it again).
pub async fn put_visits(
    db: &DatabaseConnection,
    current: &CurrentUser,
    items: Vec<(Uuid, VisitInput)>,
) -> Result<Vec<(Uuid, Result<Saved, AppError>)>, AppError> {
    // Officers only read.
    if current.access.staff_schools.is_empty() {
        return Err(AppError::Forbidden);
    }
    // On SQLite the write lock is taken first, so what each visit reads
    // cannot change before it writes.
    let txn = crate::db::begin_write(db).await?;
    let mut tallies = tallies::Changes::default();
    let mut results = Vec::with_capacity(items.len());
    for (id, input) in items {
        match save_one(&txn, current, id, &input, &mut tallies).await {
            Err(AppError::Internal) => return Err(AppError::Internal),
            result => results.push((id, result)),
        }
    }
    tallies.write(&txn).await?;
    txn.commit().await?;
    Ok(results)
}

async fn save_one(
    txn: &DatabaseTransaction,
    current: &CurrentUser,
    id: Uuid,
    input: &VisitInput,
    tallies: &mut tallies::Changes,
) -> Result<Saved, AppError> {
    let mut canonical = input.clone();
    canonical.base_revision = None;
    let (hash, body) = body_hash(&canonical)?;
    // A lost race (another request stored this id, or the next revision,
    // first) is decided again against what the winner stored.
    for _ in 0..3 {
        if let Some(saved) = attempt(txn, current, id, input, &hash, &body, tallies).await? {
            return Ok(saved);
        }
    }
    Err(AppError::Conflict {
        message: "该家访记录正在其他设备上同时保存，请稍后重试".into(),
    })
}

fn saved_of(v: &visit::Model) -> VisitSaved {
    VisitSaved {
        id: v.id,
        revision: v.revision,
        flagged: v.flagged,
        semester_id: v.semester_id,
        saved_at: v.updated_at,
    }
}

/// One try; `Ok(None)` when a concurrent request won a race.
async fn attempt(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    id: Uuid,
    input: &VisitInput,
    hash: &str,
    body: &str,
    tallies: &mut tallies::Changes,
) -> Result<Option<Saved>, AppError> {
    let existing = visit::Entity::find_by_id(id).one(db).await?;
    if let Some(v) = &existing {
        if v.visitor_id != current.user.id {
            return Err(AppError::Forbidden);
        }
        // A replay: answered as the first time, whatever changed since
        // (the record was checked when it was stored).
        if v.body_hash == hash {
            return Ok(Some(Saved {
                created: false,
                saved: saved_of(v),
            }));
        }
    }
    first_error(input.validate(Utc::now()))?;
    let student = visitable_student(db, current, input.student_id).await?;
    check_co_visitors(db, current, &student, &input.co_visitor_ids).await?;
    check_attachments(db, input).await?;
    check_plan(db, &student, input.plan_id).await?;

    let visit_date = input
        .visited_at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let semester_id = semester_for_date(db, student.school_id, visit_date)
        .await?
        .map(|s| s.id);
    let now = now();
    let row = Row {
        id,
        input,
        student: &student,
        visit_date,
        semester_id,
        hash,
        now,
    };
    match existing {
        None => create(db, current, &row, body, tallies).await,
        Some(v) if input.base_revision == Some(v.revision) => {
            update(db, current, &row, body, v, tallies).await
        }
        Some(v) => Err(AppError::Conflict {
            message: format!(
                "该家访记录已被修改（服务器上是第 {} 版），请刷新后在最新版本上修改",
                v.revision
            ),
        }),
    }
}

/// The student, if the caller may record a visit to them (unknown ids get
/// the same answer as other people's students).
async fn visitable_student(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    student_id: i32,
) -> Result<student::Model, AppError> {
    student::Entity::find_by_id(student_id)
        .one(db)
        .await?
        .filter(|s| current.access.can_visit_student(s))
        .ok_or(AppError::Forbidden)
}

/// Co-visitors are active staff of the student's school, not the visitor.
async fn check_co_visitors(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    student: &student::Model,
    ids: &[i32],
) -> Result<(), AppError> {
    if ids.contains(&current.user.id) {
        return Err(AppError::invalid(
            "co_visitor_ids",
            "同行人员不能包括记录人本人",
        ));
    }
    if ids.is_empty() {
        return Ok(());
    }
    let staff: BTreeSet<i32> = user_role::Entity::find()
        .filter(user_role::Column::UserId.is_in(ids.iter().copied()))
        .filter(user_role::Column::SchoolId.eq(student.school_id))
        .all(db)
        .await?
        .into_iter()
        .filter(|r| Role::from_code(&r.role).is_some_and(|r| !r.is_officer()))
        .map(|r| r.user_id)
        .collect();
    let active: BTreeSet<i32> = user::Entity::find()
        .filter(user::Column::Id.is_in(staff))
        .filter(user::Column::IsActive.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect();
    let unknown: Vec<String> = ids
        .iter()
        .filter(|id| !active.contains(id))
        .map(ToString::to_string)
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(
            "co_visitor_ids",
            format!(
                "同行人员须为本校在职教职工（编号 {} 不是）",
                unknown.join("、")
            ),
        ))
    }
}

/// Photos and the signature must have been uploaded first (the phone
/// sends them before the visit); the message names what is missing.
async fn check_attachments(db: &DatabaseTransaction, input: &VisitInput) -> Result<(), AppError> {
    let wanted: BTreeSet<&str> = input
        .photos
        .iter()
        .map(String::as_str)
        .chain(input.signature.as_deref())
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let present: BTreeSet<String> = attachment::Entity::find()
        .filter(attachment::Column::Sha256.is_in(wanted.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.sha256)
        .collect();
    let missing: Vec<&str> = input
        .photos
        .iter()
        .map(String::as_str)
        .filter(|p| !present.contains(*p))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "photos",
            format!("以下照片尚未上传，请先上传：{}", missing.join("、")),
        ));
    }
    match input.signature.as_deref() {
        Some(sig) if !present.contains(sig) => Err(AppError::invalid(
            "signature",
            format!("家长签名尚未上传，请先上传：{sig}"),
        )),
        _ => Ok(()),
    }
}

/// A 拟家访 report this visit answers must be about the same student.
async fn check_plan(
    db: &DatabaseTransaction,
    student: &student::Model,
    plan_id: Option<Uuid>,
) -> Result<(), AppError> {
    let Some(plan_id) = plan_id else {
        return Ok(());
    };
    let plan = visit_plan::Entity::find_by_id(plan_id).one(db).await?;
    match plan {
        Some(p) if p.student_id == student.id && p.school_id == student.school_id => Ok(()),
        _ => Err(AppError::invalid(
            "plan_id",
            "所选拟家访报告不存在或不是该学生的",
        )),
    }
}

/// What one save writes, shared by create and update.
struct Row<'a> {
    id: Uuid,
    input: &'a VisitInput,
    student: &'a student::Model,
    visit_date: chrono::NaiveDate,
    semester_id: Option<i32>,
    hash: &'a str,
    now: DateTime<Utc>,
}

impl Row<'_> {
    /// The columns an edit may change.
    fn content(&self) -> visit::ActiveModel {
        let i = self.input;
        visit::ActiveModel {
            school_id: Set(self.student.school_id),
            student_id: Set(self.student.id),
            semester_id: Set(self.semester_id),
            visited_at: Set(i.visited_at.with_timezone(&Utc)),
            visit_date: Set(self.visit_date),
            mode: Set(i.mode.code().into()),
            reason: Set(i.reason.code().into()),
            met_person: Set(i.met_person.clone()),
            met_relation: Set(i.met_relation.clone()),
            family_situation: Set(i.family_situation.clone()),
            home_behaviour: Set(i.home_behaviour.clone()),
            school_performance: Set(i.school_performance.clone()),
            summary: Set(i.summary.clone()),
            parent_opinion: Set(i.parent_opinion.clone()),
            follow_up: Set(i.follow_up.clone()),
            signature: Set(i.signature.clone()),
            no_signature_reason: Set(i
                .no_signature_reason
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_owned)),
            flagged: Set(i.flagged()),
            plan_id: Set(i.plan_id),
            duration_minutes: Set(i.duration_minutes.and_then(|m| i32::try_from(m).ok())),
            body_hash: Set(self.hash.to_owned()),
            updated_at: Set(self.now),
            // Every revision waits for review again: a returned (退回)
            // visit counts once it has been amended.
            review_status: Set(crate::reviews::ReviewStatus::Pending.code().into()),
            review_note: Set(None),
            reviewed_by: Set(None),
            reviewed_at: Set(None),
            ..Default::default()
        }
    }

    /// What the saved visit adds to the quota tallies (new and amended
    /// visits wait for review, so never returned).
    fn credits(&self, current: &CurrentUser) -> tallies::Credits {
        tallies::Credits {
            school_id: self.student.school_id,
            visit_date: self.visit_date,
            mode: self.input.mode.code().into(),
            returned: false,
            visitor_id: current.user.id,
            co_visitor_ids: self.input.co_visitor_ids.clone(),
        }
    }

    fn saved(&self, revision: i32) -> VisitSaved {
        VisitSaved {
            id: self.id,
            revision,
            flagged: self.input.flagged(),
            semester_id: self.semester_id,
            saved_at: self.now,
        }
    }
}

/// Each save runs in a savepoint of the batch: a failure part-way
/// (a lost race) undoes only this visit's rows.
async fn create(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    row: &Row<'_>,
    body: &str,
    tallies: &mut tallies::Changes,
) -> Result<Option<Saved>, AppError> {
    let txn = db.begin().await?;
    let mut model = row.content();
    model.id = Set(row.id);
    model.visitor_id = Set(current.user.id);
    model.revision = Set(1);
    model.created_at = Set(row.now);
    // The first statement writes, so on SQLite a concurrent twin waits for
    // the lock and then sees the primary key taken (rather than failing on
    // a stale read snapshot).
    match visit::Entity::insert(model)
        .exec_without_returning(&txn)
        .await
    {
        Ok(_) => {}
        Err(err) if is_unique_violation(&err) => return Ok(None),
        Err(err) => return Err(err.into()),
    }
    write_children(&txn, current, row, body, 1).await?;
    record(&txn, current, row, "visit.create", 1).await?;
    crate::dropout::tasks::close_by_visit(&txn, row.id).await?;
    txn.commit().await?;
    tallies.add(None, Some(&row.credits(current)));
    Ok(Some(Saved {
        created: true,
        saved: row.saved(1),
    }))
}

async fn update(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    row: &Row<'_>,
    body: &str,
    old: visit::Model,
    tallies: &mut tallies::Changes,
) -> Result<Option<Saved>, AppError> {
    let revision = old.revision + 1;
    let txn = db.begin().await?;
    let mut model = row.content();
    model.revision = Set(revision);
    // Only on top of the revision the edit was made from: a concurrent edit
    // that got there first makes this change nothing.
    // The review outcome too: the tallies move from what was read here.
    let result = visit::Entity::update_many()
        .set(model)
        .filter(visit::Column::Id.eq(row.id))
        .filter(visit::Column::Revision.eq(old.revision))
        .filter(visit::Column::ReviewStatus.eq(old.review_status.as_str()))
        .exec(&txn)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    let before = tallies::Credits::of_stored(&txn, &old).await?;
    visit_photo::Entity::delete_many()
        .filter(visit_photo::Column::VisitId.eq(row.id))
        .exec(&txn)
        .await?;
    visit_co_visitor::Entity::delete_many()
        .filter(visit_co_visitor::Column::VisitId.eq(row.id))
        .exec(&txn)
        .await?;
    match write_children(&txn, current, row, body, revision).await {
        Err(WriteError::Raced) => return Ok(None),
        Err(WriteError::App(e)) => return Err(e),
        Ok(()) => {}
    }
    record(&txn, current, row, "visit.update", revision).await?;
    crate::dropout::tasks::close_by_visit(&txn, row.id).await?;
    txn.commit().await?;
    tallies.add(Some(&before), Some(&row.credits(current)));
    Ok(Some(Saved {
        created: false,
        saved: row.saved(revision),
    }))
}

enum WriteError {
    /// The revision row exists already: another save got there first.
    Raced,
    App(AppError),
}

impl From<sea_orm::DbErr> for WriteError {
    fn from(err: sea_orm::DbErr) -> Self {
        if is_unique_violation(&err) {
            WriteError::Raced
        } else {
            WriteError::App(err.into())
        }
    }
}

impl From<WriteError> for AppError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Raced => AppError::Conflict {
                message: "该家访记录正在其他设备上同时保存，请稍后重试".into(),
            },
            WriteError::App(e) => e,
        }
    }
}

/// Photos, co-visitors and the revision (kept for good: the history).
async fn write_children(
    txn: &DatabaseTransaction,
    current: &CurrentUser,
    row: &Row<'_>,
    body: &str,
    revision: i32,
) -> Result<(), WriteError> {
    let photos: Vec<visit_photo::ActiveModel> = row
        .input
        .photos
        .iter()
        .zip(0..)
        .map(|(sha, position)| visit_photo::ActiveModel {
            visit_id: Set(row.id),
            position: Set(position),
            sha256: Set(sha.clone()),
        })
        .collect();
    if !photos.is_empty() {
        visit_photo::Entity::insert_many(photos)
            .exec_without_returning(txn)
            .await?;
    }
    let co_visitors: Vec<visit_co_visitor::ActiveModel> = row
        .input
        .co_visitor_ids
        .iter()
        .map(|user_id| visit_co_visitor::ActiveModel {
            visit_id: Set(row.id),
            user_id: Set(*user_id),
        })
        .collect();
    if !co_visitors.is_empty() {
        visit_co_visitor::Entity::insert_many(co_visitors)
            .exec_without_returning(txn)
            .await?;
    }
    visit_revision::Entity::insert(visit_revision::ActiveModel {
        visit_id: Set(row.id),
        revision: Set(revision),
        body: Set(body.to_owned()),
        body_hash: Set(row.hash.to_owned()),
        saved_by: Set(current.user.id),
        saved_at: Set(row.now),
    })
    .exec_without_returning(txn)
    .await?;
    Ok(())
}

/// Ids only: the log never holds what was said at the visit.
async fn record(
    txn: &DatabaseTransaction,
    current: &CurrentUser,
    row: &Row<'_>,
    action: &str,
    revision: i32,
) -> Result<(), AppError> {
    audit::record(
        txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(row.student.school_id),
            action,
            entity: "visit",
            entity_id: Some(row.id.to_string()),
            detail: Some(serde_json::json!({
                "student_id": row.student.id,
                "revision": revision,
            })),
        },
    )
    .await
}
