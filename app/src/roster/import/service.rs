//! Plan an import against the database (the preview), and carry the plan
//! out in one transaction (the commit). The commit re-plans inside its
//! transaction, so it always acts on the current state.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use super::columns::{ColumnMap, halfwidth};
use super::rows::{StudentRecord, check_row, grade_name};
use super::table::Table;
use super::{ImportReport, RowError, StudentForm};
use crate::audit::{self, AuditEntry};
use crate::classes::service::ensure_grade;
use crate::db::entities::{class, grade, guardian, student, student_status_history};
use crate::error::AppError;
use crate::roster::StudentStatus;

/// Rows per multi-row INSERT: well under SQLite's and PostgreSQL's
/// bound-parameter limits.
const CHUNK: usize = 400;

struct Plan {
    report: ImportReport,
    creates: Vec<StudentRecord>,
    updates: Vec<(student::Model, StudentRecord)>,
    /// (grade level, class name) of classes to create.
    new_classes: BTreeSet<(i32, String)>,
    /// (grade level, class name) → class id of existing classes.
    classes: HashMap<(i32, String), i32>,
}

pub async fn preview(
    db: &DatabaseConnection,
    school_id: i32,
    table: &Table,
) -> Result<ImportReport, AppError> {
    Ok(plan(db, school_id, table, today()).await?.report)
}

