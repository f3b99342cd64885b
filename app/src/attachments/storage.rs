//! Where attachment files live: a local directory by default, or an
//! S3-compatible bucket when several server instances share one store. The
//! API sees only the trait.

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
    /// Use (and create if needed) `root`, and clear what crashed writes left.
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        remove_stale_temp_files(&root, STALE_TEMP_AGE);
        Ok(LocalDirStore { root })
    }

    fn path(&self, key: &str) -> Result<PathBuf, AppError> {
        check_key(key)?;
        Ok(self.root.join(&key[..2]).join(key))
    }
}

/// A temporary file this old belongs to no write under way: writes take
/// seconds. Younger ones are left alone, since several server instances may
/// share the directory and one may be writing right now.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_secs(3600);

/// Delete the `.tmp-*` files a crash in the middle of a write (`kill -9`,
/// power loss) left behind; nothing else would ever remove them.
fn remove_stale_temp_files(root: &Path, older_than: std::time::Duration) {
    let Ok(dirs) = std::fs::read_dir(root) else {
        return;
    };
    for dir in dirs.flatten() {
        let Ok(files) = std::fs::read_dir(dir.path()) else {
            continue;
        };
        for file in files.flatten() {
            let is_temp = file.file_name().to_string_lossy().starts_with(".tmp-");
            let age = file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|modified| modified.elapsed().ok());
            if is_temp && age.is_some_and(|age| age >= older_than) {
                let _ = std::fs::remove_file(file.path());
            }
        }
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

/// Objects in an S3-compatible bucket. A PUT replaces an object whole, so
/// readers see the old bytes or the new, never half, like the local store.
pub struct S3Store {
    bucket: object_store::aws::AmazonS3,
    prefix: String,
}

impl S3Store {
    pub fn new(config: &crate::config::S3Config) -> Result<Self, object_store::Error> {
        use std::time::Duration;
        // A few quick retries, then the upload fails and the phone retries
        // later: better than holding the request for minutes.
        let retry = object_store::RetryConfig {
            max_retries: 3,
            retry_timeout: Duration::from_secs(20),
            ..Default::default()
        };
        let client = object_store::ClientOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(Duration::from_secs(60));
        let mut builder = object_store::aws::AmazonS3Builder::new()
            .with_retry(retry)
            .with_client_options(client)
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key);
        if let Some(endpoint) = &config.endpoint {
            // Path-style addressing (`endpoint/bucket/key`) is what every
            // S3-compatible server understands.
            builder = builder
                .with_endpoint(endpoint)
                .with_allow_http(endpoint.starts_with("http://"))
                .with_virtual_hosted_style_request(false);
        }
        Ok(S3Store {
            bucket: builder.build()?,
            prefix: config.prefix.clone(),
        })
    }

    fn path(&self, key: &str) -> Result<object_store::path::Path, AppError> {
        check_key(key)?;
        Ok(object_store::path::Path::from(format!(
            "{}{key}",
            self.prefix
        )))
    }
}

#[async_trait]
impl BlobStore for S3Store {
    async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), AppError> {
        use object_store::ObjectStore;
        self.bucket
            .put(&self.path(key)?, bytes.into())
            .await
            .map_err(|e| AppError::internal("writing an attachment to the bucket", e))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, AppError> {
        use object_store::ObjectStore;
        match self.bucket.get(&self.path(key)?).await {
            Ok(found) => {
                let bytes = found
                    .bytes()
                    .await
                    .map_err(|e| AppError::internal("reading an attachment from the bucket", e))?;
                Ok(Some(bytes.to_vec()))
            }
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(AppError::internal(
                "reading an attachment from the bucket",
                e,
            )),
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
        // A crash mid-write leaves a temp file; the next start removes it
        // once it is old, but not one another instance may still be writing.
        let old = dir.join("ab/.tmp-crashed");
        std::fs::write(&old, b"half").unwrap();
        let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(two_hours_ago)
            .unwrap();
        std::fs::write(dir.join("ab/.tmp-in-progress"), b"half").unwrap();
        LocalDirStore::new(&dir).unwrap();
        let mut names: Vec<_> = std::fs::read_dir(dir.join("ab"))
            .unwrap()
            .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".tmp-in-progress".to_string(), key(".png")]);
        std::fs::remove_dir_all(dir).ok();
    }
}
