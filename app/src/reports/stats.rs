//! The arithmetic of the monthly report, from a student's dated status
//! history: the status on a day, what happened within a month, the
//! dropout rate and whether it is within the target. Pure, no database.

use std::ops::AddAssign;

use chrono::NaiveDate;

use super::{Stage, StageRow};
use crate::roster::StudentStatus;

/// One dated status change (`student_status_history`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Change {
    pub date: NaiveDate,
    pub to: StudentStatus,
}

/// The change in force at the end of `day`: the last one dated on or
/// before it. `history` is in the order the changes were made (by date,
/// then by id), so of several changes on one day the last wins. `None`
/// when the student had no status yet (not registered).
pub fn status_at(history: &[Change], day: NaiveDate) -> Option<usize> {
    history.iter().rposition(|c| c.date <= day)
}

/// Counted as a dropout at the month's end: 辍学 and 劝返中.
pub fn counts_as_dropout(status: StudentStatus) -> bool {
    matches!(status, StudentStatus::Dropout | StudentStatus::Persuading)
}

/// One student's contribution to a month.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonthFacts {
    /// Index in the history of the change in force at the month's end.
    pub at_end: Option<usize>,
    pub on_roll: bool,
    pub new_suspected: bool,
    pub new_dropout: bool,
    pub returned: bool,
    pub suspected_at_end: bool,
    pub dropout_at_end: bool,
    /// Belongs on the 辍学学生名单: suspected, dropped out or being
    /// persuaded at some time in the month, or returned within it.
    pub listed: bool,
}

/// What `history` says about the month `first..=last`.
pub fn month_facts(history: &[Change], first: NaiveDate, last: NaiveDate) -> MonthFacts {
    let at_end = status_at(history, last);
    let end_status = at_end.map(|i| history[i].to);
    let in_month: Vec<StudentStatus> = history
        .iter()
        .filter(|c| c.date >= first && c.date <= last)
        .map(|c| c.to)
        .collect();
    let became = |s: StudentStatus| in_month.contains(&s);
    let at_start = first
        .pred_opt()
        .and_then(|day| status_at(history, day))
        .map(|i| history[i].to);
    let worrying = |s: &StudentStatus| {
        matches!(
            s,
            StudentStatus::SuspectedDropout | StudentStatus::Dropout | StudentStatus::Persuading
        )
    };
    let held_worrying = at_start.iter().chain(in_month.iter()).any(worrying);
    MonthFacts {
        at_end,
        on_roll: end_status.is_some_and(StudentStatus::is_on_roll),
        new_suspected: became(StudentStatus::SuspectedDropout),
        new_dropout: became(StudentStatus::Dropout),
        returned: became(StudentStatus::Returned),
        suspected_at_end: end_status == Some(StudentStatus::SuspectedDropout),
        dropout_at_end: end_status.is_some_and(counts_as_dropout),
        listed: held_worrying || became(StudentStatus::Returned),
    }
}

/// The counts of a stage (or of several, added up).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub enrolled: u32,
    pub new_suspected: u32,
    pub new_dropouts: u32,
    pub returned: u32,
    pub suspected_at_end: u32,
    pub dropouts_at_end: u32,
}

impl Tally {
    pub fn add_facts(&mut self, f: &MonthFacts) {
        let n = |b: bool| u32::from(b);
        self.enrolled += n(f.on_roll);
        self.new_suspected += n(f.new_suspected);
        self.new_dropouts += n(f.new_dropout);
        self.returned += n(f.returned);
        // Only students on the roll count at the month's end, so the
        // rate's numerator is always part of its denominator.
        self.suspected_at_end += n(f.on_roll && f.suspected_at_end);
        self.dropouts_at_end += n(f.on_roll && f.dropout_at_end);
    }

