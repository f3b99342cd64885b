//! The JSON REST API under `/api/v1`, for clients other than the Leptos UI
//! (the service worker, tests, future apps). Each domain module contributes
//! its handlers; this file holds what they share and the OpenAPI document.

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use utoipa::OpenApi;

use crate::auth::service::client_ip;
use crate::error::AppError;
use crate::state::AppState;

/// axum's default body limit, which JSON bodies keep.
pub const JSON_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// `Json<T>` whose rejections (bad JSON, wrong content type, too large) are
/// our structured 4xx errors instead of axum's plain-text ones.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            return AppError::TooLarge {
                message: format!(
                    "请求体过大（上限 {} MB），请分批提交",
                    JSON_BODY_LIMIT / 1024 / 1024
                ),
            };
        }
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "请求须为 JSON（Content-Type: application/json）".to_owned()
            }
            JsonRejection::JsonSyntaxError(_) => "JSON 格式错误".to_owned(),
            JsonRejection::JsonDataError(e) => format!("JSON 字段有误：{}", e.body_text()),
            JsonRejection::BytesRejection(_) => "请求体无法读取或过大".to_owned(),
            _ => "请求体无效".to_owned(),
        };
        AppError::Invalid {
            field: None,
            message,
        }
    }
}

impl<T: Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        Json(self.0).into_response()
    }
}

/// `Path<T>` whose rejections are our structured 4xx errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        AppError::Invalid {
            field: None,
            message: format!("路径参数有误：{}", rejection.body_text()),
        }
    }
}

/// `Query<T>` whose rejections are our structured 4xx errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        AppError::Invalid {
            field: None,
            message: format!("查询参数有误：{}", rejection.body_text()),
        }
    }
}

/// The caller's address for rate limiting (see `client_ip`).
pub struct ClientIp(pub String);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0);
        Ok(ClientIp(client_ip(
            &parts.headers,
            peer,
            state.config.trust_proxy,
        )))
    }
}

pub use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(title = "家访通 API", version = "1", description = "JSON API of 家访通. Errors are `{\"error\": code, \"message\": 中文说明}`."),
    paths(
        crate::auth::api::create_session,
        crate::auth::api::delete_session,
        crate::auth::api::get_me,
        crate::auth::api::change_password,
        crate::roster::api::list_students,
        crate::roster::api::get_student,
        crate::roster::api::change_status,
        crate::roster::api::move_class,
        crate::roster::api::create_student,
        crate::roster::api::update_student,
        crate::roster::import::api::preview_students,
        crate::roster::import::api::commit_students,
        crate::roster::import::api::student_template,
        crate::audit::api::list_audit,
        crate::staff::api::list_staff,
        crate::staff::api::list_classes,
        crate::classes::api::class_overview,
        crate::classes::api::create_class,
        crate::classes::api::update_class,
        crate::classes::api::delete_class,
        crate::staff::api::create_staff,
        crate::staff::api::set_roles,
        crate::staff::api::reset_password,
        crate::staff::api::preview_teachers,
        crate::staff::api::commit_teachers,
        crate::staff::colleagues::list_colleagues,
        crate::attachments::api::put_attachment,
        crate::attachments::api::get_attachment,
        crate::attachments::api::get_thumbnail,
        crate::visits::api::put_visit,
        crate::visits::api::post_visit_batch,
        crate::visits::api::list_visits,
        crate::visits::api::get_visit,
        crate::visits::api::put_plan,
        crate::visits::api::list_plans,
        crate::visits::api::acknowledge_plan,
        crate::reviews::api::list_reviews,
        crate::reviews::api::review_visit,
        crate::quotas::api::get_quota,
        crate::quotas::api::school_dashboard,
        crate::quotas::api::export_school,
        crate::quotas::api::area_dashboard,
        crate::quotas::api::export_area,
        crate::quotas::api::get_rules,
        crate::quotas::api::put_rules,
        crate::semesters::api::list_semesters,
        crate::semesters::api::create_semester,
        crate::semesters::api::update_semester,
    ),
    components(schemas(
        ErrorBody,
        crate::attachments::AttachmentSaved,
        crate::visits::VisitInput,
        crate::visits::VisitSaved,
        crate::visits::VisitBatch,
        crate::visits::BatchVisit,
        crate::visits::BatchResults,
        crate::visits::BatchResult,
        crate::visits::VisitView,
        crate::visits::PersonRef,
        crate::visits::PlanInput,
        crate::visits::PlanView,
        crate::visits::VisitMode,
        crate::visits::VisitReason,
        crate::reviews::ReviewStatus,
        crate::reviews::ReviewDecision,
        crate::reviews::ReviewInput,
        crate::quotas::QuotaView,
        crate::quotas::QuotaRules,
        crate::quotas::SchoolDashboard,
        crate::quotas::AreaDashboard,
        crate::quotas::RulesView,
        crate::quotas::RulesChange,
        crate::semesters::SemesterView,
        crate::semesters::SemesterInput,
        crate::classes::ClassRow,
        crate::classes::ClassInput,
        crate::roster::import::StudentForm,
        crate::staff::import::TeacherImportReport,
    )),
    tags(
        (name = "auth", description = "登录与账号"),
        (name = "roster", description = "学生名册与导入"),
        (name = "audit", description = "审计日志"),
        (name = "staff", description = "教师账号与角色"),
        (name = "classes", description = "班级管理"),
        (name = "visits", description = "家访记录与拟家访报告（离线同步）"),
        (name = "attachments", description = "家访照片与家长签名"),
        (name = "quotas", description = "家访任务、看板与计数规则"),
        (name = "reviews", description = "家访记录抽查审核"),
        (name = "semesters", description = "学期（县级与学校自定）"),
    )
)]
pub struct ApiDoc;

