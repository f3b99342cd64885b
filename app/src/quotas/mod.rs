//! Per-semester home-visit quotas (家访任务): the rules, what each teacher
//! must do and has done, and the dashboards of schools and areas.
//!
//! `rules` is the arithmetic (pure, shared with the phone); `service`,
//! `tallies` (visit counts kept per month), `dashboard`, `export` and
//! `api` are the server side; `page` is 我的任务
//! and `dashboard_page` the leaders' views.

pub mod dashboard_page;
pub mod page;
pub mod rules;
pub mod rules_page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod dashboard;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod tallies;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Role;
pub use rules::{Combine, PaceStatus, QuotaRules};

/// A semester as the quota pages show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SemesterRef {
    pub id: i32,
    pub name: String,
    pub start: NaiveDate,
    /// Last day, inclusive.
    pub end: NaiveDate,
}

/// The requirement coming from one of a person's roles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleQuota {
    pub role: Role,
    /// 校长, 班主任…
    pub label: String,
    /// How it was worked out, e.g. "三年级(1)班 45 人 → 23".
    pub detail: String,
    pub required: u32,
}

/// `GET /api/v1/quota`: the caller's task for a semester. Visits still on
/// the phone are not here; the phone adds them as 待同步.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct QuotaView {
    pub semester: SemesterRef,
    /// 人次 required this semester.
    pub required: u32,
    /// Visits confirmed by the server that count under the rules.
    pub counted: u32,
    /// max(required − counted, 0).
    pub remaining: u32,
    pub by_role: Vec<RoleQuota>,
    /// How `by_role` was combined: the largest (`max`) or the sum.
    pub combine: Combine,
    /// Visits needed per week from today to finish on time.
    pub pace_per_week: f64,
    /// Weeks from today to the semester's last day (today included).
    pub weeks_left: f64,
    /// What should be done by today at an even pace.
    pub expected_by_now: f64,
    pub status: PaceStatus,
    /// The caller's visits returned by review (退回), not counted until amended.
    pub returned: u32,
    /// Which modes count (the phone applies them to its own pending visits).
    pub counted_modes: Vec<crate::visits::VisitMode>,
    /// Whether co-visitors are credited too.
    pub joint_visit_counts_for_all: bool,
    pub as_of: DateTime<Utc>,
}

/// One teacher's row on the school dashboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TeacherProgress {
    pub user_id: i32,
    pub name: String,
    /// The roles behind the requirement, e.g. "校长、班主任".
    pub roles: String,
    pub required: u32,
    pub counted: u32,
    pub remaining: u32,
    pub pace_per_week: f64,
    pub status: PaceStatus,
}

/// A student nobody has visited this semester.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnvisitedStudent {
    pub id: i32,
    pub name: String,
    pub class_name: String,
    /// Special groups (留守儿童, 孤儿…) and worrying statuses, in Chinese.
    pub concerns: Vec<String>,
}

/// Visits in one week (Monday to Sunday).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WeekCount {
    pub week_start: NaiveDate,
    pub visits: u32,
}

/// `GET /api/v1/dashboard/school`: a principal's view of the semester.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SchoolDashboard {
    pub school_id: i32,
    pub school_name: String,
    pub semester: SemesterRef,
    pub teachers: Vec<TeacherProgress>,
    pub required: u32,
    /// Counted 人次, each teacher's capped at their requirement.
    pub completed: u32,
    /// completed ÷ required, in percent (100 when nothing is required).
    pub completion_percent: f64,
    pub teachers_behind: u32,
    pub students: u32,
    pub unvisited_total: u32,
    /// The first 300, special groups and worrying statuses first.
    pub unvisited: Vec<UnvisitedStudent>,
    pub weeks: Vec<WeekCount>,
    pub visits_this_week: u32,
}

/// One school's row on the town/county dashboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SchoolProgress {
    pub school_id: i32,
    pub school_name: String,
    pub town_name: String,
    pub semester_name: String,
    pub teachers: u32,
    pub required: u32,
    pub completed: u32,
    pub completion_percent: f64,
    pub teachers_behind: u32,
    pub visits_this_week: u32,
}

/// `GET /api/v1/dashboard/area`: an officer's town or county.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AreaDashboard {
    /// e.g. 兴海县 or 城关镇.
    pub area_name: String,
    pub schools: Vec<SchoolProgress>,
    pub required: u32,
    pub completed: u32,
    pub completion_percent: f64,
    pub teachers: u32,
    pub teachers_behind: u32,
    pub visits_this_week: u32,
}

/// `GET /api/v1/quota-rules`: the rules of a school's semester, what the
/// county set and what the school changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RulesView {
    pub school_id: i32,
    pub school_name: String,
    pub semester: SemesterRef,
    pub county: QuotaRules,
    /// The school's own rules, if it has any for this semester.
    pub school_override: Option<QuotaRules>,
    /// What applies: the override within the county's rules, or the county's.
    pub effective: QuotaRules,
    /// Whether the caller may change the county's rules here.
    pub can_edit_county: bool,
    /// Whether the caller may change the school's override.
    pub can_edit_school: bool,
    /// The semester is over: its rules are kept as they were.
    pub closed: bool,
}

/// The body of `PUT /api/v1/quota-rules`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RulesChange {
    /// The school whose semester is meant (and whose county, for county rules).
    pub school_id: i32,
    /// A semester id; the current semester when absent.
    pub semester_id: Option<i32>,
    /// `county` (county officers) or `school` (the school's principal or admin).
    pub scope: RulesScope,
    /// The new rules; `null` with scope `school` removes the override.
    pub rules: Option<QuotaRules>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RulesScope {
    County,
    School,
}

/// completed ÷ required in percent, one decimal; 100 when nothing is due.
pub fn percent(completed: u32, required: u32) -> f64 {
    if required == 0 {
        100.0
    } else {
        (f64::from(completed) * 1000.0 / f64::from(required)).round() / 10.0
    }
}
