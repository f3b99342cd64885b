//! Saving visits sent by the phone: `PUT /api/v1/visits/{uuid}` for one,
//! `POST /api/v1/visits/batch` for several in one transaction.
//!
//! The phone may send the same record any number of times (lost answers,
//! retries, two tabs). The body hash makes that harmless: the same body
//! is the same answer, a different body is an edit, accepted only on top
//! of the revision it was made from.
//!
//! A batch is decided and written as a whole: what the checks read is
//! loaded once (`Known`), new visits go in with one multi-row statement
//! per table. At the end of a semester a phone hands in dozens of visits,
//! and per-visit statements were most of the server's time.

use std::collections::HashSet;
use std::ops::Range;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{student, visit, visit_co_visitor, visit_photo, visit_revision};
use crate::db::is_unique_violation;
use crate::dropout::tasks::{close_by_visit, closes_tasks};
use crate::error::AppError;
use crate::quotas::tallies;
use crate::visits::known::Known;
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
    // Pure work before the write lock is taken.
    let sent = items
        .into_iter()
        .map(|(id, input)| Sent::new(id, input))
        .collect::<Result<Vec<_>, _>>()?;
    // On SQLite the write lock is taken first, so what the batch reads
    // cannot change before it writes.
    let txn = crate::db::begin_write(db).await?;
    let mut tallies = tallies::Changes::default();
    let mut answers: Vec<Option<Result<Saved, AppError>>> = sent.iter().map(|_| None).collect();
    for part in parts(&sent) {
        save_part(&txn, current, &sent, part, &mut answers, &mut tallies).await?;
    }
    tallies.write(&txn).await?;
    txn.commit().await?;
    Ok(sent
        .into_iter()
        .zip(answers)
        .map(|(s, answer)| (s.id, answer.unwrap_or_else(|| Err(raced()))))
        .collect())
}

/// One visit as sent, with the hash that recognises it sent again.
struct Sent {
    id: Uuid,
    input: VisitInput,
    hash: String,
    /// The stored revision's body (the input without `base_revision`).
    body: String,
}

impl Sent {
    fn new(id: Uuid, input: VisitInput) -> Result<Self, AppError> {
        let mut canonical = input.clone();
        canonical.base_revision = None;
        let (hash, body) = body_hash(&canonical)?;
        Ok(Sent {
            id,
            input,
            hash,
            body,
        })
    }
}

/// The batch cut into runs in which no id comes twice: a later send of
/// the same id (an edit right behind its first version) must be decided
/// against what the earlier one stored, as if sent one after the other.
fn parts(sent: &[Sent]) -> Vec<Range<usize>> {
    let mut parts = Vec::new();
    let mut seen = HashSet::new();
    let mut start = 0;
    for (i, s) in sent.iter().enumerate() {
        if !seen.insert(s.id) {
            parts.push(start..i);
            seen.clear();
            seen.insert(s.id);
            start = i;
        }
    }
    if start < sent.len() {
        parts.push(start..sent.len());
    }
    parts
}

fn raced() -> AppError {
    AppError::Conflict {
        message: "该家访记录正在其他设备上同时保存，请稍后重试".into(),
    }
}

/// Decides and writes one run of the batch. A lost race (on PostgreSQL,
/// another request stored one of these ids, or the next revision, first)
/// is decided again against what the winner stored; what still loses
/// after three tries is left unanswered (a conflict).
async fn save_part(
    txn: &DatabaseTransaction,
    current: &CurrentUser,
    sent: &[Sent],
    part: Range<usize>,
    answers: &mut [Option<Result<Saved, AppError>>],
    tallies: &mut tallies::Changes,
) -> Result<(), AppError> {
    let mut pending: Vec<usize> = part.collect();
    for _ in 0..3 {
        if pending.is_empty() {
            break;
        }
        let batch: Vec<(Uuid, &VisitInput)> = pending
            .iter()
            .map(|&i| (sent[i].id, &sent[i].input))
            .collect();
        let known = Known::load(txn, &batch).await?;
        let now = now();
        let mut creates = Vec::new();
        let mut updates = Vec::new();
        for &i in &pending {
            match decide(&known, current, &sent[i], now) {
                Ok(Decision::Answer(saved)) => answers[i] = Some(Ok(saved)),
                Ok(Decision::Create(row)) => creates.push((i, row)),
                Ok(Decision::Update(row, old)) => updates.push((i, row, old)),
                Err(err) => answers[i] = Some(Err(err)),
            }
        }
        let mut lost = Vec::new();
        if create(txn, current, creates.iter().map(|(_, row)| row)).await? {
            for (i, row) in &creates {
                tallies.add(None, Some(&row.credits(current)));
                answers[*i] = Some(Ok(Saved {
                    created: true,
                    saved: row.saved(1),
                }));
            }
        } else {
            lost.extend(creates.iter().map(|(i, _)| *i));
        }
        for (i, row, old) in updates {
            match update(txn, current, &row, old, tallies).await? {
                Some(saved) => answers[i] = Some(Ok(saved)),
                None => lost.push(i),
            }
        }
        lost.sort_unstable();
        pending = lost;
    }
    Ok(())
}

