//! Log in, log out, change password, and describe the logged-in person.
//! Called by both the REST API and the server functions.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};
use tower_sessions::Session;

use crate::audit::{self, AuditEntry};
use crate::auth::current_user::{CurrentUser, SESSION_USER_KEY};
use crate::auth::password::{hash_password_async, verify_password_async};
use crate::auth::{
    ChangePasswordRequest, LoginRequest, Me, Role, RoleAssignment, SchoolRef, rate_limit,
    session_store, validate_new_password,
};
use crate::db::entities::{class, county, school, town, user, user_role};
use crate::error::AppError;
use crate::state::AppState;

/// Usernames are case-insensitive and stored in lower case.
pub fn normalize_username(raw: &str) -> String {
    raw.trim().to_lowercase().chars().take(64).collect()
}

/// Longest password we are willing to hash: argon2 over megabytes of input
/// would be a cheap way to burn our CPU.
const MAX_PASSWORD_BYTES: usize = 1024;

pub async fn login(
    state: &AppState,
    session: &Session,
    req: LoginRequest,
    ip: &str,
) -> Result<Me, AppError> {
    let db = &state.db;
    let username = normalize_username(&req.username);
    if username.is_empty() || req.password.is_empty() {
        return Err(AppError::invalid("username", "请输入用户名和密码"));
    }
    rate_limit::check(db, &username, ip).await?;
    let candidate = user::Entity::find()
        .filter(user::Column::Username.eq(&username))
        .filter(user::Column::IsActive.eq(true))
        .one(db)
        .await?;
    let verified = req.password.len() <= MAX_PASSWORD_BYTES
        && verify_password_async(
            req.password,
            candidate.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let Some(user) = candidate.filter(|_| verified) else {
        rate_limit::record_failure(db, &username, ip).await?;
        return Err(AppError::BadCredentials);
    };
    rate_limit::clear_account(db, &username).await?;

    // A fresh session id at every login defeats session fixation.
    session
        .cycle_id()
        .await
        .map_err(|e| AppError::internal("session cycle failed", e))?;
    session
        .insert(SESSION_USER_KEY, user.id)
        .await
        .map_err(|e| AppError::internal("session insert failed", e))?;
    crate::auth::current_user::touch(session).await?;

    let current = CurrentUser::load(db, user.id).await?;
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(user.id),
            school_id: primary_school_id(&current),
            action: "login",
            entity: "user",
            entity_id: Some(user.id.to_string()),
            detail: None,
        },
    )
    .await?;
    describe(db, &current).await
}

pub async fn logout(state: &AppState, session: &Session) -> Result<(), AppError> {
    if let Ok(current) = CurrentUser::from_session(&state.db, session).await {
        audit::record(
            &state.db,
            AuditEntry {
                actor_id: Some(current.user.id),
                school_id: primary_school_id(&current),
                action: "logout",
                entity: "user",
                entity_id: Some(current.user.id.to_string()),
                detail: None,
            },
        )
        .await?;
    }
    // Deletes the stored session and expires the cookie.
    session
        .flush()
        .await
        .map_err(|e| AppError::internal("session flush failed", e))
}

pub async fn change_password(
    state: &AppState,
    session: &Session,
    current: &CurrentUser,
    req: ChangePasswordRequest,
    ip: &str,
) -> Result<(), AppError> {
    let db = &state.db;
    let username = current.user.username.clone();
    // Guessing the old password here is still guessing a password.
    rate_limit::check(db, &username, ip).await?;
    let old_ok = req.old_password.len() <= MAX_PASSWORD_BYTES
        && verify_password_async(
            req.old_password.clone(),
            Some(current.user.password_hash.clone()),
        )
        .await?;
    if !old_ok {
        rate_limit::record_failure(db, &username, ip).await?;
        return Err(AppError::invalid("old_password", "原密码不正确"));
    }
    validate_new_password(&username, &req.old_password, &req.new_password)?;
    let hash = hash_password_async(req.new_password).await?;

    let mut row = current.user.clone().into_active_model();
    row.password_hash = Set(hash);
    row.must_change_password = Set(false);
    row.updated_at = Set(Utc::now());
    row.update(db).await?;

    // Anyone else holding an old session of this account is logged out.
    session_store::delete_user_sessions(db, current.user.id, session.id()).await?;
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: primary_school_id(current),
            action: "change_password",
            entity: "user",
            entity_id: Some(current.user.id.to_string()),
            detail: None,
        },
    )
    .await
}

