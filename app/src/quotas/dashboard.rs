//! The leaders' views of a semester: every teacher of a school with their
//! progress, the students nobody has visited, visits per week; and per
//! school for a town or county. Each is a handful of grouped queries, not
//! a query per teacher, so a county of 5,000 teachers stays fast.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Days, NaiveDate};
use sea_orm::sea_query::{Asterisk, Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{absence, school, semester, student, user, user_role, visit};
use crate::error::AppError;
use crate::quotas::rules::{self, PaceStatus, Tally};
use crate::quotas::service::{class_names, class_sizes, duties_from, on_roll};
use crate::quotas::store::{rules_for, rules_for_schools, semester_ref};
use crate::quotas::tallies::{Scope, by_person, tallies};
use crate::quotas::{
    AreaDashboard, QuotaRules, SchoolDashboard, SchoolProgress, TeacherProgress, UnvisitedStudent,
    WeekCount, percent,
};
use crate::reviews::ReviewStatus;
use crate::roster::StudentStatus;
use crate::roster::service::special_groups;
use crate::semesters::service::{semester_of_school, semesters_on, today};

/// How many unvisited students the dashboard lists (the total is given).
const UNVISITED_SHOWN: usize = 300;

/// One teacher's figures, worked out from loaded rows.
struct Teacher {
    user_id: i32,
    name: String,
    roles: Vec<user_role::Model>,
}

/// A school's staff with a visiting duty (not officers), by person.
async fn staff_of(
    db: &impl ConnectionTrait,
    school_ids: &[i32],
) -> Result<BTreeMap<i32, Vec<Teacher>>, AppError> {
    let staff_roles = Role::ALL
        .into_iter()
        .filter(|r| !r.is_officer())
        .map(Role::code);
    let roles = user_role::Entity::find()
        .filter(user_role::Column::SchoolId.is_in(school_ids.iter().copied()))
        .filter(user_role::Column::Role.is_in(staff_roles))
        .all(db)
        .await?;
    let user_ids: BTreeSet<i32> = roles.iter().map(|r| r.user_id).collect();
    let mut names: HashMap<i32, String> = HashMap::new();
    let ids: Vec<i32> = user_ids.into_iter().collect();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(i32, String)> = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::DisplayName)
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .filter(user::Column::IsActive.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        names.extend(rows);
    }
    let mut by_school: BTreeMap<i32, BTreeMap<i32, Teacher>> = BTreeMap::new();
    for role in roles {
        let (Some(school_id), Some(name)) = (role.school_id, names.get(&role.user_id)) else {
            continue;
        };
        by_school
            .entry(school_id)
            .or_default()
            .entry(role.user_id)
            .or_insert_with(|| Teacher {
                user_id: role.user_id,
                name: name.clone(),
                roles: Vec::new(),
            })
            .roles
            .push(role);
    }
    Ok(by_school
        .into_iter()
        .map(|(school, teachers)| (school, teachers.into_values().collect()))
        .collect())
}

/// Every teacher's progress in one school, most behind first.
fn progress(
    teachers: &[Teacher],
    rules: &QuotaRules,
    sizes: &HashMap<i32, u32>,
    names: &HashMap<i32, String>,
    tallies: &BTreeMap<i32, Vec<Tally>>,
    semester: &semester::Model,
    today: NaiveDate,
) -> Vec<TeacherProgress> {
    let mut rows: Vec<TeacherProgress> = teachers
        .iter()
        .map(|t| {
            let roles: Vec<&user_role::Model> = t.roles.iter().collect();
            let (required, by_role) = rules::required(rules, &duties_from(&roles, sizes, names));
            let counted = rules::counted(
                rules,
                tallies.get(&t.user_id).map(Vec::as_slice).unwrap_or(&[]),
            );
            let pace = rules::pace(
                required,
                counted,
                semester.start_date,
                semester.end_date,
                today,
            );
            let mut labels: Vec<String> = by_role.into_iter().map(|r| r.label).collect();
            labels.dedup();
            TeacherProgress {
                user_id: t.user_id,
                name: t.name.clone(),
                roles: labels.join("、"),
                required,
                counted,
                remaining: pace.remaining,
                pace_per_week: pace.pace_per_week,
                status: pace.status,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        severity(b.status)
            .cmp(&severity(a.status))
            .then(b.remaining.cmp(&a.remaining))
            .then(a.name.cmp(&b.name))
    });
    rows
}

fn severity(status: PaceStatus) -> u8 {
    match status {
        PaceStatus::Red => 3,
        PaceStatus::Amber => 2,
        PaceStatus::Green => 1,
        PaceStatus::Done => 0,
    }
}

/// Σ min(counted, required): over-achievers do not hide the others.
fn completed(rows: &[TeacherProgress]) -> u32 {
    rows.iter().map(|t| t.counted.min(t.required)).sum()
}

/// The Monday of `date`'s week.
fn week_of(date: NaiveDate) -> NaiveDate {
    date - Days::new(u64::from(date.weekday().num_days_from_monday()))
}

/// Head-teacher classes among the roles, for frozen class sizes.
fn head_classes<'a>(roles: impl Iterator<Item = &'a user_role::Model>) -> Vec<i32> {
    roles
        .filter(|r| r.role == Role::HeadTeacher.code())
        .filter_map(|r| r.class_id)
        .collect()
}

