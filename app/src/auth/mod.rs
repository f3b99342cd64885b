//! Accounts, roles, sessions and access control.
//!
//! Shared types live here; `pages` is the UI; `server_fns` the Leptos server
//! functions; the rest is server-only (`ssr`).

pub mod pages;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod area;
#[cfg(feature = "ssr")]
pub mod current_user;
#[cfg(feature = "ssr")]
pub mod password;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod session_store;

use serde::{Deserialize, Serialize};

/// A role a person holds; one person may hold several (e.g. head teacher of
/// one class and subject teacher of another).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Principal,
    VicePrincipal,
    HeadTeacher,
    SubjectTeacher,
    SchoolAdmin,
    /// 家访审核员: a teacher the school assigns to spot-check visit records.
    Reviewer,
    TownOfficer,
    CountyOfficer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Principal,
        Role::VicePrincipal,
        Role::HeadTeacher,
        Role::SubjectTeacher,
        Role::SchoolAdmin,
        Role::Reviewer,
        Role::TownOfficer,
        Role::CountyOfficer,
    ];

    /// The value stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Principal => "principal",
            Role::VicePrincipal => "vice_principal",
            Role::HeadTeacher => "head_teacher",
            Role::SubjectTeacher => "subject_teacher",
            Role::SchoolAdmin => "school_admin",
            Role::Reviewer => "reviewer",
            Role::TownOfficer => "town_officer",
            Role::CountyOfficer => "county_officer",
        }
    }

    pub fn from_code(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Principal => "校长",
            Role::VicePrincipal => "副校长",
            Role::HeadTeacher => "班主任",
            Role::SubjectTeacher => "科任教师",
            Role::SchoolAdmin => "学校管理员",
            Role::Reviewer => "家访审核员",
            Role::TownOfficer => "乡镇教育管理员",
            Role::CountyOfficer => "县级教育局",
        }
    }

    /// School leadership sees and manages the whole school.
    pub fn is_school_leader(self) -> bool {
        matches!(
            self,
            Role::Principal | Role::VicePrincipal | Role::SchoolAdmin
        )
    }

    pub fn is_officer(self) -> bool {
        matches!(self, Role::TownOfficer | Role::CountyOfficer)
    }
}

/// One role of the logged-in person, with the names of where it applies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleAssignment {
    pub role: Role,
    /// Chinese label of the role, e.g. 班主任.
    pub label: String,
    /// Where it applies, e.g. "城关第一小学 三年级(1)班 数学".
    pub scope: String,
    pub school_id: Option<i32>,
    pub class_id: Option<i32>,
    pub subject: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SchoolRef {
    pub id: i32,
    pub name: String,
}

/// What `GET /api/v1/me` and the UI know about the logged-in person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    /// The school of the person's school roles (officers have none).
    pub school: Option<SchoolRef>,
    /// The area of an officer, e.g. 龙川县 or 城关镇.
    pub area: Option<String>,
    pub roles: Vec<RoleAssignment>,
}

impl Me {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r.role == role)
    }

    /// School staff record visits; officers of a town or county only read
    /// (the server refuses their visits).
    pub fn records_visits(&self) -> bool {
        self.roles.iter().any(|r| !r.role.is_officer())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChangePasswordRequest {
    pub old_password: String,
    pub new_password: String,
}

pub const MIN_PASSWORD_CHARS: usize = 8;

/// Rules for a new password, checked on the server (and shown in the form).
pub fn validate_new_password(
    username: &str,
    old: &str,
    new: &str,
) -> Result<(), crate::error::AppError> {
    use crate::error::AppError;
    let chars = new.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AppError::invalid(
            "new_password",
            format!("新密码至少 {MIN_PASSWORD_CHARS} 位"),
        ));
    }
    if chars > 128 {
        return Err(AppError::invalid("new_password", "新密码不能超过 128 位"));
    }
    if new == old {
        return Err(AppError::invalid("new_password", "新密码不能与原密码相同"));
    }
    if new.eq_ignore_ascii_case(username) {
        return Err(AppError::invalid("new_password", "新密码不能与用户名相同"));
    }
    if new == "demo-password" || new.chars().all(|c| c.is_ascii_digit()) && chars < 10 {
        return Err(AppError::invalid(
            "new_password",
            "新密码过于简单，请加入字母或更长的数字",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::from_code(role.code()), Some(role));
        }
        assert_eq!(Role::from_code("admin"), None);
    }

    #[test]
    fn password_rules() {
        assert!(validate_new_password("head", "old-password", "short").is_err());
        assert!(validate_new_password("head", "old-password", "old-password").is_err());
        assert!(validate_new_password("headmaster", "x", "HEADMASTER").is_err());
        assert!(validate_new_password("head", "x", "12345678").is_err());
        assert!(validate_new_password("head", "x", "春天来了abc123").is_ok());
    }

    proptest! {
        #[test]
        fn short_passwords_are_always_rejected(p in ".{0,7}") {
            prop_assert!(validate_new_password("u", "old", &p).is_err());
        }
    }
}
