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

pub async fn record(db: &impl ConnectionTrait, entry: AuditEntry<'_>) -> Result<(), AppError> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        at: Set(Utc::now()),
        actor_id: Set(entry.actor_id),
        school_id: Set(entry.school_id),
        action: Set(entry.action.to_owned()),
        entity: Set(entry.entity.to_owned()),
        entity_id: Set(entry.entity_id),
        detail: Set(entry.detail.map(|d| d.to_string())),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}
