//! `/api/v1` routes of the absence ladder.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::cases::{
    CaseClose, CaseFile, CaseInput, CaseView, LinkedVisit, PersuasionInput, PersuasionMethod,
    PersuasionOutcome, PersuasionView,
};
use super::special_groups::{self, GroupCoverage, SpecialGroupLedger, SpecialStudent};
use super::{LadderRules, TaskKind, TaskList, TaskStatus, TaskView, case_service, tasks};
use crate::api::{ApiJson, ApiPath, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::semesters::service::today;
use crate::state::AppState;

/// The caller's open absence tasks (most urgent first), the school's for
/// leaders, and the caller's recently closed ones.
#[utoipa::path(get, path = "/api/v1/absence-tasks", tag = "dropout",
    responses((status = 200, description = "Tasks", body = TaskList)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<TaskList>, AppError> {
    tasks::list(&state.db, &current, today()).await.map(Json)
}

/// The caller's county ladder (officers) or their school's county ladder.
#[utoipa::path(get, path = "/api/v1/ladder-rules", tag = "dropout",
    responses(
        (status = 200, description = "The ladder", body = LadderRules),
        (status = 404, description = "The caller belongs to no county", body = ErrorBody),
    ))]
pub async fn get_rules(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<LadderRules>, AppError> {
    let county = county_of(&state, &current).await?;
    tasks::rules_for_county(&state.db, county).await.map(Json)
}

/// Sets the county's ladder (county officers).
#[utoipa::path(put, path = "/api/v1/ladder-rules", tag = "dropout",
    request_body = LadderRules,
    responses(
        (status = 200, description = "Saved", body = LadderRules),
        (status = 403, description = "Not a county officer", body = ErrorBody),
        (status = 422, description = "Steps out of order or later than the policy allows", body = ErrorBody),
    ))]
pub async fn put_rules(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(rules): ApiJson<LadderRules>,
) -> Result<Json<LadderRules>, AppError> {
    let county = county_of(&state, &current).await?;
    tasks::save_rules(&state.db, &current, county, rules)
        .await
        .map(Json)
}

/// The student's 一生一案 file: the plans, every 劝返 attempt with its
/// linked visit, and the visits that may be linked.
#[utoipa::path(get, path = "/api/v1/students/{id}/case", tag = "dropout",
    params(("id" = i32, Path, description = "Student id")),
    responses(
        (status = 200, description = "The case file", body = CaseFile),
        (status = 403, description = "Not the caller's student", body = ErrorBody),
    ))]
pub async fn get_case(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<CaseFile>, AppError> {
    case_service::case_file(&state.db, &current, id)
        .await
        .map(Json)
}

/// Opens the case of a suspected or confirmed dropout, or updates the open
/// one (head teacher, school leaders); closes the day-3 plan step.
#[utoipa::path(put, path = "/api/v1/students/{id}/case", tag = "dropout",
    params(("id" = i32, Path, description = "Student id")),
    request_body = CaseInput,
    responses(
        (status = 200, description = "Saved", body = CaseFile),
        (status = 403, description = "Neither head teacher nor school leader", body = ErrorBody),
        (status = 422, description = "Missing parts, or the student is in school", body = ErrorBody),
    ))]
pub async fn put_case(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<CaseInput>,
) -> Result<Json<CaseFile>, AppError> {
    case_service::save_case(&state.db, &current, id, input, today())
        .await
        .map(Json)
}

/// Closes the open case once the student is back, transferred or struck
/// off (the status change comes first, on the student page).
#[utoipa::path(post, path = "/api/v1/students/{id}/case/close", tag = "dropout",
    params(("id" = i32, Path, description = "Student id")),
    request_body = CaseClose,
    responses(
        (status = 200, description = "Closed", body = CaseFile),
        (status = 403, description = "Neither head teacher nor school leader", body = ErrorBody),
        (status = 422, description = "No open case, no evidence, or the student is still out of school", body = ErrorBody),
    ))]
pub async fn close_case(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<CaseClose>,
) -> Result<Json<CaseFile>, AppError> {
    case_service::close_case(&state.db, &current, id, input, today())
        .await
        .map(Json)
}

/// Records one 劝返 attempt (the staff who contact the family); closes the
/// day-5 step.
#[utoipa::path(post, path = "/api/v1/students/{id}/persuasion-records", tag = "dropout",
    params(("id" = i32, Path, description = "Student id")),
    request_body = PersuasionInput,
    responses(
        (status = 200, description = "Recorded", body = CaseFile),
        (status = 403, description = "Not a teacher of the student", body = ErrorBody),
        (status = 422, description = "Missing parts, a visit of another student, or the student is in school", body = ErrorBody),
    ))]
pub async fn add_persuasion_record(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<i32>,
    ApiJson(input): ApiJson<PersuasionInput>,
) -> Result<Json<CaseFile>, AppError> {
    case_service::add_record(&state.db, &current, id, input, today())
        .await
        .map(Json)
}

/// 特殊群体台账: the caller's special-group students with their visits this
/// semester, and the coverage per category.
#[utoipa::path(get, path = "/api/v1/ledgers/special-groups", tag = "dropout",
    responses((status = 200, description = "The ledger", body = SpecialGroupLedger)))]
pub async fn special_group_ledger(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<SpecialGroupLedger>, AppError> {
    special_groups::ledger(&state.db, &current, today())
        .await
        .map(Json)
}

async fn county_of(state: &AppState, current: &CurrentUser) -> Result<i32, AppError> {
    use sea_orm::EntityTrait;
    if let Some(c) = current.roles.iter().find_map(|r| r.county_id) {
        return Ok(c);
    }
    let school = current.roles.iter().find_map(|r| r.school_id);
    match school {
        Some(id) => crate::db::entities::school::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|s| s.county_id)
            .ok_or_else(|| AppError::not_found("所属县")),
        None => Err(AppError::not_found("所属县")),
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(list_tasks, get_rules, put_rules, get_case, put_case, close_case, add_persuasion_record,
        special_group_ledger),
    components(schemas(TaskList, TaskView, TaskKind, TaskStatus, LadderRules, CaseFile, CaseView,
        CaseInput, CaseClose, PersuasionInput, PersuasionView, PersuasionMethod, PersuasionOutcome,
        LinkedVisit, SpecialGroupLedger, GroupCoverage, SpecialStudent)),
    tags((name = "dropout", description = "控辍保学：缺勤跟进任务、台账、劝返"))
)]
pub struct Doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/absence-tasks", get(list_tasks))
        .route("/ladder-rules", get(get_rules).put(put_rules))
        .route("/ledgers/special-groups", get(special_group_ledger))
        .route("/students/{id}/case", get(get_case).put(put_case))
        .route("/students/{id}/case/close", post(close_case))
        .route(
            "/students/{id}/persuasion-records",
            post(add_persuasion_record),
        )
}