fn primary_school_id(current: &CurrentUser) -> Option<i32> {
    current.roles.iter().find_map(|r| r.school_id)
}

/// The `Me` view of a user: name, school or area, and each role with the
/// names of where it applies.
pub async fn describe(db: &DatabaseConnection, current: &CurrentUser) -> Result<Me, AppError> {
    let described = describe_roles(db, &current.roles).await?;
    Ok(Me {
        id: current.user.id,
        username: current.user.username.clone(),
        display_name: current.user.display_name.clone(),
        must_change_password: current.user.must_change_password,
        school: described.school,
        area: described.area,
        roles: described.roles,
    })
}

/// Roles with the names of where they apply, plus the first school and area.
pub struct DescribedRoles {
    pub roles: Vec<RoleAssignment>,
    pub school: Option<SchoolRef>,
    pub area: Option<String>,
}

pub async fn describe_roles(
    db: &impl ConnectionTrait,
    rows: &[user_role::Model],
) -> Result<DescribedRoles, AppError> {
    let mut out = DescribedRoles {
        roles: Vec::with_capacity(rows.len()),
        school: None,
        area: None,
    };
    let mut sorted: Vec<&user_role::Model> = rows.iter().collect();
    sorted.sort_by_key(|r| (Role::from_code(&r.role), r.class_id));
    for row in sorted {
        let Some(role) = Role::from_code(&row.role) else {
            tracing::warn!(role = %row.role, user_id = row.user_id, "unknown role code ignored");
            continue;
        };
        let mut scope = Vec::new();
        if let Some(id) = row.county_id
            && let Some(c) = county::Entity::find_by_id(id).one(db).await?
        {
            out.area.get_or_insert_with(|| c.name.clone());
            scope.push(c.name);
        }
        if let Some(id) = row.town_id
            && let Some(t) = town::Entity::find_by_id(id).one(db).await?
        {
            out.area.get_or_insert_with(|| t.name.clone());
            scope.push(t.name);
        }
        if let Some(id) = row.school_id
            && let Some(s) = school::Entity::find_by_id(id).one(db).await?
        {
            out.school.get_or_insert_with(|| SchoolRef {
                id: s.id,
                name: s.name.clone(),
            });
            scope.push(s.name);
        }
        if let Some(id) = row.class_id
            && let Some(c) = class::Entity::find_by_id(id).one(db).await?
        {
            scope.push(c.name);
        }
        if let Some(subject) = &row.subject {
            scope.push(subject.clone());
        }
        out.roles.push(RoleAssignment {
            role,
            label: role.label().to_owned(),
            scope: scope.join(" "),
            school_id: row.school_id,
            class_id: row.class_id,
            subject: row.subject.clone(),
        });
    }
    Ok(out)
}

/// The client address used for the per-address rate limit. Behind a proxy
/// (JIAFANG_TRUST_PROXY=1) the left-most `X-Forwarded-For` entry is used.
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, trust_proxy: bool) -> String {
    if trust_proxy
        && let Some(forwarded) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    {
        return forwarded.chars().take(64).collect();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_trimmed_and_lowercased() {
        assert_eq!(normalize_username("  Head "), "head");
        assert_eq!(normalize_username(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn forwarded_for_is_only_trusted_when_configured() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(client_ip(&headers, Some(peer), false), "127.0.0.1");
        assert_eq!(client_ip(&headers, Some(peer), true), "203.0.113.7");
        assert_eq!(client_ip(&HeaderMap::new(), None, true), "unknown");
    }
}
