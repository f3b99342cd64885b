//! `/api/v1/notifications`: the caller's list and marking them read.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use utoipa::OpenApi;

use super::{MarkRead, NotificationList, service};
use crate::api::ApiJson;
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// The caller's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications",
    responses((status = 200, description = "Newest first", body = NotificationList)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<NotificationList>, AppError> {
    service::list(&state.db, &current).await.map(Json)
}

/// Marks the given notifications (all when `ids` is empty) read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications",
    request_body = MarkRead,
    responses((status = 200, description = "The list after marking", body = NotificationList)))]
pub async fn mark_read(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(input): ApiJson<MarkRead>,
) -> Result<Json<NotificationList>, AppError> {
    service::mark_read(&state.db, &current, &input.ids)
        .await
        .map(Json)
}

#[derive(OpenApi)]
#[openapi(
    paths(list_notifications, mark_read),
    components(schemas(NotificationList, MarkRead)),
    tags((name = "notifications", description = "站内消息"))
)]
pub struct Doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list_notifications))
        .route("/notifications/read", post(mark_read))
}
