//! `/api/v1/classes/…`: the 班级管理 page's list and changes. (The short
//! list of class names for assigning teachers is `GET /api/v1/classes`,
//! in `staff`.)

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;

use super::{ClassInput, ClassRow, service};
use crate::api::{ApiJson, ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::staff::api::SchoolQuery;
use crate::staff::service::managed_school;
use crate::state::AppState;

/// Every class of the school with its pupils and teachers.
#[utoipa::path(get, path = "/api/v1/classes/overview", tag = "classes", params(SchoolQuery),
    responses(
        (status = 200, description = "By grade, then name", body = Vec<ClassRow>),
        (status = 403, description = "Not a leader of this school", body = ErrorBody),
    ))]
pub async fn class_overview(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
) -> Result<Json<Vec<ClassRow>>, AppError> {
    let school_id = managed_school(&current, query.school_id)?;
    service::overview(&state.db, school_id).await.map(Json)
}

/// Add a class (a bare number as the name becomes 三年级(4)班).
#[utoipa::path(post, path = "/api/v1/classes", tag = "classes", params(SchoolQuery),
    request_body = ClassInput,
    responses(
        (status = 201, description = "Created", body = ClassRow),
        (status = 403, description = "Not a leader of this school", body = ErrorBody),
        (status = 422, description = "Bad grade or name, or the grade already has that class", body = ErrorBody),
    ))]
pub async fn create_class(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<SchoolQuery>,
    ApiJson(input): ApiJson<ClassInput>,
) -> Result<(StatusCode, Json<ClassRow>), AppError> {
    let school_id = managed_school(&current, query.school_id)?;
    let row = service::create(&state.db, &current, school_id, input).await?;
    Ok((StatusCode::CREATED, Json(row)))
}

/// Rename a class or move it to another grade (pupils and teachers stay).
#[utoipa::path(put, path = "/api/v1/classes/{id}", tag = "classes", params(("id" = i32, Path)),
    request_body = ClassInput,
    responses(
        (status = 200, description = "Saved", body = ClassRow),
        (status = 403, description = "Not a class of a school the caller leads", body = ErrorBody),
        (status = 422, description = "Bad grade or name, or the grade already has that class", body = ErrorBody),
    ))]
pub async fn update_class(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<ClassInput>,
) -> Result<Json<ClassRow>, AppError> {
    service::update(&state.db, &current, id, input)
        .await
        .map(Json)
}

/// Remove a class nobody was ever put in.
#[utoipa::path(delete, path = "/api/v1/classes/{id}", tag = "classes", params(("id" = i32, Path)),
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not a class of a school the caller leads", body = ErrorBody),
        (status = 409, description = "It has pupils, teachers or roll calls (the message says which)", body = ErrorBody),
    ))]
pub async fn delete_class(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
) -> Result<StatusCode, AppError> {
    service::remove(&state.db, &current, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
