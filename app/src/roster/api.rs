//! REST endpoints of the roster.

use axum::Json;
use axum::extract::State;

use crate::api::{ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::roster::{StudentDetail, StudentSummary, service};
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
