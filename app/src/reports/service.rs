//! The monthly report from the database: figures of a school or an area
//! for a month (a handful of grouped queries, not one per student), the
//! signed scans, and the reminders before and after the 25th.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sha2::{Digest, Sha256};

use super::stats::{Change, Tally, month_facts};
use super::{
    AreaMonthReport, AreaSchoolRow, DUE_DAY, ListedStudent, Month, REMINDER_DAY, ScanType,
    SchoolMonthReport, Stage, StageRow, Submission, is_overdue, school_query,
};
use crate::audit::{self, AuditEntry};
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{
    class, county, grade, monthly_report, persuasion_record, school, student,
    student_status_history, town, user, user_role,
};
use crate::db::is_unique_violation;
use crate::error::AppError;
use crate::notifications::service::{Notice, notify};
use crate::roster::{Gender, StudentStatus};
use crate::semesters::service::today;
use crate::state::AppState;

/// The month asked for (this month when absent), refusing months that
/// have not begun.
pub fn requested_month(month: Option<&str>, today: NaiveDate) -> Result<Month, AppError> {
    let month = match month.map(str::trim) {
        Some(text) if !text.is_empty() => Month::parse(text)?,
        _ => Month::of(today),
    };
    if month.first_day() > today {
        return Err(AppError::invalid("month", "该月份尚未开始，不能查看或报送"));
    }
    Ok(month)
}

/// The school a report page is about: a school the caller leads, or one of
/// their area (read-only); their own school when none is named.
pub fn readable_school(current: &CurrentUser, school_id: Option<i32>) -> Result<i32, AppError> {
    let a = &current.access;
    a.choose_school(school_id, |id| {
        a.led_schools.contains(&id) || a.overseen_schools.contains(&id)
    })
}

/// The school whose scan the caller may submit: one they lead (principal,
/// vice principal, school admin). Officers only read.
pub fn submitting_school(current: &CurrentUser, school_id: Option<i32>) -> Result<i32, AppError> {
    let a = &current.access;
    a.choose_school(school_id, |id| a.led_schools.contains(&id))
}

/// A student as the report needs them.
struct Pupil {
    id: i32,
    school_id: i32,
    class_id: i32,
    name: String,
    gender: String,
    student_no: String,
}

/// One school's tallies per stage, and the 名单 when asked for.
#[derive(Default)]
struct Computed {
    tallies: HashMap<i32, BTreeMap<Stage, Tally>>,
    listed: Vec<ListedStudent>,
}

