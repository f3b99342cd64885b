//! Calls to the REST API from the phone. Every failure becomes an
//! `AppError` carrying the server's Chinese message; `is_transient()` tells
//! the engine whether waiting and retrying can help.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsValue;

use crate::error::AppError;

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    field: Option<String>,
}

fn offline(err: impl std::fmt::Display) -> AppError {
    AppError::Network {
        message: format!("网络不可用（{err}）"),
    }
}

async fn error_from(response: Response) -> AppError {
    let status = response.status();
    let body = response.json::<ErrorBody>().await.ok();
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

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, AppError> {
    let response = request.map_err(offline)?.send().await.map_err(offline)?;
    if response.ok() {
        Ok(response)
    } else {
        Err(error_from(response).await)
    }
}

async fn json<T: DeserializeOwned>(response: Response) -> Result<T, AppError> {
    response.json::<T>().await.map_err(|e| AppError::Network {
        message: format!("服务器应答无法读取：{e}"),
    })
}

fn accept_json(builder: RequestBuilder) -> RequestBuilder {
    builder.header("Accept", "application/json")
}

pub async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, AppError> {
    json(send(accept_json(Request::get(url)).build()).await?).await
}

pub async fn put_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, AppError> {
    json(send(accept_json(Request::put(url)).json(body)).await?).await
}

pub async fn post_json<B: Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, AppError> {
    json(send(accept_json(Request::post(url)).json(body)).await?).await
}

/// Sends a file as the raw request body (the browser streams the Blob).
pub async fn put_blob(url: &str, blob: &web_sys::Blob, content_type: &str) -> Result<(), AppError> {
    let body: &JsValue = blob.as_ref();
    send(
        accept_json(Request::put(url))
            .header("Content-Type", content_type)
            .body(body.clone()),
    )
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
    json(
        send(
            accept_json(Request::post(url))
                .header("Content-Type", content_type)
                .body(body.clone()),
        )
        .await?,
    )
    .await
}