pub async fn commit(
    db: &DatabaseConnection,
    school_id: i32,
    actor_id: i32,
    table: &Table,
) -> Result<ImportReport, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let today = today();
    let plan = plan(&txn, school_id, table, today).await?;
    let mut classes = plan.classes.clone();
    for (level, name) in &plan.new_classes {
        let grade_id = ensure_grade(&txn, school_id, *level).await?;
        let row = class::ActiveModel {
            school_id: Set(school_id),
            grade_id: Set(grade_id),
            name: Set(name.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        classes.insert((*level, name.clone()), row.id);
    }
    let class_of = |r: &StudentRecord| classes.get(&(r.grade_level, r.class_name.clone())).copied();

    for chunk in plan.creates.chunks(CHUNK) {
        insert_students(&txn, school_id, chunk, &class_of, today).await?;
    }
    for (existing, record) in &plan.updates {
        let class_id = class_of(record)
            .ok_or_else(|| AppError::internal("import", "class missing after creation"))?;
        update_student(&txn, existing, record, class_id).await?;
    }
    let mut report = plan.report;
    report.committed = true;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(actor_id),
            school_id: Some(school_id),
            action: "import_students",
            entity: "student",
            entity_id: None,
            detail: Some(serde_json::json!({
                "created": report.to_create,
                "updated": report.to_update,
                "unchanged": report.unchanged,
                "skipped_rows": report.errors.iter().map(|e| e.row).collect::<BTreeSet<_>>().len(),
                "new_classes": report.new_classes,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(report)
}

/// Saves one student from the admin's form (see `StudentForm`): checked and
/// written exactly like an imported row. `existing` is the student being
/// edited, whose 学籍号 cannot change. Returns the student's id.
pub async fn save_one(
    db: &DatabaseConnection,
    school_id: i32,
    actor_id: i32,
    existing: Option<&student::Model>,
    form: &StudentForm,
) -> Result<i32, AppError> {
    let student_no = halfwidth(&form.student_no).replace(' ', "").to_uppercase();
    if let Some(s) = existing
        && s.student_no != student_no
    {
        return Err(AppError::invalid("student_no", "学籍号不能修改"));
    }
    let class = class::Entity::find_by_id(form.class_id)
        .one(db)
        .await?
        .filter(|c| c.school_id == school_id)
        .ok_or_else(|| AppError::invalid("class_id", "请选择本校的班级"))?;
    let level = grade::Entity::find_by_id(class.grade_id)
        .one(db)
        .await?
        .map(|g| g.level)
        .ok_or_else(|| AppError::internal("student form", "class without grade"))?;
    let yes_no = |b: bool| if b { "是" } else { "否" }.to_owned();
    let cells = [
        ("姓名", form.name.clone()),
        (
            "性别",
            form.gender
                .map(|g| g.label().to_owned())
                .unwrap_or_default(),
        ),
        (
            "出生日期",
            form.birth_date.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("学籍号", student_no.clone()),
        ("年级", grade_name(level)),
        ("班级", class.name.clone()),
        ("监护人姓名", form.guardian_name.clone()),
        ("与学生关系", form.guardian_relation.clone()),
        ("联系电话", form.guardian_phone.clone()),
        ("家庭住址", form.home_address.clone()),
        ("身份证号", form.id_card.clone()),
        ("留守", yes_no(form.left_behind)),
        ("孤儿", yes_no(form.orphan)),
        ("残疾", yes_no(form.disabled)),
        ("低保", yes_no(form.low_income)),
        ("脱贫/建档立卡", yes_no(form.poverty)),
        ("单亲", yes_no(form.single_parent)),
    ];
    let table = Table {
        rows: vec![
            (1, cells.iter().map(|(h, _)| (*h).to_owned()).collect()),
            (2, cells.iter().map(|(_, v)| v.trim().to_owned()).collect()),
        ],
    };
    let report = preview(db, school_id, &table).await?;
    if let Some(e) = report.errors.first() {
        return Err(AppError::invalid(
            StudentForm::field_of(&e.column),
            e.message.clone(),
        ));
    }
    if existing.is_none() && (report.to_update > 0 || report.unchanged > 0) {
        return Err(AppError::Conflict {
            message: format!("学籍号 {student_no} 已在本校名册中，请在该学生页面修改"),
        });
    }
    commit(db, school_id, actor_id, &table).await?;
    student::Entity::find()
        .filter(student::Column::SchoolId.eq(school_id))
        .filter(student::Column::StudentNo.eq(student_no))
        .one(db)
        .await?
        .map(|s| s.id)
        .ok_or_else(|| AppError::internal("student form", "saved student not found"))
}

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

async fn plan(
    db: &impl ConnectionTrait,
    school_id: i32,
    table: &Table,
    today: NaiveDate,
) -> Result<Plan, AppError> {
    let mut rows = table
        .rows
        .iter()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()));
    let (_, header) = rows
        .next()
        .ok_or_else(|| AppError::invalid("file", "文件中没有数据"))?;
    let map = ColumnMap::from_header(header)?;

    let grades: HashMap<i32, i32> = grade::Entity::find()
        .filter(grade::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.level))
        .collect();
    let classes: HashMap<(i32, String), i32> = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|c| {
            grades
                .get(&c.grade_id)
                .map(|level| ((*level, c.name), c.id))
        })
        .collect();

    let mut report = ImportReport::default();
    let mut records = Vec::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    for (row, cells) in rows {
        report.total_rows += 1;
        match check_row(&map, *row, cells, today) {
            Ok(record) => match first_row_of.get(&record.student_no) {
                Some(first) => report.errors.push(RowError {
                    row: *row,
                    column: "学籍号".into(),
                    message: format!("学籍号与第 {first} 行重复"),
                }),
                None => {
                    first_row_of.insert(record.student_no.clone(), *row);
                    records.push(record);
                }
            },
            Err(errors) => report.errors.extend(errors),
        }
    }

    let existing =
        existing_students(db, records.iter().map(|r| r.student_no.clone()).collect()).await?;
    let primary_guardians =
        primary_guardians(db, existing.values().map(|s| s.id).collect()).await?;
    let mut plan = Plan {
        report,
        creates: Vec::new(),
        updates: Vec::new(),
        new_classes: BTreeSet::new(),
        classes,
    };
    for record in records {
        let key = (record.grade_level, record.class_name.clone());
        let class_id = plan.classes.get(&key).copied();
        match existing.get(&record.student_no) {
            Some(s) if s.school_id != school_id => plan.report.errors.push(RowError {
                row: record.row,
                column: "学籍号".into(),
                message: "该学籍号已登记在其他学校，请先办理转学手续".into(),
            }),
            Some(s) => {
                if class_id.is_none() {
                    plan.new_classes.insert(key);
                }
                if class_id == Some(s.class_id)
                    && !differs(s, primary_guardians.get(&s.id), &record)
                {
                    plan.report.unchanged += 1;
                } else {
                    plan.updates.push((s.clone(), record));
                }
            }
            None => {
                if class_id.is_none() {
                    plan.new_classes.insert(key);
                }
                plan.creates.push(record);
            }
        }
    }
    plan.report.errors.sort_by_key(|e| e.row);
    plan.report.to_create = plan.creates.len();
    plan.report.to_update = plan.updates.len();
    plan.report.valid_rows = plan.report.to_create + plan.report.to_update + plan.report.unchanged;
    plan.report.new_classes = plan
        .new_classes
        .iter()
        .map(|(_, name)| name.clone())
        .collect();
    Ok(plan)
}

async fn existing_students(
    db: &impl ConnectionTrait,
    numbers: Vec<String>,
) -> Result<HashMap<String, student::Model>, AppError> {
    let mut found = HashMap::new();
    for chunk in numbers.chunks(CHUNK) {
        for s in student::Entity::find()
            .filter(student::Column::StudentNo.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            found.insert(s.student_no.clone(), s);
        }
    }
    Ok(found)
}

async fn primary_guardians(
    db: &impl ConnectionTrait,
    ids: Vec<i32>,
) -> Result<HashMap<i32, guardian::Model>, AppError> {
    let mut found = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for g in guardian::Entity::find()
            .filter(guardian::Column::StudentId.is_in(chunk.to_vec()))
            .filter(guardian::Column::IsPrimary.eq(true))
            .all(db)
            .await?
        {
            found.insert(g.student_id, g);
        }
    }
    Ok(found)
}

