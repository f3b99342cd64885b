//! Working out quotas from the database: people's duties, frozen class
//! sizes, and visit tallies. The arithmetic itself is in `rules`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Asterisk, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter, QuerySelect, RelationTrait,
    Select, Set,
};

use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{
    class, school, semester, semester_class_size, student, user_role, visit, visit_co_visitor,
};
use crate::error::AppError;
use crate::quotas::QuotaView;
use crate::quotas::rules::{self, Duty, Tally};
use crate::quotas::store::{rules_for, semester_ref};
use crate::reviews::ReviewStatus;
use crate::roster::StudentStatus;
use crate::semesters::service::{semester_of_school, today};
use crate::visits::VisitMode;

/// Students on a class's roll (`StudentStatus::is_on_roll`) as a query
/// condition.
pub fn on_roll() -> sea_orm::Condition {
    sea_orm::Condition::all().add(
        student::Column::Status.is_not_in(
            StudentStatus::ALL
                .into_iter()
                .filter(|s| !s.is_on_roll())
                .map(StudentStatus::code),
        ),
    )
}

/// `GET /api/v1/quota`: the caller's task in their school's semester.
pub async fn quota_for(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    semester_id: Option<i32>,
) -> Result<QuotaView, AppError> {
    // Officers have no visiting duty; teachers' quotas follow their school.
    let Some(&school_id) = current.access.staff_schools.first() else {
        return Err(AppError::Forbidden);
    };
    let school = school::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    let semester = semester_of_school(db, school.id, semester_id).await?;
    let rules = rules_for(db, &school, &semester).await?;
    let roles: Vec<&user_role::Model> = current
        .roles
        .iter()
        .filter(|r| r.school_id == Some(school.id))
        .collect();
    let duties = duties(db, &semester, &roles).await?;
    let (required, by_role) = rules::required(&rules, &duties);
    let tallies: Vec<Tally> = tallies(db, Scope::Person(current.user.id), &semester)
        .await?
        .into_iter()
        .map(|t| t.tally)
        .collect();
    let counted = rules::counted(&rules, &tallies);
    let pace = rules::pace(
        required,
        counted,
        semester.start_date,
        semester.end_date,
        today(),
    );
    Ok(QuotaView {
        semester: semester_ref(&semester),
        required,
        counted,
        remaining: pace.remaining,
        by_role,
        combine: rules.combine,
        pace_per_week: pace.pace_per_week,
        weeks_left: pace.weeks_left,
        expected_by_now: pace.expected_by_now,
        status: pace.status,
        returned: rules::returned(&tallies),
        counted_modes: rules.counted_modes(),
        joint_visit_counts_for_all: rules.joint_visit_counts_for_all,
        as_of: Utc::now(),
    })
}

/// The duties behind a person's roles at one school: head teachers with
/// their class's size at semester start.
pub async fn duties(
    db: &impl ConnectionTrait,
    semester: &semester::Model,
    roles: &[&user_role::Model],
) -> Result<Vec<Duty>, AppError> {
    let class_ids: Vec<i32> = roles
        .iter()
        .filter(|r| r.role == Role::HeadTeacher.code())
        .filter_map(|r| r.class_id)
        .collect();
    let sizes = class_sizes(db, semester, &class_ids).await?;
    let names = class_names(db, &class_ids).await?;
    Ok(duties_from(roles, &sizes, &names))
}

/// Pure part of `duties`, shared with the dashboards (which load sizes
/// and names for a whole school or county at once).
pub fn duties_from(
    roles: &[&user_role::Model],
    sizes: &HashMap<i32, u32>,
    names: &HashMap<i32, String>,
) -> Vec<Duty> {
    roles
        .iter()
        .filter_map(|r| {
            let role = Role::from_code(&r.role)?;
            let class = match (role, r.class_id) {
                (Role::HeadTeacher, Some(id)) => Some((
                    names.get(&id).cloned().unwrap_or_default(),
                    sizes.get(&id).copied().unwrap_or(0),
                )),
                _ => None,
            };
            Some(Duty { role, class })
        })
        .collect()
}

