//! Roll calls, leave and the school calendar on the server. Every change
//! reconciles the ladder of the students it touches (`dropout::tasks`).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::calendar::SchoolCalendar;
use super::{
    AbsentMark, CalendarDayInput, LeaveDecision, LeaveInput, LeaveKind, LeaveStatus, LeaveView,
    RollCallInput, RollCallView,
};
use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{
    absence, class, leave_request, roll_call, school, school_calendar_day, student, user,
};
use crate::dropout::ladder::run_on;
use crate::dropout::tasks::reconcile;
use crate::error::AppError;
use crate::quotas::service::on_roll;
use crate::semesters::service::{semester_for_date, today};

/// How far back a roll call may be entered or corrected.
const MAX_DAYS_BACK: i64 = 30;

/// The calendar of the semester containing `day` at `school_id`, or `None`
/// outside every semester.
pub async fn calendar_for(
    db: &impl ConnectionTrait,
    school_id: i32,
    day: NaiveDate,
) -> Result<Option<SchoolCalendar>, AppError> {
    let Some(sem) = semester_for_date(db, school_id, day).await? else {
        return Ok(None);
    };
    let mut cal = SchoolCalendar {
        start: sem.start_date,
        end: sem.end_date,
        ..Default::default()
    };
    // County-wide days first, then the school's own, which win.
    let mut rows = school_calendar_day::Entity::find()
        .filter(school_calendar_day::Column::CountyId.eq(sem.county_id))
        .filter(
            sea_orm::Condition::any()
                .add(school_calendar_day::Column::SchoolId.is_null())
                .add(school_calendar_day::Column::SchoolId.eq(school_id)),
        )
        .filter(school_calendar_day::Column::Day.between(sem.start_date, sem.end_date))
        .all(db)
        .await?;
    rows.sort_by_key(|r| r.school_id.is_some());
    for r in rows {
        cal.holidays.remove(&r.day);
        cal.workdays.remove(&r.day);
        if r.kind == "workday" {
            cal.workdays.insert(r.day);
        } else {
            cal.holidays.insert(r.day);
        }
    }
    Ok(Some(cal))
}

async fn class_for_roll_call(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    class_id: i32,
    write: bool,
) -> Result<class::Model, AppError> {
    let c = class::Entity::find_by_id(class_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("班级"))?;
    let a = &current.access;
    let allowed = a.head_classes.contains(&c.id)
        || a.led_schools.contains(&c.school_id)
        || (!write && a.taught_classes.contains(&c.id));
    if allowed {
        Ok(c)
    } else {
        Err(AppError::Forbidden)
    }
}

/// `GET /api/v1/roll-calls/{class_id}/{day}`.
pub async fn get_roll_call(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    class_id: i32,
    day: NaiveDate,
) -> Result<RollCallView, AppError> {
    let c = class_for_roll_call(db, current, class_id, false).await?;
    view(db, &c, day).await
}

async fn view(
    db: &impl ConnectionTrait,
    c: &class::Model,
    day: NaiveDate,
) -> Result<RollCallView, AppError> {
    let cal = calendar_for(db, c.school_id, day).await?;
    let rc = roll_call::Entity::find()
        .filter(roll_call::Column::ClassId.eq(c.id))
        .filter(roll_call::Column::Day.eq(day))
        .one(db)
        .await?;
    let (taken_by, absent) = match &rc {
        Some(rc) => {
            let by = user::Entity::find_by_id(rc.taken_by)
                .one(db)
                .await?
                .map(|u| u.display_name);
            let marks = absence::Entity::find()
                .filter(absence::Column::RollCallId.eq(rc.id))
                .order_by_asc(absence::Column::StudentId)
                .all(db)
                .await?
                .into_iter()
                .map(|a| AbsentMark {
                    student_id: a.student_id,
                    note: a.note,
                })
                .collect();
            (by, marks)
        }
        None => (None, Vec::new()),
    };
    let students: Vec<student::Model> = student::Entity::find()
        .filter(student::Column::ClassId.eq(c.id))
        .filter(on_roll())
        .all(db)
        .await?;
    let on_leave = leave_request::Entity::find()
        .select_only()
        .column(leave_request::Column::StudentId)
        .filter(leave_request::Column::StudentId.is_in(students.iter().map(|s| s.id)))
        .filter(leave_request::Column::Status.eq(LeaveStatus::Approved.code()))
        .filter(leave_request::Column::StartDate.lte(day))
        .filter(leave_request::Column::EndDate.gte(day))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect::<BTreeSet<i32>>()
        .into_iter()
        .collect();
    let mut running = Vec::new();
    if let Some(cal) = &cal {
        for mark in &absent {
            if let Some(s) = students.iter().find(|s| s.id == mark.student_id) {
                let att = crate::dropout::tasks::attendance_of(db, s, cal.start, day).await?;
                if let Some(run) = run_on(cal, &att, day) {
                    running.push((s.id, run.days()));
                }
            }
        }
    }
    Ok(RollCallView {
        class_id: c.id,
        class_name: c.name.clone(),
        day,
        school_day: cal.is_some_and(|cal| cal.is_school_day(day)),
        taken: rc.is_some(),
        taken_by,
        absent,
        on_leave,
        running,
    })
}

