//! `GET /api/v1/reviews` and `POST /api/v1/visits/{id}/review`.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use uuid::Uuid;

use super::service::{self, ReviewFilter};
use super::{ReviewInput, ReviewStatus};
use crate::api::{ApiJson, ApiPath, ApiQuery, ErrorBody};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;
use crate::visits::VisitView;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ReviewQuery {
    /// A school the caller leads; their first one when absent.
    pub school_id: Option<i32>,
    /// A semester id; the current semester when absent.
    pub semester: Option<i32>,
    /// `pending`, `approved` or `returned`; all when absent.
    pub status: Option<String>,
    /// Draw a random sample of this many records for a spot-check.
    pub sample: Option<u32>,
}

/// A school's visits this semester for the leaders' spot-checks.
#[utoipa::path(get, path = "/api/v1/reviews", tag = "reviews", params(ReviewQuery),
    responses(
        (status = 200, description = "Visits, newest first (at most 500)", body = Vec<VisitView>),
        (status = 403, description = "Not a leader of the school", body = ErrorBody),
        (status = 404, description = "No such semester, or none configured", body = ErrorBody),
        (status = 422, description = "Bad `status`", body = ErrorBody),
    ))]
pub async fn list_reviews(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> Result<Json<Vec<VisitView>>, AppError> {
    let status = match q.status.as_deref().map(str::trim) {
        None | Some("" | "all") => None,
        Some(code) => Some(ReviewStatus::from_code(code).ok_or_else(|| {
            AppError::invalid("status", "状态须为 pending、approved 或 returned")
        })?),
    };
    let filter = ReviewFilter {
        school_id: q.school_id,
        semester_id: q.semester,
        status,
        sample: q.sample,
    };
    service::list(&state.db, &current, filter).await.map(Json)
}

/// Mark a visit 已审核 or return it (退回) with a reason.
#[utoipa::path(post, path = "/api/v1/visits/{id}/review", tag = "reviews",
    params(("id" = Uuid, Path)),
    request_body = ReviewInput,
    responses(
        (status = 200, description = "The visit with its new review state", body = VisitView),
        (status = 403, description = "Not a leader of the visit's school", body = ErrorBody),
        (status = 404, description = "No such visit", body = ErrorBody),
        (status = 409, description = "The caller's own record, or it changed since it was looked at", body = ErrorBody),
        (status = 422, description = "Returned without a reason, or the reason is too long", body = ErrorBody),
    ))]
pub async fn review_visit(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ReviewInput>,
) -> Result<Json<VisitView>, AppError> {
    service::review(&state.db, &current, id, input)
        .await
        .map(Json)
}
