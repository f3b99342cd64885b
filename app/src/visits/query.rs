//! Reading visits: the caller's own list, a student's visits, one visit.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::current_user::CurrentUser;
use crate::db::entities::{semester, student, visit, visit_co_visitor, visit_photo};
use crate::error::AppError;
use crate::reviews::ReviewStatus;
use crate::semesters::service::{current_semester, semester_of_school};
use crate::visits::lookup::{People, Students};
use crate::visits::{VisitMode, VisitReason, VisitView};

/// Which semester's visits to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SemesterFilter {
    /// The semester containing today (the default).
    Current,
    All,
    Id(i32),
}

impl SemesterFilter {
    /// `current` (or nothing), `all`, or a semester id.
    pub fn parse(value: Option<&str>) -> Result<Self, AppError> {
        match value.map(str::trim) {
            None | Some("" | "current") => Ok(SemesterFilter::Current),
            Some("all") => Ok(SemesterFilter::All),
            Some(other) => other
                .parse()
                .map(SemesterFilter::Id)
                .map_err(|_| AppError::invalid("semester", "学期参数须为 current、all 或学期编号")),
        }
    }
}

/// The semester condition, by visit date (so a semester whose dates were
/// corrected later still shows the right visits); `None` when it can
/// match nothing (no current semester is configured).
async fn semester_condition(
    db: &DatabaseConnection,
    filter: SemesterFilter,
    schools: &BTreeSet<i32>,
) -> Result<Option<Condition>, AppError> {
    let within = |s: &semester::Model, school_id: i32| {
        Condition::all()
            .add(visit::Column::SchoolId.eq(school_id))
            .add(visit::Column::VisitDate.gte(s.start_date))
            .add(visit::Column::VisitDate.lte(s.end_date))
    };
    if filter == SemesterFilter::All {
        return Ok(Some(Condition::all()));
    }
    let mut any = Condition::any();
    let mut matched = false;
    for school in schools {
        let semester = match filter {
            SemesterFilter::All => None,
            SemesterFilter::Id(id) => match semester_of_school(db, *school, Some(id)).await {
                Ok(s) => Some(s),
                Err(AppError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            },
            SemesterFilter::Current => current_semester(db, *school).await?,
        };
        if let Some(s) = semester {
            any = any.add(within(&s, *school));
            matched = true;
        }
    }
    Ok(matched.then_some(any))
}

/// Visits newest first: the caller's own (as visitor or co-visitor), or
/// with `student_id` every visit to that student the caller may read.
pub async fn list_visits(
    db: &DatabaseConnection,
    current: &CurrentUser,
    semester: SemesterFilter,
    student_id: Option<i32>,
) -> Result<Vec<VisitView>, AppError> {
    let (scope, schools) = match student_id {
        Some(id) => {
            let s = student::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(AppError::Forbidden)?;
            current.access.ensure_read_student(&s)?;
            (
                Condition::all().add(visit::Column::StudentId.eq(s.id)),
                BTreeSet::from([s.school_id]),
            )
        }
        None => {
            let co_visits: Vec<Uuid> = visit_co_visitor::Entity::find()
                .select_only()
                .column(visit_co_visitor::Column::VisitId)
                .filter(visit_co_visitor::Column::UserId.eq(current.user.id))
                .into_tuple()
                .all(db)
                .await?;
            let mut mine = Condition::any().add(visit::Column::VisitorId.eq(current.user.id));
            if !co_visits.is_empty() {
                mine = mine.add(visit::Column::Id.is_in(co_visits));
            }
            (mine, current.access.staff_schools.clone())
        }
    };
    let Some(in_semester) = semester_condition(db, semester, &schools).await? else {
        return Ok(Vec::new());
    };
    let rows = visit::Entity::find()
        .filter(scope)
        .filter(in_semester)
        .order_by_desc(visit::Column::VisitedAt)
        .order_by_asc(visit::Column::Id)
        .all(db)
        .await?;
    views(db, rows).await
}

/// One visit, for its visitor, a co-visitor, or whoever may read the student.
pub async fn get_visit(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: Uuid,
) -> Result<VisitView, AppError> {
    let v = visit::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("该家访记录"))?;
    let allowed = v.visitor_id == current.user.id
        || visit_co_visitor::Entity::find_by_id((v.id, current.user.id))
            .one(db)
            .await?
            .is_some()
        || student::Entity::find_by_id(v.student_id)
            .one(db)
            .await?
            .is_some_and(|s| current.access.can_read_student(&s));
    if !allowed {
        return Err(AppError::Forbidden);
    }
    views(db, vec![v])
        .await?
        .pop()
        .ok_or_else(|| AppError::internal("visit view", "view of one visit missing"))
}

/// Views of `rows` in their order, with a fixed number of queries.
pub async fn views(
    db: &DatabaseConnection,
    rows: Vec<visit::Model>,
) -> Result<Vec<VisitView>, AppError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = rows.iter().map(|v| v.id).collect();
    let mut co_visitors: HashMap<Uuid, Vec<i32>> = HashMap::new();
    for row in visit_co_visitor::Entity::find()
        .filter(visit_co_visitor::Column::VisitId.is_in(ids.iter().copied()))
        .order_by_asc(visit_co_visitor::Column::UserId)
        .all(db)
        .await?
    {
        co_visitors
            .entry(row.visit_id)
            .or_default()
            .push(row.user_id);
    }
    let mut photos: HashMap<Uuid, Vec<String>> = HashMap::new();
    for row in visit_photo::Entity::find()
        .filter(visit_photo::Column::VisitId.is_in(ids.iter().copied()))
        .order_by_asc(visit_photo::Column::Position)
        .all(db)
        .await?
    {
        photos.entry(row.visit_id).or_default().push(row.sha256);
    }
    let students = Students::load(db, rows.iter().map(|v| v.student_id)).await?;
    let people = People::load(
        db,
        rows.iter()
            .map(|v| v.visitor_id)
            .chain(co_visitors.values().flatten().copied()),
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|v| {
            let (student_name, class_name) = students.labels(v.student_id);
            VisitView {
                id: v.id,
                revision: v.revision,
                student_id: v.student_id,
                student_name,
                class_name,
                visitor: people.person(v.visitor_id),
                co_visitors: co_visitors
                    .remove(&v.id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|id| people.person(id))
                    .collect(),
                visited_at: v
                    .visited_at
                    .with_timezone(&chrono_tz::Asia::Shanghai)
                    .fixed_offset(),
                mode: VisitMode::from_code(&v.mode).unwrap_or(VisitMode::Home),
                reason: VisitReason::from_code(&v.reason).unwrap_or(VisitReason::Other),
                met_person: v.met_person,
                met_relation: v.met_relation,
                family_situation: v.family_situation,
                home_behaviour: v.home_behaviour,
                school_performance: v.school_performance,
                summary: v.summary,
                parent_opinion: v.parent_opinion,
                follow_up: v.follow_up,
                photos: photos.remove(&v.id).unwrap_or_default(),
                signature: v.signature,
                no_signature_reason: v.no_signature_reason,
                flagged: v.flagged,
                plan_id: v.plan_id,
                duration_minutes: v.duration_minutes.and_then(|m| u32::try_from(m).ok()),
                semester_id: v.semester_id,
                created_at: v.created_at,
                updated_at: v.updated_at,
                review_status: ReviewStatus::from_code(&v.review_status).unwrap_or_default(),
                review_note: v.review_note,
                reviewed_at: v.reviewed_at,
            }
        })
        .collect())
}
