//! Quota, dashboard and rule endpoints under `/api/v1`.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use serde::Deserialize;

use super::{
    AreaDashboard, QuotaView, RulesChange, RulesView, SchoolDashboard, dashboard, export, service,
    store,
};
use crate::api::{ApiJson, ApiQuery, ErrorBody, xlsx_download};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct QuotaQuery {
    /// A semester id; the current semester when absent.
    pub semester: Option<i32>,
}

/// The caller's home-visit task (本学期家访任务).
#[utoipa::path(get, path = "/api/v1/quota", tag = "quotas", params(QuotaQuery),
    responses(
        (status = 200, description = "Required, counted, remaining and pace", body = QuotaView),
        (status = 403, description = "No school role (officers have no quota)", body = ErrorBody),
        (status = 404, description = "No such semester, or none configured", body = ErrorBody),
    ))]
pub async fn get_quota(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<QuotaQuery>,
) -> Result<Json<QuotaView>, AppError> {
    service::quota_for(&state.db, &current, q.semester)
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SchoolQuery {
    /// A school the caller leads or oversees; their first led school when absent.
    pub school_id: Option<i32>,
    /// A semester id; the current semester when absent.
    pub semester: Option<i32>,
}

/// A school's semester: every teacher's progress, unvisited students, visits per week.
#[utoipa::path(get, path = "/api/v1/dashboard/school", tag = "quotas", params(SchoolQuery),
    responses(
        (status = 200, description = "The school's dashboard", body = SchoolDashboard),
        (status = 403, description = "Neither leads nor oversees the school", body = ErrorBody),
        (status = 404, description = "No such semester, or none configured", body = ErrorBody),
    ))]
pub async fn school_dashboard(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<SchoolQuery>,
) -> Result<Json<SchoolDashboard>, AppError> {
    dashboard::school_dashboard(&state.db, &current, q.school_id, q.semester)
        .await
        .map(Json)
}

/// The school dashboard as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/dashboard/school/export", tag = "quotas", params(SchoolQuery),
    responses(
        (status = 200, description = "家访任务完成情况.xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "Neither leads nor oversees the school", body = ErrorBody),
        (status = 404, description = "No such semester, or none configured", body = ErrorBody),
    ))]
pub async fn export_school(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<SchoolQuery>,
) -> Result<Response, AppError> {
    let d = dashboard::school_dashboard(&state.db, &current, q.school_id, q.semester).await?;
    let name = format!("{}{}家访任务完成情况.xlsx", d.school_name, d.semester.name);
    Ok(xlsx_download(
        export::school_workbook(&d)?,
        "school-visits.xlsx",
        &name,
    ))
}

/// Every school in the officer's town or county.
#[utoipa::path(get, path = "/api/v1/dashboard/area", tag = "quotas",
    responses(
        (status = 200, description = "Per-school completion, least complete first", body = AreaDashboard),
        (status = 403, description = "Not a town or county officer", body = ErrorBody),
    ))]
pub async fn area_dashboard(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<AreaDashboard>, AppError> {
    dashboard::area_dashboard(&state.db, &current)
        .await
        .map(Json)
}

/// The area dashboard as an Excel workbook.
#[utoipa::path(get, path = "/api/v1/dashboard/area/export", tag = "quotas",
    responses(
        (status = 200, description = "各校家访完成情况.xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "Not a town or county officer", body = ErrorBody),
    ))]
pub async fn export_area(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Response, AppError> {
    let d = dashboard::area_dashboard(&state.db, &current).await?;
    let name = format!("{}各校家访完成情况.xlsx", d.area_name);
    Ok(xlsx_download(
        export::area_workbook(&d)?,
        "area-visits.xlsx",
        &name,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RulesQuery {
    /// A school the caller works at or oversees.
    pub school_id: i32,
    /// A semester id; the current semester when absent.
    pub semester: Option<i32>,
}

/// The quota rules in force for a school's semester.
#[utoipa::path(get, path = "/api/v1/quota-rules", tag = "quotas", params(RulesQuery),
    responses(
        (status = 200, description = "County rules, school override and what applies", body = RulesView),
        (status = 403, description = "Not the caller's school or area", body = ErrorBody),
        (status = 404, description = "No such semester, or none configured", body = ErrorBody),
    ))]
pub async fn get_rules(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> Result<Json<RulesView>, AppError> {
    store::view(&state.db, &current, q.school_id, q.semester)
        .await
        .map(Json)
}

/// Change the county's rules (county officers) or a school's override
/// (its principal or admin; only stricter than the county's) for a
/// semester that has not ended. Past semesters keep their rules.
#[utoipa::path(put, path = "/api/v1/quota-rules", tag = "quotas",
    request_body = RulesChange,
    responses(
        (status = 200, description = "The rules now in force", body = RulesView),
        (status = 403, description = "Not allowed to change these rules", body = ErrorBody),
        (status = 409, description = "The semester has ended", body = ErrorBody),
        (status = 422, description = "Invalid rules, or looser than the county allows", body = ErrorBody),
    ))]
pub async fn put_rules(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(change): ApiJson<RulesChange>,
) -> Result<Json<RulesView>, AppError> {
    store::save(&state.db, &current, change).await.map(Json)
}
