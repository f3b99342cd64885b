//! 送教上门 on the server: who is taught at home, their sessions this
//! semester, when the next one is due, and the overdue reminders.

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};

use super::{Enrolment, HomeTeachingList, Session, TaughtStudent, next_due};
use crate::audit::{self, AuditEntry};
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{school, student, user_role, visit};
use crate::dropout::tasks::rules_for_county;
use crate::error::AppError;
use crate::notifications::service::{Notice, notify};
use crate::roster::StudentStatus;
use crate::semesters::service::semesters_on;
use crate::visits::VisitReason;
use crate::visits::lookup::{People, Students, photo_counts};

/// The home-taught students the caller may see, most urgent first.
pub async fn list(
    db: &DatabaseConnection,
    current: &CurrentUser,
    today: NaiveDate,
) -> Result<HomeTeachingList, AppError> {
    let Some(visible) = current.access.student_condition() else {
        return Ok(HomeTeachingList { students: vec![] });
    };
    let students = taught_students(db, Some(visible)).await?;
    schedule(db, students, today).await
}

/// Puts a student on the 送教上门 list or takes them off (head teacher,
/// school leaders).
pub async fn enrol(
    db: &DatabaseConnection,
    current: &CurrentUser,
    student_id: i32,
    enrolment: Enrolment,
    today: NaiveDate,
) -> Result<Enrolment, AppError> {
    let s = student::Entity::find_by_id(student_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    if !current.access.can_edit_student(&s) {
        return Err(AppError::Forbidden);
    }
    if s.home_teaching == enrolment.enabled {
        return Ok(enrolment);
    }
    let school_id = s.school_id;
    let mut row = s.into_active_model();
    row.home_teaching = Set(enrolment.enabled);
    row.home_teaching_since = Set(enrolment.enabled.then_some(today));
    row.updated_at = Set(Utc::now());
    row.update(db).await?;
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: if enrolment.enabled {
                "home_teaching.start"
            } else {
                "home_teaching.stop"
            },
            entity: "student",
            entity_id: Some(student_id.to_string()),
            detail: None,
        },
    )
    .await?;
    Ok(enrolment)
}

/// Tells the head teacher(s) of each student whose session is overdue, and
/// the school's leaders, once per due date (several server instances may
/// run this at once: the notification key makes it idempotent).
pub async fn remind_overdue(db: &DatabaseConnection, today: NaiveDate) -> Result<u64, AppError> {
    let students = taught_students(db, None).await?;
    let list = schedule(db, students.clone(), today).await?;
    let by_id: HashMap<i32, &student::Model> = students.iter().map(|s| (s.id, s)).collect();
    let mut sent = 0;
    for t in list.students.iter().filter(|t| t.overdue) {
        let Some(s) = by_id.get(&t.student_id) else {
            continue;
        };
        let people = responsible_people(db, s).await?;
        let notice = Notice {
            kind: "home_teaching_overdue",
            title: format!("送教上门逾期：{}", t.name),
            body: format!(
                "{}（{}）应于 {} 前送教，请尽快安排并记录。",
                t.name, t.class_name, t.next_due
            ),
            link: "/home-teaching".into(),
            dedupe_key: format!("home_teaching:{}:{}", t.student_id, t.next_due),
        };
        sent += notify(db, people, &notice).await?;
    }
    Ok(sent)
}

async fn taught_students(
    db: &impl ConnectionTrait,
    visible: Option<sea_orm::Condition>,
) -> Result<Vec<student::Model>, AppError> {
    let mut query = student::Entity::find().filter(student::Column::HomeTeaching.eq(true));
    if let Some(cond) = visible {
        query = query.filter(cond);
    }
    Ok(query
        .order_by_asc(student::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|s| StudentStatus::from_code(&s.status).is_some_and(|st| st.is_on_roll()))
        .collect())
}

/// Sessions, totals and the due date of each student.
async fn schedule(
    db: &impl ConnectionTrait,
    students: Vec<student::Model>,
    today: NaiveDate,
) -> Result<HomeTeachingList, AppError> {
    if students.is_empty() {
        return Ok(HomeTeachingList { students: vec![] });
    }
    let schools = school::Entity::find()
        .filter(school::Column::Id.is_in(students.iter().map(|s| s.school_id)))
        .all(db)
        .await?;
    let semesters = semesters_on(db, &schools, today).await?;
    let mut cadence: BTreeMap<i32, u32> = BTreeMap::new();
    for county in schools.iter().map(|s| s.county_id) {
        if let std::collections::btree_map::Entry::Vacant(e) = cadence.entry(county) {
            e.insert(rules_for_county(db, county).await?.home_teaching_every_days);
        }
    }
    let county_of: HashMap<i32, i32> = schools.iter().map(|s| (s.id, s.county_id)).collect();
    let sessions = visit::Entity::find()
        .filter(visit::Column::StudentId.is_in(students.iter().map(|s| s.id)))
        .filter(visit::Column::Reason.eq(VisitReason::HomeTeaching.code()))
        .order_by_desc(visit::Column::VisitedAt)
        .all(db)
        .await?;
    let photos = photo_counts(db, sessions.iter().map(|v| v.id)).await?;
    let people = People::load(db, sessions.iter().map(|v| v.visitor_id)).await?;
    let labels = Students::load(db, students.iter().map(|s| s.id)).await?;
    let mut rows: Vec<TaughtStudent> = students
        .iter()
        .map(|s| {
            let own: Vec<&visit::Model> =
                sessions.iter().filter(|v| v.student_id == s.id).collect();
            let start = semesters.get(&s.school_id).map(|m| m.start_date);
            let this_semester: Vec<&&visit::Model> = own
                .iter()
                .filter(|v| start.is_none_or(|d| v.visit_date >= d))
                .collect();
            let since = [start, s.home_teaching_since]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(today);
            let every = county_of
                .get(&s.school_id)
                .and_then(|c| cadence.get(c))
                .copied()
                .unwrap_or(7);
            let last = own.first().map(|v| v.visit_date);
            let (due, overdue) = next_due(last, since, every, today);
            let (name, class_name) = labels.labels(s.id);
            TaughtStudent {
                student_id: s.id,
                name,
                class_name,
                sessions_this_semester: this_semester.len() as u32,
                minutes_this_semester: this_semester
                    .iter()
                    .filter_map(|v| v.duration_minutes)
                    .map(|m| m.max(0) as u32)
                    .sum(),
                last_session: last,
                next_due: due,
                overdue,
                recent: own
                    .iter()
                    .take(5)
                    .map(|v| Session {
                        visit_id: v.id,
                        date: v.visit_date,
                        teacher: people.person(v.visitor_id).name,
                        minutes: v.duration_minutes.and_then(|m| u32::try_from(m).ok()),
                        content: v.summary.clone(),
                        photos: photos.get(&v.id).copied().unwrap_or(0),
                        signed: v.signature.is_some(),
                    })
                    .collect(),
            }
        })
        .collect();
    rows.sort_by_key(|t| (!t.overdue, t.next_due, t.student_id));
    Ok(HomeTeachingList { students: rows })
}

/// The student's head teacher(s) and the school's leaders.
async fn responsible_people(
    db: &impl ConnectionTrait,
    s: &student::Model,
) -> Result<Vec<i32>, AppError> {
    let rows = user_role::Entity::find()
        .filter(user_role::Column::SchoolId.eq(s.school_id))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|r| match Role::from_code(&r.role) {
            Some(Role::HeadTeacher) => r.class_id == Some(s.class_id),
            Some(role) => role.is_school_leader(),
            None => false,
        })
        .map(|r| r.user_id)
        .collect())
}
