//! Working out quotas from the database: people's duties, frozen class
//! sizes, and visit tallies. The arithmetic itself is in `rules`.

use std::collections::{BTreeSet, HashMap};

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{class, school, semester, semester_class_size, student, user_role};
use crate::error::AppError;
use crate::quotas::QuotaView;
use crate::quotas::rules::{self, Duty, Tally};
use crate::quotas::store::{rules_for, semester_ref};
use crate::quotas::tallies::{Scope, tallies};
use crate::roster::StudentStatus;
use crate::semesters::service::{semester_of_school, today};

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
