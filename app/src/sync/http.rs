//! Calls to the REST API from the phone. Every failure becomes an
//! `AppError` carrying the server's Chinese message; `is_transient()` tells
//! the engine whether waiting and retrying can help.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::error::{AppError, ErrorBody};

fn offline(err: impl std::fmt::Display) -> AppError {
    AppError::Network {
        message: format!("网络不可用（{err}）"),
    }
}

async fn error_from(response: Response) -> AppError {
    let status = response.status();
    error_of(status, response.json::<ErrorBody>().await.ok())
}

/// What an error answer means to the phone (also each refused visit of a
/// batch, which carries the status and body a single request would have).
pub fn error_of(status: u16, body: Option<ErrorBody>) -> AppError {
    let message = body
        .as_ref()
        .map(|b| b.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("服务器返回 {status}"));
    match status {
        401 => AppError::Unauthenticated,
        403 if body
            .as_ref()
            .is_some_and(|b| b.error == "password_change_required") =>
        {
            AppError::PasswordChangeRequired
        }
        408 | 429 | 500..=599 => AppError::Network { message },
        409 => AppError::Conflict { message },
        _ => AppError::Invalid {
            field: body.and_then(|b| b.field),
            message,
        },
    }
}

/// How long a call may take before the phone gives up and tries again
/// later. A stalled connection (weak signal, a change of cell tower) can
/// otherwise leave a request, and the sync pass waiting on it, hanging for
/// as long as the page stays open.
const JSON_TIMEOUT_MS: u32 = 45_000;
/// Files are larger: a 300 KB photo at a 2G trickle still fits.
const FILE_TIMEOUT_MS: u32 = 180_000;

/// Aborts the request (and the reading of its answer) when the time is up;
/// dropping it cancels the timer.
struct Deadline {
    controller: Option<web_sys::AbortController>,
    fired: std::rc::Rc<std::cell::Cell<bool>>,
    _timer: Option<gloo_timers::callback::Timeout>,
    seconds: u32,
}

impl Deadline {
    fn new(ms: u32) -> Deadline {
        let fired = std::rc::Rc::new(std::cell::Cell::new(false));
        let controller = web_sys::AbortController::new().ok();
        let timer = controller.clone().map(|controller| {
            let fired = fired.clone();
            gloo_timers::callback::Timeout::new(ms, move || {
                fired.set(true);
                controller.abort();
            })
        });
        Deadline {
            controller,
            fired,
            _timer: timer,
            seconds: ms / 1000,
        }
    }

    fn signal(&self) -> Option<web_sys::AbortSignal> {
        self.controller
            .as_ref()
            .map(web_sys::AbortController::signal)
    }

    /// The error to report: a timeout when the deadline cut the call.
    fn error(&self, err: impl std::fmt::Display) -> AppError {
        if self.fired.get() {
            AppError::Network {
                message: format!("网络超时（{} 秒无应答），稍后自动重试", self.seconds),
            }
        } else {
            offline(err)
        }
    }
}

/// Sends the request `build` makes (given the builder with the deadline's
/// abort signal) and answers the response with the deadline, which must
/// live until the body has been read.
async fn send(
    builder: RequestBuilder,
    timeout_ms: u32,
    build: impl FnOnce(RequestBuilder) -> Result<Request, gloo_net::Error>,
) -> Result<(Response, Deadline), AppError> {
    let deadline = Deadline::new(timeout_ms);
    let signal = deadline.signal();
    let request = build(builder.abort_signal(signal.as_ref())).map_err(offline)?;
    let response = request.send().await.map_err(|e| deadline.error(e))?;
    if response.ok() {
        Ok((response, deadline))
    } else {
        Err(error_from(response).await)
    }
}

async fn json<T: DeserializeOwned>(
    (response, deadline): (Response, Deadline),
) -> Result<T, AppError> {
    response.json::<T>().await.map_err(|e| {
        if deadline.fired.get() {
            deadline.error(e)
        } else {
            AppError::Network {
                message: format!("服务器应答无法读取：{e}"),
            }
        }
    })
}

fn accept_json(builder: RequestBuilder) -> RequestBuilder {
    builder.header("Accept", "application/json")
}

pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, AppError> {
    json(
        send(
            accept_json(Request::get(url)),
            JSON_TIMEOUT_MS,
            RequestBuilder::build,
        )
        .await?,
    )
    .await
}

pub async fn put_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, AppError> {
    json(
        send(accept_json(Request::put(url)), JSON_TIMEOUT_MS, |b| {
            b.json(body)
        })
        .await?,
    )
    .await
}

pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, AppError> {
    json(
        send(accept_json(Request::post(url)), JSON_TIMEOUT_MS, |b| {
            b.json(body)
        })
        .await?,
    )
    .await
}

/// `DELETE url`; any 2xx answer is success.
pub async fn delete(url: &str) -> Result<(), AppError> {
    send(
        accept_json(Request::delete(url)),
        JSON_TIMEOUT_MS,
        RequestBuilder::build,
    )
    .await
    .map(|_| ())
}

/// Sends a file as the raw request body (the browser streams the Blob).
pub async fn put_blob(url: &str, blob: &web_sys::Blob, content_type: &str) -> Result<(), AppError> {
    let body: &JsValue = blob.as_ref();
    let builder = accept_json(Request::put(url)).header("Content-Type", content_type);
    send(builder, FILE_TIMEOUT_MS, |b| b.body(body.clone()))
        .await
        .map(|_| ())
}

/// Sends a file as the raw request body and reads the JSON answer (imports).
pub async fn post_blob<T: DeserializeOwned>(
    url: &str,
    blob: &web_sys::Blob,
    content_type: &str,
) -> Result<T, AppError> {
    let body: &JsValue = blob.as_ref();
    let builder = accept_json(Request::post(url)).header("Content-Type", content_type);
    json(send(builder, FILE_TIMEOUT_MS, |b| b.body(body.clone())).await?).await
}
