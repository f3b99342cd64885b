//! Reading the audit log: school leaders see their school's entries,
//! town and county officers those of the schools in their area.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::{AuditEntryView, AuditFilter};
use crate::api::ErrorBody;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{audit_log, school, user};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// At most this many entries (default 100, at most 500).
    pub limit: Option<u64>,
    /// Only entries older than this id (for paging).
    pub before_id: Option<i32>,
    /// Only this action (e.g. `change_status`).
    pub action: Option<String>,
    /// From this day on (Beijing time), e.g. 2026-12-01.
    pub from: Option<chrono::NaiveDate>,
    /// Up to and including this day (Beijing time).
    pub to: Option<chrono::NaiveDate>,
}

/// Newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses(
        (status = 200, description = "Audit entries the caller may read", body = Vec<AuditEntryView>),
        (status = 403, description = "Teachers cannot read the audit log", body = ErrorBody),
    ))]
pub async fn list_audit(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntryView>>, AppError> {
    list_entries(
        &state.db,
        &current,
        query.limit.unwrap_or(super::PAGE_SIZE),
        &AuditFilter {
            action: query.action,
            from: query.from,
            to: query.to,
            before_id: query.before_id,
        },
    )
    .await
    .map(Json)
}

/// Entries of the schools the caller leads or oversees, newest first.
pub async fn list_entries(
    db: &sea_orm::DatabaseConnection,
    current: &CurrentUser,
    limit: u64,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntryView>, AppError> {
    let schools: Vec<i32> = current
        .access
        .led_schools
        .union(&current.access.overseen_schools)
        .copied()
        .collect();
    if schools.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut select = audit_log::Entity::find()
        .filter(audit_log::Column::SchoolId.is_in(schools))
        .order_by_desc(audit_log::Column::Id)
        .limit(limit.clamp(1, 500));
    if let Some(before) = filter.before_id {
        select = select.filter(audit_log::Column::Id.lt(before));
    }
    if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
        select = select.filter(audit_log::Column::Action.eq(action));
    }
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from > to
    {
        return Err(AppError::invalid("to", "结束日期不能早于开始日期"));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_log::Column::At.gte(beijing_midnight(from)));
    }
    if let Some(to) = filter.to.and_then(|d| d.succ_opt()) {
        select = select.filter(audit_log::Column::At.lt(beijing_midnight(to)));
    }
    let entries = select.all(db).await?;
    let actor_ids: Vec<i32> = entries.iter().filter_map(|e| e.actor_id).collect();
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(actor_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let school_names: HashMap<i32, String> = school::Entity::find()
        .filter(school::Column::Id.is_in(entries.iter().filter_map(|e| e.school_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(entries
        .into_iter()
        .map(|e| AuditEntryView {
            id: e.id,
            at: e.at,
            actor: e.actor_id.and_then(|id| names.get(&id).cloned()),
            school: e.school_id.and_then(|id| school_names.get(&id).cloned()),
            school_id: e.school_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            detail: e.detail,
        })
        .collect())
}

/// 00:00 of a day in Beijing (UTC+8, no daylight saving), as UTC.
fn beijing_midnight(day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    (day.and_time(chrono::NaiveTime::MIN) - chrono::Duration::hours(8)).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beijing_day_starts_at_16_00_utc_the_day_before() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(
            beijing_midnight(day).to_rfc3339(),
            "2026-11-30T16:00:00+00:00"
        );
    }
}
