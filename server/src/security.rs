//! Request-level protections shared by every route.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;

use app::error::AppError;
use app::state::AppState;

/// CSRF defence for state-changing requests (server functions and the REST
/// API alike): on top of the SameSite=Lax cookie, refuse any non-GET request
/// a browser marks as cross-site or whose `Origin` is not this host.
/// Non-browser clients send neither header and are unaffected.
pub async fn reject_cross_origin(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if is_safe_method(req.method()) || same_origin(req.headers(), state.config.trust_proxy) {
        next.run(req).await
    } else {
        tracing::warn!(method = %req.method(), path = %req.uri().path(), "cross-origin request refused");
        AppError::CrossOrigin.into_response()
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn same_origin(headers: &HeaderMap, trust_proxy: bool) -> bool {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return false;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let host = trust_proxy
        .then(|| headers.get("x-forwarded-host"))
        .flatten()
        .or_else(|| headers.get(header::HOST))
        .and_then(|v| v.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

/// Request logs carry method, path and status only: never query strings,
/// bodies or cookies (student data must not end up in logs).
pub fn trace_layer() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    impl Fn(&Request<Body>) -> tracing::Span + Clone,
> {
    TraceLayer::new_for_http().make_span_with(|req: &Request<Body>| {
        tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn same_origin_rules() {
        assert!(same_origin(&headers(&[]), false), "non-browser clients");
        assert!(same_origin(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000")
            ]),
            false
        ));
        assert!(!same_origin(
            &headers(&[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://evil.example")
            ]),
            false
        ));
        assert!(!same_origin(
            &headers(&[("host", "a"), ("origin", "null")]),
            false
        ));
        assert!(!same_origin(
            &headers(&[("sec-fetch-site", "cross-site")]),
            false
        ));
        let proxied = headers(&[
            ("host", "10.0.0.5:3000"),
            ("x-forwarded-host", "jf.example.cn"),
            ("origin", "https://jf.example.cn"),
        ]);
        assert!(same_origin(&proxied, true));
        assert!(!same_origin(&proxied, false));
    }
}
