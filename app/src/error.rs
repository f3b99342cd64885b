//! The one error type of the application layer.
//!
//! Shared by server functions (serialised to the browser, shown in Chinese)
//! and by the REST API (rendered as `{"error": code, "message": 中文}` with the
//! matching HTTP status). Internal details never leave the server: they are
//! logged where the error is created and the client only sees `internal`.

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum AppError {
    #[error("请先登录")]
    Unauthenticated,
    #[error("用户名或密码错误")]
    BadCredentials,
    #[error("登录尝试过于频繁，请 {} 分钟后再试", retry_after_secs.div_ceil(60).max(1))]
    RateLimited { retry_after_secs: u64 },
    #[error("首次登录请先修改密码")]
    PasswordChangeRequired,
    #[error("没有权限访问该内容")]
    Forbidden,
    #[error("未找到{what}")]
    NotFound { what: String },
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    #[error("{message}")]
    Conflict { message: String },
    /// A malformed request (e.g. a path that is not a SHA-256), 400.
    #[error("{message}")]
    BadRequest { message: String },
    /// An upload whose bytes do not hash to the address it was sent to.
    #[error("上传的内容与编号不符（SHA-256 校验失败），请重新上传")]
    HashMismatch,
    /// The request body is over the limit, 413.
    #[error("{message}")]
    TooLarge { message: String },
    /// A file of a type the endpoint does not take, 415.
    #[error("{message}")]
    UnsupportedMediaType { message: String },
    #[error("请求来源不可信，已拒绝")]
    CrossOrigin,
    #[error("服务器内部错误，请稍后再试")]
    Internal,
    #[error("无法连接服务器：{message}")]
    Network { message: String },
    /// The phone's own storage (IndexedDB) failed; only raised in the browser.
    #[error("手机存储出错：{message}")]
    Device { message: String },
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A form's checks, `(field, message)` each: the first problem as the
    /// error, or `Ok` when there is none.
    pub fn first_invalid<F: Into<String>>(problems: Vec<(F, String)>) -> Result<(), Self> {
        match problems.into_iter().next() {
            Some((field, message)) => Err(AppError::invalid(field, message)),
            None => Ok(()),
        }
    }

    /// Worth trying again later without changing anything: the network, a
    /// busy server, or a rate limit.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AppError::Network { .. } | AppError::Internal | AppError::RateLimited { .. }
        )
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound { what: what.into() }
    }

    /// Machine-readable code, stable for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::PasswordChangeRequired => "password_change_required",
            AppError::Forbidden => "forbidden",
            AppError::NotFound { .. } => "not_found",
            AppError::Invalid { .. } => "invalid",
            AppError::Conflict { .. } => "conflict",
            AppError::BadRequest { .. } => "bad_request",
            AppError::HashMismatch => "hash_mismatch",
            AppError::TooLarge { .. } => "too_large",
            AppError::UnsupportedMediaType { .. } => "unsupported_media_type",
            AppError::CrossOrigin => "cross_origin",
            AppError::Internal => "internal",
            AppError::Network { .. } => "network",
            AppError::Device { .. } => "device",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Unauthenticated | AppError::BadCredentials => 401,
            AppError::RateLimited { .. } => 429,
            AppError::PasswordChangeRequired | AppError::Forbidden | AppError::CrossOrigin => 403,
            AppError::NotFound { .. } => 404,
            AppError::Invalid { .. } => 422,
            AppError::Conflict { .. } => 409,
            AppError::BadRequest { .. } | AppError::HashMismatch => 400,
            AppError::TooLarge { .. } => 413,
            AppError::UnsupportedMediaType { .. } => 415,
            AppError::Internal => 500,
            AppError::Network { .. } => 503,
            AppError::Device { .. } => 500,
        }
    }
}

/// The JSON body of every API error, as the server sends it and the phone
/// reads it (also each refused visit of a batch).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `bad_credentials`.
    #[serde(default)]
    pub error: String,
    /// Explanation in Chinese, fit to show to the user.
    #[serde(default)]
    pub message: String,
    /// The form field at fault (422).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// When to try again (429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
}