/// The status of an idempotent `PUT`: 201 when it created the resource,
/// 200 when it was already there (a retry) or was updated.
pub fn created_or_ok(created: bool) -> axum::http::StatusCode {
    if created {
        axum::http::StatusCode::CREATED
    } else {
        axum::http::StatusCode::OK
    }
}

/// Reads a raw upload body of at most `limit` bytes; `what` names it in
/// the 413 message (e.g. 文件, 扫描件). Past the limit the rest is still
/// read and thrown away up to four times the limit, so the client gets to
/// read our 413 instead of a reset connection; beyond that it is dropped.
pub async fn read_body(
    body: axum::body::Body,
    limit: usize,
    what: &str,
) -> Result<Vec<u8>, AppError> {
    use axum::body::HttpBody;
    let mut body = body;
    let mut buf = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|_| AppError::BadRequest {
            message: "请求体读取失败，请重试".into(),
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > limit.saturating_mul(4) {
            break;
        }
        if seen <= limit {
            buf.extend_from_slice(&data);
        }
    }
    if seen > limit {
        Err(AppError::TooLarge {
            message: format!("{what}过大（上限 {} MB）", limit / 1024 / 1024),
        })
    } else {
        Ok(buf)
    }
}

/// A workbook download; `ascii_name` for old clients, `name` (Chinese)
/// for the rest (RFC 6266 `filename*`).
pub fn xlsx_download(bytes: Vec<u8>, ascii_name: &str, name: &str) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let disposition = format!("attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{encoded}");
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

/// The whole document: the paths above plus those of the domains that
/// bring their own routes and document (`routes()` + `Doc` in their `api`).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(crate::notifications::api::Doc::openapi());
    doc.merge(crate::attendance::api::Doc::openapi());
    doc.merge(crate::dropout::api::Doc::openapi());
    doc.merge(crate::reports::api::Doc::openapi());
    doc.merge(crate::home_teaching::api::Doc::openapi());
    doc
}

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}

async fn not_found() -> AppError {
    AppError::not_found("该接口")
}

