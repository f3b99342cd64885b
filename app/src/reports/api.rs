//! `/api/v1/reports/…`: the monthly 辍学学生情况统计表 of a school and of an
//! area, their Excel files, and the signed and stamped scan.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::OpenApi;

use super::{
    AreaMonthReport, AreaSchoolRow, ListedStudent, MAX_SCAN_BYTES, ScanType, SchoolMonthReport,
    Stage, StageRow, Submission, export, service,
};
use crate::api::{ApiQuery, ErrorBody, created_or_ok, xlsx_download};
use crate::auth::current_user::CurrentUser;
use crate::error::AppError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    paths(monthly, export_monthly, area, export_area, put_scan, get_scan),
    components(schemas(
        SchoolMonthReport,
        AreaMonthReport,
        AreaSchoolRow,
        StageRow,
        Stage,
        ListedStudent,
        Submission,
    )),
    tags((name = "reports", description = "辍学学生情况月报"))
)]
pub struct Doc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/reports/monthly", get(monthly))
        .route("/reports/monthly/export", get(export_monthly))
        // The body is read (with its own limit) by the handler.
        .route("/reports/monthly/scan", get(get_scan).put(put_scan))
        .route("/reports/area", get(area))
        .route("/reports/area/export", get(export_area))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct MonthlyQuery {
    /// `YYYY-MM`; this month (Beijing time) when absent. Months not yet
    /// begun are refused.
    pub month: Option<String>,
    /// A school the caller leads or oversees; their own school when absent.
    pub school_id: Option<i32>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AreaQuery {
    /// `YYYY-MM`; this month (Beijing time) when absent.
    pub month: Option<String>,
}

/// A school's 辍学学生情况统计表 for a month: the figures per stage from the
/// status history as of the month's last day, the 名单, and whether the
/// signed scan is in (due on the 25th).
#[utoipa::path(get, path = "/api/v1/reports/monthly", tag = "reports", params(MonthlyQuery),
    responses(
        (status = 200, description = "Figures, list and submission status", body = SchoolMonthReport),
        (status = 403, description = "Neither leads nor oversees the school", body = ErrorBody),
        (status = 422, description = "Bad month (not YYYY-MM, or not begun yet)", body = ErrorBody),
    ))]
pub async fn monthly(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
) -> Result<Json<SchoolMonthReport>, AppError> {
    service::school_report(&state.db, &current, q.school_id, q.month.as_deref())
        .await
        .map(Json)
}

/// The school's report as an Excel workbook: 辍学学生情况统计表 (with the
/// signature line) and 辍学学生名单.
#[utoipa::path(get, path = "/api/v1/reports/monthly/export", tag = "reports", params(MonthlyQuery),
    responses(
        (status = 200, description = "辍学学生情况统计表.xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "Neither leads nor oversees the school", body = ErrorBody),
        (status = 422, description = "Bad month", body = ErrorBody),
    ))]
pub async fn export_monthly(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
) -> Result<Response, AppError> {
    let r = service::school_report(&state.db, &current, q.school_id, q.month.as_deref()).await?;
    let name = format!("{}{}辍学学生情况统计表.xlsx", r.school_name, r.month_label);
    Ok(xlsx_download(
        export::school_workbook(&r)?,
        &format!("dropout-report-{}.xlsx", r.month),
        &name,
    ))
}

/// Every school of the officer's town or county for a month: submitted or
/// not (and overdue), the rates per stage against the targets, area totals.
#[utoipa::path(get, path = "/api/v1/reports/area", tag = "reports", params(AreaQuery),
    responses(
        (status = 200, description = "Per school and area totals", body = AreaMonthReport),
        (status = 403, description = "Not a town or county officer", body = ErrorBody),
        (status = 422, description = "Bad month", body = ErrorBody),
    ))]
pub async fn area(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> Result<Json<AreaMonthReport>, AppError> {
    service::area_report(&state.db, &current, q.month.as_deref())
        .await
        .map(Json)
}

/// The area report as an Excel workbook (a line per school and stage,
/// then the area's totals).
#[utoipa::path(get, path = "/api/v1/reports/area/export", tag = "reports", params(AreaQuery),
    responses(
        (status = 200, description = "辍学学生情况汇总表.xlsx", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (status = 403, description = "Not a town or county officer", body = ErrorBody),
        (status = 422, description = "Bad month", body = ErrorBody),
    ))]
