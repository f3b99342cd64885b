//! `/sw.js`: the service worker template from the site root with the build
//! id filled in. The id is a hash of the client bundle, so every new build
//! gets new cache names and the browser installs the new worker.

use std::path::Path;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const PLACEHOLDER: &str = "__JIAFANG_BUILD__";

#[derive(Clone)]
pub struct ServiceWorker {
    script: Option<String>,
}

impl ServiceWorker {
    /// Read once at start-up; missing files (e.g. API-only test servers)
    /// just mean no service worker is offered.
    pub fn load(site_root: &Path) -> Self {
        let script = std::fs::read_to_string(site_root.join("sw.js"))
            .ok()
            .map(|template| {
                let mut hasher = Sha256::new();
                for file in ["pkg/jiafang.js", "pkg/jiafang.wasm", "pkg/jiafang.css"] {
                    if let Ok(bytes) = std::fs::read(site_root.join(file)) {
                        hasher.update(&bytes);
                    }
                }
                hasher.update(template.as_bytes());
                let build = hex::encode(&hasher.finalize()[..8]);
                template.replace(PLACEHOLDER, &build)
            });
        if script.is_none() {
            tracing::warn!(site_root = %site_root.display(), "no sw.js in the site root; offline shell disabled");
        }
        ServiceWorker { script }
    }

    pub fn response(&self) -> Response {
        match &self.script {
            Some(script) => (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/javascript; charset=utf-8"),
                    ),
                    // Always revalidate so an update is seen on the next visit.
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                ],
                script.clone(),
            )
                .into_response(),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
}
