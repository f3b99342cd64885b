//! 一生一案 and 劝返 records: what a case file holds and what may be
//! written into it. The policy (seed 000 §六, seed 003) asks that every
//! suspected or confirmed dropout has a plan with a responsible person, that
//! each 劝返 attempt is recorded with pictures and words, and that the
//! 劝返情况记录表 goes to the town and the county.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::roster::StudentDetail;
use crate::visits::model::FieldError;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PersuasionMethod {
    /// 入户劝返
    Home,
    /// 电话或网络劝返
    Phone,
    /// 约请家长到校
    School,
    /// 镇、村、校联合入户
    Joint,
}

impl PersuasionMethod {
    pub const ALL: [PersuasionMethod; 4] = [
        PersuasionMethod::Home,
        PersuasionMethod::Phone,
        PersuasionMethod::School,
        PersuasionMethod::Joint,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PersuasionMethod::Home => "home",
            PersuasionMethod::Phone => "phone",
            PersuasionMethod::School => "school",
            PersuasionMethod::Joint => "joint",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            PersuasionMethod::Home => "入户劝返",
            PersuasionMethod::Phone => "电话或网络劝返",
            PersuasionMethod::School => "约请家长到校",
            PersuasionMethod::Joint => "镇村校联合入户",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PersuasionOutcome {
    /// 同意返校
    Agreed,
    /// 拒绝返校
    Refused,
    /// 尚在考虑
    Undecided,
}

impl PersuasionOutcome {
    pub const ALL: [PersuasionOutcome; 3] = [
        PersuasionOutcome::Agreed,
        PersuasionOutcome::Refused,
        PersuasionOutcome::Undecided,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PersuasionOutcome::Agreed => "agreed",
            PersuasionOutcome::Refused => "refused",
            PersuasionOutcome::Undecided => "undecided",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            PersuasionOutcome::Agreed => "同意返校",
            PersuasionOutcome::Refused => "拒绝返校",
            PersuasionOutcome::Undecided => "尚在考虑",
        }
    }
}

/// `PUT /api/v1/students/{id}/case`: opens the student's case or updates
/// the open one (the school's 控辍方案).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseInput {
    pub opened_on: NaiveDate,
    /// Why the student stays away (疑似失学原因).
    pub reason: String,
    /// The measures (帮扶、劝返措施).
    pub plan: String,
    /// Who is responsible (包保责任人).
    pub responsible: String,
}

impl CaseInput {
    pub fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.opened_on > today {
            errors.push(FieldError::new("opened_on", "建档日期不能晚于今天"));
        }
        text_error(&mut errors, "reason", &self.reason, 500, "请填写失学原因");
        text_error(
            &mut errors,
            "plan",
            &self.plan,
            2000,
            "请填写控辍方案与措施",
        );
        text_error(
            &mut errors,
            "responsible",
            &self.responsible,
            200,
            "请填写责任人",
        );
        errors
    }
}

/// `POST /api/v1/students/{id}/case/close`: the student is back (复学) or
/// the case ends with evidence (转出、销号).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseClose {
    pub closed_on: NaiveDate,
    pub note: String,
}

impl CaseClose {
    pub fn validate(&self, today: NaiveDate, opened_on: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.closed_on > today || self.closed_on < opened_on {
            errors.push(FieldError::new(
                "closed_on",
                "结案日期须在建档日期与今天之间",
            ));
        }
        text_error(
            &mut errors,
            "note",
            &self.note,
            1000,
            "请写明结案依据（如复学日期、转入学校、销号依据）",
        );
        errors
    }
}

/// `POST /api/v1/students/{id}/persuasion-records`: one 劝返 attempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersuasionInput {
    pub day: NaiveDate,
    /// Who went (劝返人员), e.g. "班主任王老师、村委李主任".
    pub persons: String,
    pub method: PersuasionMethod,
    /// What was said and found (劝返情况).
    pub result: String,
    pub outcome: PersuasionOutcome,
    /// The 家访记录表 of this attempt, with its photos and signature.
    #[serde(default)]
    pub visit_id: Option<Uuid>,
}

