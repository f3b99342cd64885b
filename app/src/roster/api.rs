//! REST endpoints of the roster.

use axum::Json;
use axum::extract::State;

use crate::api::{ApiJson, ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::roster::import::StudentForm;
use crate::roster::{
    MoveClassRequest, StatusChangeRequest, StudentDetail, StudentSummary, service,
};
use crate::state::AppState;

/// The caller's students (their classes; the whole school for leaders; the
/// area for officers), for the phone's roster cache.
#[utoipa::path(get, path = "/api/v1/students", tag = "roster",
    responses(
        (status = 200, description = "Students the caller may see", body = Vec<StudentSummary>),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_students(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<StudentSummary>>, AppError> {
    service::list_students(&state.db, &current).await.map(Json)
}

/// One student with guardians and status history.
#[utoipa::path(get, path = "/api/v1/students/{id}", tag = "roster",
    params(("id" = i32, Path, description = "Student id")),
    responses(
        (status = 200, description = "The student", body = StudentDetail),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 403, description = "Not one of the caller's students", body = ErrorBody),
    ))]
pub async fn get_student(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<StudentDetail>, AppError> {
    service::get_student(&state.db, &current, id)
        .await
        .map(Json)
}

/// Record a dated status change (e.g. 在校 → 疑似辍学) with its reason.
#[utoipa::path(post, path = "/api/v1/students/{id}/status", tag = "roster",
    params(("id" = i32, Path, description = "Student id")), request_body = StatusChangeRequest,
    responses(
        (status = 200, description = "The student with the new status and history", body = StudentDetail),
        (status = 403, description = "Not a student the caller may change", body = ErrorBody),
        (status = 422, description = "Transition not allowed, bad date or missing note", body = ErrorBody),
    ))]
pub async fn change_status(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(req): ApiJson<StatusChangeRequest>,
) -> Result<Json<StudentDetail>, AppError> {
    service::change_status(&state.db, &current, id, req)
        .await
        .map(Json)
}

/// Move a student to another class of the same school (school leaders).
#[utoipa::path(post, path = "/api/v1/students/{id}/class", tag = "roster",
    params(("id" = i32, Path, description = "Student id")), request_body = MoveClassRequest,
    responses(
        (status = 200, description = "The student in the new class", body = StudentDetail),
        (status = 403, description = "Not a school leader of this student", body = ErrorBody),
        (status = 422, description = "Class of another school", body = ErrorBody),
    ))]
pub async fn move_class(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(req): ApiJson<MoveClassRequest>,
) -> Result<Json<StudentDetail>, AppError> {
    service::move_class(&state.db, &current, id, req)
        .await
        .map(Json)
}

/// Add one student (school leaders), checked like an imported row; a
/// 学籍号 already on the roll is a conflict (edit that student instead).
#[utoipa::path(post, path = "/api/v1/students", tag = "roster", request_body = StudentForm,
    responses(
        (status = 200, description = "The new student", body = StudentDetail),
        (status = 403, description = "Not a leader of the class's school", body = ErrorBody),
        (status = 409, description = "The 学籍号 is already on the roll", body = ErrorBody),
        (status = 422, description = "A field is missing or malformed (named in `field`)", body = ErrorBody),
    ))]
pub async fn create_student(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(form): ApiJson<StudentForm>,
) -> Result<Json<StudentDetail>, AppError> {
    service::save_student(&state.db, &current, None, form)
        .await
        .map(Json)
}

/// Edit a student's record (school leaders); the 学籍号 cannot change and
/// empty optional fields keep what is stored.
#[utoipa::path(put, path = "/api/v1/students/{id}", tag = "roster",
    params(("id" = i32, Path, description = "Student id")), request_body = StudentForm,
    responses(
        (status = 200, description = "The student", body = StudentDetail),
        (status = 403, description = "Not a leader of the student's school", body = ErrorBody),
        (status = 422, description = "A field is missing or malformed, or the 学籍号 changed", body = ErrorBody),
    ))]
pub async fn update_student(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(form): ApiJson<StudentForm>,
) -> Result<Json<StudentDetail>, AppError> {
    service::save_student(&state.db, &current, Some(id), form)
        .await
        .map(Json)
}
