//! The quota arithmetic, free of I/O so it can be tested exhaustively and
//! run on the phone: who must make how many visits, which visits count,
//! and the pace needed to finish.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::quotas::RoleQuota;
use crate::visits::VisitMode;

/// How the requirements of a person with several roles add up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The largest single requirement (the policy's default).
    #[default]
    Max,
    /// Every role's requirement added up.
    Sum,
}

impl Combine {
    pub fn label(self) -> &'static str {
        match self {
            Combine::Max => "取各角色中最高的要求",
            Combine::Sum => "各角色要求相加",
        }
    }
}

/// The rules of a semester. The county sets defaults; a school may only
/// be stricter (see `within`). Stored as JSON, so fields added later take
/// their defaults when old rows are read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct QuotaRules {
    /// 校长: 人次 per semester.
    pub principal: u32,
    /// 副校长.
    pub vice_principal: u32,
    /// 班主任: at least half the class (rounded up) at semester start…
    pub head_teacher_half_class: bool,
    /// …and/or at least this many (0 = no fixed minimum).
    pub head_teacher_minimum: u32,
    /// 科任教师.
    pub subject_teacher: u32,
    /// 学校管理员 (usually 0).
    pub school_admin: u32,
    pub combine: Combine,
    /// 入户家访 counts.
    pub count_home: bool,
    /// 电话或网络家访 counts.
    pub count_phone: bool,
    /// 约请家长到校 counts.
    pub count_school: bool,
    /// A joint visit counts for every visitor, not only the one who filed it.
    pub joint_visit_counts_for_all: bool,
}

impl Default for QuotaRules {
    /// The seed policy: principal ≥ 40, head teacher ≥ half the class,
    /// subject teacher ≥ 15 人次 a semester; every mode counts.
    fn default() -> Self {
        QuotaRules {
            principal: 40,
            vice_principal: 40,
            head_teacher_half_class: true,
            head_teacher_minimum: 0,
            subject_teacher: 15,
            school_admin: 0,
            combine: Combine::Max,
            count_home: true,
            count_phone: true,
            count_school: true,
            joint_visit_counts_for_all: true,
        }
    }
}

/// No requirement above this: a typo guard (a semester has ~20 weeks).
pub const MAX_PER_ROLE: u32 = 500;

impl QuotaRules {
    pub fn counts_mode(&self, mode: VisitMode) -> bool {
        match mode {
            VisitMode::Home => self.count_home,
            VisitMode::Phone => self.count_phone,
            VisitMode::School => self.count_school,
        }
    }

    pub fn counted_modes(&self) -> Vec<VisitMode> {
        VisitMode::ALL
            .into_iter()
            .filter(|m| self.counts_mode(*m))
            .collect()
    }

    /// The head teacher's requirement for a class of `class_size`.
    pub fn head_teacher_required(&self, class_size: u32) -> u32 {
        let half = if self.head_teacher_half_class {
            class_size.div_ceil(2)
        } else {
            0
        };
        half.max(self.head_teacher_minimum)
    }

