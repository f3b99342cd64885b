//! `jiafang backup <dir>` and `jiafang restore <dir> [--force]`.
//!
//! A backup is a folder holding `jiafang.sqlite` (a consistent copy made
//! with `VACUUM INTO`, safe while the server runs), `photos/` (the local
//! photo store) and `manifest.json` (written last: a folder without it is
//! not a finished backup). PostgreSQL is backed up with `pg_dump`; see
//! `POSTGRES_HELP`.

use std::path::{Path, PathBuf};

use app::config::Config;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde::{Deserialize, Serialize};

use crate::BoxError;

pub const MANIFEST: &str = "manifest.json";
pub const DATABASE_FILE: &str = "jiafang.sqlite";
pub const PHOTOS_DIR: &str = "photos";

pub const POSTGRES_HELP: &str = "\
jiafang backup/restore handle the embedded SQLite database only. For PostgreSQL use its own tools
(consistent while the server runs), and copy the photo store (JIAFANG_STORAGE_DIR) after the dump:
  back up:  pg_dump --format=custom --file=jiafang.dump \"$JIAFANG_DATABASE_URL\"
            cp -a \"$JIAFANG_STORAGE_DIR\" photos
  restore:  createdb jiafang   (an empty database; stop the server first)
            pg_restore --no-owner --dbname=\"$JIAFANG_DATABASE_URL\" jiafang.dump
            cp -a photos/. \"$JIAFANG_STORAGE_DIR\"/";

/// What a backup holds, to check a restore against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub created_at: String,
    pub jiafang_version: String,
    /// The last migration applied to the copied database.
    pub schema_version: String,
    pub database: String,
    pub photos: String,
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub schools: i64,
    pub users: i64,
    pub students: i64,
    pub visits: i64,
    pub attachments: i64,
    pub photo_files: u64,
    pub photo_bytes: u64,
}

/// The file behind a `sqlite://path?…` URL (`None` for in-memory ones).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

fn sqlite_file(config: &Config) -> Result<PathBuf, BoxError> {
    if !config.is_sqlite() {
        return Err(POSTGRES_HELP.into());
    }
    if let Some(s3) = &config.s3 {
        return Err(format!(
            "the photos are in the S3 bucket {}: this command copies a local photo directory. Keep the \
             bucket's own versioning or replication on, and back up the database file with \
             `sqlite3 FILE \"VACUUM INTO 'copy.sqlite'\"`",
            s3.bucket
        )
        .into());
    }
    sqlite_path(&config.database_url)
        .ok_or_else(|| "JIAFANG_DATABASE_URL names no SQLite file (in-memory database)".into())
}

fn is_empty_dir(dir: &Path) -> std::io::Result<bool> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(e),
    }
}

/// Copy the photo store, file by file. Files are named by their content's
/// hash and never change, so a copy taken while uploads go on is fine;
/// half-written uploads (`.tmp-*`) are skipped. Returns (files, bytes).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<(u64, u64)> {
    std::fs::create_dir_all(to)?;
    let (mut files, mut bytes) = (0, 0);
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".tmp-") {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            let (f, b) = copy_tree(&entry.path(), &to.join(&name))?;
            files += f;
            bytes += b;
        } else if kind.is_file() {
            bytes += std::fs::copy(entry.path(), to.join(&name))?;
            files += 1;
        }
    }
    Ok((files, bytes))
}

async fn count(db: &DatabaseConnection, table: &str) -> Result<i64, BoxError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await?
        .ok_or("COUNT(*) returned no row")?;
    Ok(row.try_get("", "n")?)
}

async fn schema_version(db: &DatabaseConnection) -> Result<String, BoxError> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1",
        ))
        .await?
        .ok_or("the database has no migrations applied")?;
    Ok(row.try_get("", "version")?)
}

async fn db_counts(db: &DatabaseConnection) -> Result<Counts, BoxError> {
    Ok(Counts {
        schools: count(db, "school").await?,
        users: count(db, "users").await?,
        students: count(db, "student").await?,
        visits: count(db, "visits").await?,
        attachments: count(db, "attachments").await?,
        photo_files: 0,
        photo_bytes: 0,
    })
}

