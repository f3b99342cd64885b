//! The one configuration struct, read from the environment at start-up.

use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    /// `sqlite://…` (default, a file under ./data) or `postgres://…`.
    pub database_url: String,
    pub bind: SocketAddr,
    /// Where photos and signatures are stored (local storage backend).
    pub storage_dir: PathBuf,
    /// An S3-compatible bucket instead of `storage_dir`, for several
    /// instances behind a load balancer (`JIAFANG_S3_BUCKET` turns it on).
    pub s3: Option<S3Config>,
    /// Seed the demo county, schools and accounts (idempotent).
    pub demo: bool,
    /// The cargo-leptos site directory holding /pkg and the public assets.
    pub site_root: PathBuf,
    /// Mark the session cookie `Secure` (set when served over https).
    pub secure_cookie: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
    /// Log as JSON lines (for log collectors) instead of readable text.
    pub log_json: bool,
}

/// An S3-compatible bucket (AWS S3, MinIO, 阿里云 OSS, 腾讯云 COS…).
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// `https://oss-cn-hangzhou.aliyuncs.com`, `http://127.0.0.1:9000`…;
    /// none means AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Prepended to every object key, e.g. `jiafang/`, to share a bucket.
    pub prefix: String,
}

/// The secret never reaches a log line.
impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"***")
            .field("prefix", &self.prefix)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {message}")]
    Invalid { name: &'static str, message: String },
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/jiafang.sqlite?mode=rwc";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Parse from any lookup function, so tests need not touch the process env.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let bind_text = get("JIAFANG_BIND").unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind = bind_text.parse().map_err(|e| ConfigError::Invalid {
            name: "JIAFANG_BIND",
            message: format!("{bind_text}: {e}"),
        })?;
        let database_url =
            get("JIAFANG_DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(ConfigError::Invalid {
                name: "JIAFANG_DATABASE_URL",
                message: "expected a sqlite:// or postgres:// URL".into(),
            });
        }
        Ok(Config {
            database_url,
            bind,
            storage_dir: get("JIAFANG_STORAGE_DIR")
                .unwrap_or_else(|| "data/photos".into())
                .into(),
            s3: s3_from(&get)?,
            demo: flag(get("JIAFANG_DEMO")),
            site_root: get("JIAFANG_SITE_ROOT")
                .or_else(|| get("LEPTOS_SITE_ROOT"))
                .unwrap_or_else(|| "target/site".into())
                .into(),
            secure_cookie: flag(get("JIAFANG_SECURE_COOKIE")),
            trust_proxy: flag(get("JIAFANG_TRUST_PROXY")),
            log_json: flag(get("JIAFANG_LOG_JSON")),
        })
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn s3_from(get: &impl Fn(&str) -> Option<String>) -> Result<Option<S3Config>, ConfigError> {
    let Some(bucket) = get("JIAFANG_S3_BUCKET") else {
        return Ok(None);
    };
    let required = |name: &'static str| {
        get(name).ok_or(ConfigError::Invalid {
            name,
            message: "required when JIAFANG_S3_BUCKET is set".into(),
        })
    };
    let endpoint = get("JIAFANG_S3_ENDPOINT");
    if let Some(url) = &endpoint
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        return Err(ConfigError::Invalid {
            name: "JIAFANG_S3_ENDPOINT",
            message: format!("{url}: expected an http:// or https:// URL"),
        });
    }
    let prefix = get("JIAFANG_S3_PREFIX").unwrap_or_default();
    if prefix.starts_with('/') || prefix.contains("..") {
        return Err(ConfigError::Invalid {
            name: "JIAFANG_S3_PREFIX",
            message: format!("{prefix}: a relative key prefix such as jiafang/"),
        });
    }
    Ok(Some(S3Config {
        bucket,
        endpoint,
        region: get("JIAFANG_S3_REGION").unwrap_or_else(|| "us-east-1".into()),
        access_key_id: required("JIAFANG_S3_ACCESS_KEY_ID")?,
        secret_access_key: required("JIAFANG_S3_SECRET_ACCESS_KEY")?,
        prefix,
    }))
}

fn flag(value: Option<String>) -> bool {
    matches!(
        value.as_deref().map(str::trim),
        Some("1" | "true" | "yes" | "on")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded_sqlite_on_loopback() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.bind.to_string(), "127.0.0.1:3000");
        assert!(!c.demo && !c.secure_cookie && !c.trust_proxy);
        assert!(c.is_sqlite());
    }

    #[test]
    fn postgres_url_and_flags_are_honoured() {
        let c = parse(&[
            ("JIAFANG_DATABASE_URL", "postgres://u@127.0.0.1/db"),
            ("JIAFANG_DEMO", "1"),
        ])
        .unwrap();
        assert!(!c.is_sqlite());
        assert!(c.demo);
    }

    #[test]
    fn s3_is_off_by_default_and_complete_when_on() {
        assert!(parse(&[]).unwrap().s3.is_none());
        let err = parse(&[("JIAFANG_S3_BUCKET", "photos")]).unwrap_err();
        assert!(
            err.to_string().contains("JIAFANG_S3_ACCESS_KEY_ID"),
            "{err}"
        );
        let c = parse(&[
            ("JIAFANG_S3_BUCKET", "photos"),
            ("JIAFANG_S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("JIAFANG_S3_ACCESS_KEY_ID", "key"),
            ("JIAFANG_S3_SECRET_ACCESS_KEY", "very-secret"),
        ])
        .unwrap();
        let s3 = c.s3.expect("on");
        assert_eq!(s3.region, "us-east-1");
        assert!(!format!("{s3:?}").contains("very-secret"));
        let bad = parse(&[
            ("JIAFANG_S3_BUCKET", "photos"),
            ("JIAFANG_S3_ENDPOINT", "127.0.0.1:9000"),
            ("JIAFANG_S3_ACCESS_KEY_ID", "key"),
            ("JIAFANG_S3_SECRET_ACCESS_KEY", "s"),
        ]);
        assert!(bad.is_err());
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        let err = parse(&[("JIAFANG_BIND", "not-an-address")]).unwrap_err();
        assert!(err.to_string().contains("JIAFANG_BIND"));
        let err = parse(&[("JIAFANG_DATABASE_URL", "mysql://x")]).unwrap_err();
        assert!(err.to_string().contains("JIAFANG_DATABASE_URL"));
    }
}
