//! `PUT/GET /api/v1/attachments/{sha256}`: photos and signatures, sent by
//! the phone before the visit that shows them.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::{AttachmentSaved, MAX_ATTACHMENT_BYTES, service};
use crate::api::{ApiPath, ErrorBody, created_or_ok};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// Upload a photo (JPEG) or signature (PNG) as the raw request body, at the
/// SHA-256 of its bytes. It is decoded in full and stored upright, at most
/// 1600 px, without EXIF/GPS or anything around the image (a phone-sized
/// upright JPEG keeps its image data, anything else is re-encoded), with a
/// 320 px thumbnail. Sending it again is harmless.
#[utoipa::path(put, path = "/api/v1/attachments/{sha256}", tag = "attachments",
    params(("sha256" = String, Path, description = "SHA-256 of the body, 64 lowercase hex digits")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The image bytes (image/jpeg or image/png), at most 10 MB"),
    responses(
        (status = 201, description = "Stored", body = AttachmentSaved),
        (status = 200, description = "Already stored (a retry): the same answer", body = AttachmentSaved),
        (status = 400, description = "Path is not a SHA-256, or the body does not hash to it (`hash_mismatch`)", body = ErrorBody),
        (status = 403, description = "Not school staff", body = ErrorBody),
        (status = 413, description = "Body over 10 MB", body = ErrorBody),
        (status = 415, description = "Not a JPEG or PNG, or not the declared type", body = ErrorBody),
        (status = 422, description = "Unreadable image or more than 40 million pixels", body = ErrorBody),
    ))]
pub async fn put_attachment(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(sha): ApiPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, axum::Json<AttachmentSaved>), AppError> {
    // The path is checked before the body is read.
    service::parse_sha(&sha)?;
    let bytes = Bytes::from(crate::api::read_body(body, MAX_ATTACHMENT_BYTES, "文件").await?);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (created, saved) = service::put(&state, &current, &sha, content_type, bytes).await?;
    Ok((created_or_ok(created), axum::Json(saved)))
}

/// Content never changes for a hash, so browsers may keep it for good
/// (but only for this user: `private`). A kept JPEG's image data is the
/// uploader's bytes: should a browser ever open one as a document, the
/// sandbox lets nothing in it run.
fn image_response(content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=31536000, immutable"),
            ),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("default-src 'none'; sandbox"),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// The stored image: for its uploader and whoever may read a visit showing it.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}", tag = "attachments",
    params(("sha256" = String, Path, description = "SHA-256 the attachment was uploaded at")),
    responses(
        (status = 200, description = "The image (image/jpeg or image/png)", content_type = "image/jpeg", body = Vec<u8>),
        (status = 403, description = "Not the uploader and no readable visit shows it", body = ErrorBody),
        (status = 404, description = "No such attachment", body = ErrorBody),
    ))]
pub async fn get_attachment(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(sha): ApiPath<String>,
) -> Result<Response, AppError> {
    let (content_type, bytes) = service::get(&state, &current, &sha, false).await?;
    Ok(image_response(content_type, bytes))
}

/// The 320 px JPEG thumbnail, with the same access rule.
#[utoipa::path(get, path = "/api/v1/attachments/{sha256}/thumb", tag = "attachments",
    params(("sha256" = String, Path, description = "SHA-256 the attachment was uploaded at")),
    responses(
        (status = 200, description = "The thumbnail", content_type = "image/jpeg", body = Vec<u8>),
        (status = 403, description = "Not the uploader and no readable visit shows it", body = ErrorBody),
        (status = 404, description = "No such attachment", body = ErrorBody),
    ))]
pub async fn get_thumbnail(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(sha): ApiPath<String>,
) -> Result<Response, AppError> {
    let (content_type, bytes) = service::get(&state, &current, &sha, true).await?;
    Ok(image_response(content_type, bytes))
}
