//! Semesters: the county sets them, a school may override its own dates.
//! Visits count in the semester containing their date (Asia/Shanghai).

pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A semester as listed for editing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SemesterView {
    pub id: i32,
    pub name: String,
    pub start: NaiveDate,
    /// Last day, inclusive.
    pub end: NaiveDate,
    /// `None`: the whole county; else the school whose own dates these are.
    pub school_id: Option<i32>,
    /// 全县 or the school's name.
    pub scope: String,
    /// Whether the caller may change it (it has not ended, and it is theirs).
    pub editable: bool,
}

/// The body of `POST /api/v1/semesters` and `PUT /api/v1/semesters/{id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SemesterInput {
    /// e.g. 2026年秋季学期.
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// A school's own dates (its principal or admin); absent for the
    /// county's semester (county officers). Ignored when editing.
    #[serde(default)]
    pub school_id: Option<i32>,
}

/// Longest semester accepted (a school year's half, with room to spare).
pub const MAX_DAYS: i64 = 220;

impl SemesterInput {
    /// (field, message in Chinese) of every problem.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(("name", "请填写学期名称，如“2026年秋季学期”".to_owned()));
        } else if name.chars().count() > 32 {
            errors.push(("name", "学期名称不能超过 32 个字".to_owned()));
        }
        let days = (self.end - self.start).num_days() + 1;
        if days < 1 {
            errors.push(("end", "结束日期不能早于开始日期".to_owned()));
        } else if days < 28 {
            errors.push(("end", "学期不能短于 4 周".to_owned()));
        } else if days > MAX_DAYS {
            errors.push(("end", format!("学期不能长于 {MAX_DAYS} 天")));
        }
        errors
    }

    /// Whether two date ranges share a day.
    pub fn overlaps(&self, start: NaiveDate, end: NaiveDate) -> bool {
        self.start <= end && start <= self.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(start: (i32, u32, u32), end: (i32, u32, u32)) -> SemesterInput {
        let d = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        SemesterInput {
            name: "2026年秋季学期".into(),
            start: d(start),
            end: d(end),
            school_id: None,
        }
    }

    #[test]
    fn dates_must_make_a_plausible_semester() {
        assert!(input((2026, 9, 1), (2027, 1, 31)).validate().is_empty());
        assert_eq!(input((2026, 9, 1), (2026, 8, 31)).validate()[0].0, "end");
        assert_eq!(input((2026, 9, 1), (2026, 9, 10)).validate().len(), 1);
        assert_eq!(input((2026, 9, 1), (2027, 8, 31)).validate().len(), 1);
        let mut blank = input((2026, 9, 1), (2027, 1, 31));
        blank.name = "  ".into();
        assert_eq!(blank.validate()[0].0, "name");
    }

    #[test]
    fn ranges_sharing_a_day_overlap() {
        let autumn = input((2026, 9, 1), (2027, 1, 31));
        let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
        assert!(autumn.overlaps(d(1, 31), d(7, 15)));
        assert!(!autumn.overlaps(d(2, 1), d(7, 15)));
    }
}
