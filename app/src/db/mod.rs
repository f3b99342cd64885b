//! The one way into the database: a sea-orm connection, SQLite or PostgreSQL.

pub mod entities;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbErr};

pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let is_sqlite = url.starts_with("sqlite:");
    let url = if is_sqlite {
        prepare_sqlite_url(url)?
    } else {
        url.to_owned()
    };
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(if is_sqlite { 8 } else { 20 })
        .min_connections(1)
        // Statements carry student names and phone numbers: never log them.
        .sqlx_logging(false);
    let db = Database::connect(options).await?;
    if is_sqlite {
        // WAL lets readers proceed while a sync writes; the setting is stored
        // in the file. sqlx already enables foreign keys on every connection.
        db.execute_unprepared("PRAGMA journal_mode=WAL;").await?;
    }
    Ok(db)
}

/// Create the parent directory of a SQLite file and make sure the file is
/// created on first start (`mode=rwc`).
fn prepare_sqlite_url(url: &str) -> Result<String, DbErr> {
    let rest = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path != ":memory:"
        && !path.is_empty()
        && let Some(parent) = std::path::Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
    }
    Ok(if query.contains("mode=") {
        url.to_owned()
    } else if query.is_empty() {
        format!("{url}?mode=rwc")
    } else {
        format!("{url}&mode=rwc")
    })
}

/// A transaction that will write. On SQLite it takes the write lock at
/// `BEGIN IMMEDIATE`, waiting for other writers (busy timeout), instead
/// of reading first and failing with "database is locked" when it then
/// writes after another connection has (every request saves its session,
/// so that is common). PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A unique-key conflict: how a retry racing its original shows up when
/// both insert the same client-made id (or the same attachment hash).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

#[cfg(test)]
mod tests {
    use super::prepare_sqlite_url;

    #[test]
    fn sqlite_urls_get_create_mode() {
        let dir = std::env::temp_dir().join(format!("jf-db-{}", std::process::id()));
        let url = format!("sqlite://{}/x.sqlite", dir.display());
        assert_eq!(prepare_sqlite_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.is_dir());
        let keep = format!("sqlite://{}/x.sqlite?mode=ro", dir.display());
        assert_eq!(prepare_sqlite_url(&keep).unwrap(), keep);
        std::fs::remove_dir_all(dir).ok();
    }
}
