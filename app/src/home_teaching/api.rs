//! `/api/v1` routes of 送教上门.

use axum::extract::State;
use axum::routing::{get, put};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::{Enrolment, HomeTeachingList, Session, TaughtStudent, service};
use crate::api::{ApiJson, ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::semesters::service::today;
use crate::state::AppState;

/// The home-taught students the caller may see: sessions this semester,
/// the last one, when the next is due, overdue first.
#[utoipa::path(get, path = "/api/v1/home-teaching", tag = "home_teaching",
    responses((status = 200, description = "Students and schedule", body = HomeTeachingList)))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<HomeTeachingList>, AppError> {
    service::list(&state.db, &current, today()).await.map(Json)
}

/// Puts a student on the 送教上门 list or takes them off (head teacher,
/// school leaders). Sessions are recorded as visits with reason 送教上门.
#[utoipa::path(put, path = "/api/v1/students/{id}/home-teaching", tag = "home_teaching",
    params(("id" = i32, Path, description = "Student id")),
    request_body = Enrolment,
    responses(
        (status = 200, description = "Saved", body = Enrolment),
        (status = 403, description = "Neither head teacher nor school leader", body = ErrorBody),
    ))]
pub async fn put_enrolment(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(enrolment): ApiJson<Enrolment>,
) -> Result<Json<Enrolment>, AppError> {
    service::enrol(&state.db, &current, id, enrolment, today())
        .await
        .map(Json)
}

#[derive(OpenApi)]
#[openapi(
    paths(list, put_enrolment),
    components(schemas(HomeTeachingList, TaughtStudent, Session, Enrolment)),
    tags((name = "home_teaching", description = "送教上门：名单、记录与逾期提醒"))
)]
pub struct Doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/home-teaching", get(list))
        .route("/students/{id}/home-teaching", put(put_enrolment))
}
