//! 辍学学生情况统计表: the monthly dropout report of each school, due by
//! the 25th, and its submission status for the town and county.
//!
//! `stats` is the arithmetic (status at a date from the dated history,
//! rates, targets; pure); `service`, `export` and `api` are the server
//! side; `page` is 报表 (`/reports`) for school leaders and officers.

pub mod page;
pub mod stats;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::roster::StudentStatus;

/// Day of the month by which the report is due (每月 25 日前).
pub const DUE_DAY: u32 = 25;
/// Day of the month from which schools that have not submitted are reminded.
pub const REMINDER_DAY: u32 = 20;
/// Largest scan accepted.
pub const MAX_SCAN_BYTES: usize = 10 * 1024 * 1024;

/// A calendar month, `YYYY-MM` on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// Strictly `YYYY-MM` (years 2000–2100); anything else is a 422 with a
    /// Chinese message.
    pub fn parse(text: &str) -> Result<Month, AppError> {
        let bad = || AppError::invalid("month", "月份格式应为 YYYY-MM，例如 2026-11");
        let text = text.trim();
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(AppError::invalid("month", "月份应在 01 到 12 之间"));
        }
        if !(2000..=2100).contains(&year) {
            return Err(AppError::invalid("month", "年份应在 2000 到 2100 之间"));
        }
        Ok(Month { year, month })
    }

    /// The month containing `date`.
    pub fn of(date: NaiveDate) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    /// `2026-11`
    pub fn code(self) -> String {
        format!("{:04}-{:02}", self.year, self.month)
    }

    /// `2026年11月`
    pub fn label(self) -> String {
        format!("{}年{}月", self.year, self.month)
    }

    fn day(self, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, day).unwrap_or(NaiveDate::MIN)
    }

    pub fn first_day(self) -> NaiveDate {
        self.day(1)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// The 25th: the report must be in by then.
    pub fn due_date(self) -> NaiveDate {
        self.day(DUE_DAY)
    }

    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.code())
    }
}

/// Not submitted and past the due date (the 25th).
pub fn is_overdue(month: Month, submitted: bool, today: NaiveDate) -> bool {
    !submitted && today > month.due_date()
}

/// 学段 of compulsory education.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 小学, grades 1–6.
    Primary,
    /// 初中, grades 7–9.
    Junior,
}

impl Stage {
    pub const ALL: [Stage; 2] = [Stage::Primary, Stage::Junior];

    /// The stage of a grade level (1–6 小学, 7–9 初中).
    pub fn of_level(level: i32) -> Option<Stage> {
        match level {
            1..=6 => Some(Stage::Primary),
            7..=9 => Some(Stage::Junior),
            _ => None,
        }
    }

    /// The stages a school of `school.stage` teaches (`primary`, `junior`,
    /// `nine_year`).
    pub fn of_school(code: &str) -> Vec<Stage> {
        match code {
            "primary" => vec![Stage::Primary],
            "junior" => vec![Stage::Junior],
            "nine_year" => vec![Stage::Primary, Stage::Junior],
            _ => Vec::new(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Stage::Primary => "小学",
            Stage::Junior => "初中",
        }
    }

    /// 控制目标 in ‰: 小学辍学率控制在 0.5% 以内，初中 1.2% 以内.
    pub fn target_permille(self) -> u32 {
        match self {
            Stage::Primary => 5,
            Stage::Junior => 12,
        }
    }

    /// 控制目标 in percent (0.5, 1.2).
    pub fn target_percent(self) -> f64 {
        f64::from(self.target_permille()) / 10.0
    }
}

/// One line of the 统计表: a stage, or 合计 (`stage` absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StageRow {
    /// `None` for the 合计 line.
    pub stage: Option<Stage>,
    /// 小学, 初中 or 合计.
    pub label: String,
    /// 在籍学生数 at the month's end (not transferred out, suspended or closed).
    pub enrolled: u32,
    /// 本月新增疑似辍学: students who became suspected dropouts this month.
    pub new_suspected: u32,
    /// 本月新增辍学: students who became dropouts this month.
    pub new_dropouts: u32,
    /// 本月劝返复学: students who returned to school this month.
    pub returned: u32,
    /// 月末疑似辍学.
    pub suspected_at_end: u32,
    /// 月末辍学: dropouts and students being persuaded (劝返中).
    pub dropouts_at_end: u32,
    /// 辍学率 = 月末辍学 ÷ 在籍, in percent, two decimals.
    pub dropout_rate: f64,
    /// 控制目标 in percent (0.5 小学, 1.2 初中); none for 合计.
    pub target: Option<f64>,
    /// 是否达标 (rate within the target); none for 合计.
    pub meets_target: Option<bool>,
}

