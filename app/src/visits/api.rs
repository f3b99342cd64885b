//! The sync protocol for visits and 拟家访 reports under `/api/v1`. Every
//! write is a `PUT` to a client-made UUID, so the phone can retry blindly.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

use super::query::{self, SemesterFilter};
use super::{
    BatchResult, BatchResults, PlanInput, PlanView, VisitBatch, VisitInput, VisitSaved, VisitView,
    plans, service,
};
use crate::api::{ApiJson, ApiPath, ApiQuery, ErrorBody, created_or_ok};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

/// Save a 家访记录表 made on the phone. Sending the same body again is
/// answered like the first time; a changed body is an edit and must name
/// the revision it was made from (`base_revision`).
#[utoipa::path(put, path = "/api/v1/visits/{id}", tag = "visits",
    params(("id" = Uuid, Path, description = "Made by the phone when the form was opened")),
    request_body = VisitInput,
    responses(
        (status = 201, description = "Created (revision 1)", body = VisitSaved),
        (status = 200, description = "Same body again (same answer), or an edit saved as the next revision", body = VisitSaved),
        (status = 403, description = "Not a student the caller may visit, someone else's visit, or an officer", body = ErrorBody),
        (status = 409, description = "Changed body without the current `base_revision`", body = ErrorBody),
        (status = 422, description = "Invalid record, co-visitor, missing attachment or plan (`field` names it)", body = ErrorBody),
    ))]
pub async fn put_visit(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<VisitInput>,
) -> Result<(StatusCode, Json<VisitSaved>), AppError> {
    let saved = service::put_visit(&state.db, &current, id, input).await?;
    Ok((created_or_ok(saved.created), Json(saved.saved)))
}

/// Save up to 100 visits in one request (one transaction): what the phone
/// sends when it has several records waiting. Each visit is decided as
/// `PUT /api/v1/visits/{id}` would decide it and gets the status and body
/// that would have answered it; a refused visit does not stop the others.
/// Sending the same batch again is harmless.
#[utoipa::path(post, path = "/api/v1/visits/batch", tag = "visits",
    request_body = VisitBatch,
    responses(
        (status = 200, description = "One result per visit, in the order sent", body = BatchResults),
        (status = 403, description = "An officer (officers only read)", body = ErrorBody),
        (status = 413, description = "Over 2 MB of JSON", body = ErrorBody),
        (status = 422, description = "No visits, or more than 100", body = ErrorBody),
    ))]
pub async fn post_visit_batch(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(batch): ApiJson<VisitBatch>,
) -> Result<Json<BatchResults>, AppError> {
    if batch.visits.is_empty() || batch.visits.len() > super::MAX_BATCH_VISITS {
        return Err(AppError::invalid(
            "visits",
            format!("每批须有 1 至 {} 条家访记录", super::MAX_BATCH_VISITS),
        ));
    }
    let items = batch.visits.into_iter().map(|v| (v.id, v.visit)).collect();
    let results = service::put_visits(&state.db, &current, items)
        .await?
        .into_iter()
        .map(|(id, result)| match result {
            Ok(saved) => BatchResult {
                id,
                status: created_or_ok(saved.created).as_u16(),
                saved: Some(saved.saved),
                error: None,
            },
            Err(err) => BatchResult {
                id,
                status: err.status(),
                saved: None,
                error: Some(ErrorBody::from(&err)),
            },
        })
        .collect();
    Ok(Json(BatchResults { results }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct VisitListQuery {
    /// `current` (default), `all`, or a semester id.
    pub semester: Option<String>,
    /// All visits to this student (if the caller may read the student)
    /// instead of the caller's own.
    pub student_id: Option<i32>,
}

/// Visits, newest first: the caller's own (as visitor or co-visitor), or a
/// student's.
#[utoipa::path(get, path = "/api/v1/visits", tag = "visits", params(VisitListQuery),
    responses(
        (status = 200, description = "Visits, newest first", body = Vec<VisitView>),
        (status = 403, description = "Not a student the caller may read", body = ErrorBody),
        (status = 422, description = "Bad `semester`", body = ErrorBody),
    ))]
pub async fn list_visits(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<VisitListQuery>,
) -> Result<Json<Vec<VisitView>>, AppError> {
    let semester = SemesterFilter::parse(q.semester.as_deref())?;
    query::list_visits(&state.db, &current, semester, q.student_id)
        .await
        .map(Json)
}

/// One visit, for its visitor, co-visitors and whoever may read the student.
#[utoipa::path(get, path = "/api/v1/visits/{id}", tag = "visits",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The visit", body = VisitView),
        (status = 403, description = "Not the caller's visit or student", body = ErrorBody),
        (status = 404, description = "No such visit", body = ErrorBody),
    ))]
pub async fn get_visit(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<VisitView>, AppError> {
    query::get_visit(&state.db, &current, id).await.map(Json)
}

/// Report a planned visit (拟家访). The same body again is harmless; a
/// changed body updates it until a leader has acknowledged it.
#[utoipa::path(put, path = "/api/v1/visit-plans/{id}", tag = "visits",
    params(("id" = Uuid, Path, description = "Made by the phone")),
    request_body = PlanInput,
    responses(
        (status = 201, description = "Created", body = PlanView),
        (status = 200, description = "Same body again, or updated", body = PlanView),
        (status = 403, description = "Not a student the caller may visit, or someone else's plan", body = ErrorBody),
        (status = 409, description = "Changed after it was acknowledged", body = ErrorBody),
        (status = 422, description = "Invalid plan", body = ErrorBody),
    ))]
pub async fn put_plan(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<PlanInput>,
) -> Result<(StatusCode, Json<PlanView>), AppError> {
    let (created, view) = plans::put_plan(&state.db, &current, id, input).await?;
    Ok((created_or_ok(created), Json(view)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct PlanListQuery {
    /// Only plans no visit has reported back on yet.
    pub open: Option<bool>,
}

/// 拟家访 reports: school leaders see their school's, teachers their own.
#[utoipa::path(get, path = "/api/v1/visit-plans", tag = "visits", params(PlanListQuery),
    responses(
        (status = 200, description = "Plans, latest planned first", body = Vec<PlanView>),
    ))]
pub async fn list_plans(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<PlanListQuery>,
) -> Result<Json<Vec<PlanView>>, AppError> {
    plans::list_plans(&state.db, &current, q.open.unwrap_or(false))
        .await
        .map(Json)
}

/// A leader of the plan's school acknowledges it (idempotent).
#[utoipa::path(post, path = "/api/v1/visit-plans/{id}/acknowledge", tag = "visits",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The acknowledged plan", body = PlanView),
        (status = 403, description = "Not a leader of the plan's school", body = ErrorBody),
        (status = 404, description = "No such plan", body = ErrorBody),
    ))]
pub async fn acknowledge_plan(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<PlanView>, AppError> {
    plans::acknowledge(&state.db, &current, id).await.map(Json)
}