fn stored_flags(s: &student::Model) -> [bool; 6] {
    [
        s.flag_left_behind,
        s.flag_orphan,
        s.flag_disabled,
        s.flag_low_income,
        s.flag_poverty,
        s.flag_single_parent,
    ]
}

/// Would applying `r` change the stored student? Empty cells keep what is
/// stored, so a sparse re-import never wipes data.
fn differs(s: &student::Model, g: Option<&guardian::Model>, r: &StudentRecord) -> bool {
    let changed =
        |new: &Option<String>, old: Option<&String>| new.as_ref().is_some_and(|n| Some(n) != old);
    s.name != r.name
        || s.gender != r.gender.code()
        || r.birth_date.is_some_and(|d| s.birth_date != Some(d))
        || changed(&r.address, s.home_address.as_ref())
        || changed(&r.id_card, s.id_card.as_ref())
        || r.flags
            .iter()
            .zip(stored_flags(s))
            .any(|(new, old)| new.is_some_and(|n| n != old))
        || changed(&r.guardian_name, g.map(|g| &g.name))
        || changed(&r.guardian_relation, g.map(|g| &g.relation))
        || r.guardian_phone
            .as_ref()
            .is_some_and(|p| g.and_then(|g| g.phone.as_ref()) != Some(p))
}