    /// Problems with the rules themselves, in Chinese.
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for (label, value) in self.per_role() {
            if value > MAX_PER_ROLE {
                errors.push(format!("{label}的要求不能超过 {MAX_PER_ROLE} 人次"));
            }
        }
        if self.head_teacher_minimum > MAX_PER_ROLE {
            errors.push(format!("班主任的最低人次不能超过 {MAX_PER_ROLE}"));
        }
        if !self.count_home && !self.count_phone && !self.count_school {
            errors.push("至少要有一种家访方式计入任务".into());
        }
        errors
    }

    /// Where a school's override is looser than the county allows, in
    /// Chinese. A school may ask more of its teachers, never less.
    pub fn looser_than(&self, county: &QuotaRules) -> Vec<String> {
        let mut errors = Vec::new();
        for ((label, own), (_, floor)) in self.per_role().into_iter().zip(county.per_role()) {
            if own < floor {
                errors.push(format!("{label}不能低于县级要求的 {floor} 人次"));
            }
        }
        if self.head_teacher_minimum < county.head_teacher_minimum {
            errors.push(format!(
                "班主任最低人次不能低于县级要求的 {}",
                county.head_teacher_minimum
            ));
        }
        if county.head_teacher_half_class && !self.head_teacher_half_class {
            errors.push("县级要求班主任至少访班级人数的一半，学校不能取消".into());
        }
        if county.combine == Combine::Sum && self.combine == Combine::Max {
            errors.push("县级要求多角色人次相加，学校不能改为取最高".into());
        }
        for mode in VisitMode::ALL {
            if self.counts_mode(mode) && !county.counts_mode(mode) {
                errors.push(format!("县级规定「{}」不计入任务", mode.label()));
            }
        }
        if self.joint_visit_counts_for_all && !county.joint_visit_counts_for_all {
            errors.push("县级规定联合家访只计入填表人".into());
        }
        errors
    }

    /// These rules made no looser than `county` (for overrides saved
    /// before the county tightened its rules).
    pub fn within(&self, county: &QuotaRules) -> QuotaRules {
        QuotaRules {
            principal: self.principal.max(county.principal),
            vice_principal: self.vice_principal.max(county.vice_principal),
            head_teacher_half_class: self.head_teacher_half_class || county.head_teacher_half_class,
            head_teacher_minimum: self.head_teacher_minimum.max(county.head_teacher_minimum),
            subject_teacher: self.subject_teacher.max(county.subject_teacher),
            school_admin: self.school_admin.max(county.school_admin),
            combine: if county.combine == Combine::Sum {
                Combine::Sum
            } else {
                self.combine
            },
            count_home: self.count_home && county.count_home,
            count_phone: self.count_phone && county.count_phone,
            count_school: self.count_school && county.count_school,
            joint_visit_counts_for_all: self.joint_visit_counts_for_all
                && county.joint_visit_counts_for_all,
        }
    }

    fn per_role(&self) -> [(&'static str, u32); 4] {
        [
            ("校长", self.principal),
            ("副校长", self.vice_principal),
            ("科任教师", self.subject_teacher),
            ("学校管理员", self.school_admin),
        ]
    }

    /// The fixed requirement of a role (head teachers depend on the class).
    fn fixed(&self, role: Role) -> u32 {
        match role {
            Role::Principal => self.principal,
            Role::VicePrincipal => self.vice_principal,
            Role::SubjectTeacher => self.subject_teacher,
            Role::SchoolAdmin => self.school_admin,
            // A reviewer's own visits count under their teaching role.
            Role::HeadTeacher | Role::Reviewer | Role::TownOfficer | Role::CountyOfficer => 0,
        }
    }
}

/// One role a person holds in the semester's school.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Duty {
    pub role: Role,
    /// For head teachers: the class name and its size at semester start.
    pub class: Option<(String, u32)>,
}

/// What a person must do: the total and one line per role. Several
/// subject-teacher classes are one requirement (15 人次 is per person);
/// head teachers of several classes owe each class its share.
pub fn required(rules: &QuotaRules, duties: &[Duty]) -> (u32, Vec<RoleQuota>) {
    let mut lines: Vec<RoleQuota> = Vec::new();
    for role in Role::ALL {
        let mine: Vec<&Duty> = duties.iter().filter(|d| d.role == role).collect();
        if mine.is_empty() || role.is_officer() {
            continue;
        }
        let (required, detail) = if role == Role::HeadTeacher {
            let parts: Vec<(String, u32)> = mine
                .iter()
                .filter_map(|d| d.class.clone())
                .map(|(name, size)| {
                    let need = rules.head_teacher_required(size);
                    (format!("{name} {size} 人 → {need}"), need)
                })
                .collect();
            (
                parts.iter().map(|(_, n)| n).sum(),
                parts
                    .into_iter()
                    .map(|(d, _)| d)
                    .collect::<Vec<_>>()
                    .join("；"),
            )
        } else {
            (rules.fixed(role), "每学期".to_owned())
        };
        lines.push(RoleQuota {
            role,
            label: role.label().to_owned(),
            detail,
            required,
        });
    }
    let total = match rules.combine {
        Combine::Max => lines.iter().map(|l| l.required).max().unwrap_or(0),
        Combine::Sum => lines.iter().map(|l| l.required).sum(),
    };
    (total, lines)
}

/// How many of a person's visits (in the semester) share these facts.
/// The server's counting query returns these; `counted` applies the rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tally {
    pub mode: VisitMode,
    /// The person was a co-visitor, not the one who filed the record.
    pub as_co_visitor: bool,
    /// Returned by review (退回) and not amended since.
    pub returned: bool,
    pub visits: u32,
}

