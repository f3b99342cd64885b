//! `/api/v1/semesters`: list, create, correct.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::{SemesterInput, SemesterView, service};
use crate::api::{ApiJson, ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// The county's semesters and the own dates of the caller's schools.
#[utoipa::path(get, path = "/api/v1/semesters", tag = "semesters",
    responses((status = 200, description = "Latest first", body = Vec<SemesterView>)))]
pub async fn list_semesters(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<SemesterView>>, AppError> {
    service::list(&state.db, &current).await.map(Json)
}

/// A county semester (county officers) or a school's own dates (its
/// principal or admin).
#[utoipa::path(post, path = "/api/v1/semesters", tag = "semesters",
    request_body = SemesterInput,
    responses(
        (status = 201, description = "Created", body = SemesterView),
        (status = 403, description = "Not a county officer / not the school's principal or admin", body = ErrorBody),
        (status = 422, description = "Bad name or dates, or overlapping another semester", body = ErrorBody),
    ))]
pub async fn create_semester(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<SemesterInput>,
) -> Result<(StatusCode, Json<SemesterView>), AppError> {
    let view = service::create(&state.db, &current, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Correct a semester's name or dates (not once it has ended).
#[utoipa::path(put, path = "/api/v1/semesters/{id}", tag = "semesters",
    params(("id" = i32, Path)),
    request_body = SemesterInput,
    responses(
        (status = 200, description = "Saved", body = SemesterView),
        (status = 403, description = "Not the caller's to change", body = ErrorBody),
        (status = 404, description = "No such semester", body = ErrorBody),
        (status = 409, description = "The semester has ended", body = ErrorBody),
        (status = 422, description = "Bad name or dates, or overlapping another semester", body = ErrorBody),
    ))]
pub async fn update_semester(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<SemesterInput>,
) -> Result<Json<SemesterView>, AppError> {
    service::update(&state.db, &current, id, input)
        .await
        .map(Json)
}