/// A submitted (signed and stamped) report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Submission {
    pub submitted_at: DateTime<Utc>,
    /// Beijing time, e.g. `2026-11-20 14:03`.
    pub submitted_at_label: String,
    /// Name of the person who uploaded the scan.
    pub submitted_by: String,
    /// `application/pdf`, `image/jpeg` or `image/png`.
    pub scan_type: String,
    /// Where to download the scan.
    pub scan_url: String,
}

/// One student of the 辍学学生名单: suspected, dropped out or being
/// persuaded at some time during the month, or returned during it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ListedStudent {
    /// 序号, from 1.
    pub seq: u32,
    pub student_id: i32,
    pub name: String,
    /// 男 / 女.
    pub gender: String,
    /// 学籍号.
    pub student_no: String,
    /// 年级班级, e.g. 三年级(1)班.
    pub class_name: String,
    /// Status at the month's end.
    pub status: StudentStatus,
    /// 当前状态 in Chinese.
    pub status_label: String,
    /// 状态起始日期: when that status took effect.
    pub status_since: NaiveDate,
    /// 说明: the note of that status change.
    pub note: String,
    /// 劝返次数 up to the month's end.
    pub persuasions: u32,
    /// 最近劝返日期.
    pub last_persuasion_day: Option<NaiveDate>,
    /// 最近劝返结果 (outcome and what happened).
    pub last_persuasion_result: Option<String>,
}

/// `GET /api/v1/reports/monthly`: a school's 辍学学生情况统计表 for a month.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SchoolMonthReport {
    pub school_id: i32,
    pub school_name: String,
    pub county_name: String,
    pub town_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// e.g. 2026年11月.
    pub month_label: String,
    /// The figures are as of this day (the month's last day).
    pub as_of: NaiveDate,
    /// One line per stage the school teaches.
    pub stages: Vec<StageRow>,
    /// 合计.
    pub total: StageRow,
    /// 辍学学生名单.
    pub students: Vec<ListedStudent>,
    pub submitted: bool,
    pub submission: Option<Submission>,
    /// The 25th of the month.
    pub due_date: NaiveDate,
    /// Not submitted and today (Beijing time) is after the due date.
    pub overdue: bool,
    /// Whether the caller may upload the signed scan (the school's leaders).
    pub can_submit: bool,
    /// The Excel workbook of this report.
    pub export_url: String,
}

/// One school on the area report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AreaSchoolRow {
    pub school_id: i32,
    pub school_name: String,
    pub town_name: String,
    pub stages: Vec<StageRow>,
    pub total: StageRow,
    /// Every stage within its target.
    pub meets_targets: bool,
    pub submitted: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub submission: Option<Submission>,
    pub overdue: bool,
}

/// `GET /api/v1/reports/area`: every school of an officer's town or county.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AreaMonthReport {
    /// e.g. 龙川县 or 老隆镇.
    pub area_name: String,
    pub month: String,
    pub month_label: String,
    pub as_of: NaiveDate,
    pub due_date: NaiveDate,
    pub schools: Vec<AreaSchoolRow>,
    /// Area totals per stage, with the rates against the targets.
    pub stages: Vec<StageRow>,
    /// Area 合计.
    pub total: StageRow,
    pub submitted_count: u32,
    pub overdue_count: u32,
    pub export_url: String,
}

/// The kinds of scan accepted, recognised by their first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScanType {
    Pdf,
    Jpeg,
    Png,
}