pub async fn export_area(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<AreaQuery>,
) -> Result<Response, AppError> {
    let r = service::area_report(&state.db, &current, q.month.as_deref()).await?;
    let name = format!("{}{}辍学学生情况汇总表.xlsx", r.area_name, r.month_label);
    Ok(xlsx_download(
        export::area_workbook(&r)?,
        &format!("dropout-area-{}.xlsx", r.month),
        &name,
    ))
}

/// The declared type, checked against the file's first bytes.
fn check_scan(content_type: Option<&str>, bytes: &[u8]) -> Result<ScanType, AppError> {
    let declared = content_type
        .and_then(ScanType::from_content_type)
        .ok_or_else(unsupported)?;
    if bytes.is_empty() {
        return Err(AppError::invalid(
            "file",
            "上传的文件是空的，请重新选择扫描件",
        ));
    }
    match ScanType::sniff(bytes) {
        Some(actual) if actual == declared => Ok(declared),
        _ => Err(AppError::UnsupportedMediaType {
            message: format!(
                "文件内容不是有效的 {}，请确认扫描件格式后重新上传",
                declared.label()
            ),
        }),
    }
}

fn unsupported() -> AppError {
    AppError::UnsupportedMediaType {
        message: "扫描件只接受 PDF、JPEG 或 PNG 文件（Content-Type: application/pdf、image/jpeg 或 image/png）".into(),
    }
}

/// Upload the school's signed (校长签名) and stamped (加盖公章) scan of the
/// month's report as the raw request body. Uploading again replaces it
/// (recorded in the audit log). School leaders of the school only.
#[utoipa::path(put, path = "/api/v1/reports/monthly/scan", tag = "reports", params(MonthlyQuery),
    request_body(content = Vec<u8>, content_type = "application/pdf", description = "The scan (application/pdf, image/jpeg or image/png), at most 10 MB"),
    responses(
        (status = 201, description = "Submitted", body = Submission),
        (status = 200, description = "An earlier scan of the month was replaced", body = Submission),
        (status = 403, description = "Not a leader of the school", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 415, description = "Not a PDF, JPEG or PNG, or the bytes are not the declared type", body = ErrorBody),
        (status = 422, description = "Empty file, or bad month", body = ErrorBody),
    ))]
pub async fn put_scan(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Submission>), AppError> {
    // Who, when and what type are checked before the body is read.
    let school_id = service::submitting_school(&current, q.school_id)?;
    let month = service::requested_month(q.month.as_deref(), crate::semesters::service::today())?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if content_type.and_then(ScanType::from_content_type).is_none() {
        return Err(unsupported());
    }
    let bytes = crate::api::read_body(body, MAX_SCAN_BYTES, "扫描件").await?;
    let kind = check_scan(content_type, &bytes)?;
    let (created, saved) =
        service::submit_scan(&state, &current, school_id, month, kind, bytes).await?;
    Ok((created_or_ok(created), Json(saved)))
}

/// Download the submitted scan: the school's leaders and the officers of
/// its town and county.
#[utoipa::path(get, path = "/api/v1/reports/monthly/scan", tag = "reports", params(MonthlyQuery),
    responses(
        (status = 200, description = "The scan (application/pdf, image/jpeg or image/png)", content_type = "application/pdf", body = Vec<u8>),
        (status = 403, description = "Neither leads nor oversees the school", body = ErrorBody),
        (status = 404, description = "Nothing submitted for the month", body = ErrorBody),
        (status = 422, description = "Bad month", body = ErrorBody),
    ))]
pub async fn get_scan(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiQuery(q): ApiQuery<MonthlyQuery>,
) -> Result<Response, AppError> {
    let (content_type, bytes, name) =
        service::scan(&state, &current, q.school_id, q.month.as_deref()).await?;
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
    let ext = name.rsplit('.').next().unwrap_or("bin");
    let disposition = format!("inline; filename=\"scan.{ext}\"; filename*=UTF-8''{encoded}");
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_declared_type_must_match_the_bytes() {
        assert_eq!(
            check_scan(Some("application/pdf"), b"%PDF-1.5\n").unwrap(),
            ScanType::Pdf
        );
        assert_eq!(
            check_scan(Some("image/png"), b"\x89PNG\r\n\x1a\n").unwrap(),
            ScanType::Png
        );
        assert_eq!(
            check_scan(Some("application/pdf"), &[0xFF, 0xD8, 0xFF, 0xE0])
                .unwrap_err()
                .status(),
            415
        );
        assert_eq!(
            check_scan(Some("application/pdf"), b"")
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(check_scan(None, b"%PDF-").unwrap_err().status(), 415);
        assert_eq!(
            check_scan(Some("text/plain"), b"%PDF-")
                .unwrap_err()
                .status(),
            415
        );
    }
}