/// Class id → (grade level, class name).
async fn classes_of(
    db: &impl ConnectionTrait,
    school_ids: &[i32],
) -> Result<HashMap<i32, (i32, String)>, AppError> {
    let levels: HashMap<i32, i32> = grade::Entity::find()
        .filter(grade::Column::SchoolId.is_in(school_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.level))
        .collect();
    Ok(class::Entity::find()
        .filter(class::Column::SchoolId.is_in(school_ids.iter().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| {
            let level = levels.get(&c.grade_id).copied().unwrap_or(0);
            (c.id, (level, c.name))
        })
        .collect())
}

type HistoryRow = (String, NaiveDate, Option<String>);

/// Every student of the schools with their history (oldest first).
async fn pupils_with_history(
    db: &impl ConnectionTrait,
    school_ids: &[i32],
) -> Result<Vec<(Pupil, Vec<Change>, Vec<Option<String>>)>, AppError> {
    type Row = (i32, i32, i32, String, String, String, String, NaiveDate);
    let rows: Vec<Row> = student::Entity::find()
        .select_only()
        .column(student::Column::Id)
        .column(student::Column::SchoolId)
        .column(student::Column::ClassId)
        .column(student::Column::Name)
        .column(student::Column::Gender)
        .column(student::Column::StudentNo)
        .column(student::Column::Status)
        .column(student::Column::StatusSince)
        .filter(student::Column::SchoolId.is_in(school_ids.iter().copied()))
        .order_by_asc(student::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut history: HashMap<i32, Vec<HistoryRow>> = HashMap::new();
    let of_schools = Query::select()
        .column(student::Column::Id)
        .from(student::Entity)
        .and_where(student::Column::SchoolId.is_in(school_ids.iter().copied()))
        .to_owned();
    let changes: Vec<(i32, i32, String, NaiveDate, Option<String>)> =
        student_status_history::Entity::find()
            .select_only()
            .column(student_status_history::Column::Id)
            .column(student_status_history::Column::StudentId)
            .column(student_status_history::Column::ToStatus)
            .column(student_status_history::Column::EffectiveDate)
            .column(student_status_history::Column::Note)
            .filter(student_status_history::Column::StudentId.in_subquery(of_schools))
            .order_by_asc(student_status_history::Column::StudentId)
            .order_by_asc(student_status_history::Column::EffectiveDate)
            .order_by_asc(student_status_history::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
    for (_, student_id, to, date, note) in changes {
        history
            .entry(student_id)
            .or_default()
            .push((to, date, note));
    }
    Ok(rows
        .into_iter()
        .map(
            |(id, school_id, class_id, name, gender, student_no, status, since)| {
                // A student without any history (should not happen: imports
                // and the demo write one) counts from their status date.
                let rows = history
                    .remove(&id)
                    .unwrap_or_else(|| vec![(status, since, None)]);
                let (changes, notes) = rows
                    .into_iter()
                    .filter_map(|(to, date, note)| {
                        StudentStatus::from_code(&to).map(|to| (Change { date, to }, note))
                    })
                    .unzip();
                (
                    Pupil {
                        id,
                        school_id,
                        class_id,
                        name,
                        gender,
                        student_no,
                    },
                    changes,
                    notes,
                )
            },
        )
        .collect())
}

/// Tallies of `schools` for `month`; with the 名单 when `with_list`.
async fn compute(
    db: &impl ConnectionTrait,
    schools: &[school::Model],
    month: Month,
    with_list: bool,
) -> Result<Computed, AppError> {
    let ids: Vec<i32> = schools.iter().map(|s| s.id).collect();
    if ids.is_empty() {
        return Ok(Computed::default());
    }
    let school_stage: HashMap<i32, Option<Stage>> = schools
        .iter()
        .map(|s| (s.id, Stage::of_school(&s.stage).first().copied()))
        .collect();
    let classes = classes_of(db, &ids).await?;
    let (first, last) = (month.first_day(), month.last_day());
    let mut out = Computed::default();
    let mut listed = Vec::new();
    for (pupil, changes, notes) in pupils_with_history(db, &ids).await? {
        let facts = month_facts(&changes, first, last);
        let (level, class_name) = classes
            .get(&pupil.class_id)
            .cloned()
            .unwrap_or((0, String::new()));
        let Some(stage) = Stage::of_level(level)
            .or_else(|| school_stage.get(&pupil.school_id).copied().flatten())
        else {
            continue;
        };
        out.tallies
            .entry(pupil.school_id)
            .or_default()
            .entry(stage)
            .or_default()
            .add_facts(&facts);
        if with_list
            && facts.listed
            && let Some(i) = facts.at_end
        {
            listed.push((level, class_name, pupil, changes[i], notes[i].clone()));
        }
    }
    if with_list {
        listed.sort_by(|a, b| (a.0, &a.1, &a.2.name).cmp(&(b.0, &b.1, &b.2.name)));
        let persuasions = persuasions_of(db, listed.iter().map(|l| l.2.id), last).await?;
        out.listed = listed
            .into_iter()
            .enumerate()
            .map(|(i, (_, class_name, pupil, change, note))| {
                let tries = persuasions.get(&pupil.id);
                let latest = tries.and_then(|t| t.last());
                ListedStudent {
                    seq: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    student_id: pupil.id,
                    name: pupil.name,
                    gender: Gender::from_code(&pupil.gender)
                        .map_or("", Gender::label)
                        .to_owned(),
                    student_no: pupil.student_no,
                    class_name,
                    status: change.to,
                    status_label: change.to.label().to_owned(),
                    status_since: change.date,
                    note: note.unwrap_or_default(),
                    persuasions: tries.map_or(0, |t| u32::try_from(t.len()).unwrap_or(u32::MAX)),
                    last_persuasion_day: latest.map(|p| p.day),
                    last_persuasion_result: latest.map(persuasion_summary),
                }
            })
            .collect();
    }
    Ok(out)
}

/// 劝返 attempts up to `last`, per student, oldest first.
async fn persuasions_of(
    db: &impl ConnectionTrait,
    student_ids: impl Iterator<Item = i32>,
    last: NaiveDate,
) -> Result<HashMap<i32, Vec<persuasion_record::Model>>, AppError> {
    let ids: Vec<i32> = student_ids.collect();
    let mut out: HashMap<i32, Vec<persuasion_record::Model>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows = persuasion_record::Entity::find()
            .filter(persuasion_record::Column::StudentId.is_in(chunk.iter().copied()))
            .filter(persuasion_record::Column::Day.lte(last))
            .order_by_asc(persuasion_record::Column::Day)
            .order_by_asc(persuasion_record::Column::Id)
            .all(db)
            .await?;
        for r in rows {
            out.entry(r.student_id).or_default().push(r);
        }
    }
    Ok(out)
}

/// 同意返校：家长答应下周一送回学校.
fn persuasion_summary(p: &persuasion_record::Model) -> String {
    let outcome = match p.outcome.as_str() {
        "agreed" => "同意返校",
        "refused" => "拒绝返校",
        "undecided" => "暂未答复",
        other => other,
    };
    let result = p.result.trim();
    match (outcome.is_empty(), result.is_empty()) {
        (_, true) => outcome.to_owned(),
        (true, false) => result.to_owned(),
        (false, false) => format!("{outcome}：{result}"),
    }
}

/// The lines of one school (or area): a line per stage it teaches or has
/// students in, and 合计.
fn rows_of(
    stages: &BTreeSet<Stage>,
    tallies: &BTreeMap<Stage, Tally>,
) -> (Vec<StageRow>, StageRow) {
    let mut total = Tally::default();
    let rows = stages
        .iter()
        .map(|s| {
            let t = tallies.get(s).copied().unwrap_or_default();
            total += t;
            t.row(Some(*s))
        })
        .collect();
    (rows, total.row(None))
}

fn stages_of(school: &school::Model, tallies: Option<&BTreeMap<Stage, Tally>>) -> BTreeSet<Stage> {
    let mut stages: BTreeSet<Stage> = Stage::of_school(&school.stage).into_iter().collect();
    if let Some(t) = tallies {
        stages.extend(t.keys().copied());
    }
    stages
}

/// The submitted scans of `school_ids` for `month`.
async fn submissions(
    db: &impl ConnectionTrait,
    school_ids: &[i32],
    month: Month,
) -> Result<HashMap<i32, Submission>, AppError> {
    let rows = monthly_report::Entity::find()
        .filter(monthly_report::Column::SchoolId.is_in(school_ids.iter().copied()))
        .filter(monthly_report::Column::Month.eq(month.code()))
        .all(db)
        .await?;
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(rows.iter().map(|r| r.submitted_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let submission = submission_of(&r, names.get(&r.submitted_by).cloned());
            (r.school_id, submission)
        })
        .collect())
}

fn submission_of(r: &monthly_report::Model, by: Option<String>) -> Submission {
    Submission {
        submitted_at: r.submitted_at,
        submitted_at_label: r
            .submitted_at
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .format("%Y-%m-%d %H:%M")
            .to_string(),
        submitted_by: by.unwrap_or_default(),
        scan_type: r.scan_type.clone(),
        scan_url: format!(
            "/api/v1/reports/monthly/scan{}",
            school_query(&r.month, r.school_id)
        ),
    }
}

/// `GET /api/v1/reports/monthly`.
pub async fn school_report(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    school_id: Option<i32>,
    month: Option<&str>,
) -> Result<SchoolMonthReport, AppError> {
    let today = today();
    let school_id = readable_school(current, school_id)?;
    let month = requested_month(month, today)?;
    let school = school::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)?;
    let county_name = county::Entity::find_by_id(school.county_id)
        .one(db)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let town_name = town::Entity::find_by_id(school.town_id)
        .one(db)
        .await?
        .map(|t| t.name)
        .unwrap_or_default();
    let computed = compute(db, std::slice::from_ref(&school), month, true).await?;
    let tallies = computed.tallies.get(&school.id);
    let (stages, total) = rows_of(
        &stages_of(&school, tallies),
        tallies.unwrap_or(&BTreeMap::new()),
    );
    let submission = submissions(db, &[school.id], month)
        .await?
        .remove(&school.id);
    let submitted = submission.is_some();
    Ok(SchoolMonthReport {
        school_id: school.id,
        school_name: school.name,
        county_name,
        town_name,
        month: month.code(),
        month_label: month.label(),
        as_of: month.last_day(),
        stages,
        total,
        students: computed.listed,
        submitted,
        submission,
        due_date: month.due_date(),
        overdue: is_overdue(month, submitted, today),
        can_submit: current.access.led_schools.contains(&school_id),
        export_url: format!(
            "/api/v1/reports/monthly/export{}",
            school_query(&month.code(), school_id)
        ),
    })
}

