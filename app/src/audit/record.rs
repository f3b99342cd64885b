//! Writing the audit log, in the same transaction as the change.

use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::db::entities::audit_log;
use crate::error::AppError;

pub struct AuditEntry<'a> {
    pub actor_id: Option<i32>,
    pub school_id: Option<i32>,
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<String>,
    pub detail: Option<serde_json::Value>,
}

/// One entry.
pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<(), AppError> {
    record_all(db, [entry]).await
}

/// Several entries in one statement (a batch of synced visits).
pub async fn record_all<'a>(
    db: &impl ConnectionTrait,
    entries: impl IntoIterator<Item = AuditEntry<'a>>,
) -> Result<(), AppError> {
    let at = Utc::now();
    let rows: Vec<audit_log::ActiveModel> = entries
        .into_iter()
        .map(|entry| audit_log::ActiveModel {
            at: Set(at),
            actor_id: Set(entry.actor_id),
            school_id: Set(entry.school_id),
            action: Set(entry.action.to_owned()),
            entity: Set(entry.entity.to_owned()),
            entity_id: Set(entry.entity_id),
            detail: Set(entry.detail.map(|d| d.to_string())),
            ..Default::default()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    audit_log::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