/// Everything under `/api/v1`.
pub fn router() -> Router<AppState> {
    use crate::attachments::api as attachments;
    use crate::auth::api as auth;
    use crate::quotas::api as quotas;
    use crate::roster::api as roster;
    use crate::roster::import::api as import;
    use crate::staff::api as staff;
    use crate::visits::api as visits;
    // Room for the largest accepted file plus multipart/headers overhead.
    let upload_limit = axum::extract::DefaultBodyLimit::max(
        crate::roster::import::table::MAX_FILE_BYTES + 64 * 1024,
    );
    Router::new()
        .route(
            "/session",
            post(auth::create_session).delete(auth::delete_session),
        )
        .route("/me", get(auth::get_me))
        .route("/me/password", axum::routing::put(auth::change_password))
        .route(
            "/students",
            get(roster::list_students).post(roster::create_student),
        )
        .route(
            "/students/{id}",
            get(roster::get_student).put(roster::update_student),
        )
        .route("/students/{id}/status", post(roster::change_status))
        .route("/students/{id}/class", post(roster::move_class))
        .route(
            "/imports/students/preview",
            post(import::preview_students).layer(upload_limit),
        )
        .route(
            "/imports/students/commit",
            post(import::commit_students).layer(upload_limit),
        )
        .route("/imports/students/template", get(import::student_template))
        .route(
            "/imports/teachers/preview",
            post(staff::preview_teachers).layer(upload_limit),
        )
        .route(
            "/imports/teachers/commit",
            post(staff::commit_teachers).layer(upload_limit),
        )
        .route("/audit", get(crate::audit::api::list_audit))
        .route("/staff", get(staff::list_staff).post(staff::create_staff))
        .route("/staff/{id}/roles", axum::routing::put(staff::set_roles))
        .route("/staff/{id}/password-reset", post(staff::reset_password))
        .route(
            "/classes",
            get(staff::list_classes).post(crate::classes::api::create_class),
        )
        .route(
            "/classes/overview",
            get(crate::classes::api::class_overview),
        )
        .route(
            "/classes/{id}",
            axum::routing::put(crate::classes::api::update_class)
                .delete(crate::classes::api::delete_class),
        )
        .route(
            "/colleagues",
            get(crate::staff::colleagues::list_colleagues),
        )
        // The body is read (with its own limit) by the handler.
        .route(
            "/attachments/{sha256}",
            axum::routing::put(attachments::put_attachment).get(attachments::get_attachment),
        )
        .route(
            "/attachments/{sha256}/thumb",
            get(attachments::get_thumbnail),
        )
        .route("/visits", get(visits::list_visits))
        .route("/visits/batch", post(visits::post_visit_batch))
        .route(
            "/visits/{id}",
            axum::routing::put(visits::put_visit).get(visits::get_visit),
        )
        .route("/visit-plans", get(visits::list_plans))
        .route("/visit-plans/{id}", axum::routing::put(visits::put_plan))
        .route(
            "/visit-plans/{id}/acknowledge",
            post(visits::acknowledge_plan),
        )
        .route(
            "/visits/{id}/review",
            post(crate::reviews::api::review_visit),
        )
        .route("/reviews", get(crate::reviews::api::list_reviews))
        .route("/quota", get(quotas::get_quota))
        .route(
            "/quota-rules",
            get(quotas::get_rules).put(quotas::put_rules),
        )
        .route("/dashboard/school", get(quotas::school_dashboard))
        .route("/dashboard/school/export", get(quotas::export_school))
        .route("/dashboard/area", get(quotas::area_dashboard))
        .route("/dashboard/area/export", get(quotas::export_area))
        .route(
            "/semesters",
            get(crate::semesters::api::list_semesters).post(crate::semesters::api::create_semester),
        )
        .route(
            "/semesters/{id}",
            axum::routing::put(crate::semesters::api::update_semester),
        )
        .merge(crate::notifications::api::routes())
        .merge(crate::attendance::api::routes())
        .merge(crate::dropout::api::routes())
        .merge(crate::home_teaching::api::routes())
        .merge(crate::reports::api::routes())
        .route("/openapi.json", get(openapi_json))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> (axum::http::StatusCode, Json<serde_json::Value>) {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        Json(
            serde_json::json!({"error": "method_not_allowed", "message": "该接口不支持此请求方法"}),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bodies_over_the_limit_are_refused_after_draining() {
        let body = |n| axum::body::Body::from(vec![1u8; n]);
        assert_eq!(read_body(body(10), 10, "文件").await.unwrap().len(), 10);
        let err = read_body(body(11), 10, "文件").await.unwrap_err();
        assert_eq!(err.status(), 413);
        let err = read_body(body(100), 10, "文件").await.unwrap_err();
        assert_eq!(err.status(), 413, "beyond the drain limit too");
    }
}