impl From<&AppError> for ErrorBody {
    fn from(err: &AppError) -> Self {
        ErrorBody {
            error: err.code().into(),
            message: err.to_string(),
            field: match err {
                AppError::Invalid { field, .. } => field.clone(),
                _ => None,
            },
            retry_after_secs: match err {
                AppError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
                _ => None,
            },
        }
    }
}

/// What a page shows for `?error=<code>` after a plain form post was sent
/// back to it (see `into_server_fn_response`). Fixed texts only: whatever
/// else is in the address is never echoed onto the page.
pub fn plain_form_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "bad_credentials" => "用户名或密码错误",
        "rate_limited" => "登录尝试过于频繁，请稍后再试",
        "invalid" => "填写的内容不符合要求，请检查后重试",
        "unauthenticated" => "请先登录",
        "cross_origin" => "请求来源不可信，已拒绝",
        "forbidden" => "没有权限访问该内容",
        "internal" => "服务器内部错误，请稍后再试",
        _ => return None,
    })
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            // Arguments that do not even parse are the caller's mistake.
            E::Args(msg) | E::Deserialization(msg) | E::MissingArg(msg) => AppError::Invalid {
                field: None,
                message: format!("请求参数有误：{msg}"),
            },
            E::Request(msg) | E::Response(msg) => AppError::Network { message: msg },
            other => AppError::Network {
                message: other.to_string(),
            },
        }
    }
}

