//! `/api/v1` routes of the absence ladder.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use utoipa::OpenApi;

use super::{LadderRules, TaskKind, TaskList, TaskStatus, TaskView, tasks};
use crate::api::{ApiJson, ErrorBody};
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
    paths(list_tasks, get_rules, put_rules),
    components(schemas(TaskList, TaskView, TaskKind, TaskStatus, LadderRules)),
    tags((name = "dropout", description = "控辍保学：缺勤跟进任务、台账、劝返"))
)]
pub struct Doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/absence-tasks", get(list_tasks))
        .route("/ladder-rules", get(get_rules).put(put_rules))
}