impl ScanType {
    pub fn from_content_type(value: &str) -> Option<ScanType> {
        let essence = value.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "application/pdf" => Some(ScanType::Pdf),
            "image/jpeg" | "image/jpg" => Some(ScanType::Jpeg),
            "image/png" => Some(ScanType::Png),
            _ => None,
        }
    }

    /// What the bytes are, from their signature.
    pub fn sniff(bytes: &[u8]) -> Option<ScanType> {
        if bytes.starts_with(b"%PDF-") {
            Some(ScanType::Pdf)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ScanType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ScanType::Png)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ScanType::Pdf => "application/pdf",
            ScanType::Jpeg => "image/jpeg",
            ScanType::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ScanType::Pdf => "pdf",
            ScanType::Jpeg => "jpg",
            ScanType::Png => "png",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ScanType::Pdf => "PDF",
            ScanType::Jpeg => "JPEG 图片",
            ScanType::Png => "PNG 图片",
        }
    }
}

/// `?month=&school_id=` of the school report's links.
pub fn school_query(month: &str, school_id: i32) -> String {
    format!("?month={month}&school_id={school_id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn months_parse_strictly() {
        let m = Month::parse("2026-11").unwrap();
        assert_eq!((m.year(), m.month()), (2026, 11));
        assert_eq!(m.code(), "2026-11");
        assert_eq!(m.label(), "2026年11月");
        assert_eq!(Month::parse(" 2026-02 ").unwrap().code(), "2026-02");
        for bad in [
            "",
            "2026",
            "2026-1",
            "2026-13",
            "2026-00",
            "26-11",
            "2026/11",
            "2026-11-01",
            "abcd-ef",
            "1999-12",
            "+202-11",
            "2026-+1",
        ] {
            let err = Month::parse(bad).unwrap_err();
            assert_eq!(err.status(), 422, "{bad}");
            assert!(err.to_string().contains('月') || err.to_string().contains('年'));
        }
    }

    #[test]
    fn month_days_and_due_date() {
        let feb = Month::parse("2028-02").unwrap();
        assert_eq!(feb.first_day(), d(2028, 2, 1));
        assert_eq!(feb.last_day(), d(2028, 2, 29));
        assert_eq!(feb.due_date(), d(2028, 2, 25));
        let dec = Month::parse("2026-12").unwrap();
        assert_eq!(dec.last_day(), d(2026, 12, 31));
        assert_eq!(dec.next().code(), "2027-01");
        assert_eq!(Month::of(d(2026, 11, 23)).code(), "2026-11");
    }

    #[test]
    fn overdue_only_after_the_25th_and_only_if_not_submitted() {
        let nov = Month::parse("2026-11").unwrap();
        assert!(!is_overdue(nov, false, d(2026, 11, 25)));
        assert!(is_overdue(nov, false, d(2026, 11, 26)));
        assert!(!is_overdue(nov, true, d(2026, 11, 26)));
        assert!(is_overdue(nov, false, d(2027, 1, 1)));
    }

    #[test]
    fn stages_and_targets() {
        assert_eq!(Stage::of_level(1), Some(Stage::Primary));
        assert_eq!(Stage::of_level(6), Some(Stage::Primary));
        assert_eq!(Stage::of_level(7), Some(Stage::Junior));
        assert_eq!(Stage::of_level(9), Some(Stage::Junior));
        assert_eq!(Stage::of_level(10), None);
        assert_eq!(Stage::Primary.target_percent(), 0.5);
        assert_eq!(Stage::Junior.target_percent(), 1.2);
        assert_eq!(
            Stage::of_school("nine_year"),
            vec![Stage::Primary, Stage::Junior]
        );
    }

    #[test]
    fn scans_are_recognised_by_their_first_bytes() {
        assert_eq!(ScanType::sniff(b"%PDF-1.7\n"), Some(ScanType::Pdf));
        assert_eq!(
            ScanType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ScanType::Jpeg)
        );
        assert_eq!(
            ScanType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ScanType::Png)
        );
        assert_eq!(ScanType::sniff(b""), None);
        assert_eq!(ScanType::sniff(b"GIF89a"), None);
        assert_eq!(
            ScanType::from_content_type("application/pdf; charset=binary"),
            Some(ScanType::Pdf)
        );
        assert_eq!(
            ScanType::from_content_type("IMAGE/PNG"),
            Some(ScanType::Png)
        );
        assert_eq!(ScanType::from_content_type("text/plain"), None);
    }
}
