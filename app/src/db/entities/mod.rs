//! sea-orm entities, one file per table; the schema itself lives in the
//! `migrations` crate.

pub mod attachment;
pub mod audit_log;
pub mod class;
pub mod county;
pub mod grade;
pub mod guardian;
pub mod login_failure;
pub mod quota_rule;
pub mod school;
pub mod semester;
pub mod semester_class_size;
pub mod session;
pub mod student;
pub mod student_status_history;
pub mod town;
pub mod user;
pub mod user_role;
pub mod visit;
pub mod visit_co_visitor;
pub mod visit_photo;
pub mod visit_plan;
pub mod visit_revision;
