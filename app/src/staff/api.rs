//! REST endpoints for staff accounts (school administrators and leaders).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::import::{self, TeacherImportReport};
use super::{
    ClassOption, CreateStaffRequest, InitialPassword, SetRolesRequest, StaffMember, service,
};
use crate::api::{ApiJson, ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::roster::import::api::file_bytes;
use crate::roster::import::table::read_table;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SchoolQuery {
    /// Needed only by someone who manages several schools.
    pub school_id: Option<i32>,
}

/// Staff of the school with their roles.
#[utoipa::path(get, path = "/api/v1/staff", tag = "staff", params(SchoolQuery),
    responses(
        (status = 200, description = "Staff of the school", body = Vec<StaffMember>),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
    ))]
pub async fn list_staff(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
) -> Result<Json<Vec<StaffMember>>, AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    service::list_staff(&state.db, school_id).await.map(Json)
}

/// Classes of the school (for assigning head and subject teachers).
#[utoipa::path(get, path = "/api/v1/classes", tag = "staff", params(SchoolQuery),
    responses(
        (status = 200, description = "Classes of the school", body = Vec<ClassOption>),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
    ))]
pub async fn list_classes(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
) -> Result<Json<Vec<ClassOption>>, AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    service::list_classes(&state.db, school_id).await.map(Json)
}

/// Create a teacher account; the initial password is in the answer, once.
#[utoipa::path(post, path = "/api/v1/staff", tag = "staff", params(SchoolQuery), request_body = CreateStaffRequest,
    responses(
        (status = 201, description = "Created; the person must change the password at first login", body = InitialPassword),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
        (status = 409, description = "Username taken", body = ErrorBody),
        (status = 422, description = "Invalid name, username or roles", body = ErrorBody),
    ))]
pub async fn create_staff(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
    ApiJson(req): ApiJson<CreateStaffRequest>,
) -> Result<(StatusCode, Json<InitialPassword>), AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    let created = service::create_staff(&state.db, &current, school_id, req).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// Replace a staff member's roles in this school.
#[utoipa::path(put, path = "/api/v1/staff/{id}/roles", tag = "staff", params(("id" = i32, Path), SchoolQuery),
    request_body = SetRolesRequest,
    responses(
        (status = 200, description = "The member with the new roles", body = StaffMember),
        (status = 403, description = "Not staff of a school the caller administers", body = ErrorBody),
        (status = 422, description = "Invalid roles", body = ErrorBody),
    ))]
pub async fn set_roles(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    Query(query): Query<SchoolQuery>,
    ApiJson(req): ApiJson<SetRolesRequest>,
) -> Result<Json<StaffMember>, AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    service::set_roles(&state.db, &current, school_id, id, req.roles)
        .await
        .map(Json)
}

/// Reset a forgotten password: a new initial password, changed at next login.
#[utoipa::path(post, path = "/api/v1/staff/{id}/password-reset", tag = "staff", params(("id" = i32, Path), SchoolQuery),
    responses(
        (status = 200, description = "The new initial password; all sessions of the account end", body = InitialPassword),
        (status = 403, description = "Not staff of a school the caller administers", body = ErrorBody),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    Query(query): Query<SchoolQuery>,
) -> Result<Json<InitialPassword>, AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    service::reset_password(&state.db, &current, school_id, id)
        .await
        .map(Json)
}

/// Check a teacher list (.xlsx, .xls or .csv: 姓名, 用户名 or 手机号, 角色,
/// 班级, 学科) and report what importing it would do; changes nothing.
#[utoipa::path(post, path = "/api/v1/imports/teachers/preview", tag = "staff", params(SchoolQuery),
    request_body(content = Vec<u8>, description = "The .xlsx, .xls or .csv file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "What the import would do, with every bad row explained", body = TeacherImportReport),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
        (status = 422, description = "Unreadable file or missing columns", body = ErrorBody),
    ))]
pub async fn preview_teachers(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TeacherImportReport>, AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    let table = read_table(&file_bytes(body)?)?;
    import::preview(&state.db, &current, school_id, &table)
        .await
        .map(Json)
}

/// Create the new accounts (initial passwords in the answer, once) and set
/// the roles of the school's existing ones, in one transaction.
#[utoipa::path(post, path = "/api/v1/imports/teachers/commit", tag = "staff", params(SchoolQuery),
    request_body(content = Vec<u8>, description = "The .xlsx, .xls or .csv file", content_type = "application/octet-stream"),
    responses(
        (status = 200, description = "What was imported, with the initial passwords", body = TeacherImportReport),
        (status = 403, description = "Not an administrator of this school", body = ErrorBody),
        (status = 422, description = "Unreadable file or missing columns", body = ErrorBody),
    ))]
pub async fn commit_teachers(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TeacherImportReport>, AppError> {
    let school_id = service::managed_school(&current, query.school_id)?;
    let table = read_table(&file_bytes(body)?)?;
    import::commit(&state.db, &current, school_id, &table)
        .await
        .map(Json)
}
