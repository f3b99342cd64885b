//! The logged-in person, loaded from the session on every request: as an
//! axum extractor for the REST API and with `current_user()` for server
//! functions. Both go through `CurrentUser::from_session`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tower_sessions::Session;

use crate::auth::access::Access;
use crate::db::entities::{user, user_role};
use crate::error::AppError;
use crate::state::AppState;

pub const SESSION_USER_KEY: &str = "user_id";
/// When the session's expiry was last moved (unix seconds).
pub const SESSION_TOUCHED_KEY: &str = "touched_at";
/// Sessions end after weeks without use. Saving the session on every
/// request to move that date cost a database write per request, the
/// largest part of a visit sync on SQLite; moving it at most once an hour
/// is as good for a limit of weeks.
const SESSION_REFRESH_SECS: i64 = 3600;

#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: user::Model,
    pub roles: Vec<user_role::Model>,
    pub access: Access,
}

impl CurrentUser {
    pub async fn from_session(
        db: &DatabaseConnection,
        session: &Session,
    ) -> Result<Self, AppError> {
        let user_id: Option<i32> = session
            .get(SESSION_USER_KEY)
            .await
            .map_err(|e| AppError::internal("session load failed", e))?;
        let user_id = user_id.ok_or(AppError::Unauthenticated)?;
        let current = Self::load(db, user_id).await?;
        touch(session).await?;
        Ok(current)
    }

    pub async fn load(db: &DatabaseConnection, user_id: i32) -> Result<Self, AppError> {
        let user = user::Entity::find_by_id(user_id)
            .filter(user::Column::IsActive.eq(true))
            .one(db)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let roles = user_role::Entity::find()
            .filter(user_role::Column::UserId.eq(user_id))
            .all(db)
            .await?;
        let access = Access::load(db, &roles).await?;
        Ok(CurrentUser {
            user,
            roles,
            access,
        })
    }

    /// A county officer of `county_id`: sets the county's semesters and rules.
    pub fn is_county_officer_of(&self, county_id: i32) -> bool {
        self.roles.iter().any(|r| {
            r.role == crate::auth::Role::CountyOfficer.code() && r.county_id == Some(county_id)
        })
    }

    /// The principal or school admin of `school_id`: sets the school's own
    /// semester dates and stricter rules.
    pub fn keeps_school(&self, school_id: i32) -> bool {
        use crate::auth::Role;
        self.roles.iter().any(|r| {
            (r.role == Role::Principal.code() || r.role == Role::SchoolAdmin.code())
                && r.school_id == Some(school_id)
        })
    }

    /// Accounts created by an admin must change their password before doing
    /// anything else.
    pub fn require_password_changed(self) -> Result<Self, AppError> {
        if self.user.must_change_password {
            Err(AppError::PasswordChangeRequired)
        } else {
            Ok(self)
        }
    }
}

/// Mark the session changed when its expiry was last moved an hour or more
/// ago, so the session layer saves it (with a new expiry) on the way out.
pub(crate) async fn touch(session: &Session) -> Result<(), AppError> {
    let now = chrono::Utc::now().timestamp();
    let touched: Option<i64> = session
        .get(SESSION_TOUCHED_KEY)
        .await
        .map_err(|e| AppError::internal("session load failed", e))?;
    if touched.is_none_or(|t| needs_refresh(t, now)) {
        session
            .insert(SESSION_TOUCHED_KEY, now)
            .await
            .map_err(|e| AppError::internal("session insert failed", e))?;
    }
    Ok(())
}

/// A clock set back (a touched time in the future) also refreshes.
fn needs_refresh(touched: i64, now: i64) -> bool {
    now - touched >= SESSION_REFRESH_SECS || touched > now
}

async fn session_from_parts(parts: &mut Parts, state: &AppState) -> Result<Session, AppError> {
    Session::from_request_parts(parts, state)
        .await
        .map_err(|(_, msg)| AppError::internal("session layer missing", msg))
}

/// Extractor for REST handlers: a logged-in user who has set their own password.
impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session_from_parts(parts, state).await?;
        CurrentUser::from_session(&state.db, &session)
            .await?
            .require_password_changed()
    }
}

/// Extractor for the few endpoints a user with a pending forced password
/// change may still call: who am I, change password, log out.
pub struct SessionUser(pub CurrentUser);

impl FromRequestParts<AppState> for SessionUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let session = session_from_parts(parts, state).await?;
        Ok(SessionUser(
            CurrentUser::from_session(&state.db, &session).await?,
        ))
    }
}

/// For server functions: the session of the current request.
pub async fn request_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| AppError::internal("session layer missing", e))
}

/// For server functions: the logged-in user who has set their own password.
pub async fn current_user() -> Result<CurrentUser, AppError> {
    let state = AppState::from_context()?;
    let session = request_session().await?;
    CurrentUser::from_session(&state.db, &session)
        .await?
        .require_password_changed()
}

#[cfg(test)]
mod tests {
    use super::needs_refresh;

    #[test]
    fn the_expiry_moves_at_most_hourly() {
        assert!(!needs_refresh(1_000, 1_000));
        assert!(!needs_refresh(1_000, 1_000 + 3_599));
        assert!(needs_refresh(1_000, 1_000 + 3_600));
        assert!(needs_refresh(5_000, 1_000), "clock set back");
    }
}
