//! Visit tallies: how many visits each person made, by school, mode, part
//! in the visit (filer or co-visitor) and whether review returned it.
//!
//! Grouping every visit of a semester is too slow for a county (500,000
//! visits: about 1 s), so `visit_tallies` keeps the counts per calendar
//! month, changed by `record` in the same transaction as each visit write.
//! A date range adds up the months it covers whole and counts the days of
//! a partly covered month at either end from the visits themselves, so any
//! semester's dates give exact figures.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, QueryTrait, RelationTrait, Select, Set,
};

use crate::db::entities::{semester, visit, visit_co_visitor, visit_tally};
use crate::error::AppError;
use crate::quotas::rules::Tally;
use crate::reviews::ReviewStatus;
use crate::visits::VisitMode;

/// Whose visits to tally.
pub enum Scope<'a> {
    /// One person, at any school.
    Person(i32),
    /// Everyone at these schools.
    Schools(&'a [i32]),
    /// Everyone everywhere (rebuilding the kept tallies).
    Everyone,
}

/// A tally of one person's visits at one school.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonTally {
    pub user_id: i32,
    pub school_id: i32,
    pub tally: Tally,
}

/// Tallies per person, for the dashboards.
pub fn by_person(tallies: Vec<PersonTally>) -> BTreeMap<i32, Vec<Tally>> {
    let mut map: BTreeMap<i32, Vec<Tally>> = BTreeMap::new();
    for t in tallies {
        map.entry(t.user_id).or_default().push(t.tally);
    }
    map
}

/// Visits in the semester's dates (Asia/Shanghai visit dates, so a visit
/// at 23:30 on the last day is in), once as the filer and once per
/// co-visitor.
pub async fn tallies(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    semester: &semester::Model,
) -> Result<Vec<PersonTally>, AppError> {
    tallies_between(db, scope, semester.start_date, semester.end_date).await
}

