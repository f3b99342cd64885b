//! Roll call (点名) and leave (请假).
//!
//! Each school day the head teacher takes the roll of the class on the
//! phone, offline if need be: everyone is present unless tapped absent. An
//! absence not covered by approved leave starts the ladder (`dropout`).

pub mod calendar;
pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::visits::model::FieldError;

/// One absent student at a roll call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AbsentMark {
    pub student_id: i32,
    /// e.g. 电话未接通; optional.
    #[serde(default)]
    pub note: String,
}

/// `PUT /api/v1/roll-calls/{class_id}/{date}`: the whole roll of that day;
/// sending it again replaces it (a correction, audit-logged).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RollCallInput {
    pub absent: Vec<AbsentMark>,
}

impl RollCallInput {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut ids: Vec<i32> = self.absent.iter().map(|a| a.student_id).collect();
        ids.sort_unstable();
        if ids.windows(2).any(|w| w[0] == w[1]) {
            errors.push(FieldError::new("absent", "同一学生重复标记缺勤"));
        }
        if self.absent.len() > 200 {
            errors.push(FieldError::new("absent", "缺勤名单过长"));
        }
        if self.absent.iter().any(|a| a.note.chars().count() > 200) {
            errors.push(FieldError::new("note", "缺勤说明最多 200 字"));
        }
        errors
    }
}

/// A class's roll on one day, as the server holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RollCallView {
    pub class_id: i32,
    pub class_name: String,
    pub day: NaiveDate,
    pub school_day: bool,
    /// Whether the roll was taken; when not, `absent` is empty.
    pub taken: bool,
    pub taken_by: Option<String>,
    pub absent: Vec<AbsentMark>,
    /// Students on approved leave that day (not absences).
    pub on_leave: Vec<i32>,
    /// Students whose unexcused absence is running, with its length in
    /// school days on that day.
    pub running: Vec<(i32, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveKind {
    Sick,
    Personal,
    Other,
}

impl LeaveKind {
    pub const ALL: [LeaveKind; 3] = [LeaveKind::Sick, LeaveKind::Personal, LeaveKind::Other];

    pub fn code(self) -> &'static str {
        match self {
            LeaveKind::Sick => "sick",
            LeaveKind::Personal => "personal",
            LeaveKind::Other => "other",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            LeaveKind::Sick => "病假",
            LeaveKind::Personal => "事假",
            LeaveKind::Other => "其他",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeaveStatus {
    Pending,
    Approved,
    Rejected,
}

impl LeaveStatus {
    pub fn code(self) -> &'static str {
        match self {
            LeaveStatus::Pending => "pending",
            LeaveStatus::Approved => "approved",
            LeaveStatus::Rejected => "rejected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [
            LeaveStatus::Pending,
            LeaveStatus::Approved,
            LeaveStatus::Rejected,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            LeaveStatus::Pending => "待批准",
            LeaveStatus::Approved => "已批准",
            LeaveStatus::Rejected => "不批准",
        }
    }
}

/// `POST /api/v1/leave`: a leave the parent asked for (in person, by phone
/// or afterwards: 补假). The head teacher or a school leader approves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeaveInput {
    pub student_id: i32,
    pub kind: LeaveKind,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub reason: String,
    /// SHA-256 of an uploaded photo of the written note (see attachments).
    #[serde(default)]
    pub note_photo: Option<String>,
}

impl LeaveInput {
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.student_id <= 0 {
            errors.push(FieldError::new("student_id", "请选择学生"));
        }
        if self.end_date < self.start_date {
            errors.push(FieldError::new("end_date", "结束日期不能早于开始日期"));
        } else if (self.end_date - self.start_date).num_days() > 90 {
            errors.push(FieldError::new(
                "end_date",
                "一次请假最长 90 天，更长请办理休学",
            ));
        }
        let reason = self.reason.trim().chars().count();
        if reason == 0 || reason > 500 {
            errors.push(FieldError::new("reason", "请填写请假事由（最多 500 字）"));
        }
        if self
            .note_photo
            .as_deref()
            .is_some_and(|s| !crate::visits::model::is_sha256_hex(s))
        {
            errors.push(FieldError::new("note_photo", "假条照片编号无效"));
        }
        errors
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeaveView {
    pub id: i32,
    pub student_id: i32,
    pub student_name: String,
    pub class_name: String,
    pub kind: LeaveKind,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub reason: String,
    pub note_photo: Option<String>,
    pub status: LeaveStatus,
    pub requested_by: String,
    pub decided_by: Option<String>,
}

/// `POST /api/v1/leave/{id}/decision`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeaveDecision {
    pub approve: bool,
}

/// A holiday or make-up working day (`GET/POST /api/v1/calendar-days`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CalendarDayInput {
    pub day: NaiveDate,
    /// `holiday` or `workday` (调休上课).
    pub kind: String,
    pub name: String,
    /// Set: only this school (its principal or admin); absent: the county.
    #[serde(default)]
    pub school_id: Option<i32>,
}

/// A roll call kept on the phone until the server has it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LocalRollCall {
    pub class_id: i32,
    pub class_name: String,
    pub day: NaiveDate,
    pub input: RollCallInput,
    pub state: crate::visits::local::LocalState,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub attempts: u32,
    pub updated_at_ms: f64,
}

impl LocalRollCall {
    /// One roll per class and day: taking it again replaces it.
    pub fn key(class_id: i32, day: NaiveDate) -> String {
        format!("{class_id}:{day}")
    }

    pub fn url(&self) -> String {
        format!("/api/v1/roll-calls/{}/{}", self.class_id, self.day)
    }
}
