//! `/api/v1` routes of roll call, leave and the school calendar.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use utoipa::OpenApi;

use super::{
    AbsentMark, CalendarDayInput, LeaveDecision, LeaveInput, LeaveKind, LeaveStatus, LeaveView,
    RollCallInput, RollCallView, service,
};
use crate::api::{ApiJson, ApiPath, ErrorBody, created_or_ok};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// A class's roll on a day (empty if not taken), with who is on leave and
/// whose absence is running.
#[utoipa::path(get, path = "/api/v1/roll-calls/{class_id}/{day}", tag = "attendance",
    params(("class_id" = i32, Path), ("day" = String, Path, description = "YYYY-MM-DD")),
    responses(
        (status = 200, description = "The roll", body = RollCallView),
        (status = 403, description = "Not a teacher or leader of the class", body = ErrorBody),
    ))]
pub async fn get_roll_call(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath((class_id, day)): ApiPath<(i32, NaiveDate)>,
) -> Result<Json<RollCallView>, AppError> {
    service::get_roll_call(&state.db, &current, class_id, day)
        .await
        .map(Json)
}

/// Saves the roll of a school day: the absent students (everyone else was
/// present). Sending it again replaces it; a changed list is a correction
/// and is audit-logged. Starts, continues or stops the absence ladder.
#[utoipa::path(put, path = "/api/v1/roll-calls/{class_id}/{day}", tag = "attendance",
    params(("class_id" = i32, Path), ("day" = String, Path, description = "YYYY-MM-DD")),
    request_body = RollCallInput,
    responses(
        (status = 201, description = "Taken", body = RollCallView),
        (status = 200, description = "Replaced (a retry or a correction)", body = RollCallView),
        (status = 403, description = "Not the head teacher or a school leader", body = ErrorBody),
        (status = 422, description = "Not a school day, in the future, too old, or a student not in the class", body = ErrorBody),
    ))]
pub async fn put_roll_call(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath((class_id, day)): ApiPath<(i32, NaiveDate)>,
    ApiJson(input): ApiJson<RollCallInput>,
) -> Result<(StatusCode, Json<RollCallView>), AppError> {
    let (view, created) =
        service::save_roll_call(&state.db, &current, class_id, day, input).await?;
    Ok((created_or_ok(created), Json(view)))
}

/// Leave of the caller's students: the last 90 days and anything pending.
#[utoipa::path(get, path = "/api/v1/leave", tag = "attendance",
    responses((status = 200, description = "Latest first", body = Vec<LeaveView>)))]
pub async fn list_leave(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<LeaveView>>, AppError> {
    service::list_leave(&state.db, &current).await.map(Json)
}

/// Records a leave; approved at once when the head teacher or a school
/// leader records it, else waiting for them.
#[utoipa::path(post, path = "/api/v1/leave", tag = "attendance",
    request_body = LeaveInput,
    responses(
        (status = 201, description = "Recorded", body = LeaveView),
        (status = 403, description = "Not a teacher of the student's class", body = ErrorBody),
        (status = 422, description = "Bad dates or no reason", body = ErrorBody),
    ))]
pub async fn create_leave(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<LeaveInput>,
) -> Result<(StatusCode, Json<LeaveView>), AppError> {
    let view = service::create_leave(&state.db, &current, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Approves or refuses a pending leave (head teacher or school leader).
#[utoipa::path(post, path = "/api/v1/leave/{id}/decision", tag = "attendance",
    params(("id" = i32, Path)),
    request_body = LeaveDecision,
    responses(
        (status = 200, description = "Decided", body = LeaveView),
        (status = 403, description = "Not the head teacher or a school leader", body = ErrorBody),
        (status = 409, description = "Already decided", body = ErrorBody),
    ))]
pub async fn decide_leave(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(decision): ApiJson<LeaveDecision>,
) -> Result<Json<LeaveView>, AppError> {
    service::decide_leave(&state.db, &current, id, decision)
        .await
        .map(Json)
}

/// Holidays and make-up working days of the caller's county and schools.
#[utoipa::path(get, path = "/api/v1/calendar-days", tag = "attendance",
    responses((status = 200, description = "By date", body = Vec<CalendarDayInput>)))]
pub async fn list_calendar_days(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<CalendarDayInput>>, AppError> {
    service::list_calendar_days(&state.db, &current)
        .await
        .map(Json)
}

/// Sets one day as a holiday or a make-up working day (county officers for
/// the county; a principal or admin for their school).
#[utoipa::path(put, path = "/api/v1/calendar-days", tag = "attendance",
    request_body = CalendarDayInput,
    responses(
        (status = 200, description = "Saved", body = CalendarDayInput),
        (status = 403, description = "Not the county's officer or the school's principal/admin", body = ErrorBody),
        (status = 422, description = "Bad kind or name", body = ErrorBody),
    ))]
pub async fn put_calendar_day(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<CalendarDayInput>,
) -> Result<Json<CalendarDayInput>, AppError> {
    service::put_calendar_day(&state.db, &current, input)
        .await
        .map(Json)
}

#[derive(OpenApi)]
#[openapi(
    paths(get_roll_call, put_roll_call, list_leave, create_leave, decide_leave,
        list_calendar_days, put_calendar_day),
    components(schemas(RollCallInput, RollCallView, AbsentMark, LeaveInput, LeaveView,
        LeaveKind, LeaveStatus, LeaveDecision, CalendarDayInput)),
    tags((name = "attendance", description = "点名、请假与校历"))
)]
pub struct Doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/roll-calls/{class_id}/{day}",
            get(get_roll_call).put(put_roll_call),
        )
        .route("/leave", get(list_leave).post(create_leave))
        .route("/leave/{id}/decision", post(decide_leave))
        .route(
            "/calendar-days",
            get(list_calendar_days).put(put_calendar_day),
        )
}