/// `PUT /api/v1/roll-calls/{class_id}/{day}`: saves (or corrects) the roll;
/// returns the view and whether it was new.
pub async fn save_roll_call(
    db: &DatabaseConnection,
    current: &CurrentUser,
    class_id: i32,
    day: NaiveDate,
    input: RollCallInput,
) -> Result<(RollCallView, bool), AppError> {
    if let Some(e) = input.validate().into_iter().next() {
        return Err(AppError::invalid(e.field, e.message));
    }
    let c = class_for_roll_call(db, current, class_id, true).await?;
    let today = today();
    if day > today {
        return Err(AppError::invalid("day", "不能为今天以后的日期点名"));
    }
    if (today - day).num_days() > MAX_DAYS_BACK {
        return Err(AppError::invalid("day", "只能补录或更正 30 天内的点名"));
    }
    let cal = calendar_for(db, c.school_id, day)
        .await?
        .ok_or_else(|| AppError::invalid("day", "该日期不在任何学期内（请先设置学期）"))?;
    if !cal.is_school_day(day) {
        return Err(AppError::invalid(
            "day",
            format!("{day} 不是上课日（周末或节假日）"),
        ));
    }
    let class_students: BTreeSet<i32> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .filter(student::Column::ClassId.eq(c.id))
        .filter(on_roll())
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some(stranger) = input
        .absent
        .iter()
        .find(|a| !class_students.contains(&a.student_id))
    {
        return Err(AppError::invalid(
            "absent",
            format!("学生 {} 不在本班名册中", stranger.student_id),
        ));
    }

    let txn = crate::db::begin_write(db).await?;
    let now = Utc::now();
    let existing = roll_call::Entity::find()
        .filter(roll_call::Column::ClassId.eq(c.id))
        .filter(roll_call::Column::Day.eq(day))
        .one(&txn)
        .await?;
    let created = existing.is_none();
    let (rc, before) = match existing {
        Some(rc) => {
            let before: BTreeSet<i32> = absence::Entity::find()
                .select_only()
                .column(absence::Column::StudentId)
                .filter(absence::Column::RollCallId.eq(rc.id))
                .into_tuple::<i32>()
                .all(&txn)
                .await?
                .into_iter()
                .collect();
            absence::Entity::delete_many()
                .filter(absence::Column::RollCallId.eq(rc.id))
                .exec(&txn)
                .await?;
            let mut row = rc.into_active_model();
            row.taken_by = Set(current.user.id);
            row.updated_at = Set(now);
            (row.update(&txn).await?, before)
        }
        None => {
            let row = roll_call::ActiveModel {
                school_id: Set(c.school_id),
                class_id: Set(c.id),
                day: Set(day),
                taken_by: Set(current.user.id),
                taken_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            };
            match row.insert(&txn).await {
                Ok(rc) => (rc, BTreeSet::new()),
                // Two phones sent the same roll at once: the other one won;
                // the client retries and lands in the correction path.
                Err(e) if crate::db::is_unique_violation(&e) => {
                    return Err(AppError::Conflict {
                        message: "该班当天的点名正在由另一台设备提交，请稍后重试".into(),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    if !input.absent.is_empty() {
        absence::Entity::insert_many(input.absent.iter().map(|a| absence::ActiveModel {
            roll_call_id: Set(rc.id),
            school_id: Set(c.school_id),
            student_id: Set(a.student_id),
            day: Set(day),
            note: Set(a.note.trim().to_owned()),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let after: BTreeSet<i32> = input.absent.iter().map(|a| a.student_id).collect();
    if !created && before != after {
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(current.user.id),
                school_id: Some(c.school_id),
                action: "roll_call.correct",
                entity: "roll_call",
                entity_id: Some(rc.id.to_string()),
                detail: Some(serde_json::json!({
                    "class_id": c.id, "day": day,
                    "absent_before": before, "absent_after": after,
                })),
            },
        )
        .await?;
    }
    // Everyone absent now or before, and anyone with an open task, may have
    // a ladder to start, continue or stop.
    let mut touched: BTreeSet<i32> = before.union(&after).copied().collect();
    touched.extend(crate::dropout::tasks::students_with_open_tasks(&txn, c.id).await?);
    reconcile(&txn, &touched.into_iter().collect::<Vec<_>>(), today).await?;
    let answer = view(&txn, &c, day).await?;
    txn.commit().await?;
    Ok((answer, created))
}

async fn student_checked(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    id: i32,
) -> Result<student::Model, AppError> {
    let s = student::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("学生"))?;
    current.access.ensure_read_student(&s)?;
    Ok(s)
}

/// `POST /api/v1/leave`: recorded by a teacher of the class; approved at
/// once when the head teacher or a school leader records it.
pub async fn create_leave(
    db: &DatabaseConnection,
    current: &CurrentUser,
    input: LeaveInput,
) -> Result<LeaveView, AppError> {
    if let Some(e) = input.validate().into_iter().next() {
        return Err(AppError::invalid(e.field, e.message));
    }
    let s = student_checked(db, current, input.student_id).await?;
    let teaches = current.access.taught_classes.contains(&s.class_id);
    let approves = current.access.can_edit_student(&s);
    if !approves && !teaches {
        return Err(AppError::Forbidden);
    }
    // The photo of the note is uploaded first, like a visit's photos.
    if let Some(sha) = input.note_photo.as_deref() {
        let uploaded = crate::db::entities::attachment::Entity::find_by_id(sha)
            .one(db)
            .await?
            .is_some();
        if !uploaded {
            return Err(AppError::invalid(
                "note_photo",
                "假条照片尚未上传，请重新选择照片",
            ));
        }
    }
    let txn = db.begin().await?;
    let now = Utc::now();
    let status = if approves {
        LeaveStatus::Approved
    } else {
        LeaveStatus::Pending
    };
    let row = leave_request::ActiveModel {
        school_id: Set(s.school_id),
        student_id: Set(s.id),
        kind: Set(input.kind.code().into()),
        start_date: Set(input.start_date),
        end_date: Set(input.end_date),
        reason: Set(input.reason.trim().to_owned()),
        note_photo: Set(input.note_photo.clone()),
        status: Set(status.code().into()),
        requested_by: Set(current.user.id),
        decided_by: Set(approves.then_some(current.user.id)),
        decided_at: Set(approves.then_some(now)),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(s.school_id),
            action: "leave.create",
            entity: "leave_request",
            entity_id: Some(row.id.to_string()),
            detail: Some(serde_json::json!({"student_id": s.id, "status": status.code()})),
        },
    )
    .await?;
    if approves {
        reconcile(&txn, &[s.id], today()).await?;
    }
    let view = leave_views(&txn, vec![row]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// `POST /api/v1/leave/{id}/decision`: the head teacher or a school leader.
pub async fn decide_leave(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
    decision: LeaveDecision,
) -> Result<LeaveView, AppError> {
    let row = leave_request::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("请假记录"))?;
    let s = student_checked(db, current, row.student_id).await?;
    if !current.access.can_edit_student(&s) {
        return Err(AppError::Forbidden);
    }
    if row.status != LeaveStatus::Pending.code() {
        return Err(AppError::Conflict {
            message: "该请假已处理过".into(),
        });
    }
    let status = if decision.approve {
        LeaveStatus::Approved
    } else {
        LeaveStatus::Rejected
    };
    let txn = db.begin().await?;
    let mut active = row.into_active_model();
    active.status = Set(status.code().into());
    active.decided_by = Set(Some(current.user.id));
    active.decided_at = Set(Some(Utc::now()));
    let row = active.update(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(s.school_id),
            action: "leave.decide",
            entity: "leave_request",
            entity_id: Some(id.to_string()),
            detail: Some(serde_json::json!({"status": status.code()})),
        },
    )
    .await?;
    reconcile(&txn, &[s.id], today()).await?;
    let view = leave_views(&txn, vec![row]).await?.remove(0);
    txn.commit().await?;
    Ok(view)
}

/// `GET /api/v1/leave`: leave of the students the caller may read, latest
/// first (the last 90 days and anything still pending).
pub async fn list_leave(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
) -> Result<Vec<LeaveView>, AppError> {
    let Some(condition) = current.access.student_condition() else {
        return Ok(Vec::new());
    };
    let ids: Vec<i32> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .filter(condition)
        .into_tuple()
        .all(db)
        .await?;
    let since = today() - chrono::Duration::days(90);
    let rows = leave_request::Entity::find()
        .filter(leave_request::Column::StudentId.is_in(ids))
        .filter(
            sea_orm::Condition::any()
                .add(leave_request::Column::EndDate.gte(since))
                .add(leave_request::Column::Status.eq(LeaveStatus::Pending.code())),
        )
        .order_by_desc(leave_request::Column::StartDate)
        .order_by_desc(leave_request::Column::Id)
        .limit(300)
        .all(db)
        .await?;
    leave_views(db, rows).await
}

async fn leave_views(
    db: &impl ConnectionTrait,
    rows: Vec<leave_request::Model>,
) -> Result<Vec<LeaveView>, AppError> {
    let students: BTreeMap<i32, student::Model> = student::Entity::find()
        .filter(student::Column::Id.is_in(rows.iter().map(|r| r.student_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let classes: BTreeMap<i32, String> = class::Entity::find()
        .filter(class::Column::Id.is_in(students.values().map(|s| s.class_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let people: BTreeMap<i32, String> = user::Entity::find()
        .filter(
            user::Column::Id.is_in(
                rows.iter()
                    .flat_map(|r| [Some(r.requested_by), r.decided_by])
                    .flatten(),
            ),
        )
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let s = students.get(&r.student_id);
            LeaveView {
                id: r.id,
                student_id: r.student_id,
                student_name: s.map(|s| s.name.clone()).unwrap_or_default(),
                class_name: s
                    .and_then(|s| classes.get(&s.class_id).cloned())
                    .unwrap_or_default(),
                kind: LeaveKind::from_code(&r.kind).unwrap_or(LeaveKind::Other),
                start_date: r.start_date,
                end_date: r.end_date,
                reason: r.reason,
                note_photo: r.note_photo,
                status: LeaveStatus::from_code(&r.status).unwrap_or(LeaveStatus::Pending),
                requested_by: people.get(&r.requested_by).cloned().unwrap_or_default(),
                decided_by: r.decided_by.and_then(|id| people.get(&id).cloned()),
            }
        })
        .collect())
}

/// `GET /api/v1/calendar-days`: holidays and make-up days of the caller's
/// county (and own school).
pub async fn list_calendar_days(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
) -> Result<Vec<CalendarDayInput>, AppError> {
    let counties: BTreeSet<i32> = current.roles.iter().filter_map(|r| r.county_id).collect();
    let schools: Vec<i32> = current
        .access
        .staff_schools
        .iter()
        .chain(&current.access.led_schools)
        .copied()
        .collect();
    let school_counties: Vec<i32> = school::Entity::find()
        .select_only()
        .column(school::Column::CountyId)
        .filter(school::Column::Id.is_in(schools.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let rows = school_calendar_day::Entity::find()
        .filter(
            school_calendar_day::Column::CountyId
                .is_in(counties.into_iter().chain(school_counties)),
        )
        .filter(
            sea_orm::Condition::any()
                .add(school_calendar_day::Column::SchoolId.is_null())
                .add(school_calendar_day::Column::SchoolId.is_in(schools)),
        )
        .order_by_asc(school_calendar_day::Column::Day)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| CalendarDayInput {
            day: r.day,
            kind: r.kind,
            name: r.name,
            school_id: r.school_id,
        })
        .collect())
}

/// `PUT /api/v1/calendar-days`: sets (replaces) one day; county officers
/// for the county, a principal or admin for their school.
pub async fn put_calendar_day(
    db: &DatabaseConnection,
    current: &CurrentUser,
    input: CalendarDayInput,
) -> Result<CalendarDayInput, AppError> {
    if input.kind != "holiday" && input.kind != "workday" {
        return Err(AppError::invalid(
            "kind",
            "类型须为 holiday（放假）或 workday（调休上课）",
        ));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::invalid(
            "name",
            "请填写名称（最多 30 字），如“国庆节”",
        ));
    }
    let county_id = match input.school_id {
        Some(school_id) => {
            if !current.keeps_school(school_id) {
                return Err(AppError::Forbidden);
            }
            school::Entity::find_by_id(school_id)
                .one(db)
                .await?
                .ok_or_else(|| AppError::not_found("学校"))?
                .county_id
        }
        None => current
            .roles
            .iter()
            .filter_map(|r| r.county_id)
            .find(|c| current.is_county_officer_of(*c))
            .ok_or(AppError::Forbidden)?,
    };
    let txn = db.begin().await?;
    let same_scope = match input.school_id {
        Some(id) => school_calendar_day::Column::SchoolId.eq(id),
        None => school_calendar_day::Column::SchoolId.is_null(),
    };
    school_calendar_day::Entity::delete_many()
        .filter(school_calendar_day::Column::CountyId.eq(county_id))
        .filter(school_calendar_day::Column::Day.eq(input.day))
        .filter(same_scope)
        .exec(&txn)
        .await?;
    school_calendar_day::ActiveModel {
        county_id: Set(county_id),
        school_id: Set(input.school_id),
        day: Set(input.day),
        kind: Set(input.kind.clone()),
        name: Set(name.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: input.school_id,
            action: "calendar.put",
            entity: "school_calendar_day",
            entity_id: Some(input.day.to_string()),
            detail: Some(serde_json::json!({"kind": input.kind, "name": name})),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(CalendarDayInput { name, ..input })
}
