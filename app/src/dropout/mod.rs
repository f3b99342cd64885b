//! Dropout control (控辍保学): the absence ladder and the tasks it gives,
//! the three ledgers, 一生一案 and 劝返 records.
//!
//! The ladder (seed defaults, configurable per county): day 1 of an
//! unexcused absence the head teacher contacts the family and visits; day 2
//! head and subject teachers visit together; day 3 the student enters the
//! suspected-dropout ledger and the principal makes a plan; day 5 the
//! 劝返情况记录表 is due and the town and county are told.

pub mod case_page;
pub mod cases;
pub mod ladder;
pub mod ledgers_page;
pub mod special_groups;
pub mod tasks_page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod case_service;
#[cfg(feature = "ssr")]
pub mod tasks;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::visits::model::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// 联系家长并当日家访 (head teacher).
    ContactVisit,
    /// 班主任与任课教师共同家访.
    JointVisit,
    /// 学校研究制定控辍方案 (principal).
    ControlPlan,
    /// 填写疑似失学学生劝返情况记录表 (head teacher).
    PersuasionRecord,
}

impl TaskKind {
    pub const ALL: [TaskKind; 4] = [
        TaskKind::ContactVisit,
        TaskKind::JointVisit,
        TaskKind::ControlPlan,
        TaskKind::PersuasionRecord,
    ];

    pub fn code(self) -> &'static str {
        match self {
            TaskKind::ContactVisit => "contact_visit",
            TaskKind::JointVisit => "joint_visit",
            TaskKind::ControlPlan => "control_plan",
            TaskKind::PersuasionRecord => "persuasion_record",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskKind::ContactVisit => "联系家长并当日家访",
            TaskKind::JointVisit => "班主任与任课教师共同家访",
            TaskKind::ControlPlan => "制定控辍方案（一生一案）",
            TaskKind::PersuasionRecord => "填写劝返情况记录表",
        }
    }

    /// Closed by recording a visit (reason 缺勤 or 劝返) for the student.
    pub fn is_visit(self) -> bool {
        matches!(self, TaskKind::ContactVisit | TaskKind::JointVisit)
    }
}

/// The county's ladder: on which school day of an unexcused absence each
/// step comes. Defaults from the 龙川县 policy (days 1, 2, 3, 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LadderRules {
    pub contact_day: u32,
    pub joint_visit_day: u32,
    /// Also the day the student enters the suspected-dropout ledger.
    pub suspected_day: u32,
    /// Also the day the town and county are told.
    pub persuasion_day: u32,
    /// 送教上门: a session is due this many days after the last one (the
    /// policy: at least weekly).
    #[serde(default = "LadderRules::weekly")]
    pub home_teaching_every_days: u32,
}

impl Default for LadderRules {
    fn default() -> Self {
        LadderRules {
            contact_day: 1,
            joint_visit_day: 2,
            suspected_day: 3,
            persuasion_day: 5,
            home_teaching_every_days: Self::weekly(),
        }
    }
}

impl LadderRules {
    fn weekly() -> u32 {
        7
    }

    pub fn day_of(&self, kind: TaskKind) -> u32 {
        match kind {
            TaskKind::ContactVisit => self.contact_day,
            TaskKind::JointVisit => self.joint_visit_day,
            TaskKind::ControlPlan => self.suspected_day,
            TaskKind::PersuasionRecord => self.persuasion_day,
        }
    }

    /// Steps in order, each on a later day, within four school weeks; day 3
    /// at the latest for the suspected-dropout ledger (the policy's limit).
    pub fn validate(&self) -> Vec<FieldError> {
        let days = [
            self.contact_day,
            self.joint_visit_day,
            self.suspected_day,
            self.persuasion_day,
        ];
        let mut errors = Vec::new();
        if days.iter().any(|d| !(1..=20).contains(d)) {
            errors.push(FieldError::new(
                "contact_day",
                "各步骤须在缺勤第 1–20 个上课日之间",
            ));
        } else if days.windows(2).any(|w| w[0] >= w[1]) {
            errors.push(FieldError::new(
                "joint_visit_day",
                "步骤须依次推后：联系家访 < 共同家访 < 疑似辍学 < 劝返记录",
            ));
        }
        if !(1..=7).contains(&self.home_teaching_every_days) {
            errors.push(FieldError::new(
                "home_teaching_every_days",
                "送教上门每周不少于 1 次：间隔须在 1–7 天之间",
            ));
        }
        if self.suspected_day > 3 {
            errors.push(FieldError::new(
                "suspected_day",
                "按规定连续 3 个上课日未到校即列为疑似辍学，不能更晚",
            ));
        }
        errors
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Open,
    Done,
    /// The student came back, or leave covered the days.
    Cancelled,
}

impl TaskStatus {
    pub fn code(self) -> &'static str {
        match self {
            TaskStatus::Open => "open",
            TaskStatus::Done => "done",
            TaskStatus::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [TaskStatus::Open, TaskStatus::Done, TaskStatus::Cancelled]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            TaskStatus::Open => "待办",
            TaskStatus::Done => "已完成",
            TaskStatus::Cancelled => "已撤销",
        }
    }
}

/// A ladder task as the phone shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskView {
    pub id: i32,
    pub kind: TaskKind,
    pub status: TaskStatus,
    pub student_id: i32,
    pub student_name: String,
    pub class_name: String,
    pub assignee: String,
    pub absence_start: NaiveDate,
    /// The school day of the absence this step belongs to.
    pub ladder_day: u32,
    pub due_date: NaiveDate,
    pub overdue: bool,
    pub closed_note: String,
}

/// `GET /api/v1/absence-tasks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaskList {
    /// The caller's own open tasks, most urgent first.
    pub mine: Vec<TaskView>,
    /// For school leaders: everyone's open tasks in their schools.
    pub school: Vec<TaskView>,
    /// Recently closed (last 14 days) of the caller's.
    pub recently_closed: Vec<TaskView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rules_are_the_policy_and_valid() {
        let rules = LadderRules::default();
        assert!(rules.validate().is_empty());
        assert_eq!(
            TaskKind::ALL.map(|k| rules.day_of(k)),
            [1, 2, 3, 5],
            "seed 000: day 1, 2, 3, 5"
        );
        let late = LadderRules {
            suspected_day: 4,
            persuasion_day: 6,
            ..rules
        };
        assert_eq!(late.validate()[0].field, "suspected_day");
        let unordered = LadderRules {
            joint_visit_day: 1,
            ..rules
        };
        assert_eq!(unordered.validate().len(), 1);
    }
}
