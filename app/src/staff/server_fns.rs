//! Server functions for the 教师账号 page.

use leptos::prelude::*;

use super::{ClassOption, InitialPassword, StaffMember};
use crate::auth::Role;
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn admin_context() -> Result<
    (
        crate::state::AppState,
        crate::auth::current_user::CurrentUser,
        i32,
    ),
    AppError,
> {
    let state = crate::state::AppState::from_context()?;
    let current = crate::auth::current_user::current_user().await?;
    let school_id = super::service::managed_school(&current, None)?;
    Ok((state, current, school_id))
}

/// Staff and classes of the caller's school.
#[server(endpoint = "staff_overview")]
pub async fn staff_overview() -> Result<(Vec<StaffMember>, Vec<ClassOption>), AppError> {
    let result = async {
        let (state, _, school_id) = admin_context().await?;
        let staff = super::service::list_staff(&state.db, school_id).await?;
        let classes = super::service::list_classes(&state.db, school_id).await?;
        Ok((staff, classes))
    };
    result.await.map_err(AppError::into_server_fn_response)
}

/// Create an account with one role (more can be added later).
#[server(endpoint = "create_staff")]
pub async fn create_staff(
    username: String,
    display_name: String,
    role: Role,
    class_id: Option<i32>,
    subject: Option<String>,
) -> Result<InitialPassword, AppError> {
    let result = async {
        let (state, current, school_id) = admin_context().await?;
        let req = super::CreateStaffRequest {
            username,
            display_name,
            roles: vec![super::RoleInput {
                role,
                class_id,
                subject,
            }],
        };
        super::service::create_staff(&state.db, &current, school_id, req).await
    };
    result.await.map_err(AppError::into_server_fn_response)
}

#[server(endpoint = "reset_staff_password")]
pub async fn reset_staff_password(user_id: i32) -> Result<InitialPassword, AppError> {
    let result = async {
        let (state, current, school_id) = admin_context().await?;
        super::service::reset_password(&state.db, &current, school_id, user_id).await
    };
    result.await.map_err(AppError::into_server_fn_response)
}
