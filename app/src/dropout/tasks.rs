//! The ladder at work: after every roll call, leave decision and visit, the
//! affected students are reconciled: the steps their running absence has
//! reached become tasks (once: one row per absence, step and person), tasks
//! of an absence that ended are withdrawn, a visit closes the visit tasks
//! of the people on it. `escalate_overdue` runs periodically.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::ladder::{Attendance, Run, due_steps, run_on};
use super::{LadderRules, TaskKind, TaskList, TaskStatus, TaskView};
use crate::attendance::LeaveStatus;
use crate::attendance::calendar::SchoolCalendar;
use crate::attendance::service::calendar_for;
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{
    absence, class, ladder_rule, ladder_task, leave_request, roll_call, school, student,
    student_status_history, user, user_role, visit, visit_co_visitor,
};
use crate::error::AppError;
use crate::notifications::service::{Notice, notify};
use crate::roster::StudentStatus;
use crate::visits::VisitReason;

/// The county's ladder, or the policy defaults.
pub async fn rules_for_county(
    db: &impl ConnectionTrait,
    county_id: i32,
) -> Result<LadderRules, AppError> {
    Ok(ladder_rule::Entity::find_by_id(county_id)
        .one(db)
        .await?
        .and_then(|r| serde_json::from_str(&r.rules).ok())
        .unwrap_or_default())
}