/// `GET /api/v1/reports/area`: every school an officer oversees.
pub async fn area_report(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    month: Option<&str>,
) -> Result<AreaMonthReport, AppError> {
    let today = today();
    let area = crate::auth::area::area_of(db, current).await?;
    let school_ids = area.school_ids();
    let month = requested_month(month, today)?;
    let computed = compute(db, &area.schools, month, false).await?;
    let mut submitted = submissions(db, &school_ids, month).await?;
    let mut area_tally: BTreeMap<Stage, Tally> = BTreeMap::new();
    let mut area_stages = BTreeSet::new();
    let empty = BTreeMap::new();
    let rows: Vec<AreaSchoolRow> = area
        .schools
        .iter()
        .map(|s| {
            let tallies = computed.tallies.get(&s.id).unwrap_or(&empty);
            let stages = stages_of(s, Some(tallies));
            for stage in &stages {
                *area_tally.entry(*stage).or_default() +=
                    tallies.get(stage).copied().unwrap_or_default();
            }
            area_stages.extend(stages.iter().copied());
            let (stage_rows, total) = rows_of(&stages, tallies);
            let submission = submitted.remove(&s.id);
            AreaSchoolRow {
                school_id: s.id,
                school_name: s.name.clone(),
                town_name: area.town_name(s),
                meets_targets: stage_rows.iter().all(|r| r.meets_target != Some(false)),
                stages: stage_rows,
                total,
                submitted: submission.is_some(),
                submitted_at: submission.as_ref().map(|x| x.submitted_at),
                overdue: is_overdue(month, submission.is_some(), today),
                submission,
            }
        })
        .collect();
    let (stages, total) = rows_of(&area_stages, &area_tally);
    Ok(AreaMonthReport {
        area_name: area.name.clone(),
        month: month.code(),
        month_label: month.label(),
        as_of: month.last_day(),
        due_date: month.due_date(),
        submitted_count: rows.iter().filter(|r| r.submitted).count() as u32,
        overdue_count: rows.iter().filter(|r| r.overdue).count() as u32,
        schools: rows,
        stages,
        total,
        export_url: format!("/api/v1/reports/area/export?month={}", month.code()),
    })
}

