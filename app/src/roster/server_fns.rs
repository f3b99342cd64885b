//! Server functions of the roster.

use leptos::prelude::*;

use crate::error::AppError;
use crate::roster::StudentSummary;

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
