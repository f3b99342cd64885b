//! REST endpoints for sessions and the current user.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tower_sessions::Session;

use crate::api::{ApiJson, ClientIp, ErrorBody};
use crate::auth::current_user::SessionUser;
use crate::auth::{ChangePasswordRequest, LoginRequest, Me, service};
use crate::error::AppError;
use crate::state::AppState;

/// Log in: sets the HttpOnly session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Me),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 422, description = "Missing fields", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    ))]
pub async fn create_session(
    State(state): State<AppState>,
    session: Session,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<Me>, AppError> {
    service::login(&state, &session, req, &ip).await.map(Json)
}

/// Log out: ends the session on the server and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "auth",
    responses((status = 204, description = "Logged out")))]
pub async fn delete_session(
    State(state): State<AppState>,
    session: Session,
) -> Result<StatusCode, AppError> {
    service::logout(&state, &session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user: name, school, roles.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses(
        (status = 200, description = "The current user", body = Me),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn get_me(
    State(state): State<AppState>,
    SessionUser(current): SessionUser,
) -> Result<Json<Me>, AppError> {
    service::describe(&state.db, &current).await.map(Json)
}

/// Change the own password (required after an admin created the account).
#[utoipa::path(put, path = "/api/v1/me/password", tag = "auth", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; other sessions of this account are ended"),
        (status = 401, description = "Not logged in", body = ErrorBody),
        (status = 422, description = "Old password wrong or new password too weak", body = ErrorBody),
        (status = 429, description = "Too many failed attempts", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    SessionUser(current): SessionUser,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, AppError> {
    service::change_password(&state, &session, &current, req, &ip).await?;
    Ok(StatusCode::NO_CONTENT)
}
