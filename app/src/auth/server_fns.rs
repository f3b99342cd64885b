//! Server functions for the Leptos UI. Bodies run on the server only and
//! delegate to `service`, exactly like the REST handlers.

use leptos::prelude::*;

use crate::auth::Me;
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn request_ip() -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let headers = leptos_axum::extract::<axum::http::HeaderMap>()
        .await
        .unwrap_or_default();
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|c| c.0);
    let trust_proxy = crate::state::AppState::from_context()
        .map(|s| s.config.trust_proxy)
        .unwrap_or(false);
    crate::auth::service::client_ip(&headers, peer, trust_proxy)
}

/// The logged-in person, or `None` when nobody is logged in.
#[server(endpoint = "get_me")]
pub async fn get_me() -> Result<Option<Me>, AppError> {
    use crate::auth::current_user::{CurrentUser, request_session};
    use crate::state::AppState;
    let result = async {
        let state = AppState::from_context()?;
        let session = request_session().await?;
        match CurrentUser::from_session(&state.db, &session).await {
            Ok(current) => crate::auth::service::describe(&state.db, &current)
                .await
                .map(Some),
            Err(AppError::Unauthenticated) => Ok(None),
            Err(e) => Err(e),
        }
    };
    result.await.map_err(AppError::into_server_fn_response)
}

#[server(endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    use crate::auth::LoginRequest;
    use crate::auth::current_user::request_session;
    use crate::state::AppState;
    let result = async {
        let state = AppState::from_context()?;
        let session = request_session().await?;
        let ip = request_ip().await;
        let me =
            crate::auth::service::login(&state, &session, LoginRequest { username, password }, &ip)
                .await?;
        leptos_axum::redirect(if me.must_change_password {
            "/change-password"
        } else {
            "/"
        });
        Ok(())
    };
    result.await.map_err(AppError::into_server_fn_response)
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::auth::current_user::request_session;
    use crate::state::AppState;
    let result = async {
        let state = AppState::from_context()?;
        let session = request_session().await?;
        crate::auth::service::logout(&state, &session).await?;
        leptos_axum::redirect("/login");
        Ok(())
    };
    result.await.map_err(AppError::into_server_fn_response)
}

#[server(endpoint = "change_password")]
pub async fn change_password(
    old_password: String,
    new_password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::auth::ChangePasswordRequest;
    use crate::auth::current_user::{CurrentUser, request_session};
    use crate::state::AppState;
    let result = async {
        if new_password != confirm_password {
            return Err(AppError::invalid(
                "confirm_password",
                "两次输入的新密码不一致",
            ));
        }
        let state = AppState::from_context()?;
        let session = request_session().await?;
        // Allowed while a forced change is pending: that is what it is for.
        let current = CurrentUser::from_session(&state.db, &session).await?;
        let ip = request_ip().await;
        let req = ChangePasswordRequest {
            old_password,
            new_password,
        };
        crate::auth::service::change_password(&state, &session, &current, req, &ip).await?;
        leptos_axum::redirect("/");
        Ok(())
    };
    result.await.map_err(AppError::into_server_fn_response)
}