/// The visits that count towards the quota. Two siblings visited in one
/// trip are two records, so two 人次.
pub fn counted(rules: &QuotaRules, tallies: &[Tally]) -> u32 {
    tallies
        .iter()
        .filter(|t| !t.returned)
        .filter(|t| rules.counts_mode(t.mode))
        .filter(|t| !t.as_co_visitor || rules.joint_visit_counts_for_all)
        .map(|t| t.visits)
        .sum()
}

/// Visits returned by review, waiting for the teacher to amend them.
pub fn returned(tallies: &[Tally]) -> u32 {
    tallies
        .iter()
        .filter(|t| t.returned && !t.as_co_visitor)
        .map(|t| t.visits)
        .sum()
}

/// Green on pace, amber slightly behind, red well behind; done when met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaceStatus {
    Done,
    Green,
    Amber,
    Red,
}

impl PaceStatus {
    pub fn label(self) -> &'static str {
        match self {
            PaceStatus::Done => "已完成",
            PaceStatus::Green => "进度正常",
            PaceStatus::Amber => "略有落后",
            PaceStatus::Red => "明显落后",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            PaceStatus::Done => "done",
            PaceStatus::Green => "green",
            PaceStatus::Amber => "amber",
            PaceStatus::Red => "red",
        }
    }

    pub fn is_behind(self) -> bool {
        matches!(self, PaceStatus::Amber | PaceStatus::Red)
    }
}

/// Where someone stands on `today` in a semester from `start` to `end`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace {
    pub remaining: u32,
    pub weeks_left: f64,
    pub pace_per_week: f64,
    pub expected_by_now: f64,
    pub status: PaceStatus,
}

/// Below this share of the even-pace target, a teacher is red.
const RED_BELOW: f64 = 0.7;

