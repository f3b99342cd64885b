//! `GET /api/v1/colleagues`: the people a teacher can name as co-visitors
//! (active staff of their own schools), for the phone's picker.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::State;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::api::ErrorBody;
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{user, user_role};
use crate::error::AppError;
use crate::state::AppState;
use crate::visits::PersonRef;

/// Active users with a staff role in the caller's schools, except the
/// caller, by name.
pub async fn colleagues(
    db: &DatabaseConnection,
    current: &CurrentUser,
) -> Result<Vec<PersonRef>, AppError> {
    let schools = &current.access.staff_schools;
    if schools.is_empty() {
        return Ok(Vec::new());
    }
    let ids: BTreeSet<i32> = user_role::Entity::find()
        .filter(user_role::Column::SchoolId.is_in(schools.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .filter(|r| Role::from_code(&r.role).is_some_and(|r| !r.is_officer()))
        .map(|r| r.user_id)
        .filter(|id| *id != current.user.id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|u| PersonRef {
            id: u.id,
            name: u.display_name,
        })
        .collect())
}

/// Colleagues to pick as co-visitors.
#[utoipa::path(get, path = "/api/v1/colleagues", tag = "staff",
    responses(
        (status = 200, description = "Active staff of the caller's schools, by name", body = Vec<PersonRef>),
        (status = 401, description = "Not logged in", body = ErrorBody),
    ))]
pub async fn list_colleagues(
    State(state): State<AppState>,
    current: CurrentUser,
) -> Result<Json<Vec<PersonRef>>, AppError> {
    colleagues(&state.db, &current).await.map(Json)
}