pub async fn save_rules(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    county_id: i32,
    rules: LadderRules,
) -> Result<LadderRules, AppError> {
    if !current.is_county_officer_of(county_id) {
        return Err(AppError::Forbidden);
    }
    if let Some(e) = rules.validate().into_iter().next() {
        return Err(AppError::invalid(e.field, e.message));
    }
    let json = serde_json::to_string(&rules).map_err(|e| AppError::internal("rules json", e))?;
    let row = ladder_rule::ActiveModel {
        county_id: Set(county_id),
        rules: Set(json),
        updated_by: Set(Some(current.user.id)),
        updated_at: Set(Utc::now()),
    };
    ladder_rule::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(ladder_rule::Column::CountyId)
                .update_columns([
                    ladder_rule::Column::Rules,
                    ladder_rule::Column::UpdatedBy,
                    ladder_rule::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    crate::audit::record(
        db,
        crate::audit::AuditEntry {
            actor_id: Some(current.user.id),
            school_id: None,
            action: "ladder_rules.save",
            entity: "county",
            entity_id: Some(county_id.to_string()),
            detail: serde_json::to_value(rules).ok(),
        },
    )
    .await?;
    Ok(rules)
}

/// The roll calls, absences and approved leave of one student, from
/// `from` to `to`.
pub async fn attendance_of(
    db: &impl ConnectionTrait,
    s: &student::Model,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Attendance, AppError> {
    let roll_called = roll_call::Entity::find()
        .select_only()
        .column(roll_call::Column::Day)
        .filter(roll_call::Column::ClassId.eq(s.class_id))
        .filter(roll_call::Column::Day.between(from, to))
        .into_tuple::<NaiveDate>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let absent = absence::Entity::find()
        .select_only()
        .column(absence::Column::Day)
        .filter(absence::Column::StudentId.eq(s.id))
        .filter(absence::Column::Day.between(from, to))
        .into_tuple::<NaiveDate>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut on_leave = BTreeSet::new();
    for leave in leave_request::Entity::find()
        .filter(leave_request::Column::StudentId.eq(s.id))
        .filter(leave_request::Column::Status.eq(LeaveStatus::Approved.code()))
        .filter(leave_request::Column::StartDate.lte(to))
        .filter(leave_request::Column::EndDate.gte(from))
        .all(db)
        .await?
    {
        on_leave.extend(
            leave
                .start_date
                .max(from)
                .iter_days()
                .take_while(|d| *d <= leave.end_date.min(to)),
        );
    }
    Ok(Attendance {
        roll_called,
        absent,
        on_leave,
    })
}

/// Students of a class with an open ladder task.
pub async fn students_with_open_tasks(
    db: &impl ConnectionTrait,
    class_id: i32,
) -> Result<Vec<i32>, AppError> {
    let pupils: Vec<i32> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .filter(student::Column::ClassId.eq(class_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ladder_task::Entity::find()
        .select_only()
        .column(ladder_task::Column::StudentId)
        .distinct()
        .filter(ladder_task::Column::StudentId.is_in(pupils))
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .into_tuple()
        .all(db)
        .await?)
}

/// Who does a step: head teachers of the class; with the subject teachers
/// for the joint visit; the principal for the plan.
async fn assignees(
    db: &impl ConnectionTrait,
    s: &student::Model,
    kind: TaskKind,
) -> Result<Vec<i32>, AppError> {
    let roles: Vec<Role> = match kind {
        TaskKind::ContactVisit | TaskKind::PersuasionRecord => vec![Role::HeadTeacher],
        TaskKind::JointVisit => vec![Role::HeadTeacher, Role::SubjectTeacher],
        TaskKind::ControlPlan => vec![Role::Principal],
    };
    let by_class = !matches!(kind, TaskKind::ControlPlan);
    let mut ids = people_with(db, &roles, s, by_class).await?;
    // A school without a principal account: the vice principals and admins.
    if ids.is_empty() && kind == TaskKind::ControlPlan {
        ids = people_with(db, &[Role::VicePrincipal, Role::SchoolAdmin], s, false).await?;
    }
    Ok(ids)
}

async fn people_with(
    db: &impl ConnectionTrait,
    roles: &[Role],
    s: &student::Model,
    by_class: bool,
) -> Result<Vec<i32>, AppError> {
    let mut query = user_role::Entity::find()
        .select_only()
        .column(user_role::Column::UserId)
        .distinct()
        .filter(user_role::Column::Role.is_in(roles.iter().map(|r| r.code())));
    query = if by_class {
        query.filter(user_role::Column::ClassId.eq(s.class_id))
    } else {
        query.filter(user_role::Column::SchoolId.eq(s.school_id))
    };
    let ids: Vec<i32> = query.into_tuple().all(db).await?;
    // Disabled accounts get no tasks.
    Ok(user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::IsActive.eq(true))
        .order_by_asc(user::Column::Id)
        .into_tuple()
        .all(db)
        .await?)
}

/// The school leaders told about overdue steps.
async fn leaders_of(db: &impl ConnectionTrait, school_id: i32) -> Result<Vec<i32>, AppError> {
    Ok(user_role::Entity::find()
        .select_only()
        .column(user_role::Column::UserId)
        .distinct()
        .filter(user_role::Column::SchoolId.eq(school_id))
        .filter(user_role::Column::Role.is_in([Role::Principal.code(), Role::SchoolAdmin.code()]))
        .into_tuple::<i32>()
        .all(db)
        .await?)
}

/// The town and county officers over a school (day-5 report).
async fn officers_over(
    db: &impl ConnectionTrait,
    sc: &school::Model,
) -> Result<Vec<i32>, AppError> {
    Ok(user_role::Entity::find()
        .select_only()
        .column(user_role::Column::UserId)
        .distinct()
        .filter(
            sea_orm::Condition::any()
                .add(
                    sea_orm::Condition::all()
                        .add(user_role::Column::Role.eq(Role::TownOfficer.code()))
                        .add(user_role::Column::TownId.eq(sc.town_id)),
                )
                .add(
                    sea_orm::Condition::all()
                        .add(user_role::Column::Role.eq(Role::CountyOfficer.code()))
                        .add(user_role::Column::CountyId.eq(sc.county_id)),
                ),
        )
        .into_tuple::<i32>()
        .all(db)
        .await?)
}

/// Brings the tasks of these students in line with their attendance up to
/// `today`. Safe to run any number of times.
pub async fn reconcile(
    db: &impl ConnectionTrait,
    student_ids: &[i32],
    today: NaiveDate,
) -> Result<(), AppError> {
    for s in student::Entity::find()
        .filter(student::Column::Id.is_in(student_ids.to_vec()))
        .all(db)
        .await?
    {
        let Some(cal) = calendar_for(db, s.school_id, today).await? else {
            continue;
        };
        reconcile_student(db, &s, &cal, today).await?;
    }
    Ok(())
}

async fn reconcile_student(
    db: &impl ConnectionTrait,
    s: &student::Model,
    cal: &SchoolCalendar,
    today: NaiveDate,
) -> Result<(), AppError> {
    let att = attendance_of(db, s, cal.start, today.min(cal.end)).await?;
    // The ladder is judged on the class's latest roll call.
    let latest = att.roll_called.iter().next_back().copied();
    let run = latest.and_then(|day| run_on(cal, &att, day));
    let open = ladder_task::Entity::find()
        .filter(ladder_task::Column::StudentId.eq(s.id))
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .all(db)
        .await?;
    let running_start = run.as_ref().map(Run::start);
    let ended: Vec<i32> = open
        .iter()
        .filter(|t| Some(t.absence_start) != running_start)
        .map(|t| t.id)
        .collect();
    if !ended.is_empty() {
        let why = match latest {
            Some(day) if att.on_leave.contains(&day) => format!("{day} 已请假"),
            Some(day) => format!("学生已返校（{day} 点名到校）"),
            None => "点名记录已更正".to_owned(),
        };
        close_tasks(db, &ended, TaskStatus::Cancelled, &why, None).await?;
    }
    let Some(run) = run else {
        if let Some(day) = latest.filter(|d| !att.absent.contains(d)) {
            back_at_school(db, s, day).await?;
        }
        return Ok(());
    };
    let sc = school::Entity::find_by_id(s.school_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("学校"))?;
    let rules = rules_for_county(db, sc.county_id).await?;
    let class_name = class::Entity::find_by_id(s.class_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let now = Utc::now();
    for step in due_steps(&rules, cal, &run) {
        let people = assignees(db, s, step.kind).await?;
        let rows: Vec<ladder_task::ActiveModel> = people
            .iter()
            .map(|&assignee| ladder_task::ActiveModel {
                school_id: Set(s.school_id),
                student_id: Set(s.id),
                absence_start: Set(run.start()),
                kind: Set(step.kind.code().into()),
                ladder_day: Set(step.ladder_day as i32),
                assignee_id: Set(assignee),
                due_date: Set(step.due),
                status: Set(TaskStatus::Open.code().into()),
                visit_id: Set(None),
                closed_note: Set(String::new()),
                created_at: Set(now),
                closed_at: Set(None),
                escalated_at: Set(None),
                ..Default::default()
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        ladder_task::Entity::insert_many(rows)
            .on_conflict_do_nothing_on([
                ladder_task::Column::StudentId,
                ladder_task::Column::AbsenceStart,
                ladder_task::Column::Kind,
                ladder_task::Column::AssigneeId,
            ])
            .exec_without_returning(db)
            .await?;
        let key = format!("ladder:{}:{}:{}", s.id, run.start(), step.kind.code());
        notify(
            db,
            people,
            &Notice {
                kind: "ladder_task",
                title: format!("{}：{}", s.name, step.kind.label()),
                body: format!(
                    "{class_name} {} 无故缺勤第 {} 个上课日，请于 {} 前完成。",
                    s.name, step.ladder_day, step.due
                ),
                link: "/absences".into(),
                dedupe_key: key.clone(),
            },
        )
        .await?;
        match step.kind {
            TaskKind::ControlPlan => {
                let note = format!(
                    "连续 {} 个上课日无故缺勤（系统按缺勤规则自动登记）",
                    step.ladder_day
                );
                suspect(db, s, step.reached, &note).await?;
            }
            TaskKind::PersuasionRecord => {
                let officers = officers_over(db, &sc).await?;
                notify(
                    db,
                    officers,
                    &Notice {
                        kind: "suspected_dropout",
                        title: format!("疑似失学学生报告：{}", sc.name),
                        body: format!(
                            "{} {class_name} {} 自 {} 起连续 {} 个上课日无故未到校，学校正在劝返。",
                            sc.name,
                            s.name,
                            run.start(),
                            step.ladder_day
                        ),
                        link: "/ledgers".into(),
                        dedupe_key: key,
                    },
                )
                .await?;
            }
            _ => {}
        }
    }
    // Visits recorded (offline, perhaps) before the roll call reached us.
    let visits: Vec<uuid::Uuid> = visit::Entity::find()
        .select_only()
        .column(visit::Column::Id)
        .filter(visit::Column::StudentId.eq(s.id))
        .filter(visit::Column::VisitDate.gte(run.start()))
        .filter(visit::Column::Reason.is_in(closing_reasons()))
        .into_tuple()
        .all(db)
        .await?;
    for id in visits {
        close_by_visit(db, id).await?;
    }
    Ok(())
}

/// Whether a visit for this reason (its code) may close ladder tasks, so
/// a batch of routine visits need not ask.
pub fn closes_tasks(reason: &str) -> bool {
    closing_reasons().contains(&reason)
}

fn closing_reasons() -> [&'static str; 2] {
    [
        VisitReason::Absence.code(),
        VisitReason::PersuadeReturn.code(),
    ]
}

/// Day 3: into the suspected-dropout ledger (from 在校, 请假 or 复学 only;
/// a student already in a dropout ledger stays where they are).
async fn suspect(
    db: &impl ConnectionTrait,
    s: &student::Model,
    day: NaiveDate,
    note: &str,
) -> Result<(), AppError> {
    let from = StudentStatus::from_code(&s.status).unwrap_or(StudentStatus::InSchool);
    if matches!(
        from,
        StudentStatus::InSchool | StudentStatus::OnLeave | StudentStatus::Returned
    ) {
        set_status(
            db,
            s,
            from,
            StudentStatus::SuspectedDropout,
            day.max(s.status_since),
            note,
        )
        .await?;
    }
    Ok(())
}

/// Present at a roll call again: off the suspected ledger (a 劝返中
/// student has returned: 复学).
async fn back_at_school(
    db: &impl ConnectionTrait,
    s: &student::Model,
    day: NaiveDate,
) -> Result<(), AppError> {
    let from = StudentStatus::from_code(&s.status).unwrap_or(StudentStatus::InSchool);
    let to = match from {
        StudentStatus::SuspectedDropout => StudentStatus::InSchool,
        StudentStatus::Persuading => StudentStatus::Returned,
        _ => return Ok(()),
    };
    if day < s.status_since {
        return Ok(());
    }
    set_status(
        db,
        s,
        from,
        to,
        day,
        &format!("{day} 点名到校（系统自动登记）"),
    )
    .await
}

async fn set_status(
    db: &impl ConnectionTrait,
    s: &student::Model,
    from: StudentStatus,
    to: StudentStatus,
    day: NaiveDate,
    note: &str,
) -> Result<(), AppError> {
    let now = Utc::now();
    // Only if nobody changed it meanwhile.
    let changed = student::Entity::update_many()
        .col_expr(student::Column::Status, Expr::value(to.code()))
        .col_expr(student::Column::StatusSince, Expr::value(day))
        .col_expr(student::Column::UpdatedAt, Expr::value(now))
        .filter(student::Column::Id.eq(s.id))
        .filter(student::Column::Status.eq(from.code()))
        .exec(db)
        .await?;
    if changed.rows_affected == 1 {
        student_status_history::ActiveModel {
            student_id: Set(s.id),
            from_status: Set(Some(from.code().into())),
            to_status: Set(to.code().into()),
            effective_date: Set(day),
            note: Set(Some(note.to_owned())),
            changed_by: Set(None),
            changed_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn close_tasks(
    db: &impl ConnectionTrait,
    ids: &[i32],
    status: TaskStatus,
    note: &str,
    visit_id: Option<uuid::Uuid>,
) -> Result<u64, AppError> {
    if ids.is_empty() {
        return Ok(0);
    }
    let result = ladder_task::Entity::update_many()
        .col_expr(ladder_task::Column::Status, Expr::value(status.code()))
        .col_expr(ladder_task::Column::ClosedNote, Expr::value(note))
        .col_expr(ladder_task::Column::ClosedAt, Expr::value(Utc::now()))
        .col_expr(ladder_task::Column::VisitId, Expr::value(visit_id))
        .filter(ladder_task::Column::Id.is_in(ids.to_vec()))
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// A visit for reason 缺勤 or 劝返 closes the open visit tasks of that
/// student's absence for everyone on it; a joint visit with the head
/// teacher closes the joint-visit step for all its assignees.
pub async fn close_by_visit(
    db: &impl ConnectionTrait,
    visit_id: uuid::Uuid,
) -> Result<(), AppError> {
    let Some(v) = visit::Entity::find_by_id(visit_id).one(db).await? else {
        return Ok(());
    };
    if !closes_tasks(&v.reason) {
        return Ok(());
    }
    let mut people: BTreeSet<i32> = visit_co_visitor::Entity::find()
        .select_only()
        .column(visit_co_visitor::Column::UserId)
        .filter(visit_co_visitor::Column::VisitId.eq(v.id))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    people.insert(v.visitor_id);
    let open = ladder_task::Entity::find()
        .filter(ladder_task::Column::StudentId.eq(v.student_id))
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .filter(ladder_task::Column::AbsenceStart.lte(v.visit_date))
        .filter(
            ladder_task::Column::Kind
                .is_in([TaskKind::ContactVisit.code(), TaskKind::JointVisit.code()]),
        )
        .all(db)
        .await?;
    let head_on_visit = is_head_teacher_on(db, v.student_id, &people).await?;
    let joint = people.len() >= 2 && head_on_visit;
    let ids: Vec<i32> = open
        .iter()
        .filter(|t| {
            people.contains(&t.assignee_id) || (joint && t.kind == TaskKind::JointVisit.code())
        })
        .map(|t| t.id)
        .collect();
    let note = format!("{} 家访已记录", v.visit_date);
    close_tasks(db, &ids, TaskStatus::Done, &note, Some(v.id)).await?;
    Ok(())
}

async fn is_head_teacher_on(
    db: &impl ConnectionTrait,
    student_id: i32,
    people: &BTreeSet<i32>,
) -> Result<bool, AppError> {
    let Some(s) = student::Entity::find_by_id(student_id).one(db).await? else {
        return Ok(false);
    };
    let heads = people_with(db, &[Role::HeadTeacher], &s, true).await?;
    Ok(heads.iter().any(|h| people.contains(h)))
}

/// Closes the student's open step of `kind` (the plan when a 一生一案 is
/// made, the 劝返 record when one is written).
pub async fn close_step(
    db: &impl ConnectionTrait,
    student_id: i32,
    kind: TaskKind,
    note: &str,
) -> Result<u64, AppError> {
    let ids: Vec<i32> = ladder_task::Entity::find()
        .select_only()
        .column(ladder_task::Column::Id)
        .filter(ladder_task::Column::StudentId.eq(student_id))
        .filter(ladder_task::Column::Kind.eq(kind.code()))
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .into_tuple()
        .all(db)
        .await?;
    close_tasks(db, &ids, TaskStatus::Done, note, None).await
}

/// Tells the assignee and the school leaders, once, about each open task
/// past its due date. Several server instances may run this at once: the
/// conditional update decides who sends.
pub async fn escalate_overdue(
    db: &impl ConnectionTrait,
    today: NaiveDate,
) -> Result<u64, AppError> {
    let late = ladder_task::Entity::find()
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .filter(ladder_task::Column::DueDate.lt(today))
        .filter(ladder_task::Column::EscalatedAt.is_null())
        .limit(500)
        .all(db)
        .await?;
    let mut sent = 0;
    for t in late {
        let claimed = ladder_task::Entity::update_many()
            .col_expr(ladder_task::Column::EscalatedAt, Expr::value(Utc::now()))
            .filter(ladder_task::Column::Id.eq(t.id))
            .filter(ladder_task::Column::EscalatedAt.is_null())
            .exec(db)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let name = student::Entity::find_by_id(t.student_id)
            .one(db)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        let kind = TaskKind::from_code(&t.kind)
            .map(TaskKind::label)
            .unwrap_or("");
        let mut to = leaders_of(db, t.school_id).await?;
        to.push(t.assignee_id);
        sent += notify(
            db,
            to,
            &Notice {
                kind: "task_overdue",
                title: format!("已逾期：{name} {kind}"),
                body: format!("应于 {} 前完成，至今未完成。", t.due_date),
                link: "/absences".into(),
                dedupe_key: format!("task:{}:overdue", t.id),
            },
        )
        .await?;
    }
    Ok(sent)
}

/// `GET /api/v1/absence-tasks`: the caller's open tasks, the school's for
/// leaders, and the caller's recently closed ones.
pub async fn list(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    today: NaiveDate,
) -> Result<TaskList, AppError> {
    let mine_open = ladder_task::Entity::find()
        .filter(ladder_task::Column::AssigneeId.eq(current.user.id))
        .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
        .order_by_asc(ladder_task::Column::DueDate)
        .order_by_asc(ladder_task::Column::Id)
        .all(db)
        .await?;
    let school_open = if current.access.led_schools.is_empty() {
        Vec::new()
    } else {
        ladder_task::Entity::find()
            .filter(ladder_task::Column::SchoolId.is_in(current.access.led_schools.clone()))
            .filter(ladder_task::Column::Status.eq(TaskStatus::Open.code()))
            .order_by_asc(ladder_task::Column::DueDate)
            .order_by_asc(ladder_task::Column::Id)
            .limit(500)
            .all(db)
            .await?
    };
    let since = Utc::now() - chrono::Duration::days(14);
    let closed = ladder_task::Entity::find()
        .filter(ladder_task::Column::AssigneeId.eq(current.user.id))
        .filter(ladder_task::Column::Status.ne(TaskStatus::Open.code()))
        .filter(ladder_task::Column::ClosedAt.gte(since))
        .order_by_desc(ladder_task::Column::ClosedAt)
        .limit(50)
        .all(db)
        .await?;
    let names = Names::load(db, mine_open.iter().chain(&school_open).chain(&closed)).await?;
    let view = |t: &ladder_task::Model| names.view(t, today);
    Ok(TaskList {
        mine: mine_open.iter().map(view).collect(),
        school: school_open.iter().map(view).collect(),
        recently_closed: closed.iter().map(view).collect(),
    })
}

/// Student, class and person names for a page of tasks.
struct Names {
    students: BTreeMap<i32, (String, String)>,
    users: BTreeMap<i32, String>,
}

impl Names {
    async fn load<'a>(
        db: &impl ConnectionTrait,
        tasks: impl Iterator<Item = &'a ladder_task::Model>,
    ) -> Result<Names, AppError> {
        let mut student_ids = BTreeSet::new();
        let mut user_ids = BTreeSet::new();
        for t in tasks {
            student_ids.insert(t.student_id);
            user_ids.insert(t.assignee_id);
        }
        let rows: Vec<(i32, String, i32)> = student::Entity::find()
            .select_only()
            .column(student::Column::Id)
            .column(student::Column::Name)
            .column(student::Column::ClassId)
            .filter(student::Column::Id.is_in(student_ids))
            .into_tuple()
            .all(db)
            .await?;
        let classes: BTreeMap<i32, String> = class::Entity::find()
            .select_only()
            .column(class::Column::Id)
            .column(class::Column::Name)
            .filter(class::Column::Id.is_in(rows.iter().map(|r| r.2)))
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let users = user::Entity::find()
            .select_only()
            .column(user::Column::Id)
            .column(user::Column::DisplayName)
            .filter(user::Column::Id.is_in(user_ids))
            .into_tuple::<(i32, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        Ok(Names {
            students: rows
                .into_iter()
                .map(|(id, n, c)| (id, (n, classes.get(&c).cloned().unwrap_or_default())))
                .collect(),
            users,
        })
    }

    fn view(&self, t: &ladder_task::Model, today: NaiveDate) -> TaskView {
        let (student_name, class_name) = self
            .students
            .get(&t.student_id)
            .cloned()
            .unwrap_or_default();
        let status = TaskStatus::from_code(&t.status).unwrap_or(TaskStatus::Open);
        TaskView {
            id: t.id,
            kind: TaskKind::from_code(&t.kind).unwrap_or(TaskKind::ContactVisit),
            status,
            student_id: t.student_id,
            student_name,
            class_name,
            assignee: self.users.get(&t.assignee_id).cloned().unwrap_or_default(),
            absence_start: t.absence_start,
            ladder_day: t.ladder_day.max(0) as u32,
            due_date: t.due_date,
            overdue: status == TaskStatus::Open && t.due_date < today,
            closed_note: t.closed_note.clone(),
        }
    }
}
