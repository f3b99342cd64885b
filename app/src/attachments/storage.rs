//! Where attachment files live. A small trait so a later object store (S3)
//! can replace the local directory without touching the API.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use tokio::io::AsyncWriteExt;

use crate::error::AppError;
use crate::visits::is_sha256_hex;

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Store `bytes` under `key`, replacing any previous content atomically.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), AppError>;
    /// The bytes under `key`, or `None` if there are none.
    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, AppError>;
}

/// The suffixes the application stores (see `attachments::service`).
/// `.pdf`: the signed monthly report scans (`reports`).
const SUFFIXES: [&str; 4] = [".jpg", ".png", ".thumb.jpg", ".pdf"];

/// Keys are built by the server from a checked hash, never taken from a
/// request as they are; this refuses anything else, so no key can name a
/// path outside the store.
pub fn check_key(key: &str) -> Result<(), AppError> {
    let ok = key.get(..64).is_some_and(is_sha256_hex)
        && key.get(64..).is_some_and(|rest| SUFFIXES.contains(&rest));
    if ok {
        Ok(())
    } else {
        Err(AppError::internal(
            "blob store",
            format!("invalid key {key:?}"),
        ))
    }
}

/// Files in a local directory, spread over 256 sub-directories by the first
/// two hex digits so no directory grows too large.
pub struct LocalDirStore {
    root: PathBuf,
}

impl LocalDirStore {
    /// Use (and create if needed) `root`.
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(LocalDirStore { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, AppError> {
        check_key(key)?;
        Ok(self.root.join(&key[..2]).join(key))
    }
}

fn io_error(context: &'static str) -> impl Fn(std::io::Error) -> AppError {
    move |e| AppError::internal(context, e)
}

/// Write to a temporary file next to the target, flush it to disk, then
/// rename: a crash leaves either the old file or the new one, never half.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    let dir = path
        .parent()
        .ok_or_else(|| AppError::internal("blob store", "key without a directory"))?;
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(io_error("creating the storage directory"))?;
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = async {
        let mut file = tokio::fs::File::create(&tmp).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        drop(file);
        tokio::fs::rename(&tmp, path).await
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result.map_err(io_error("writing an attachment"))
}

#[async_trait]
impl BlobStore for LocalDirStore {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        write_atomically(&self.path(key)?, &bytes).await
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, AppError> {
        match tokio::fs::read(self.path(key)?).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(AppError::internal("reading an attachment", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(suffix: &str) -> String {
        format!("{}{suffix}", "ab".repeat(32))
    }

    #[test]
    fn only_hash_keys_are_accepted() {
        assert!(check_key(&key(".jpg")).is_ok());
        assert!(check_key(&key(".thumb.jpg")).is_ok());
        assert!(check_key(&key(".exe")).is_err());
        assert!(check_key(&key("")).is_err());
        assert!(check_key("../../etc/passwd").is_err());
        assert!(check_key(&format!("{}/x.jpg", "a".repeat(63))).is_err());
        assert!(check_key(&key(".jpg").to_uppercase()).is_err());
    }

    #[tokio::test]
    async fn put_then_get_round_trips_and_leaves_no_temp_files() {
        let dir = std::env::temp_dir().join(format!("jf-store-{}", uuid::Uuid::new_v4().simple()));
        let store = LocalDirStore::new(&dir).unwrap();
        assert_eq!(store.get(&key(".png")).await.unwrap(), None);
        store.put(&key(".png"), b"one".to_vec()).await.unwrap();
        store.put(&key(".png"), b"two".to_vec()).await.unwrap();
        assert_eq!(
            store.get(&key(".png")).await.unwrap(),
            Some(b"two".to_vec())
        );
        let files: Vec<_> = std::fs::read_dir(dir.join("ab")).unwrap().collect();
        assert_eq!(files.len(), 1, "no temporary file left behind");
        std::fs::remove_dir_all(dir).ok();
    }
}
