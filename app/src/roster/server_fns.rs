//! Server functions of the roster.

use leptos::prelude::*;

use crate::error::AppError;
use crate::roster::{StudentDetail, StudentStatus, StudentSummary};

#[server(endpoint = "list_my_students")]
pub async fn list_my_students() -> Result<Vec<StudentSummary>, AppError> {
    use crate::auth::current_user::current_user;
    use crate::state::AppState;
    let result = async {
        let state = AppState::from_context()?;
        let current = current_user().await?;
        crate::roster::service::list_students(&state.db, &current).await
    };
    result.await.map_err(AppError::into_server_fn_response)
}

/// One student, and whether the caller may change their status.
#[server(endpoint = "load_student")]
pub async fn load_student(id: i32) -> Result<(StudentDetail, bool), AppError> {
    use crate::auth::current_user::current_user;
    use crate::state::AppState;
    let result = async {
        let state = AppState::from_context()?;
        let current = current_user().await?;
        let detail = crate::roster::service::get_student(&state.db, &current, id).await?;
        let editable = crate::roster::service::can_change_status(&state.db, &current, id).await?;
        Ok((detail, editable))
    };
    result.await.map_err(AppError::into_server_fn_response)
}

#[server(endpoint = "change_student_status")]
pub async fn change_student_status(
    id: i32,
    to: StudentStatus,
    effective_date: chrono::NaiveDate,
    note: String,
) -> Result<StudentDetail, AppError> {
    use crate::auth::current_user::current_user;
    use crate::roster::StatusChangeRequest;
    use crate::state::AppState;
    let result = async {
        let state = AppState::from_context()?;
        let current = current_user().await?;
        let req = StatusChangeRequest {
            to,
            effective_date,
            note,
        };
        crate::roster::service::change_status(&state.db, &current, id, req).await
    };
    result.await.map_err(AppError::into_server_fn_response)
}