/// `GET /api/v1/dashboard/school`.
pub async fn school_dashboard(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    school_id: Option<i32>,
    semester_id: Option<i32>,
) -> Result<SchoolDashboard, AppError> {
    // Leaders see their own school; officers any school of their area.
    let a = &current.access;
    let school_id = a.choose_school(school_id, |id| {
        a.led_schools.contains(&id) || a.overseen_schools.contains(&id)
    })?;
    let school = school::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    let semester = semester_of_school(db, school.id, semester_id).await?;
    let rules = rules_for(db, &school, &semester).await?;
    let staff = staff_of(db, &[school.id])
        .await?
        .remove(&school.id)
        .unwrap_or_default();
    let classes = head_classes(staff.iter().flat_map(|t| t.roles.iter()));
    let sizes = class_sizes(db, &semester, &classes).await?;
    let names = class_names(db, &classes).await?;
    let tallies = by_person(tallies(db, Scope::Schools(&[school.id]), &semester).await?);
    let today = today();
    let teachers = progress(&staff, &rules, &sizes, &names, &tallies, &semester, today);
    let required: u32 = teachers.iter().map(|t| t.required).sum();
    let completed = completed(&teachers);

    // Who has been visited (any mode; returned records do not count).
    let visited_rows: Vec<(i32, NaiveDate)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::StudentId)
        .column(visit::Column::VisitDate)
        .filter(visit::Column::SchoolId.eq(school.id))
        .filter(visit::Column::VisitDate.gte(semester.start_date))
        .filter(visit::Column::VisitDate.lte(semester.end_date))
        .filter(visit::Column::ReviewStatus.ne(ReviewStatus::Returned.code()))
        .into_tuple()
        .all(db)
        .await?;
    let visited: BTreeSet<i32> = visited_rows.iter().map(|(s, _)| *s).collect();
    let weeks = weekly(&visited_rows, &semester, today);
    let this_week = week_of(today);
    let visits_this_week = weeks
        .iter()
        .find(|w| w.week_start == this_week)
        .map_or(0, |w| w.visits);

    let students = student::Entity::find()
        .filter(student::Column::SchoolId.eq(school.id))
        .filter(on_roll())
        .order_by_asc(student::Column::ClassId)
        .order_by_asc(student::Column::Name)
        .all(db)
        .await?;
    let class_ids: Vec<i32> = students
        .iter()
        .map(|s| s.class_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let class_name = class_names(db, &class_ids).await?;
    let absent_days = absent_days(db, school.id, &semester).await?;
    let mut ranked: Vec<((bool, bool, usize), UnvisitedStudent)> = students
        .iter()
        .filter(|s| !visited.contains(&s.id))
        .map(|s| {
            let days = absent_days.get(&s.id).copied().unwrap_or(0);
            let concerns = concerns(s, days);
            let rank = (
                is_out_of_school(s),
                days >= FREQUENT_ABSENCE_DAYS,
                concerns.len(),
            );
            let row = UnvisitedStudent {
                id: s.id,
                name: s.name.clone(),
                class_name: class_name.get(&s.class_id).cloned().unwrap_or_default(),
                concerns,
            };
            (rank, row)
        })
        .collect();
    // Dropouts first, then frequent absentees, then by number of concerns;
    // stable, so class then name order within a rank.
    ranked.sort_by_key(|(rank, _)| std::cmp::Reverse(*rank));
    let mut unvisited: Vec<UnvisitedStudent> = ranked.into_iter().map(|(_, u)| u).collect();
    let unvisited_total = u32::try_from(unvisited.len()).unwrap_or(u32::MAX);
    unvisited.truncate(UNVISITED_SHOWN);

    Ok(SchoolDashboard {
        school_id: school.id,
        school_name: school.name,
        semester: semester_ref(&semester),
        required,
        completed,
        completion_percent: percent(completed, required),
        teachers_behind: teachers.iter().filter(|t| t.status.is_behind()).count() as u32,
        teachers,
        students: u32::try_from(students.len()).unwrap_or(u32::MAX),
        unvisited_total,
        unvisited,
        weeks,
        visits_this_week,
    })
}