/// Where a scan is stored: a hash of its bytes, separated from the
/// attachments' (a scan is never a photo's address), with the suffix of
/// its type (see `attachments::storage::check_key`).
pub fn scan_key(kind: ScanType, bytes: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"jiafang monthly report scan\n");
    hasher.update(bytes);
    let suffix = match kind {
        ScanType::Png => "png",
        ScanType::Jpeg => "jpg",
        ScanType::Pdf => "pdf",
    };
    format!("{}.{suffix}", hex::encode(hasher.finalize()))
}

/// Store a school's signed and stamped scan for `month`, replacing an
/// earlier one. `Ok((true, _))` for the first submission of the month.
/// The caller has checked the access (`submitting_school`), the type and
/// the size.
pub async fn submit_scan(
    state: &AppState,
    current: &CurrentUser,
    school_id: i32,
    month: Month,
    kind: ScanType,
    bytes: Vec<u8>,
) -> Result<(bool, Submission), AppError> {
    let db: &DatabaseConnection = &state.db;
    let key = scan_key(kind, &bytes);
    let size = bytes.len();
    // File first, row last: a row always has its file.
    state.storage.put(&key, bytes).await?;
    let now = chrono::Utc::now();
    let txn = crate::db::begin_write(db).await?;
    let existing = monthly_report::Entity::find()
        .filter(monthly_report::Column::SchoolId.eq(school_id))
        .filter(monthly_report::Column::Month.eq(month.code()))
        .one(&txn)
        .await?;
    let previous_type = existing.as_ref().map(|r| r.scan_type.clone());
    let saved = match existing {
        Some(row) => {
            let mut row = row.into_active_model();
            row.scan_key = Set(key.clone());
            row.scan_type = Set(kind.content_type().to_owned());
            row.submitted_by = Set(current.user.id);
            row.submitted_at = Set(now);
            row.update(&txn).await?
        }
        None => monthly_report::ActiveModel {
            school_id: Set(school_id),
            month: Set(month.code()),
            scan_key: Set(key.clone()),
            scan_type: Set(kind.content_type().to_owned()),
            submitted_by: Set(current.user.id),
            submitted_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                AppError::Conflict {
                    message: "本月统计表刚由他人同时上传，请刷新后再试".into(),
                }
            } else {
                err.into()
            }
        })?,
    };
    let replaced = previous_type.is_some();
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: if replaced {
                "report.replace"
            } else {
                "report.submit"
            },
            entity: "monthly_report",
            entity_id: Some(saved.id.to_string()),
            detail: Some(serde_json::json!({
                "month": month.code(),
                "scan_type": kind.content_type(),
                "bytes": size,
                "previous_type": previous_type,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((
        !replaced,
        submission_of(&saved, Some(current.user.display_name.clone())),
    ))
}

/// A submitted scan: (content type, bytes, file name).
pub async fn scan(
    state: &AppState,
    current: &CurrentUser,
    school_id: Option<i32>,
    month: Option<&str>,
) -> Result<(String, Vec<u8>, String), AppError> {
    let school_id = readable_school(current, school_id)?;
    let month = requested_month(month, today())?;
    let row = monthly_report::Entity::find()
        .filter(monthly_report::Column::SchoolId.eq(school_id))
        .filter(monthly_report::Column::Month.eq(month.code()))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::not_found("该月已报送的统计表扫描件"))?;
    let bytes = state
        .storage
        .get(&row.scan_key)
        .await?
        .ok_or_else(|| AppError::not_found("扫描件文件"))?;
    let school = school::Entity::find_by_id(school_id)
        .one(&state.db)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    let ext = ScanType::from_content_type(&row.scan_type).map_or("bin", ScanType::extension);
    Ok((
        row.scan_type,
        bytes,
        format!("{school}{}辍学学生情况统计表.{ext}", month.label()),
    ))
}

/// Reminders for the month of `today` (Beijing date): from the 20th to the
/// 25th each school that has not submitted tells its principals and school
/// admins (`report:{school}:{month}:due`); after the 25th an overdue
/// notice goes to them and to the county officers of the school's county
/// (`report:{school}:{month}:overdue`). Each is sent once per person
/// however often this runs. Returns how many notifications were new.
pub async fn send_reminders(db: &impl ConnectionTrait, today: NaiveDate) -> Result<u64, AppError> {
    if today.day() < REMINDER_DAY {
        return Ok(0);
    }
    let month = Month::of(today);
    let overdue = today.day() > DUE_DAY;
    let submitted: BTreeSet<i32> = monthly_report::Entity::find()
        .select_only()
        .column(monthly_report::Column::SchoolId)
        .filter(monthly_report::Column::Month.eq(month.code()))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let schools: Vec<school::Model> = school::Entity::find()
        .order_by_asc(school::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|s| !submitted.contains(&s.id))
        .collect();
    if schools.is_empty() {
        return Ok(0);
    }
    let keepers = [Role::Principal.code(), Role::SchoolAdmin.code()];
    let mut roles = user_role::Entity::find()
        .filter(user_role::Column::Role.is_in(keepers))
        .filter(user_role::Column::SchoolId.is_in(schools.iter().map(|s| s.id)))
        .all(db)
        .await?;
    if overdue {
        let counties: BTreeSet<i32> = schools.iter().map(|s| s.county_id).collect();
        roles.extend(
            user_role::Entity::find()
                .filter(user_role::Column::Role.eq(Role::CountyOfficer.code()))
                .filter(user_role::Column::CountyId.is_in(counties))
                .all(db)
                .await?,
        );
    }
    let active: BTreeSet<i32> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(roles.iter().map(|r| r.user_id)))
        .filter(user::Column::IsActive.eq(true))
        .into_tuple::<i32>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut sent = 0;
    for school in &schools {
        let recipients: BTreeSet<i32> = roles
            .iter()
            .filter(|r| active.contains(&r.user_id))
            .filter(|r| {
                if r.role == Role::CountyOfficer.code() {
                    r.county_id == Some(school.county_id)
                } else {
                    r.school_id == Some(school.id)
                }
            })
            .map(|r| r.user_id)
            .collect();
        let due = month.due_date();
        let notice = if overdue {
            Notice {
                kind: "report_due",
                title: format!("{}辍学学生情况统计表已逾期", month.label()),
                body: format!(
                    "{}尚未报送{}《辍学学生情况统计表》（校长签名、加盖公章的扫描件），已过 {} 月 {} 日的截止日期，请尽快报送。",
                    school.name,
                    month.label(),
                    due.month(),
                    due.day()
                ),
                link: "/reports".to_owned(),
                dedupe_key: format!("report:{}:{}:overdue", school.id, month.code()),
            }
        } else {
            Notice {
                kind: "report_due",
                title: format!(
                    "请于 {} 月 {} 日前报送辍学学生情况统计表",
                    due.month(),
                    due.day()
                ),
                body: format!(
                    "{}尚未报送{}《辍学学生情况统计表》。请梳理控辍保学台账，下载统计表，校长签名并加盖公章后上传扫描件。",
                    school.name,
                    month.label()
                ),
                link: "/reports".to_owned(),
                dedupe_key: format!("report:{}:{}:due", school.id, month.code()),
            }
        };
        sent += notify(db, recipients, &notice).await?;
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn future_months_are_refused_and_absent_means_this_month() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(requested_month(None, today).unwrap().code(), "2026-11");
        assert_eq!(requested_month(Some(""), today).unwrap().code(), "2026-11");
        assert_eq!(
            requested_month(Some("2026-10"), today).unwrap().code(),
            "2026-10"
        );
        assert_eq!(
            requested_month(Some("2026-12"), today)
                .unwrap_err()
                .status(),
            422
        );
        assert_eq!(
            requested_month(Some("2026-1"), today).unwrap_err().status(),
            422
        );
    }

    #[test]
    fn scan_keys_pass_the_store_check_and_never_equal_a_photo_address() {
        let bytes = b"%PDF-1.4 test";
        for kind in [ScanType::Pdf, ScanType::Jpeg, ScanType::Png] {
            let key = scan_key(kind, bytes);
            assert!(
                crate::attachments::storage::check_key(&key).is_ok(),
                "{key}"
            );
            assert!(!key.starts_with(&hex::encode(Sha256::digest(bytes))));
        }
        assert_ne!(scan_key(ScanType::Pdf, b"a"), scan_key(ScanType::Pdf, b"b"));
    }

    #[test]
    fn persuasion_results_read_naturally() {
        let now = chrono::Utc::now();
        let p = persuasion_record::Model {
            id: 1,
            case_id: 1,
            school_id: 1,
            student_id: 1,
            day: now.date_naive(),
            persons: "班主任、村干部".into(),
            method: "home".into(),
            result: "家长答应下周一送回学校".into(),
            outcome: "agreed".into(),
            visit_id: None,
            recorded_by: 1,
            created_at: now,
        };
        assert_eq!(persuasion_summary(&p), "同意返校：家长答应下周一送回学校");
        let blank = persuasion_record::Model {
            result: " ".into(),
            outcome: "refused".into(),
            ..p
        };
        assert_eq!(persuasion_summary(&blank), "拒绝返校");
    }
}