pub fn pace(
    required: u32,
    counted: u32,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Pace {
    let remaining = required.saturating_sub(counted);
    let total_days = ((end - start).num_days() + 1).max(1) as f64;
    // Today counts as a day still available for visits.
    let days_left = ((end - today).num_days() + 1).clamp(0, total_days as i64) as f64;
    let days_gone = total_days - days_left;
    let weeks_left = (days_left / 7.0 * 10.0).round() / 10.0;
    let pace_per_week = if remaining == 0 {
        0.0
    } else {
        // In the last week (or after the end) everything is due now.
        let per_week = f64::from(remaining) / (days_left / 7.0).max(1.0);
        (per_week * 10.0).ceil() / 10.0
    };
    let expected_by_now = (f64::from(required) * days_gone / total_days * 10.0).round() / 10.0;
    let done = f64::from(counted);
    let status = if remaining == 0 {
        PaceStatus::Done
    } else if today > end {
        // Over and not met: no pace can fix it any more.
        PaceStatus::Red
    } else if done >= expected_by_now.floor() {
        PaceStatus::Green
    } else if done >= expected_by_now * RED_BELOW {
        PaceStatus::Amber
    } else {
        PaceStatus::Red
    };
    Pace {
        remaining,
        weeks_left,
        pace_per_week,
        expected_by_now,
        status,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn head(size: u32) -> Duty {
        Duty {
            role: Role::HeadTeacher,
            class: Some(("三年级(1)班".into(), size)),
        }
    }

    fn role(role: Role) -> Duty {
        Duty { role, class: None }
    }

    #[test]
    fn head_teacher_owes_half_the_class_rounded_up() {
        let rules = QuotaRules::default();
        assert_eq!(required(&rules, &[head(45)]).0, 23);
        assert_eq!(required(&rules, &[head(44)]).0, 22);
        assert_eq!(required(&rules, &[head(0)]).0, 0);
        let (_, lines) = required(&rules, &[head(45)]);
        assert_eq!(lines[0].detail, "三年级(1)班 45 人 → 23");
    }

    #[test]
    fn a_fixed_minimum_of_twenty_instead_of_or_besides_half_the_class() {
        let instead = QuotaRules {
            head_teacher_half_class: false,
            head_teacher_minimum: 20,
            ..Default::default()
        };
        assert_eq!(instead.head_teacher_required(45), 20);
        assert_eq!(instead.head_teacher_required(10), 20);
        let besides = QuotaRules {
            head_teacher_minimum: 20,
            ..Default::default()
        };
        assert_eq!(besides.head_teacher_required(45), 23);
        assert_eq!(besides.head_teacher_required(30), 20);
    }

    #[test]
    fn principal_who_is_also_head_teacher_takes_the_max_or_the_sum() {
        let duties = [role(Role::Principal), head(45)];
        let max = QuotaRules::default();
        assert_eq!(required(&max, &duties).0, 40);
        let sum = QuotaRules {
            combine: Combine::Sum,
            ..Default::default()
        };
        let (total, lines) = required(&sum, &duties);
        assert_eq!(total, 63);
        assert_eq!(lines.len(), 2);
    }

    #[test]
    fn subject_teacher_of_several_classes_owes_fifteen_once() {
        let duties = [role(Role::SubjectTeacher), role(Role::SubjectTeacher)];
        assert_eq!(required(&QuotaRules::default(), &duties).0, 15);
        let two_classes = [head(45), head(30)];
        assert_eq!(required(&QuotaRules::default(), &two_classes).0, 38);
        assert_eq!(required(&QuotaRules::default(), &[]).0, 0);
        assert_eq!(
            required(&QuotaRules::default(), &[role(Role::CountyOfficer)]).0,
            0
        );
    }

    fn tally(mode: VisitMode, as_co_visitor: bool, returned: bool, visits: u32) -> Tally {
        Tally {
            mode,
            as_co_visitor,
            returned,
            visits,
        }
    }

    #[test]
    fn mode_toggles_decide_what_counts() {
        let tallies = [
            tally(VisitMode::Home, false, false, 3),
            tally(VisitMode::Phone, false, false, 2),
            tally(VisitMode::School, false, false, 1),
        ];
        assert_eq!(counted(&QuotaRules::default(), &tallies), 6);
        let no_phone = QuotaRules {
            count_phone: false,
            ..Default::default()
        };
        assert_eq!(counted(&no_phone, &tallies), 4);
        let home_only = QuotaRules {
            count_phone: false,
            count_school: false,
            ..Default::default()
        };
        assert_eq!(counted(&home_only, &tallies), 3);
    }

    #[test]
    fn joint_visits_credit_co_visitors_unless_switched_off() {
        let tallies = [
            tally(VisitMode::Home, false, false, 2),
            tally(VisitMode::Home, true, false, 5),
        ];
        assert_eq!(counted(&QuotaRules::default(), &tallies), 7);
        let filer_only = QuotaRules {
            joint_visit_counts_for_all: false,
            ..Default::default()
        };
        assert_eq!(counted(&filer_only, &tallies), 2);
    }

    #[test]
    fn returned_visits_do_not_count() {
        let tallies = [
            tally(VisitMode::Home, false, false, 2),
            tally(VisitMode::Home, false, true, 1),
            tally(VisitMode::Home, true, true, 4),
        ];
        assert_eq!(counted(&QuotaRules::default(), &tallies), 2);
        assert_eq!(returned(&tallies), 1);
    }

    #[test]
    fn schools_may_be_stricter_never_looser() {
        let county = QuotaRules::default();
        let stricter = QuotaRules {
            principal: 50,
            head_teacher_minimum: 20,
            combine: Combine::Sum,
            count_phone: false,
            ..Default::default()
        };
        assert!(stricter.looser_than(&county).is_empty());
        assert_eq!(stricter.within(&county), stricter);
        let looser = QuotaRules {
            subject_teacher: 10,
            head_teacher_half_class: false,
            ..Default::default()
        };
        let problems = looser.looser_than(&county);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("科任教师不能低于县级要求的 15 人次"));
        assert_eq!(looser.within(&county), county);
        let county_no_phone = QuotaRules {
            count_phone: false,
            ..Default::default()
        };
        assert_eq!(QuotaRules::default().looser_than(&county_no_phone).len(), 1);
    }

    #[test]
    fn rules_must_let_some_mode_count_and_stay_sane() {
        let none = QuotaRules {
            count_home: false,
            count_phone: false,
            count_school: false,
            ..Default::default()
        };
        assert_eq!(none.validate(), vec!["至少要有一种家访方式计入任务"]);
        let huge = QuotaRules {
            principal: 9999,
            ..Default::default()
        };
        assert_eq!(huge.validate().len(), 1);
        assert!(QuotaRules::default().validate().is_empty());
    }

    #[test]
    fn old_rows_missing_new_fields_read_with_defaults() {
        let rules: QuotaRules = serde_json::from_str(r#"{"principal": 30}"#).unwrap();
        assert_eq!(rules.principal, 30);
        assert_eq!(rules.subject_teacher, 15);
    }

    fn d(m: u32, day: u32) -> NaiveDate {
        let year = if m >= 9 { 2026 } else { 2027 };
        NaiveDate::from_ymd_opt(year, m, day).unwrap()
    }

    #[test]
    fn pace_spreads_the_remainder_over_the_weeks_left() {
        // 2026-09-01 … 2027-01-31 is 153 days.
        let start = d(9, 1);
        let end = d(1, 31);
        let first_day = pace(40, 0, start, end, start);
        assert_eq!(first_day.remaining, 40);
        assert_eq!(first_day.weeks_left, 21.9);
        assert_eq!(first_day.pace_per_week, 1.9);
        assert_eq!(first_day.expected_by_now, 0.0);
        assert_eq!(first_day.status, PaceStatus::Green);

        let halfway = pace(40, 10, start, d(11, 16), d(10, 9));
        assert!(halfway.status == PaceStatus::Red, "{halfway:?}");
        let done = pace(40, 41, start, end, d(10, 1));
        assert_eq!((done.remaining, done.pace_per_week), (0, 0.0));
        assert_eq!(done.status, PaceStatus::Done);
        let after_end = pace(40, 30, start, end, d(2, 10));
        assert_eq!(after_end.weeks_left, 0.0);
        assert_eq!(after_end.pace_per_week, 10.0);
        assert_eq!(after_end.status, PaceStatus::Red);
    }

    #[test]
    fn pace_colours_follow_the_even_pace_target() {
        let start = d(9, 1);
        let end = d(12, 31); // 122 days
        let mid = d(10, 31); // 61 days gone: half of 40 expected = 20
        assert_eq!(pace(40, 20, start, end, mid).status, PaceStatus::Green);
        assert_eq!(pace(40, 15, start, end, mid).status, PaceStatus::Amber);
        assert_eq!(pace(40, 13, start, end, mid).status, PaceStatus::Red);
    }

    fn any_mode() -> impl Strategy<Value = VisitMode> {
        prop::sample::select(VisitMode::ALL.to_vec())
    }

    fn any_rules() -> impl Strategy<Value = QuotaRules> {
        (
            any::<[bool; 4]>(),
            prop::bool::ANY,
            0u32..60,
            prop::bool::ANY,
        )
            .prop_map(|(modes, joint, minimum, half)| QuotaRules {
                count_home: modes[0],
                count_phone: modes[1],
                count_school: modes[2],
                joint_visit_counts_for_all: joint,
                head_teacher_minimum: minimum,
                head_teacher_half_class: half,
                combine: if modes[3] { Combine::Sum } else { Combine::Max },
                ..Default::default()
            })
    }

    proptest! {
        /// Whatever the rules, a teacher is never credited with more visits
        /// than they took part in, and remaining never goes negative.
        #[test]
        fn counted_never_exceeds_visits_taken_part_in(
            rules in any_rules(),
            visits in prop::collection::vec(
                (any_mode(), prop::bool::ANY, prop::bool::ANY, prop::bool::ANY), 0..80),
            required in 0u32..100,
        ) {
            // One visit each: (mode, the teacher filed it, the teacher was a
            // co-visitor, returned). Visits they had no part in are noise.
            let tallies: Vec<Tally> = visits
                .iter()
                .filter(|(_, filed, co, _)| *filed || *co)
                .map(|(mode, filed, _, returned)| Tally {
                    mode: *mode,
                    as_co_visitor: !*filed,
                    returned: *returned,
                    visits: 1,
                })
                .collect();
            let taken_part = visits.iter().filter(|(_, filed, co, _)| *filed || *co).count();
            let n = counted(&rules, &tallies);
            prop_assert!(n as usize <= taken_part);
            let p = pace(required, n, NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
                NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
                NaiveDate::from_ymd_opt(2026, 11, 23).unwrap());
            prop_assert_eq!(p.remaining, required.saturating_sub(n));
            prop_assert!(p.pace_per_week >= 0.0);
        }

        #[test]
        fn head_teacher_quota_is_at_least_half_and_at_least_the_minimum(
            size in 0u32..200, minimum in 0u32..60,
        ) {
            let rules = QuotaRules { head_teacher_minimum: minimum, ..Default::default() };
            let need = rules.head_teacher_required(size);
            prop_assert!(need * 2 >= size);
            prop_assert!(need >= minimum);
            prop_assert!(need <= size.div_ceil(2).max(minimum));
        }
    }
}