/// Unexcused absence days this semester from which a student counts as a
/// frequent absentee (a sign of dropping out, seed 003 "两查一对").
const FREQUENT_ABSENCE_DAYS: u32 = 3;

fn is_out_of_school(s: &student::Model) -> bool {
    StudentStatus::from_code(&s.status).is_some_and(StudentStatus::is_out_of_school)
}

/// Roll-call absences per student of the school in the semester, one query.
async fn absent_days(
    db: &impl ConnectionTrait,
    school_id: i32,
    semester: &semester::Model,
) -> Result<HashMap<i32, u32>, AppError> {
    let rows: Vec<(i32, i64)> = absence::Entity::find()
        .select_only()
        .column(absence::Column::StudentId)
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "days")
        .filter(absence::Column::SchoolId.eq(school_id))
        .filter(absence::Column::Day.gte(semester.start_date))
        .filter(absence::Column::Day.lte(semester.end_date))
        .group_by(absence::Column::StudentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u32::try_from(n).unwrap_or(u32::MAX)))
        .collect())
}

/// Worrying statuses first, then frequent absence, then special groups,
/// in Chinese.
fn concerns(s: &student::Model, absent_days: u32) -> Vec<String> {
    let mut out = Vec::new();
    if is_out_of_school(s)
        && let Some(status) = StudentStatus::from_code(&s.status)
    {
        out.push(status.label().to_owned());
    }
    if absent_days >= FREQUENT_ABSENCE_DAYS {
        out.push(format!("本学期缺勤 {absent_days} 天"));
    }
    out.extend(special_groups(s).into_iter().map(|g| g.label().to_owned()));
    out
}

/// Visits per week from the semester's first week to this week (or the
/// last week, for a past semester), empty weeks included.
fn weekly(
    visits: &[(i32, NaiveDate)],
    semester: &semester::Model,
    today: NaiveDate,
) -> Vec<WeekCount> {
    let mut counts: BTreeMap<NaiveDate, u32> = BTreeMap::new();
    let last = week_of(today.min(semester.end_date).max(semester.start_date));
    let mut week = week_of(semester.start_date);
    while week <= last {
        counts.insert(week, 0);
        week = week + Days::new(7);
    }
    for (_, date) in visits {
        *counts.entry(week_of(*date)).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(week_start, visits)| WeekCount { week_start, visits })
        .collect()
}

