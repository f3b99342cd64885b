//! Reading the audit log: school leaders see their school's entries,
//! town and county officers those of the schools in their area.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;

use super::AuditEntryView;
use crate::api::ErrorBody;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{audit_log, user};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AuditQuery {
    /// At most this many entries (default 100, at most 500).
    pub limit: Option<u64>,
    /// Only entries older than this id (for paging).
    pub before_id: Option<i32>,
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
        query.limit.unwrap_or(100),
        query.before_id,
    )
    .await
    .map(Json)
}

/// Entries of the schools the caller leads or oversees, newest first.
pub async fn list_entries(
    db: &sea_orm::DatabaseConnection,
    current: &CurrentUser,
    limit: u64,
    before_id: Option<i32>,
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
    if let Some(before) = before_id {
        select = select.filter(audit_log::Column::Id.lt(before));
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
    Ok(entries
        .into_iter()
        .map(|e| AuditEntryView {
            id: e.id,
            at: e.at,
            actor: e.actor_id.and_then(|id| names.get(&id).cloned()),
            school_id: e.school_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            detail: e.detail,
        })
        .collect())
}
