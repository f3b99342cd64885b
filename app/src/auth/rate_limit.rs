//! Login rate limit per account and per client address, kept in the
//! database so it holds across server instances and restarts.

use chrono::{Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::entities::login_failure;
use crate::error::AppError;

pub const WINDOW_SECS: i64 = 15 * 60;
/// Failed attempts on one account within the window before it is paused.
pub const MAX_FAILURES_PER_ACCOUNT: u64 = 5;
/// Failed attempts from one address (a whole school may share one).
pub const MAX_FAILURES_PER_IP: u64 = 30;

/// Refuse with 429 if either limit is reached; otherwise Ok.
pub async fn check(db: &DatabaseConnection, username: &str, ip: &str) -> Result<(), AppError> {
    let by_account = blocked_for(
        db,
        login_failure::Column::Username,
        username,
        MAX_FAILURES_PER_ACCOUNT,
    )
    .await?;
    let by_ip = blocked_for(db, login_failure::Column::Ip, ip, MAX_FAILURES_PER_IP).await?;
    match by_account.max(by_ip) {
        0 => Ok(()),
        secs => Err(AppError::RateLimited {
            retry_after_secs: secs,
        }),
    }
}

/// Seconds until the key may try again (0 = not blocked). Sliding window:
/// blocked while the `limit`-th most recent failure is inside the window.
async fn blocked_for(
    db: &DatabaseConnection,
    column: login_failure::Column,
    key: &str,
    limit: u64,
) -> Result<u64, AppError> {
    let now = Utc::now();
    let since = now - Duration::seconds(WINDOW_SECS);
    let recent: Vec<chrono::DateTime<Utc>> = login_failure::Entity::find()
        .select_only()
        .column(login_failure::Column::AttemptedAt)
        .filter(column.eq(key))
        .filter(login_failure::Column::AttemptedAt.gt(since))
        .order_by_desc(login_failure::Column::AttemptedAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if (recent.len() as u64) < limit {
        return Ok(0);
    }
    let oldest = recent.last().copied().unwrap_or(now);
    let until = oldest + Duration::seconds(WINDOW_SECS);
    Ok((until - now).num_seconds().max(1) as u64)
}

pub async fn record_failure(
    db: &DatabaseConnection,
    username: &str,
    ip: &str,
) -> Result<(), AppError> {
    login_failure::Entity::insert(login_failure::ActiveModel {
        username: Set(username.to_owned()),
        ip: Set(ip.to_owned()),
        attempted_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec(db)
    .await?;
    Ok(())
}

/// A successful login clears the account's failures (not the address's).
pub async fn clear_account(db: &DatabaseConnection, username: &str) -> Result<(), AppError> {
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Username.eq(username))
        .exec(db)
        .await?;
    Ok(())
}

/// Forget failures older than the window (run periodically).
pub async fn prune(db: &DatabaseConnection) -> Result<(), AppError> {
    let cutoff = Utc::now() - Duration::seconds(WINDOW_SECS);
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::AttemptedAt.lte(cutoff))
        .exec(db)
        .await?;
    Ok(())
}