/// The same for any dates: whole months from `visit_tallies`, the rest
/// from the visits.
pub async fn tallies_between(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<PersonTally>, AppError> {
    let span = MonthSpan::of(start, end);
    let mut rows = Vec::new();
    if let Some((first, last)) = span.whole_months {
        rows.extend(kept_tallies(db, &scope, first, last).await?);
    }
    for (from, to) in span.loose_days {
        rows.extend(tallies_from_visits(db, &scope, from, to).await?);
    }
    Ok(merge(rows))
}

/// Rows with the same person, school, mode, part and outcome added up
/// (a whole-month row and a partial-month count of the same kind).
fn merge(rows: Vec<PersonTally>) -> Vec<PersonTally> {
    let mut sums: BTreeMap<(i32, i32, &'static str, bool, bool), u32> = BTreeMap::new();
    for r in &rows {
        let key = (
            r.user_id,
            r.school_id,
            r.tally.mode.code(),
            r.tally.as_co_visitor,
            r.tally.returned,
        );
        *sums.entry(key).or_default() += r.tally.visits;
    }
    sums.into_iter()
        .filter(|(_, visits)| *visits > 0)
        .filter_map(
            |((user_id, school_id, mode, as_co_visitor, returned), visits)| {
                Some(PersonTally {
                    user_id,
                    school_id,
                    tally: Tally {
                        mode: VisitMode::from_code(mode)?,
                        as_co_visitor,
                        returned,
                        visits,
                    },
                })
            },
        )
        .collect()
}

/// `year * 100 + month`, the key of `visit_tallies.month`.
pub fn month_key(date: NaiveDate) -> i32 {
    date.year() * 100 + date.month() as i32
}

/// A date range cut into the calendar months it covers whole and the days
/// left over at either end.
#[derive(Debug, PartialEq, Eq)]
struct MonthSpan {
    /// First and last whole month, as `month_key`s.
    whole_months: Option<(i32, i32)>,
    /// Inclusive date ranges outside the whole months.
    loose_days: Vec<(NaiveDate, NaiveDate)>,
}

impl MonthSpan {
    fn of(start: NaiveDate, end: NaiveDate) -> Self {
        if start > end {
            return Self {
                whole_months: None,
                loose_days: Vec::new(),
            };
        }
        let first_day = |d: NaiveDate| d.with_day(1).unwrap_or(d);
        // The first day of the first whole month, and the last day of the last.
        let whole_from = if start.day() == 1 {
            Some(start)
        } else {
            first_day(start).checked_add_months(chrono::Months::new(1))
        };
        let whole_to = match end.checked_add_days(Days::new(1)) {
            Some(next) if next.day() == 1 => Some(end),
            _ => first_day(end).pred_opt(),
        };
        match (whole_from, whole_to) {
            (Some(from), Some(to)) if from <= to => {
                let mut loose_days = Vec::new();
                if start < from
                    && let Some(before) = from.pred_opt()
                {
                    loose_days.push((start, before));
                }
                if to < end
                    && let Some(after) = to.succ_opt()
                {
                    loose_days.push((after, end));
                }
                Self {
                    whole_months: Some((month_key(from), month_key(to))),
                    loose_days,
                }
            }
            _ => Self {
                whole_months: None,
                loose_days: vec![(start, end)],
            },
        }
    }
}

fn scope_filter(
    scope: &Scope<'_>,
    person: impl ColumnTrait,
    school: impl ColumnTrait,
) -> sea_orm::Condition {
    let all = sea_orm::Condition::all();
    match scope {
        Scope::Person(id) => all.add(person.eq(*id)),
        Scope::Schools(ids) => all.add(school.is_in(ids.iter().copied())),
        Scope::Everyone => all,
    }
}

/// One counter of `visit_tallies`: its column and what it counts.
struct Counter {
    column: visit_tally::Column,
    mode: VisitMode,
    as_co_visitor: bool,
    returned: bool,
}

const fn counter(
    column: visit_tally::Column,
    mode: VisitMode,
    as_co_visitor: bool,
    returned: bool,
) -> Counter {
    Counter {
        column,
        mode,
        as_co_visitor,
        returned,
    }
}

/// Every counter, in the order `Counts` holds them.
const COUNTERS: [Counter; 12] = {
    use VisitMode::{Home, Phone, School};
    use visit_tally::Column as C;
    [
        counter(C::HomeFiled, Home, false, false),
        counter(C::HomeJoined, Home, true, false),
        counter(C::PhoneFiled, Phone, false, false),
        counter(C::PhoneJoined, Phone, true, false),
        counter(C::SchoolFiled, School, false, false),
        counter(C::SchoolJoined, School, true, false),
        counter(C::HomeFiledReturned, Home, false, true),
        counter(C::HomeJoinedReturned, Home, true, true),
        counter(C::PhoneFiledReturned, Phone, false, true),
        counter(C::PhoneJoinedReturned, Phone, true, true),
        counter(C::SchoolFiledReturned, School, false, true),
        counter(C::SchoolJoinedReturned, School, true, true),
    ]
};

/// The counters of one `visit_tallies` row, in `COUNTERS` order.
type Counts = [i64; 12];

/// Where a credit of this kind is counted.
fn slot(mode: VisitMode, as_co_visitor: bool, returned: bool) -> usize {
    COUNTERS
        .iter()
        .position(|c| c.mode == mode && c.as_co_visitor == as_co_visitor && c.returned == returned)
        .unwrap_or_default()
}

fn person_tallies(user_id: i32, school_id: i32, counts: &Counts) -> Vec<PersonTally> {
    COUNTERS
        .iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| PersonTally {
            user_id,
            school_id,
            tally: Tally {
                mode: c.mode,
                as_co_visitor: c.as_co_visitor,
                returned: c.returned,
                visits: u32::try_from(*n).unwrap_or(u32::MAX),
            },
        })
        .collect()
}

/// The kept monthly counts of months `first..=last` (month keys): one row
/// per person and school.
async fn kept_tallies(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    first: i32,
    last: i32,
) -> Result<Vec<PersonTally>, AppError> {
    use visit_tally::Column as C;
    let mut query = visit_tally::Entity::find()
        .select_only()
        .column(C::SchoolId)
        .column(C::UserId);
    for c in &COUNTERS {
        query = query.column_as(Expr::from(Func::sum(Expr::col(c.column))), c.column);
    }
    let statement = query
        .filter(scope_filter(scope, C::UserId, C::SchoolId))
        .filter(C::Month.between(first, last))
        .group_by(C::SchoolId)
        .group_by(C::UserId)
        .build(db.get_database_backend());
    let mut out = Vec::new();
    for row in db.query_all_raw(statement).await? {
        let school_id: i32 = row.try_get_by_index(0)?;
        let user_id: i32 = row.try_get_by_index(1)?;
        let mut counts: Counts = [0; 12];
        for (i, n) in counts.iter_mut().enumerate() {
            *n = row.try_get_by_index::<Option<i64>>(i + 2)?.unwrap_or(0);
        }
        out.extend(person_tallies(user_id, school_id, &counts));
    }
    Ok(out)
}

/// Tallies counted from the visits themselves (the partial months; and
/// the reference `visit_tallies` must always agree with).
pub async fn tallies_from_visits(
    db: &impl ConnectionTrait,
    scope: &Scope<'_>,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<PersonTally>, AppError> {
    let (filed, joined) = visit_tally_queries(scope, start, end);
    let filed = filed
        .into_tuple::<(i32, i32, String, String, i64)>()
        .all(db)
        .await?;
    let joined = joined
        .into_tuple::<(i32, i32, String, String, i64)>()
        .all(db)
        .await?;
    let rows = filed
        .into_iter()
        .map(|r| (r, false))
        .chain(joined.into_iter().map(|r| (r, true)));
    Ok(merge(
        rows.filter_map(|((user_id, school_id, mode, review, n), as_co_visitor)| {
            Some(PersonTally {
                user_id,
                school_id,
                tally: Tally {
                    mode: VisitMode::from_code(&mode)?,
                    as_co_visitor,
                    returned: review == ReviewStatus::Returned.code(),
                    visits: u32::try_from(n).unwrap_or(0),
                },
            })
        })
        .collect(),
    ))
}

/// The two grouped queries behind `tallies_from_visits`: visits as filed
/// and as co-visitor. Public so the county benchmark can show their plans.
pub fn visit_tally_queries(
    scope: &Scope<'_>,
    start: NaiveDate,
    end: NaiveDate,
) -> (Select<visit::Entity>, Select<visit_co_visitor::Entity>) {
    let in_dates = sea_orm::Condition::all()
        .add(visit::Column::VisitDate.gte(start))
        .add(visit::Column::VisitDate.lte(end));
    // COUNT(*), not COUNT(id): the id is not in the index on (school_id,
    // visit_date, visitor_id, mode, review_status), so counting it made
    // SQLite read every visit row instead of the index alone.
    let filed = visit::Entity::find()
        .select_only()
        .column(visit::Column::VisitorId)
        .column(visit::Column::SchoolId)
        .column(visit::Column::Mode)
        .column(visit::Column::ReviewStatus)
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "n")
        .filter(in_dates.clone())
        .filter(scope_filter(
            scope,
            visit::Column::VisitorId,
            visit::Column::SchoolId,
        ))
        .group_by(visit::Column::VisitorId)
        .group_by(visit::Column::SchoolId)
        .group_by(visit::Column::Mode)
        .group_by(visit::Column::ReviewStatus);

    let mut joined = visit_co_visitor::Entity::find().select_only();
    if matches!(scope, Scope::Schools(ids) if ids.len() == 1) {
        joined = joined.join(JoinType::InnerJoin, visit_co_visitor::Relation::Visit.def());
    } else {
        // One teacher or an area: start from the co-visitor rows and look
        // their visits up. For an area SQLite would otherwise read every
        // visit row of the area to find the few with co-visitors (a county
        // of 500,000 visits: 2.9 s instead of 0.5 s). SQLite keeps a CROSS
        // JOIN's order; PostgreSQL plans it like any join.
        QuerySelect::query(&mut joined).cross_join(visit::Entity);
        joined = joined.filter(
            Expr::col((visit_co_visitor::Entity, visit_co_visitor::Column::VisitId))
                .equals((visit::Entity, visit::Column::Id)),
        );
    }
    let joined = joined
        .column(visit_co_visitor::Column::UserId)
        .column(visit::Column::SchoolId)
        .column(visit::Column::Mode)
        .column(visit::Column::ReviewStatus)
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "n")
        .filter(in_dates)
        .filter(scope_filter(
            scope,
            visit_co_visitor::Column::UserId,
            visit::Column::SchoolId,
        ))
        .group_by(visit_co_visitor::Column::UserId)
        .group_by(visit::Column::SchoolId)
        .group_by(visit::Column::Mode)
        .group_by(visit::Column::ReviewStatus);
    (filed, joined)
}