impl PersuasionInput {
    pub fn validate(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.day > today {
            errors.push(FieldError::new("day", "劝返日期不能晚于今天"));
        }
        text_error(&mut errors, "persons", &self.persons, 200, "请填写劝返人员");
        text_error(&mut errors, "result", &self.result, 2000, "请填写劝返情况");
        errors
    }
}

fn text_error(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    max: usize,
    empty: &str,
) {
    let len = value.trim().chars().count();
    if len == 0 {
        errors.push(FieldError::new(field, empty));
    } else if len > max {
        errors.push(FieldError::new(field, format!("最多 {max} 字")));
    }
}

/// A 家访记录表 a 劝返 record points to (or may point to).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LinkedVisit {
    pub id: Uuid,
    pub visit_date: NaiveDate,
    pub visitor: String,
    pub reason: String,
    pub photos: u32,
    pub signed: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PersuasionView {
    pub id: i32,
    pub day: NaiveDate,
    pub persons: String,
    pub method: PersuasionMethod,
    pub result: String,
    pub outcome: PersuasionOutcome,
    pub visit: Option<LinkedVisit>,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseView {
    pub id: i32,
    pub opened_on: NaiveDate,
    pub reason: String,
    pub plan: String,
    pub responsible: String,
    pub closed_on: Option<NaiveDate>,
    pub close_note: String,
    pub updated_at: DateTime<Utc>,
    /// Oldest first, as the 记录表 lists them.
    pub records: Vec<PersuasionView>,
}

impl CaseView {
    pub fn is_open(&self) -> bool {
        self.closed_on.is_none()
    }
}

/// `GET /api/v1/students/{id}/case`: the student's 一生一案 file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseFile {
    pub student: StudentDetail,
    pub school_name: String,
    /// Newest first; at most one is open.
    pub cases: Vec<CaseView>,
    /// The student's 缺勤 / 劝返 visits, newest first, to link to a record.
    pub visits: Vec<LinkedVisit>,
    /// May write the plan and close the case (head teacher, school leaders).
    pub can_plan: bool,
    /// May add 劝返 records (the staff who contact the family).
    pub can_record: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn case_input_needs_every_part_and_no_future_date() {
        let ok = CaseInput {
            opened_on: day("2026-11-20"),
            reason: "厌学".into(),
            plan: "班主任每周入户，学校减免住宿费".into(),
            responsible: "王校长".into(),
        };
        assert!(ok.validate(day("2026-11-23")).is_empty());
        let bad = CaseInput {
            opened_on: day("2026-11-24"),
            reason: " ".into(),
            plan: "x".repeat(2001),
            responsible: String::new(),
        };
        let fields: Vec<&str> = bad
            .validate(day("2026-11-23"))
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["opened_on", "reason", "plan", "responsible"]);
    }

    #[test]
    fn closing_needs_evidence_inside_the_case_dates() {
        let opened = day("2026-11-10");
        let today = day("2026-11-23");
        let close = |d: &str, note: &str| CaseClose {
            closed_on: day(d),
            note: note.into(),
        };
        assert!(
            close("2026-11-20", "11 月 20 日复学")
                .validate(today, opened)
                .is_empty()
        );
        assert_eq!(close("2026-11-09", "复学").validate(today, opened).len(), 1);
        assert_eq!(close("2026-11-24", "复学").validate(today, opened).len(), 1);
        assert_eq!(close("2026-11-20", "").validate(today, opened).len(), 1);
    }

    #[test]
    fn codes_round_trip() {
        for m in PersuasionMethod::ALL {
            assert_eq!(PersuasionMethod::from_code(m.code()), Some(m));
        }
        for o in PersuasionOutcome::ALL {
            assert_eq!(PersuasionOutcome::from_code(o.code()), Some(o));
        }
        assert_eq!(PersuasionMethod::from_code("email"), None);
    }
}
