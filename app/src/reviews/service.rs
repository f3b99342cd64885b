//! Listing a school's visits for spot-checks and recording decisions.

use chrono::Utc;
use rand::seq::SliceRandom;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use uuid::Uuid;

use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::visit;
use crate::error::AppError;
use crate::quotas::tallies;
use crate::reviews::{ReviewDecision, ReviewInput, ReviewStatus};
use crate::semesters::service::semester_of_school;
use crate::visits::VisitView;
use crate::visits::query::views;

/// The most records one list returns (a sample is drawn from all of them).
const LIST_LIMIT: u64 = 500;

/// What to list for review.
#[derive(Clone, Debug, Default)]
pub struct ReviewFilter {
    pub school_id: Option<i32>,
    pub semester_id: Option<i32>,
    pub status: Option<ReviewStatus>,
    /// A random sample of this many instead of everything.
    pub sample: Option<u32>,
}

/// The school's visits in the semester, newest first, or a random sample.
pub async fn list(
    db: &DatabaseConnection,
    current: &CurrentUser,
    filter: ReviewFilter,
) -> Result<Vec<VisitView>, AppError> {
    let access = &current.access;
    let school_id = match filter.school_id {
        Some(id) if access.reviews_school(id) => id,
        Some(_) => return Err(AppError::Forbidden),
        // A reviewer who leads no school reviews the school they are assigned to.
        None => access
            .led_schools
            .first()
            .or(access.reviewed_schools.first())
            .copied()
            .ok_or(AppError::Forbidden)?,
    };
    let semester = semester_of_school(db, school_id, filter.semester_id).await?;
    let mut query = visit::Entity::find()
        .filter(visit::Column::SchoolId.eq(school_id))
        .filter(visit::Column::VisitDate.gte(semester.start_date))
        .filter(visit::Column::VisitDate.lte(semester.end_date));
    if let Some(status) = filter.status {
        query = query.filter(visit::Column::ReviewStatus.eq(status.code()));
    }
    let rows = match filter.sample {
        None => {
            query
                .order_by_desc(visit::Column::VisitedAt)
                .order_by_asc(visit::Column::Id)
                .limit(LIST_LIMIT)
                .all(db)
                .await?
        }
        Some(n) => {
            let ids: Vec<Uuid> = query
                .select_only()
                .column(visit::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            let picked: Vec<Uuid> = ids
                .choose_multiple(&mut rand::thread_rng(), n.min(LIST_LIMIT as u32) as usize)
                .copied()
                .collect();
            visit::Entity::find()
                .filter(visit::Column::Id.is_in(picked))
                .order_by_desc(visit::Column::VisitedAt)
                .order_by_asc(visit::Column::Id)
                .all(db)
                .await?
        }
    };
    views(db, rows).await
}

/// Mark a visit 已审核 or 退回 (audit-logged). Only a leader of the
/// visit's school, never on their own record, and only on the revision
/// they looked at.
pub async fn review(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Uuid,
    input: ReviewInput,
) -> Result<VisitView, AppError> {
    let v = visit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("该家访记录"))?;
    if !current.access.reviews_school(v.school_id) {
        return Err(AppError::Forbidden);
    }
    if v.visitor_id == current.user.id {
        return Err(AppError::Conflict {
            message: "不能审核自己填写的家访记录，请由学校其他负责人审核".into(),
        });
    }
    let note = input
        .checked_note()
        .map_err(|message| AppError::invalid("note", message))?;
    let stale = || AppError::Conflict {
        message: format!(
            "该记录已被教师修改（现为第 {} 版），请查看最新内容后再审核",
            v.revision
        ),
    };
    if input.revision != v.revision {
        return Err(stale());
    }
    let status = match input.decision {
        ReviewDecision::Approved => ReviewStatus::Approved,
        ReviewDecision::Returned => ReviewStatus::Returned,
    };
    let txn = db.begin().await?;
    let updated = visit::Entity::update_many()
        .set(visit::ActiveModel {
            review_status: Set(status.code().into()),
            review_note: Set(note.clone()),
            reviewed_by: Set(Some(current.user.id)),
            reviewed_at: Set(Some(Utc::now())),
            ..Default::default()
        })
        .filter(visit::Column::Id.eq(id))
        .filter(visit::Column::Revision.eq(input.revision))
        // Another reviewer's decision in between: the tallies below move
        // from the outcome read above, so that must still be it.
        .filter(visit::Column::ReviewStatus.eq(v.review_status.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(stale());
    }
    // Only a change between returned and not moves the visit's credits
    // (approving a pending visit, the usual review, changes no tally).
    let was_returned = v.review_status == ReviewStatus::Returned.code();
    if was_returned != (status == ReviewStatus::Returned) {
        let before = tallies::Credits::of_stored(&txn, &v).await?;
        let after = tallies::Credits {
            returned: !was_returned,
            ..before.clone()
        };
        tallies::record(&txn, Some(&before), Some(&after)).await?;
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(v.school_id),
            action: "visit.review",
            entity: "visit",
            entity_id: Some(id.to_string()),
            detail: Some(serde_json::json!({
                "decision": status.code(),
                "note": note,
                "revision": input.revision,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    let row = visit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("该家访记录"))?;
    views(db, vec![row])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("review view", "view of one visit missing"))
}
