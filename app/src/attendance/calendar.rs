//! The school calendar: which dates are school days. Monday to Friday inside
//! the semester, minus holidays, plus make-up working days (调休). "Day N"
//! of an absence counts school days, so a weekend or a holiday inside an
//! absence neither counts nor breaks it.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchoolCalendar {
    /// The semester's first and last day.
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub holidays: BTreeSet<NaiveDate>,
    /// Weekend days that are working days (调休).
    pub workdays: BTreeSet<NaiveDate>,
}

impl SchoolCalendar {
    pub fn is_school_day(&self, day: NaiveDate) -> bool {
        if day < self.start || day > self.end {
            return false;
        }
        if self.workdays.contains(&day) {
            return true;
        }
        !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The school day before `day`, if the semester has one.
    pub fn previous_school_day(&self, day: NaiveDate) -> Option<NaiveDate> {
        let mut d = day.pred_opt()?;
        while d >= self.start {
            if self.is_school_day(d) {
                return Some(d);
            }
            d = d.pred_opt()?;
        }
        None
    }

    /// The school day after `day`, if the semester has one.
    pub fn next_school_day(&self, day: NaiveDate) -> Option<NaiveDate> {
        let mut d = day.succ_opt()?;
        while d <= self.end {
            if self.is_school_day(d) {
                return Some(d);
            }
            d = d.succ_opt()?;
        }
        None
    }

    /// School days from `from` to `to`, both included.
    pub fn school_days(&self, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days()
            .take_while(|d| *d <= to)
            .filter(|d| self.is_school_day(*d))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    /// Autumn 2026 with the National Day week off and its make-up Saturday.
    fn autumn() -> SchoolCalendar {
        SchoolCalendar {
            start: d(9, 1),
            end: d(12, 31),
            holidays: (1..=7).map(|day| d(10, day)).collect(),
            workdays: [d(10, 10)].into(),
        }
    }

    #[test]
    fn weekends_holidays_and_make_up_days() {
        let cal = autumn();
        assert!(cal.is_school_day(d(9, 30)), "Wednesday");
        assert!(!cal.is_school_day(d(10, 1)), "National Day");
        assert!(!cal.is_school_day(d(10, 3)), "holiday weekend");
        assert!(cal.is_school_day(d(10, 10)), "make-up Saturday");
        assert!(!cal.is_school_day(d(10, 11)), "Sunday");
        assert!(!cal.is_school_day(d(8, 31)), "before the semester");
        assert_eq!(cal.next_school_day(d(9, 30)), Some(d(10, 8)));
        assert_eq!(cal.previous_school_day(d(10, 8)), Some(d(9, 30)));
        assert_eq!(cal.previous_school_day(d(9, 1)), None);
        assert_eq!(cal.school_days(d(9, 28), d(10, 9)).len(), 5);
    }

    proptest! {
        #[test]
        fn next_and_previous_are_inverse(offset in 0i64..120) {
            let cal = autumn();
            let day = d(9, 1) + chrono::Duration::days(offset);
            if let Some(next) = cal.next_school_day(day) {
                prop_assert!(cal.is_school_day(next));
                prop_assert!(next > day);
                if cal.is_school_day(day) {
                    prop_assert_eq!(cal.previous_school_day(next), Some(day));
                }
                prop_assert!(cal.school_days(day.succ_opt().unwrap(), next).len() == 1);
            }
        }
    }
}