/// What one visit adds to the tallies: one for the filer and one for each
/// co-visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credits {
    pub school_id: i32,
    pub visit_date: NaiveDate,
    pub mode: String,
    pub returned: bool,
    pub visitor_id: i32,
    pub co_visitor_ids: Vec<i32>,
}

impl Credits {
    /// A stored visit's credits, its co-visitors read from the database
    /// (inside the writing transaction, so they are the ones being changed).
    pub async fn of_stored(
        db: &impl ConnectionTrait,
        visit: &visit::Model,
    ) -> Result<Self, AppError> {
        let co_visitor_ids: Vec<i32> = visit_co_visitor::Entity::find()
            .select_only()
            .column(visit_co_visitor::Column::UserId)
            .filter(visit_co_visitor::Column::VisitId.eq(visit.id))
            .into_tuple()
            .all(db)
            .await?;
        Ok(Self {
            school_id: visit.school_id,
            visit_date: visit.visit_date,
            mode: visit.mode.clone(),
            returned: visit.review_status == ReviewStatus::Returned.code(),
            visitor_id: visit.visitor_id,
            co_visitor_ids,
        })
    }

    /// The `visit_tallies` rows this visit adds one to, and which counter.
    fn rows(&self) -> Vec<(TallyKey, usize)> {
        let month = month_key(self.visit_date);
        let Some(mode) = VisitMode::from_code(&self.mode) else {
            return Vec::new();
        };
        let key = |user_id| TallyKey {
            school_id: self.school_id,
            user_id,
            month,
        };
        std::iter::once((key(self.visitor_id), slot(mode, false, self.returned)))
            .chain(
                self.co_visitor_ids
                    .iter()
                    .map(|id| (key(*id), slot(mode, true, self.returned))),
            )
            .collect()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct TallyKey {
    school_id: i32,
    user_id: i32,
    month: i32,
}

fn tally_row(key: TallyKey, counts: &Counts) -> visit_tally::ActiveModel {
    let mut row = visit_tally::ActiveModel {
        school_id: Set(key.school_id),
        user_id: Set(key.user_id),
        month: Set(key.month),
        ..Default::default()
    };
    for (c, n) in COUNTERS.iter().zip(counts) {
        row.set(c.column, i32::try_from(*n).unwrap_or(i32::MAX).into());
    }
    row
}

/// Move a visit's credits from `before` (none: a new visit) to `after`,
/// in the transaction that writes the visit. Callers make sure `before`
/// is what was stored: their UPDATE only matches the revision and review
/// outcome the credits were read from.
pub async fn record(
    db: &impl ConnectionTrait,
    before: Option<&Credits>,
    after: Option<&Credits>,
) -> Result<(), AppError> {
    let mut changes = Changes::default();
    changes.add(before, after);
    changes.write(db).await
}

/// Tally moves gathered over several visit saves (a batch from a phone)
/// and written together at the end of their transaction.
#[derive(Debug, Default)]
pub struct Changes(BTreeMap<TallyKey, Counts>);

impl Changes {
    /// Adds the move from `before` to `after` (see `record`).
    pub fn add(&mut self, before: Option<&Credits>, after: Option<&Credits>) {
        for (credits, sign) in [(before, -1), (after, 1)] {
            for (key, slot) in credits.map(Credits::rows).unwrap_or_default() {
                self.0.entry(key).or_insert([0; 12])[slot] += sign;
            }
        }
    }

    /// Upserts the changed rows. Sorted by key (a BTreeMap): concurrent
    /// writers lock shared tally rows (a co-visitor's) in the same order,
    /// so PostgreSQL never finds two of them deadlocked. Writing them once
    /// at the end of a batch also keeps a batch from taking them in visit
    /// order while holding others.
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), AppError> {
        let rows: Vec<visit_tally::ActiveModel> = self
            .0
            .into_iter()
            .filter(|(_, counts)| counts.iter().any(|n| *n != 0))
            .map(|(key, counts)| tally_row(key, &counts))
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        use visit_tally::Column as C;
        let mut upsert = OnConflict::columns([C::SchoolId, C::UserId, C::Month]);
        for c in &COUNTERS {
            upsert.value(
                c.column,
                Expr::col((visit_tally::Entity, c.column))
                    .add(Expr::col((Alias::new("excluded"), c.column))),
            );
        }
        visit_tally::Entity::insert_many(rows)
            .on_conflict(upsert)
            .exec_without_returning(db)
            .await?;
        Ok(())
    }
}

/// Count every tally again from the visits: after loading visits by other
/// means (a restore, the county benchmark). `jiafang rebuild-tallies`.
/// Returns the number of rows written.
pub async fn rebuild(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    visit_tally::Entity::delete_many().exec(db).await?;
    let (first, last): (Option<NaiveDate>, Option<NaiveDate>) = visit::Entity::find()
        .select_only()
        .column_as(
            Expr::from(Func::min(Expr::col(visit::Column::VisitDate))),
            "first",
        )
        .column_as(
            Expr::from(Func::max(Expr::col(visit::Column::VisitDate))),
            "last",
        )
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or_default();
    let (Some(first), Some(last)) = (first, last) else {
        return Ok(0);
    };
    let mut written = 0;
    let mut month = first.with_day(1).unwrap_or(first);
    while month <= last {
        let next = month
            .checked_add_months(chrono::Months::new(1))
            .unwrap_or(NaiveDate::MAX);
        let end = next.pred_opt().unwrap_or(next);
        let mut counts: BTreeMap<TallyKey, Counts> = BTreeMap::new();
        for t in tallies_from_visits(db, &Scope::Everyone, month, end).await? {
            let key = TallyKey {
                school_id: t.school_id,
                user_id: t.user_id,
                month: month_key(month),
            };
            let slot = slot(t.tally.mode, t.tally.as_co_visitor, t.tally.returned);
            counts.entry(key).or_insert([0; 12])[slot] += i64::from(t.tally.visits);
        }
        let rows: Vec<visit_tally::ActiveModel> = counts
            .iter()
            .map(|(key, counts)| tally_row(*key, counts))
            .collect();
        // Fifteen columns a row: well under SQLite's bound-parameter limit.
        for chunk in rows.chunks(1_000) {
            visit_tally::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(db)
                .await?;
        }
        written += rows.len() as u64;
        month = next;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_semester_of_whole_months_reads_only_kept_tallies() {
        let span = MonthSpan::of(date(2026, 9, 1), date(2027, 1, 31));
        assert_eq!(span.whole_months, Some((202609, 202701)));
        assert!(span.loose_days.is_empty());
    }

    #[test]
    fn partial_months_at_either_end_are_loose_days() {
        let span = MonthSpan::of(date(2026, 8, 31), date(2027, 1, 22));
        assert_eq!(span.whole_months, Some((202609, 202612)));
        assert_eq!(
            span.loose_days,
            vec![
                (date(2026, 8, 31), date(2026, 8, 31)),
                (date(2027, 1, 1), date(2027, 1, 22)),
            ]
        );
    }

    #[test]
    fn a_range_inside_one_month_is_all_loose() {
        let span = MonthSpan::of(date(2026, 12, 1), date(2026, 12, 6));
        assert_eq!(span.whole_months, None);
        assert_eq!(
            span.loose_days,
            vec![(date(2026, 12, 1), date(2026, 12, 6))]
        );
        // February of a leap year, whole.
        let span = MonthSpan::of(date(2028, 2, 1), date(2028, 2, 29));
        assert_eq!(span.whole_months, Some((202802, 202802)));
        assert!(span.loose_days.is_empty());
    }

    proptest! {
        /// Every day of the range is in exactly one part: a whole month or
        /// one loose range; no day outside the range is.
        #[test]
        fn whole_months_and_loose_days_partition_the_range(
            start in 0u64..1500, len in 0u64..400,
        ) {
            let start = date(2025, 1, 1) + Days::new(start);
            let end = start + Days::new(len);
            let span = MonthSpan::of(start, end);
            let mut day = start - Days::new(40);
            while day <= end + Days::new(40) {
                let in_whole = span
                    .whole_months
                    .is_some_and(|(a, b)| (a..=b).contains(&month_key(day)));
                let loose = span.loose_days.iter().filter(|(a, b)| *a <= day && day <= *b).count();
                let inside = start <= day && day <= end;
                prop_assert_eq!(usize::from(in_whole) + loose, usize::from(inside), "{}", day);
                day = day + Days::new(1);
            }
        }
    }

    #[test]
    fn credits_are_one_per_visitor() {
        let c = Credits {
            school_id: 1,
            visit_date: date(2026, 12, 6),
            mode: "home".into(),
            returned: false,
            visitor_id: 7,
            co_visitor_ids: vec![8, 9],
        };
        let rows = c.rows();
        assert_eq!(rows.len(), 3);
        assert!(
            rows.iter()
                .all(|(k, _)| k.month == 202612 && k.school_id == 1)
        );
        let home = slot(VisitMode::Home, false, false);
        let joined = slot(VisitMode::Home, true, false);
        assert_eq!(
            rows[0],
            (
                TallyKey {
                    school_id: 1,
                    user_id: 7,
                    month: 202612
                },
                home
            )
        );
        assert_eq!(rows[1].1, joined);
        assert_eq!(rows[2].1, joined);
    }

    #[test]
    fn every_kind_of_credit_has_its_own_counter() {
        let mut seen = std::collections::BTreeSet::new();
        for mode in VisitMode::ALL {
            for co in [false, true] {
                for returned in [false, true] {
                    let c = &COUNTERS[slot(mode, co, returned)];
                    assert_eq!((c.mode, c.as_co_visitor, c.returned), (mode, co, returned));
                    seen.insert(slot(mode, co, returned));
                }
            }
        }
        assert_eq!(seen.len(), COUNTERS.len());
    }
}