#[cfg(feature = "ssr")]
mod server {
    use super::AppError;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};

    impl AppError {
        pub fn status_code(&self) -> StatusCode {
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }

        /// Log an unexpected failure with its cause and turn it into `Internal`.
        pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
            tracing::error!(%err, "{context}");
            AppError::Internal
        }

        /// For server functions: make the HTTP status match the error
        /// (leptos would otherwise answer every error with 500).
        ///
        /// A form posted before the page's script has loaded (a slow phone,
        /// a quick tap) is a plain HTML form post: answering it with JSON
        /// would leave the person looking at `{"error":…}`. Such posts are
        /// sent back to the page they came from with `?error=<code>`, which
        /// the page shows as a fixed Chinese message (see
        /// `plain_form_error_message`).
        ///
        /// A server function called while a page is rendered on the server
        /// (a resource) leaves the page's status alone: the page has begun
        /// streaming, so a status set now would apply only when the call
        /// happened to finish first. A teacher opening /audit got a 200 or
        /// a 403, and a link followed from another page (it has a Referer)
        /// could even turn into a redirect. The page shows the error in
        /// Chinese; its status stays 200.
        pub fn into_server_fn_response(self) -> Self {
            use leptos::prelude::use_context;
            if use_context::<leptos_router::location::RequestUrl>().is_some() {
                return self;
            }
            let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
                return self;
            };
            let back = use_context::<axum::http::request::Parts>()
                .and_then(|parts| plain_form_return_path(&parts.headers));
            match back {
                Some(path) => {
                    let location = format!("{path}?error={}", self.code());
                    if let Ok(value) = axum::http::HeaderValue::from_str(&location) {
                        res.set_status(StatusCode::SEE_OTHER);
                        res.insert_header(axum::http::header::LOCATION, value);
                    } else {
                        res.set_status(self.status_code());
                    }
                }
                None => res.set_status(self.status_code()),
            }
            self
        }
    }

    /// The same-origin page a plain (not script-driven) form post came
    /// from, as a path; `None` for requests made by the app's own script,
    /// which want the JSON error.
    fn plain_form_return_path(headers: &axum::http::HeaderMap) -> Option<String> {
        use axum::http::header::{ACCEPT, HOST, REFERER};
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
        };
        if !text(ACCEPT)?.contains("text/html") {
            return None;
        }
        let referer: axum::http::Uri = text(REFERER)?.parse().ok()?;
        // Only ever send people back to a page of this site.
        if referer.authority().map(|a| a.as_str()) != Some(text(HOST)?) {
            return None;
        }
        let path = referer.path();
        (path.starts_with('/') && !path.starts_with("//")).then(|| path.to_string())
    }

    impl From<sea_orm::DbErr> for AppError {
        fn from(err: sea_orm::DbErr) -> Self {
            AppError::internal("database error", err)
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let body = super::ErrorBody::from(&self);
            let mut response = (self.status_code(), axum::Json(body)).into_response();
            if let AppError::RateLimited { retry_after_secs } = self
                && let Ok(value) = retry_after_secs.to_string().parse()
            {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
            response
        }
    }

    #[cfg(test)]
    mod tests {
        use super::plain_form_return_path;
        use axum::http::HeaderMap;

        fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().unwrap());
            }
            map
        }

        #[test]
        fn a_plain_form_post_goes_back_to_its_page_without_the_old_query() {
            let h = headers(&[
                ("accept", "text/html,application/xhtml+xml,*/*;q=0.8"),
                ("host", "jiafang.example:3000"),
                (
                    "referer",
                    "http://jiafang.example:3000/login?error=bad_credentials",
                ),
            ]);
            assert_eq!(plain_form_return_path(&h).as_deref(), Some("/login"));
        }

        #[test]
        fn script_requests_and_foreign_referers_get_the_json_error() {
            let script = headers(&[
                ("accept", "application/json"),
                ("host", "a.example"),
                ("referer", "http://a.example/login"),
            ]);
            assert_eq!(plain_form_return_path(&script), None);
            let foreign = headers(&[
                ("accept", "text/html"),
                ("host", "a.example"),
                ("referer", "http://evil.example/login"),
            ]);
            assert_eq!(plain_form_return_path(&foreign), None);
            let no_referer = headers(&[("accept", "text/html"), ("host", "a.example")]);
            assert_eq!(plain_form_return_path(&no_referer), None);
        }

        /// The status and Location a refused server call leaves on the
        /// response, called as an HTTP request or (`page`) from a page being
        /// rendered; the request came from a followed link.
        fn response_after_refusal(
            page: Option<&str>,
        ) -> (Option<axum::http::StatusCode>, Option<String>) {
            use leptos::prelude::{Owner, provide_context};
            let res = leptos_axum::ResponseOptions::default();
            Owner::new().with(|| {
                let (parts, ()) = axum::http::Request::builder()
                    .header("accept", "text/html")
                    .header("host", "a.example")
                    .header("referer", "http://a.example/visits")
                    .body(())
                    .unwrap()
                    .into_parts();
                provide_context(parts);
                provide_context(res.clone());
                if let Some(path) = page {
                    provide_context(leptos_router::location::RequestUrl::new(path));
                }
                let _ = super::AppError::Forbidden.into_server_fn_response();
            });
            let parts = res.0.read().unwrap();
            let location = parts
                .headers
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned());
            (parts.status, location)
        }

        #[test]
        fn a_page_keeps_its_status_when_its_data_is_refused() {
            // A plain form post is sent back to its page with the error…
            assert_eq!(
                response_after_refusal(None),
                (
                    Some(axum::http::StatusCode::SEE_OTHER),
                    Some("/visits?error=forbidden".to_owned())
                )
            );
            // …but a page being rendered has begun streaming: it shows the
            // error itself and is neither a 403 nor a redirect.
            assert_eq!(response_after_refusal(Some("/audit")), (None, None));
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_message_rounds_up_to_minutes() {
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 61
            }
            .to_string(),
            "登录尝试过于频繁，请 2 分钟后再试"
        );
        assert_eq!(
            AppError::RateLimited {
                retry_after_secs: 1
            }
            .to_string(),
            "登录尝试过于频繁，请 1 分钟后再试"
        );
    }

    #[test]
    fn errors_round_trip_through_json() {
        let err = AppError::invalid("new_password", "新密码至少 8 位");
        let json = serde_json::to_string(&err).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&json).unwrap(), err);
    }

    #[test]
    fn every_code_a_plain_form_can_return_has_a_fixed_message() {
        for err in [
            AppError::BadCredentials,
            AppError::RateLimited {
                retry_after_secs: 60,
            },
            AppError::invalid("x", "y"),
            AppError::Unauthenticated,
            AppError::CrossOrigin,
            AppError::Forbidden,
            AppError::Internal,
        ] {
            assert!(
                plain_form_error_message(err.code()).is_some(),
                "{}",
                err.code()
            );
        }
        assert_eq!(plain_form_error_message("<script>"), None);
    }
}
