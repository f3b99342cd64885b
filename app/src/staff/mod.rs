//! School staff accounts: an administrator creates teacher accounts (the
//! initial password is shown once and must be changed at first login),
//! assigns roles and classes, and resets forgotten passwords.

pub mod import;
pub mod page;
pub mod server_fns;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod colleagues;
#[cfg(feature = "ssr")]
pub mod service;

use serde::{Deserialize, Serialize};

use crate::auth::{Role, RoleAssignment};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffMember {
    pub id: i32,
    pub username: String,
    pub display_name: String,
    pub must_change_password: bool,
    /// The person's roles in this school.
    pub roles: Vec<RoleAssignment>,
}

/// A school role to give: head teachers need a class, subject teachers a
/// class and a subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleInput {
    pub role: Role,
    pub class_id: Option<i32>,
    pub subject: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreateStaffRequest {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<RoleInput>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SetRolesRequest {
    pub roles: Vec<RoleInput>,
}

/// Returned once, when an account is created or its password reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InitialPassword {
    pub user_id: i32,
    pub username: String,
    /// Give this to the person; they must change it at first login.
    pub initial_password: String,
}

/// A class of the school, for role pickers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ClassOption {
    pub id: i32,
    pub name: String,
}

/// Roles a school may hand out (officer roles are the county's business).
pub const SCHOOL_ROLES: [Role; 6] = [
    Role::Principal,
    Role::VicePrincipal,
    Role::HeadTeacher,
    Role::SubjectTeacher,
    Role::SchoolAdmin,
    Role::Reviewer,
];