/// `GET /api/v1/dashboard/area`: every school an officer oversees, each
/// in its own current semester.
pub async fn area_dashboard(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
) -> Result<AreaDashboard, AppError> {
    let area = crate::auth::area::area_of(db, current).await?;
    let school_ids = area.school_ids();
    let staff = staff_of(db, &school_ids).await?;
    let today = today();
    let this_week = week_of(today);

    // Schools sharing a semester are counted together.
    let mut semesters = semesters_on(db, &area.schools, today).await?;
    let mut groups: BTreeMap<i32, (semester::Model, Vec<&school::Model>)> = BTreeMap::new();
    for s in &area.schools {
        if let Some(sem) = semesters.remove(&s.id) {
            groups
                .entry(sem.id)
                .or_insert_with(|| (sem, Vec::new()))
                .1
                .push(s);
        }
    }
    let mut rows: Vec<SchoolProgress> = Vec::new();
    for (semester, members) in groups.values() {
        let ids: Vec<i32> = members.iter().map(|s| s.id).collect();
        let classes = head_classes(
            ids.iter()
                .filter_map(|id| staff.get(id))
                .flatten()
                .flat_map(|t| t.roles.iter()),
        );
        let sizes = class_sizes(db, semester, &classes).await?;
        let names = HashMap::new();
        let mut per_school: BTreeMap<i32, Vec<_>> = BTreeMap::new();
        for t in tallies(db, Scope::Schools(&ids), semester).await? {
            per_school.entry(t.school_id).or_default().push(t);
        }
        let week_counts = this_week_counts(db, &ids, this_week, semester).await?;
        let mut rules = rules_for_schools(db, members, semester).await?;
        for school in members {
            let rules = rules.remove(&school.id).unwrap_or_default();
            let teachers = staff.get(&school.id).map(Vec::as_slice).unwrap_or(&[]);
            let tallies = by_person(per_school.remove(&school.id).unwrap_or_default());
            let progress = progress(teachers, &rules, &sizes, &names, &tallies, semester, today);
            let required: u32 = progress.iter().map(|t| t.required).sum();
            let completed = completed(&progress);
            rows.push(SchoolProgress {
                school_id: school.id,
                school_name: school.name.clone(),
                town_name: area.town_name(school),
                semester_name: semester.name.clone(),
                teachers: progress.len() as u32,
                required,
                completed,
                completion_percent: percent(completed, required),
                teachers_behind: progress.iter().filter(|t| t.status.is_behind()).count() as u32,
                visits_this_week: week_counts.get(&school.id).copied().unwrap_or(0),
            });
        }
    }
    rows.sort_by(|a, b| {
        a.completion_percent
            .total_cmp(&b.completion_percent)
            .then(a.school_name.cmp(&b.school_name))
    });
    let required = rows.iter().map(|r| r.required).sum();
    let completed = rows.iter().map(|r| r.completed).sum();
    Ok(AreaDashboard {
        area_name: area.name.clone(),
        required,
        completed,
        completion_percent: percent(completed, required),
        teachers: rows.iter().map(|r| r.teachers).sum(),
        teachers_behind: rows.iter().map(|r| r.teachers_behind).sum(),
        visits_this_week: rows.iter().map(|r| r.visits_this_week).sum(),
        schools: rows,
    })
}

/// Visits this week (Monday to today) per school, within the semester.
async fn this_week_counts(
    db: &impl ConnectionTrait,
    school_ids: &[i32],
    monday: NaiveDate,
    semester: &semester::Model,
) -> Result<HashMap<i32, u32>, AppError> {
    let rows: Vec<(i32, i64)> = visit::Entity::find()
        .select_only()
        .column(visit::Column::SchoolId)
        .column_as(Expr::from(Func::count(Expr::col(Asterisk))), "n")
        .filter(visit::Column::SchoolId.is_in(school_ids.iter().copied()))
        .filter(visit::Column::VisitDate.gte(monday.max(semester.start_date)))
        .filter(visit::Column::VisitDate.lte(semester.end_date))
        .filter(visit::Column::ReviewStatus.ne(ReviewStatus::Returned.code()))
        .group_by(visit::Column::SchoolId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u32::try_from(n).unwrap_or(0)))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    #[test]
    fn weeks_start_on_monday_and_include_empty_ones() {
        let semester = semester::Model {
            id: 1,
            county_id: 1,
            school_id: None,
            name: "2026年秋季学期".into(),
            start_date: date(9, 1), // a Tuesday
            end_date: date(12, 31),
        };
        let visits = [(1, date(9, 2)), (2, date(9, 6)), (3, date(9, 15))];
        let weeks = weekly(&visits, &semester, date(9, 16));
        assert_eq!(
            weeks,
            vec![
                WeekCount {
                    week_start: date(8, 31),
                    visits: 2
                },
                WeekCount {
                    week_start: date(9, 7),
                    visits: 0
                },
                WeekCount {
                    week_start: date(9, 14),
                    visits: 1
                },
            ]
        );
    }
}