enum Decision<'a> {
    /// A replay: answered as the first time.
    Answer(Saved),
    Create(Row<'a>),
    /// An edit on top of the stored revision.
    Update(Row<'a>, &'a visit::Model),
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

/// What `PUT /api/v1/visits/{id}` answers, from what the batch loaded.
fn decide<'a>(
    known: &'a Known,
    current: &CurrentUser,
    sent: &'a Sent,
    now: DateTime<Utc>,
) -> Result<Decision<'a>, AppError> {
    let existing = known.visits.get(&sent.id);
    if let Some(v) = existing {
        if v.visitor_id != current.user.id {
            return Err(AppError::Forbidden);
        }
        // A replay: answered as the first time, whatever changed since
        // (the record was checked when it was stored).
        if v.body_hash == sent.hash {
            return Ok(Decision::Answer(Saved {
                created: false,
                saved: saved_of(v),
            }));
        }
    }
    let input = &sent.input;
    first_error(input.validate(now))?;
    let student = known.visitable_student(current, input.student_id)?;
    known.check_co_visitors(current, student, &input.co_visitor_ids)?;
    known.check_attachments(input)?;
    known.check_plan(student, input.plan_id)?;

    let visit_date = input
        .visited_at
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let row = Row {
        id: sent.id,
        input,
        student,
        visit_date,
        semester_id: known
            .semesters
            .on(student.school_id, visit_date)
            .map(|s| s.id),
        hash: &sent.hash,
        body: &sent.body,
        now,
    };
    match existing {
        None => Ok(Decision::Create(row)),
        Some(v) if input.base_revision == Some(v.revision) => Ok(Decision::Update(row, v)),
        Some(v) => Err(AppError::Conflict {
            message: format!(
                "该家访记录已被修改（服务器上是第 {} 版），请刷新后在最新版本上修改",
                v.revision
            ),
        }),
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
    body: &'a str,
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

/// The batch's new visits, with one statement per table, in a savepoint
/// of the batch. `false` (nothing written) when another request stored one
/// of these ids first: the caller decides them again.
async fn create<'a>(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    rows: impl Iterator<Item = &'a Row<'a>>,
) -> Result<bool, AppError> {
    let mut rows: Vec<(&Row, i32)> = rows.map(|row| (row, 1)).collect();
    // In id order: two batches holding some of the same new ids (a retry
    // racing its original) lock them in the same order on PostgreSQL, so
    // one waits for the other instead of both deadlocking.
    rows.sort_by_key(|(row, _)| row.id);
    if rows.is_empty() {
        return Ok(true);
    }
    let models: Vec<visit::ActiveModel> = rows
        .iter()
        .map(|(row, _)| {
            let mut model = row.content();
            model.id = Set(row.id);
            model.visitor_id = Set(current.user.id);
            model.revision = Set(1);
            model.created_at = Set(row.now);
            model
        })
        .collect();
    let txn = db.begin().await?;
    match visit::Entity::insert_many(models)
        .exec_without_returning(&txn)
        .await
    {
        Ok(_) => {}
        Err(err) if is_unique_violation(&err) => {
            txn.rollback().await?;
            return Ok(false);
        }
        Err(err) => return Err(err.into()),
    }
    write_children(&txn, current, &rows).await?;
    record(&txn, current, &rows, "visit.create").await?;
    close_tasks(&txn, &rows).await?;
    txn.commit().await?;
    Ok(true)
}