    /// The line of the 统计表: with the rate and, for a stage, the target.
    pub fn row(&self, stage: Option<Stage>) -> StageRow {
        StageRow {
            stage,
            label: stage.map_or("合计", Stage::label).to_owned(),
            enrolled: self.enrolled,
            new_suspected: self.new_suspected,
            new_dropouts: self.new_dropouts,
            returned: self.returned,
            suspected_at_end: self.suspected_at_end,
            dropouts_at_end: self.dropouts_at_end,
            dropout_rate: dropout_rate(self.dropouts_at_end, self.enrolled),
            target: stage.map(Stage::target_percent),
            meets_target: stage
                .map(|s| meets_target(self.dropouts_at_end, self.enrolled, s.target_permille())),
        }
    }
}

impl AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.enrolled += o.enrolled;
        self.new_suspected += o.new_suspected;
        self.new_dropouts += o.new_dropouts;
        self.returned += o.returned;
        self.suspected_at_end += o.suspected_at_end;
        self.dropouts_at_end += o.dropouts_at_end;
    }
}

/// 辍学率 in percent with two decimals; 0 when nobody is on the roll.
pub fn dropout_rate(dropouts: u32, enrolled: u32) -> f64 {
    if enrolled == 0 {
        0.0
    } else {
        (f64::from(dropouts) * 10_000.0 / f64::from(enrolled)).round() / 100.0
    }
}

/// Whether dropouts ÷ enrolled ≤ target (in ‰), exactly (integers, no
/// rounding: 1 of 200 is 0.5 % and meets a 0.5 % target, 1 of 199 does not).
pub fn meets_target(dropouts: u32, enrolled: u32, target_permille: u32) -> bool {
    u64::from(dropouts) * 1000 <= u64::from(enrolled) * u64::from(target_permille)
}

#[cfg(test)]
mod tests {
    use super::*;
    use StudentStatus::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    fn c(m: u32, day: u32, to: StudentStatus) -> Change {
        Change {
            date: d(m, day),
            to,
        }
    }

    #[test]
    fn status_at_takes_the_last_change_on_or_before_the_day() {
        let h = [
            c(9, 1, InSchool),
            c(10, 8, SuspectedDropout),
            c(10, 8, Dropout),
            c(11, 2, Persuading),
        ];
        assert_eq!(status_at(&h, d(8, 31)), None, "not registered yet");
        assert_eq!(status_at(&h, d(9, 1)), Some(0));
        assert_eq!(status_at(&h, d(10, 7)), Some(0));
        assert_eq!(
            status_at(&h, d(10, 8)),
            Some(2),
            "same day: the later change"
        );
        assert_eq!(status_at(&h, d(12, 1)), Some(3));
        assert_eq!(status_at(&[], d(12, 1)), None);
    }

    #[test]
    fn a_month_of_changes() {
        let (first, last) = (d(10, 1), d(10, 31));
        let dropped = [
            c(9, 1, InSchool),
            c(10, 8, SuspectedDropout),
            c(10, 20, Dropout),
        ];
        let f = month_facts(&dropped, first, last);
        assert!(f.on_roll && f.new_suspected && f.new_dropout && f.dropout_at_end && f.listed);
        assert!(!f.suspected_at_end && !f.returned);

        let came_back = [
            c(9, 1, InSchool),
            c(9, 15, SuspectedDropout),
            c(9, 25, Persuading),
            c(10, 12, Returned),
        ];
        let f = month_facts(&came_back, first, last);
        assert!(f.returned && f.listed && f.on_roll);
        assert!(!f.new_suspected && !f.dropout_at_end);

        let moved = [c(9, 1, InSchool), c(10, 5, TransferredOut)];
        let f = month_facts(&moved, first, last);
        assert!(!f.on_roll && !f.listed);

        // Changes after the month do not count in it.
        let later = [c(9, 1, InSchool), c(11, 1, SuspectedDropout)];
        assert_eq!(
            month_facts(&later, first, last),
            MonthFacts {
                at_end: Some(0),
                on_roll: true,
                ..Default::default()
            }
        );

        // Returned long ago: no longer on the list.
        let old = [c(3, 1, SuspectedDropout), c(4, 1, Returned)];
        assert!(!month_facts(&old, first, last).listed);
    }