/// Back up the SQLite database and the photo store into `dir`, which must
/// not exist yet or be empty. Safe while the server runs.
pub async fn backup(config: &Config, dir: &Path) -> Result<Manifest, BoxError> {
    let source = sqlite_file(config)?;
    if !source.is_file() {
        return Err(format!("no database at {}", source.display()).into());
    }
    if !is_empty_dir(dir)? {
        return Err(format!("{} is not empty: back up into a new folder", dir.display()).into());
    }
    std::fs::create_dir_all(dir)?;

    // VACUUM INTO copies one read transaction's view of the database: a
    // consistent snapshot even while visits are being saved (WAL mode
    // lets the server keep writing meanwhile).
    let db = app::db::connect(&config.database_url).await?;
    let target = dir.join(DATABASE_FILE);
    let quoted = target.to_string_lossy().replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{quoted}'"))
        .await?;
    db.close().await?;

    // Photos after the database: every attachment row in the snapshot had
    // its files written before the row, so they are all there now.
    let storage = config.storage_dir.clone();
    let photos = dir.join(PHOTOS_DIR);
    let (files, bytes) =
        tokio::task::spawn_blocking(move || copy_tree(&storage, &photos)).await??;

    let copy = app::db::connect(&sqlite_url(&target)).await?;
    let mut counts = db_counts(&copy).await?;
    counts.photo_files = files;
    counts.photo_bytes = bytes;
    let manifest = Manifest {
        created_at: chrono::Utc::now().to_rfc3339(),
        jiafang_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema_version: schema_version(&copy).await?,
        database: DATABASE_FILE.to_owned(),
        photos: PHOTOS_DIR.to_owned(),
        counts,
    };
    copy.close().await?;
    // Written last, through a rename: its presence marks a whole backup.
    let tmp = dir.join(".manifest.json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&manifest)?)?;
    std::fs::rename(&tmp, dir.join(MANIFEST))?;
    Ok(manifest)
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rw", path.display())
}

pub fn read_manifest(dir: &Path) -> Result<Manifest, BoxError> {
    let path = dir.join(MANIFEST);
    let text = std::fs::read(&path).map_err(|e| {
        format!(
            "{}: {e} (not a finished jiafang backup folder)",
            path.display()
        )
    })?;
    Ok(serde_json::from_slice(&text)?)
}

/// Restore a backup made by `backup` into the configured database file and
/// photo store. The server must be stopped. Refuses to replace an existing
/// database or a non-empty photo store unless `force`.
pub async fn restore(config: &Config, dir: &Path, force: bool) -> Result<Manifest, BoxError> {
    let target = sqlite_file(config)?;
    let manifest = read_manifest(dir)?;
    let source = dir.join(&manifest.database);
    let photos = dir.join(&manifest.photos);
    if !source.is_file() {
        return Err(format!("{} is missing", source.display()).into());
    }

    let has_db = std::fs::metadata(&target).is_ok_and(|m| m.len() > 0);
    let has_photos = !is_empty_dir(&config.storage_dir)?;
    if (has_db || has_photos) && !force {
        return Err(format!(
            "refusing to overwrite existing data ({}{}{}); stop the server and add --force to replace it",
            if has_db { target.display().to_string() } else { String::new() },
            if has_db && has_photos { ", " } else { "" },
            if has_photos { config.storage_dir.display().to_string() } else { String::new() },
        )
        .into());
    }

    // Check the copy before touching anything.
    let copy = app::db::connect(&sqlite_url(&source)).await?;
    let check = copy
        .query_one_raw(Statement::from_string(
            copy.get_database_backend(),
            "PRAGMA integrity_check",
        ))
        .await?
        .ok_or("integrity_check returned nothing")?;
    let verdict: String = check.try_get_by_index(0)?;
    copy.close().await?;
    if verdict != "ok" {
        return Err(format!("the backup database is damaged: {verdict}").into());
    }

    // The database: copied next to the target, then renamed over it. An
    // old WAL left beside the target would be replayed onto the restored
    // file, so it goes too.
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let staging = target.with_extension("restore-tmp");
    std::fs::copy(&source, &staging)?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = target.clone().into_os_string();
        side.push(suffix);
        match std::fs::remove_file(&side) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    std::fs::rename(&staging, &target)?;

    // The photo store: exactly the backup's files.
    let storage = config.storage_dir.clone();
    let (files, bytes) = tokio::task::spawn_blocking(move || {
        if storage.exists() {
            std::fs::remove_dir_all(&storage)?;
        }
        copy_tree(&photos, &storage)
    })
    .await??;

    let db = app::db::connect(&config.database_url).await?;
    let mut counts = db_counts(&db).await?;
    db.close().await?;
    counts.photo_files = files;
    counts.photo_bytes = bytes;
    if counts != manifest.counts {
        return Err(format!(
            "the restored data does not match the manifest: {counts:?} vs {:?}",
            manifest.counts
        )
        .into());
    }
    Ok(manifest)
}

fn describe(m: &Manifest) -> String {
    let c = &m.counts;
    format!(
        "schema {}, {} schools, {} users, {} students, {} visits, {} attachments, {} photo files ({} bytes)",
        m.schema_version,
        c.schools,
        c.users,
        c.students,
        c.visits,
        c.attachments,
        c.photo_files,
        c.photo_bytes
    )
}

pub async fn backup_command(config: &Config, dir: &str) -> Result<(), BoxError> {
    if !config.is_sqlite() {
        eprintln!("{POSTGRES_HELP}");
        return Err("nothing backed up: the database is PostgreSQL (use pg_dump, above)".into());
    }
    let manifest = backup(config, Path::new(dir)).await?;
    println!("backed up to {dir}: {}", describe(&manifest));
    Ok(())
}

pub async fn restore_command(config: &Config, dir: &str, force: bool) -> Result<(), BoxError> {
    if !config.is_sqlite() {
        eprintln!("{POSTGRES_HELP}");
        return Err("nothing restored: the database is PostgreSQL (use pg_restore, above)".into());
    }
    let manifest = restore(config, Path::new(dir), force).await?;
    println!(
        "restored {dir} (made {}): {}",
        manifest.created_at,
        describe(&manifest)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sqlite_path;
    use std::path::PathBuf;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite://data/jiafang.sqlite?mode=rwc"),
            Some(PathBuf::from("data/jiafang.sqlite"))
        );
        assert_eq!(
            sqlite_path("sqlite:///tmp/x.sqlite"),
            Some(PathBuf::from("/tmp/x.sqlite"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