async fn insert_students(
    db: &impl ConnectionTrait,
    school_id: i32,
    records: &[StudentRecord],
    class_of: &impl Fn(&StudentRecord) -> Option<i32>,
    today: NaiveDate,
) -> Result<(), AppError> {
    let now = Utc::now();
    let mut rows = Vec::with_capacity(records.len());
    for r in records {
        let class_id = class_of(r)
            .ok_or_else(|| AppError::internal("import", "class missing after creation"))?;
        let flag = |i: usize| Set(r.flags[i].unwrap_or(false));
        rows.push(student::ActiveModel {
            school_id: Set(school_id),
            class_id: Set(class_id),
            name: Set(r.name.clone()),
            gender: Set(r.gender.code().into()),
            birth_date: Set(r.birth_date),
            student_no: Set(r.student_no.clone()),
            id_card: Set(r.id_card.clone()),
            home_address: Set(r.address.clone()),
            flag_left_behind: flag(0),
            flag_orphan: flag(1),
            flag_disabled: flag(2),
            flag_low_income: flag(3),
            flag_poverty: flag(4),
            flag_single_parent: flag(5),
            flag_other: Set(None),
            status: Set(StudentStatus::InSchool.code().into()),
            status_since: Set(today),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    }
    student::Entity::insert_many(rows).exec(db).await?;

    let ids = existing_students(db, records.iter().map(|r| r.student_no.clone()).collect()).await?;
    let mut history = Vec::with_capacity(records.len());
    let mut guardians = Vec::new();
    for r in records {
        let id = ids
            .get(&r.student_no)
            .map(|s| s.id)
            .ok_or_else(|| AppError::internal("import", "inserted student not found"))?;
        history.push(student_status_history::ActiveModel {
            student_id: Set(id),
            from_status: Set(None),
            to_status: Set(StudentStatus::InSchool.code().into()),
            effective_date: Set(today),
            note: Set(Some("名册导入".into())),
            changed_by: Set(None),
            changed_at: Set(now),
            ..Default::default()
        });
        if let Some(name) = &r.guardian_name {
            guardians.push(new_primary_guardian(id, name, r));
        }
    }
    student_status_history::Entity::insert_many(history)
        .exec(db)
        .await?;
    if !guardians.is_empty() {
        guardian::Entity::insert_many(guardians).exec(db).await?;
    }
    Ok(())
}

async fn update_student(
    db: &impl ConnectionTrait,
    existing: &student::Model,
    r: &StudentRecord,
    class_id: i32,
) -> Result<(), AppError> {
    let mut row = existing.clone().into_active_model();
    row.name = Set(r.name.clone());
    row.gender = Set(r.gender.code().into());
    row.class_id = Set(class_id);
    if let Some(d) = r.birth_date {
        row.birth_date = Set(Some(d));
    }
    if let Some(a) = &r.address {
        row.home_address = Set(Some(a.clone()));
    }
    if let Some(id) = &r.id_card {
        row.id_card = Set(Some(id.clone()));
    }
    let flags = [
        &mut row.flag_left_behind,
        &mut row.flag_orphan,
        &mut row.flag_disabled,
        &mut row.flag_low_income,
        &mut row.flag_poverty,
        &mut row.flag_single_parent,
    ];
    for (slot, value) in flags.into_iter().zip(r.flags) {
        if let Some(v) = value {
            *slot = Set(v);
        }
    }
    row.updated_at = Set(Utc::now());
    row.update(db).await?;

    if let Some(name) = &r.guardian_name {
        let current = guardian::Entity::find()
            .filter(guardian::Column::StudentId.eq(existing.id))
            .filter(guardian::Column::IsPrimary.eq(true))
            .one(db)
            .await?;
        match current {
            Some(g) => {
                let mut g = g.into_active_model();
                g.name = Set(name.clone());
                if let Some(rel) = &r.guardian_relation {
                    g.relation = Set(rel.clone());
                }
                if let Some(phone) = &r.guardian_phone {
                    g.phone = Set(Some(phone.clone()));
                }
                g.update(db).await?;
            }
            None => {
                new_primary_guardian(existing.id, name, r)
                    .insert(db)
                    .await?;
            }
        }
    }
    Ok(())
}

fn new_primary_guardian(student_id: i32, name: &str, r: &StudentRecord) -> guardian::ActiveModel {
    guardian::ActiveModel {
        student_id: Set(student_id),
        name: Set(name.to_owned()),
        relation: Set(r
            .guardian_relation
            .clone()
            .unwrap_or_else(|| "监护人".into())),
        phone: Set(r.guardian_phone.clone()),
        is_primary: Set(true),
        ..Default::default()
    }
}