/// An edit, in a savepoint of the batch. `None` (nothing written) when a
/// concurrent edit got there first.
async fn update(
    db: &DatabaseTransaction,
    current: &CurrentUser,
    row: &Row<'_>,
    old: &visit::Model,
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
        txn.rollback().await?;
        return Ok(None);
    }
    let before = tallies::Credits::of_stored(&txn, old).await?;
    visit_photo::Entity::delete_many()
        .filter(visit_photo::Column::VisitId.eq(row.id))
        .exec(&txn)
        .await?;
    visit_co_visitor::Entity::delete_many()
        .filter(visit_co_visitor::Column::VisitId.eq(row.id))
        .exec(&txn)
        .await?;
    let rows = [(row, revision)];
    match write_children(&txn, current, &rows).await {
        Err(WriteError::Raced) => {
            txn.rollback().await?;
            return Ok(None);
        }
        Err(WriteError::App(e)) => return Err(e),
        Ok(()) => {}
    }
    record(&txn, current, &rows, "visit.update").await?;
    close_tasks(&txn, &rows).await?;
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
            WriteError::Raced => raced(),
            WriteError::App(e) => e,
        }
    }
}

/// Photos, co-visitors and the revision (kept for good: the history) of
/// saved visits, each with the revision it was saved as.
async fn write_children(
    txn: &DatabaseTransaction,
    current: &CurrentUser,
    rows: &[(&Row<'_>, i32)],
) -> Result<(), WriteError> {
    let photos: Vec<visit_photo::ActiveModel> = rows
        .iter()
        .flat_map(|(row, _)| {
            row.input
                .photos
                .iter()
                .zip(0..)
                .map(|(sha, position)| visit_photo::ActiveModel {
                    visit_id: Set(row.id),
                    position: Set(position),
                    sha256: Set(sha.clone()),
                })
        })
        .collect();
    if !photos.is_empty() {
        visit_photo::Entity::insert_many(photos)
            .exec_without_returning(txn)
            .await?;
    }
    let co_visitors: Vec<visit_co_visitor::ActiveModel> = rows
        .iter()
        .flat_map(|(row, _)| {
            row.input
                .co_visitor_ids
                .iter()
                .map(|user_id| visit_co_visitor::ActiveModel {
                    visit_id: Set(row.id),
                    user_id: Set(*user_id),
                })
        })
        .collect();
    if !co_visitors.is_empty() {
        visit_co_visitor::Entity::insert_many(co_visitors)
            .exec_without_returning(txn)
            .await?;
    }
    let revisions: Vec<visit_revision::ActiveModel> = rows
        .iter()
        .map(|(row, revision)| visit_revision::ActiveModel {
            visit_id: Set(row.id),
            revision: Set(*revision),
            body: Set(row.body.to_owned()),
            body_hash: Set(row.hash.to_owned()),
            saved_by: Set(current.user.id),
            saved_at: Set(row.now),
        })
        .collect();
    visit_revision::Entity::insert_many(revisions)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Ids only: the log never holds what was said at the visit.
async fn record(
    txn: &DatabaseTransaction,
    current: &CurrentUser,
    rows: &[(&Row<'_>, i32)],
    action: &str,
) -> Result<(), AppError> {
    audit::record_all(
        txn,
        rows.iter().map(|(row, revision)| AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(row.student.school_id),
            action,
            entity: "visit",
            entity_id: Some(row.id.to_string()),
            detail: Some(serde_json::json!({
                "student_id": row.student.id,
                "revision": revision,
            })),
        }),
    )
    .await
}

/// A visit about an absence closes the ladder's visit tasks it answers.
async fn close_tasks(txn: &DatabaseTransaction, rows: &[(&Row<'_>, i32)]) -> Result<(), AppError> {
    for (row, _) in rows {
        if closes_tasks(row.input.reason.code()) {
            close_by_visit(txn, row.id).await?;
        }
    }
    Ok(())
}
