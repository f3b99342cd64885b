//! REST endpoints for the roster import. The file is the raw request body
//! (.xlsx, .xls or .csv); the first call previews, the second commits.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::response::IntoResponse;

use super::table::{file_too_large, read_table};
use super::{ImportReport, service, template};
use crate::api::ErrorBody;
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::staff::api::SchoolQuery;
use crate::staff::service::managed_school;
use crate::state::AppState;

/// The upload, or the size error when the route's body limit was hit.
pub fn file_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    body.map_err(|_| file_too_large())
}

/// Check a file and report what importing it would do; changes nothing.
#[utoipa::path(post, path = "/api/v1/imports/students/preview", tag = "roster", params(SchoolQuery),
    request_body(content = Vec<u8>, description = "The .xlsx, .xls or .csv file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "What the import would do, with every bad row explained", body = ImportReport),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
        (status = 422, description = "Unreadable file or missing columns", body = ErrorBody),
    ))]
pub async fn preview_students(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, AppError> {
    let school_id = managed_school(&current, query.school_id)?;
    let table = read_table(&file_bytes(body)?)?;
    service::preview(&state.db, school_id, &table)
        .await
        .map(Json)
}

/// Import the good rows of a file in one transaction (bad rows are skipped
/// and reported). Importing the same file again changes nothing.
#[utoipa::path(post, path = "/api/v1/imports/students/commit", tag = "roster", params(SchoolQuery),
    request_body(content = Vec<u8>, description = "The .xlsx, .xls or .csv file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "What was imported", body = ImportReport),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
        (status = 422, description = "Unreadable file or missing columns", body = ErrorBody),
    ))]
pub async fn commit_students(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, AppError> {
    let school_id = managed_school(&current, query.school_id)?;
    let table = read_table(&file_bytes(body)?)?;
    service::commit(&state.db, school_id, current.user.id, &table)
        .await
        .map(Json)
}

/// The Excel template for student imports.
#[utoipa::path(get, path = "/api/v1/imports/students/template", tag = "roster",
    responses(
        (status = 200, description = "学生名册导入模板.xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "Not a school administrator", body = ErrorBody),
    ))]
pub async fn student_template(current: CurrentUser) -> Result<impl IntoResponse, AppError> {
    if current.access.led_schools.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(crate::api::xlsx_download(
        template::student_template()?,
        "student-import-template.xlsx",
        "学生名册导入模板.xlsx",
    ))
}
