//! The absence ladder, as pure functions: how long an unexcused absence has
//! run in school days, and which steps are due.
//!
//! The run on a day counts backwards over school days: a day marked absent
//! (and not covered by approved leave) counts; a day the student was present
//! or on leave ends the run; a school day with no roll call for the class
//! is skipped (a forgotten roll call neither counts nor forgives).

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::{LadderRules, TaskKind};
use crate::attendance::calendar::SchoolCalendar;

/// What the roll calls say about one student.
#[derive(Clone, Debug, Default)]
pub struct Attendance {
    /// School days the class's roll was taken.
    pub roll_called: BTreeSet<NaiveDate>,
    /// Days the student was marked absent.
    pub absent: BTreeSet<NaiveDate>,
    /// Days covered by approved leave.
    pub on_leave: BTreeSet<NaiveDate>,
}

impl Attendance {
    fn unexcused(&self, day: NaiveDate) -> bool {
        self.absent.contains(&day) && !self.on_leave.contains(&day)
    }
}

/// An unexcused absence still running on a given day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The school days it counts, oldest first: `absent[0]` is its start,
    /// `absent.len()` its length in school days.
    pub absent: Vec<NaiveDate>,
}

impl Run {
    pub fn start(&self) -> NaiveDate {
        self.absent[0]
    }

    pub fn days(&self) -> u32 {
        self.absent.len() as u32
    }
}

/// The absence running on `day`, if the student was absent that day.
pub fn run_on(cal: &SchoolCalendar, att: &Attendance, day: NaiveDate) -> Option<Run> {
    if !cal.is_school_day(day) || !att.unexcused(day) {
        return None;
    }
    let mut absent = vec![day];
    let mut d = day;
    while let Some(prev) = cal.previous_school_day(d) {
        d = prev;
        if att.unexcused(d) {
            absent.push(d);
        } else if att.roll_called.contains(&d) || att.on_leave.contains(&d) {
            break;
        }
    }
    absent.reverse();
    Some(Run { absent })
}

/// One step of the ladder that is due for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub kind: TaskKind,
    /// The ladder day it belongs to (1, 2, 3, 5 by default).
    pub ladder_day: u32,
    /// The school day the run reached that ladder day.
    pub reached: NaiveDate,
    pub due: NaiveDate,
}

/// Every step the run has reached (steps missed because a roll call was
/// entered late are still given, dated when they were reached).
pub fn due_steps(rules: &LadderRules, cal: &SchoolCalendar, run: &Run) -> Vec<Step> {
    let days = &run.absent;
    TaskKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let ladder_day = rules.day_of(kind);
            let reached = *days.get(ladder_day.checked_sub(1)? as usize)?;
            // Visits are due the same day (当日家访); the plan and the 劝返
            // record by the next school day.
            let due = match kind {
                TaskKind::ContactVisit | TaskKind::JointVisit => reached,
                TaskKind::ControlPlan | TaskKind::PersuasionRecord => {
                    cal.next_school_day(reached).unwrap_or(reached)
                }
            };
            Some(Step {
                kind,
                ladder_day,
                reached,
                due,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    /// September 2026 with the Mid-Autumn Festival (Fri 25th) off.
    fn cal() -> SchoolCalendar {
        SchoolCalendar {
            start: d(9, 1),
            end: d(12, 31),
            holidays: [d(9, 25)].into(),
            workdays: Default::default(),
        }
    }

    fn absent_on(days: &[NaiveDate]) -> Attendance {
        Attendance {
            roll_called: days.iter().copied().collect(),
            absent: days.iter().copied().collect(),
            on_leave: Default::default(),
        }
    }

    #[test]
    fn a_weekend_and_a_holiday_inside_an_absence_do_not_count() {
        // Absent Thu 24th, (Fri 25th holiday, weekend), Mon 28th, Tue 29th.
        let att = absent_on(&[d(9, 24), d(9, 28), d(9, 29)]);
        let run = run_on(&cal(), &att, d(9, 29)).unwrap();
        assert_eq!(run.start(), d(9, 24));
        assert_eq!(run.days(), 3);
        let steps = due_steps(&LadderRules::default(), &cal(), &run);
        let kinds: Vec<_> = steps.iter().map(|s| (s.kind, s.reached, s.due)).collect();
        assert_eq!(
            kinds,
            vec![
                (TaskKind::ContactVisit, d(9, 24), d(9, 24)),
                (TaskKind::JointVisit, d(9, 28), d(9, 28)),
                (TaskKind::ControlPlan, d(9, 29), d(9, 30)),
            ]
        );
    }

    #[test]
    fn presence_or_leave_ends_a_run_and_missing_roll_calls_are_skipped() {
        let mut att = absent_on(&[d(9, 21), d(9, 23)]);
        // 22nd: no roll call taken → skipped, the run goes on.
        let run = run_on(&cal(), &att, d(9, 23)).unwrap();
        assert_eq!(run.days(), 2);
        let steps = due_steps(&LadderRules::default(), &cal(), &run);
        assert_eq!(steps[1].reached, d(9, 23), "day 2 is the next absent day");
        // 22nd: roll call taken, present → a new run.
        att.roll_called.insert(d(9, 22));
        assert_eq!(run_on(&cal(), &att, d(9, 23)).unwrap().days(), 1);
        // Leave on the 23rd: no absence at all.
        att.on_leave.insert(d(9, 23));
        assert_eq!(run_on(&cal(), &att, d(9, 23)), None);
    }

    #[test]
    fn the_persuasion_record_comes_on_day_five() {
        // Tue 22nd to Tue 29th: five school days around the holiday weekend.
        let days = cal().school_days(d(9, 22), d(9, 29));
        let att = absent_on(&days);
        let run = run_on(&cal(), &att, d(9, 29)).unwrap();
        assert_eq!(run.days(), 5);
        let last = due_steps(&LadderRules::default(), &cal(), &run);
        assert_eq!(last.len(), 4);
        assert_eq!(last[3].kind, TaskKind::PersuasionRecord);
        assert_eq!(last[3].reached, d(9, 29));
    }

    proptest! {
        /// However the marks fall, steps come in ladder order, each on a
        /// school day of the run, never more than the run has reached.
        #[test]
        fn steps_stay_inside_the_run(marks in proptest::collection::vec(any::<bool>(), 1..40)) {
            let cal = cal();
            let days = cal.school_days(d(9, 1), d(11, 30));
            let absent: Vec<_> = days.iter().zip(&marks).filter(|(_, a)| **a).map(|(d, _)| *d).collect();
            let att = Attendance { roll_called: days.iter().take(marks.len()).copied().collect(), absent: absent.iter().copied().collect(), on_leave: Default::default() };
            let today = days[marks.len() - 1];
            if let Some(run) = run_on(&cal, &att, today) {
                let steps = due_steps(&LadderRules::default(), &cal, &run);
                prop_assert!(steps.iter().all(|s| s.reached >= run.start() && s.reached <= today && att.absent.contains(&s.reached)));
                prop_assert!(steps.windows(2).all(|w| w[0].ladder_day < w[1].ladder_day));
                prop_assert!(steps.iter().all(|s| s.ladder_day <= run.days()));
            } else {
                prop_assert!(!marks[marks.len() - 1]);
            }
        }
    }
}
