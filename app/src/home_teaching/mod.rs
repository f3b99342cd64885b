//! 送教上门: students who cannot come to school because of a disability are
//! taught at home, at least weekly (seed 003, "每周送教不少于 1 次"). A
//! session is recorded as a visit with reason 送教上门 (offline, with
//! photos and the guardian's signature, like every 家访记录表) plus its
//! length; this domain lists the students, their sessions and when the
//! next one is due, and reminds the school when one is overdue.

pub mod page;

#[cfg(feature = "ssr")]
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One 送教上门 session (a visit with reason 送教上门).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Session {
    pub visit_id: Uuid,
    pub date: NaiveDate,
    pub teacher: String,
    pub minutes: Option<u32>,
    /// What was taught (the record's summary).
    pub content: String,
    pub photos: u32,
    pub signed: bool,
}

/// A student taught at home, with the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TaughtStudent {
    pub student_id: i32,
    pub name: String,
    pub class_name: String,
    pub sessions_this_semester: u32,
    pub minutes_this_semester: u32,
    pub last_session: Option<NaiveDate>,
    pub next_due: NaiveDate,
    pub overdue: bool,
    /// The newest sessions first (at most 5).
    pub recent: Vec<Session>,
}

/// `GET /api/v1/home-teaching`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HomeTeachingList {
    /// The most urgent first: overdue, then by due date.
    pub students: Vec<TaughtStudent>,
}

/// `PUT /api/v1/students/{id}/home-teaching`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Enrolment {
    pub enabled: bool,
}

/// When the next session is due: `every_days` after the last one; with no
/// session yet, `every_days` after `since` (the semester's start, or the
/// day the student was put on the list if that is later). Overdue once the
/// due day has passed.
pub fn next_due(
    last: Option<NaiveDate>,
    since: NaiveDate,
    every_days: u32,
    today: NaiveDate,
) -> (NaiveDate, bool) {
    let from = match last {
        Some(d) if d >= since => d,
        _ => since,
    };
    let due = from
        .checked_add_days(Days::new(u64::from(every_days)))
        .unwrap_or(from);
    (due, due < today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn weekly_cadence_from_the_last_session() {
        let since = day("2026-09-01");
        assert_eq!(
            next_due(Some(day("2026-11-16")), since, 7, day("2026-11-23")),
            (day("2026-11-23"), false),
            "due today is not yet overdue"
        );
        assert_eq!(
            next_due(Some(day("2026-11-10")), since, 7, day("2026-11-23")),
            (day("2026-11-17"), true)
        );
    }

    #[test]
    fn without_a_session_the_clock_starts_at_since() {
        assert_eq!(
            next_due(None, day("2026-11-20"), 7, day("2026-11-23")),
            (day("2026-11-27"), false)
        );
        // A session from before the semester (or before enrolment) does
        // not count for this one.
        assert_eq!(
            next_due(
                Some(day("2026-06-30")),
                day("2026-09-01"),
                7,
                day("2026-11-23")
            ),
            (day("2026-09-08"), true)
        );
    }
}