    #[test]
    fn tally_makes_the_rows() {
        let mut t = Tally::default();
        let (first, last) = (d(10, 1), d(10, 31));
        for _ in 0..199 {
            t.add_facts(&month_facts(&[c(9, 1, InSchool)], first, last));
        }
        t.add_facts(&month_facts(
            &[
                c(9, 1, InSchool),
                c(10, 3, SuspectedDropout),
                c(10, 9, Dropout),
            ],
            first,
            last,
        ));
        let row = t.row(Some(Stage::Primary));
        assert_eq!((row.enrolled, row.dropouts_at_end), (200, 1));
        assert_eq!(row.dropout_rate, 0.5);
        assert_eq!(row.meets_target, Some(true));
        assert_eq!(row.target, Some(0.5));
        assert_eq!(row.label, "小学");
        let total = t.row(None);
        assert_eq!(
            (total.label.as_str(), total.target, total.meets_target),
            ("合计", None, None)
        );
    }

    #[test]
    fn rates_round_to_two_decimals() {
        assert_eq!(dropout_rate(0, 0), 0.0);
        assert_eq!(dropout_rate(1, 3), 33.33);
        assert_eq!(dropout_rate(2, 3), 66.67);
        assert_eq!(dropout_rate(1, 300), 0.33);
        assert!(meets_target(1, 200, 5));
        assert!(!meets_target(1, 199, 5));
        assert!(meets_target(0, 0, 5));
        assert!(meets_target(12, 1000, 12));
        assert!(!meets_target(13, 1000, 12));
    }

    fn status() -> impl Strategy<Value = StudentStatus> {
        proptest::sample::select(StudentStatus::ALL.to_vec())
    }

    fn history() -> impl Strategy<Value = Vec<Change>> {
        proptest::collection::vec((0u64..120, status()), 0..8).prop_map(|mut v| {
            v.sort_by_key(|(offset, _)| *offset);
            v.into_iter()
                .map(|(offset, to)| Change {
                    date: d(9, 1) + chrono::Days::new(offset),
                    to,
                })
                .collect()
        })
    }

    proptest! {
        /// The status on a day is the last change dated no later than it,
        /// and it only changes on days with a change.
        #[test]
        fn status_at_matches_a_linear_scan(h in history(), offset in 0u64..130) {
            let day = d(9, 1) + chrono::Days::new(offset);
            let mut expected = None;
            for (i, c) in h.iter().enumerate() {
                if c.date <= day {
                    expected = Some(i);
                }
            }
            prop_assert_eq!(status_at(&h, day), expected);
            if let Some(i) = expected {
                prop_assert!(h[i + 1..].iter().all(|c| c.date > day));
            }
        }

        /// Within a month the numerator stays inside the denominator, and
        /// the rate is a percentage within the target exactly when the
        /// integer check says so.
        #[test]
        fn tallies_are_consistent(hs in proptest::collection::vec(history(), 0..40)) {
            let mut t = Tally::default();
            for h in &hs {
                let f = month_facts(h, d(10, 1), d(10, 31));
                prop_assert!(!f.dropout_at_end || !f.suspected_at_end);
                prop_assert!(!(f.new_suspected || f.new_dropout) || f.listed);
                t.add_facts(&f);
            }
            prop_assert!(t.dropouts_at_end + t.suspected_at_end <= t.enrolled);
            let rate = dropout_rate(t.dropouts_at_end, t.enrolled);
            prop_assert!((0.0..=100.0).contains(&rate));
            for stage in Stage::ALL {
                let exact = f64::from(t.dropouts_at_end) * 1000.0
                    <= f64::from(t.enrolled) * f64::from(stage.target_permille());
                prop_assert_eq!(t.row(Some(stage)).meets_target, Some(exact));
            }
        }

        #[test]
        fn more_dropouts_never_help(dropouts in 0u32..500, enrolled in 0u32..100_000, permille in 1u32..50) {
            if meets_target(dropouts + 1, enrolled, permille) {
                prop_assert!(meets_target(dropouts, enrolled, permille));
            }
            if meets_target(dropouts, enrolled, permille) {
                prop_assert!(meets_target(dropouts, enrolled + 1, permille));
            }
        }
    }
}