pub async fn class_names(
    db: &impl ConnectionTrait,
    class_ids: &[i32],
) -> Result<HashMap<i32, String>, AppError> {
    if class_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i32, String)> = class::Entity::find()
        .select_only()
        .column(class::Column::Id)
        .column(class::Column::Name)
        .filter(class::Column::Id.is_in(class_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Class sizes at the start of `semester`. Frozen the first time they are
/// needed once the semester has begun, so later transfers do not change a
/// head teacher's quota (nor a past semester's figures).
pub async fn class_sizes(
    db: &impl ConnectionTrait,
    semester: &semester::Model,
    class_ids: &[i32],
) -> Result<HashMap<i32, u32>, AppError> {
    let mut sizes = HashMap::new();
    if class_ids.is_empty() {
        return Ok(sizes);
    }
    let frozen: Vec<(i32, i32)> = semester_class_size::Entity::find()
        .select_only()
        .column(semester_class_size::Column::ClassId)
        .column(semester_class_size::Column::Size)
        .filter(semester_class_size::Column::SemesterId.eq(semester.id))
        .filter(semester_class_size::Column::ClassId.is_in(class_ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    for (class_id, size) in frozen {
        sizes.insert(class_id, u32::try_from(size).unwrap_or(0));
    }
    let missing: BTreeSet<i32> = class_ids
        .iter()
        .copied()
        .filter(|id| !sizes.contains_key(id))
        .collect();
    if missing.is_empty() {
        return Ok(sizes);
    }
    let counts: Vec<(i32, i64)> = student::Entity::find()
        .select_only()
        .column(student::Column::ClassId)
        .column_as(Expr::from(Func::count(Expr::col(student::Column::Id))), "n")
        .filter(student::Column::ClassId.is_in(missing.iter().copied()))
        .filter(on_roll())
        .group_by(student::Column::ClassId)
        .into_tuple()
        .all(db)
        .await?;
    let live: HashMap<i32, i64> = counts.into_iter().collect();
    let now = Utc::now();
    let rows: Vec<semester_class_size::ActiveModel> = missing
        .iter()
        .map(|id| {
            let size = live.get(id).copied().unwrap_or(0);
            sizes.insert(*id, u32::try_from(size).unwrap_or(0));
            semester_class_size::ActiveModel {
                semester_id: Set(semester.id),
                class_id: Set(*id),
                size: Set(i32::try_from(size).unwrap_or(i32::MAX)),
                taken_at: Set(now),
            }
        })
        .collect();
    // Before the semester starts the size is only a forecast: not frozen.
    if today() >= semester.start_date {
        for chunk in rows.chunks(500) {
            semester_class_size::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing()
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(sizes)
}

/// Whose visits to tally.
pub enum Scope<'a> {
    /// One person, at any school.
    Person(i32),
    /// Everyone at these schools.
    Schools(&'a [i32]),
}

/// A tally of one person's visits at one school.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PersonTally {
    pub user_id: i32,
    pub school_id: i32,
    pub tally: Tally,
}

/// Visits in the semester's dates (Asia/Shanghai visit dates, so a visit
/// at 23:30 on the last day is in), grouped by person, school, mode and
/// whether returned; once as the filer and once per co-visitor.
pub async fn tallies(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    semester: &semester::Model,
) -> Result<Vec<PersonTally>, AppError> {
    tallies_between(db, scope, semester.start_date, semester.end_date).await
}

pub async fn tallies_between(
    db: &impl ConnectionTrait,
    scope: Scope<'_>,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<PersonTally>, AppError> {
    let (filed, joined) = tally_queries(&scope, start, end);
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
    Ok(rows
        .filter_map(|((user_id, school_id, mode, review, n), as_co_visitor)| {
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
        .collect())
}

/// The two grouped queries behind `tallies_between`: visits as filed and
/// as co-visitor. Public so the county benchmark can show their plans.
pub fn tally_queries(
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
        .filter(match scope {
            Scope::Person(id) => visit::Column::VisitorId.eq(*id),
            Scope::Schools(ids) => visit::Column::SchoolId.is_in(ids.iter().copied()),
        })
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
        joined = joined.filter(sea_orm::sea_query::ExprTrait::equals(
            Expr::col((visit_co_visitor::Entity, visit_co_visitor::Column::VisitId)),
            (visit::Entity, visit::Column::Id),
        ));
    }
    let joined = joined
        .column(visit_co_visitor::Column::UserId)
        .column(visit::Column::SchoolId)
        .column(visit::Column::Mode)
        .column(visit::Column::ReviewStatus)
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "n")
        .filter(in_dates)
        .filter(match scope {
            Scope::Person(id) => visit_co_visitor::Column::UserId.eq(*id),
            Scope::Schools(ids) => visit::Column::SchoolId.is_in(ids.iter().copied()),
        })
        .group_by(visit_co_visitor::Column::UserId)
        .group_by(visit::Column::SchoolId)
        .group_by(visit::Column::Mode)
        .group_by(visit::Column::ReviewStatus);
    (filed, joined)
}

/// Tallies per person, for the dashboards.
pub fn by_person(tallies: Vec<PersonTally>) -> BTreeMap<i32, Vec<Tally>> {
    let mut map: BTreeMap<i32, Vec<Tally>> = BTreeMap::new();
    for t in tallies {
        map.entry(t.user_id).or_default().push(t.tally);
    }
    map
}
