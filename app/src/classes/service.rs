//! Classes of one school the caller leads (principal, vice principal,
//! school admin): list with pupils and teachers, add, correct, remove.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QuerySelect, QueryTrait, Set, TransactionTrait,
};

use super::{ClassInput, ClassRow, class_name, grade_name};
use crate::audit::{self, AuditEntry};
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{class, grade, roll_call, semester_class_size, student, user, user_role};
use crate::error::AppError;
use crate::roster::StudentStatus;
use crate::roster::import::columns::halfwidth;

/// Every class of the school, by grade then name.
pub async fn overview(db: &DatabaseConnection, school_id: i32) -> Result<Vec<ClassRow>, AppError> {
    rows(db, school_id, None).await
}

/// The classes of the school, or only the class `only`, with their
/// pupils and teachers.
async fn rows(
    db: &DatabaseConnection,
    school_id: i32,
    only: Option<i32>,
) -> Result<Vec<ClassRow>, AppError> {
    let classes = class::Entity::find()
        .filter(class::Column::SchoolId.eq(school_id))
        .apply_if(only, |q, id| q.filter(class::Column::Id.eq(id)))
        .all(db)
        .await?;
    let levels: HashMap<i32, i32> = grade::Entity::find()
        .filter(grade::Column::SchoolId.eq(school_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g.level))
        .collect();
    // (on roll, total) per class.
    let mut pupils: HashMap<i32, (u32, u32)> = HashMap::new();
    let statuses: Vec<(i32, String)> = student::Entity::find()
        .select_only()
        .column(student::Column::ClassId)
        .column(student::Column::Status)
        .filter(student::Column::SchoolId.eq(school_id))
        .apply_if(only, |q, id| q.filter(student::Column::ClassId.eq(id)))
        .into_tuple()
        .all(db)
        .await?;
    for (class_id, status) in statuses {
        let entry = pupils.entry(class_id).or_default();
        entry.1 += 1;
        if StudentStatus::from_code(&status).is_some_and(StudentStatus::is_on_roll) {
            entry.0 += 1;
        }
    }
    let roles = user_role::Entity::find()
        .filter(user_role::Column::SchoolId.eq(school_id))
        .filter(user_role::Column::ClassId.is_not_null())
        .apply_if(only, |q, id| q.filter(user_role::Column::ClassId.eq(id)))
        .all(db)
        .await?;
    let names: HashMap<i32, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(roles.iter().map(|r| r.user_id)))
        .filter(user::Column::IsActive.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    let with_roll_calls: Vec<i32> = roll_call::Entity::find()
        .select_only()
        .column(roll_call::Column::ClassId)
        .distinct()
        .filter(roll_call::Column::SchoolId.eq(school_id))
        .apply_if(only, |q, id| q.filter(roll_call::Column::ClassId.eq(id)))
        .into_tuple()
        .all(db)
        .await?;
    let mut rows: Vec<ClassRow> = classes
        .into_iter()
        .map(|c| {
            let level = levels.get(&c.grade_id).copied().unwrap_or(0);
            let (on_roll, total) = pupils.get(&c.id).copied().unwrap_or_default();
            let class_roles: Vec<&user_role::Model> =
                roles.iter().filter(|r| r.class_id == Some(c.id)).collect();
            let head_teachers: Vec<String> = class_roles
                .iter()
                .filter(|r| r.role == Role::HeadTeacher.code())
                .filter_map(|r| names.get(&r.user_id).cloned())
                .collect();
            let subject_teachers = class_roles
                .iter()
                .filter(|r| r.role == Role::SubjectTeacher.code())
                .count() as u32;
            ClassRow {
                id: c.id,
                grade_level: level,
                grade_name: grade_name(level),
                removable: total == 0 && class_roles.is_empty() && !with_roll_calls.contains(&c.id),
                name: c.name,
                students_on_roll: on_roll,
                students_total: total,
                head_teachers,
                subject_teachers,
            }
        })
        .collect();
    rows.sort_by(|a, b| (a.grade_level, &a.name).cmp(&(b.grade_level, &b.name)));
    Ok(rows)
}

/// Adds a class to the school.
pub async fn create(
    db: &DatabaseConnection,
    current: &CurrentUser,
    school_id: i32,
    input: ClassInput,
) -> Result<ClassRow, AppError> {
    AppError::first_invalid(input.validate())?;
    let name = stored_name(&input);
    let txn = db.begin().await?;
    let grade_id = ensure_grade(&txn, school_id, input.grade_level).await?;
    ensure_name_free(&txn, grade_id, &name, None).await?;
    let made = class::ActiveModel {
        school_id: Set(school_id),
        grade_id: Set(grade_id),
        name: Set(name.clone()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(school_id),
            action: "class.create",
            entity: "class",
            entity_id: Some(made.id.to_string()),
            detail: Some(serde_json::json!({ "grade_level": input.grade_level, "name": name })),
        },
    )
    .await?;
    txn.commit().await?;
    row_of(db, school_id, made.id).await
}

/// Renames a class or moves it to another grade; its pupils and teachers
/// go with it.
pub async fn update(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
    input: ClassInput,
) -> Result<ClassRow, AppError> {
    let existing = led_class(db, current, id).await?;
    AppError::first_invalid(input.validate())?;
    let name = stored_name(&input);
    let school_id = existing.school_id;
    let txn = db.begin().await?;
    let grade_id = ensure_grade(&txn, school_id, input.grade_level).await?;
    if (grade_id, name.as_str()) != (existing.grade_id, existing.name.as_str()) {
        ensure_name_free(&txn, grade_id, &name, Some(id)).await?;
        let before = serde_json::json!({ "grade_id": existing.grade_id, "name": existing.name });
        let mut row = existing.into_active_model();
        row.grade_id = Set(grade_id);
        row.name = Set(name.clone());
        row.update(&txn).await?;
        audit::record(
            &txn,
            AuditEntry {
                actor_id: Some(current.user.id),
                school_id: Some(school_id),
                action: "class.update",
                entity: "class",
                entity_id: Some(id.to_string()),
                detail: Some(serde_json::json!({
                    "from": before,
                    "to": { "grade_level": input.grade_level, "name": name },
                })),
            },
        )
        .await?;
    }
    txn.commit().await?;
    row_of(db, school_id, id).await
}

/// Removes a class nobody was ever put in: no pupil record of any status,
/// no teacher assigned, no roll call taken (those are the attendance
/// history). Anything else is refused with what to do first.
pub async fn remove(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
) -> Result<(), AppError> {
    let existing = led_class(db, current, id).await?;
    let txn = db.begin().await?;
    let pupils = student::Entity::find()
        .filter(student::Column::ClassId.eq(id))
        .count(&txn)
        .await?;
    if pupils > 0 {
        return Err(conflict(format!(
            "{}还有 {pupils} 名学生的学籍记录（含已转出、毕业等），请先把学生调到其他班级",
            existing.name
        )));
    }
    let teachers = user_role::Entity::find()
        .filter(user_role::Column::ClassId.eq(id))
        .count(&txn)
        .await?;
    if teachers > 0 {
        return Err(conflict(format!(
            "{}还有 {teachers} 项班主任或任课教师安排，请先在“教师账号”中调整",
            existing.name
        )));
    }
    let roll_calls = roll_call::Entity::find()
        .filter(roll_call::Column::ClassId.eq(id))
        .count(&txn)
        .await?;
    if roll_calls > 0 {
        return Err(conflict(format!(
            "{}已有 {roll_calls} 天的点名记录，不能删除",
            existing.name
        )));
    }
    // Class sizes taken at a semester start belong to the class alone.
    semester_class_size::Entity::delete_many()
        .filter(semester_class_size::Column::ClassId.eq(id))
        .exec(&txn)
        .await?;
    class::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: Some(existing.school_id),
            action: "class.delete",
            entity: "class",
            entity_id: Some(id.to_string()),
            detail: Some(serde_json::json!({ "name": existing.name })),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The class, if the caller leads its school; an unknown id answers the
/// same as someone else's (no probing which ids exist).
async fn led_class(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
) -> Result<class::Model, AppError> {
    class::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|c| current.access.led_schools.contains(&c.school_id))
        .ok_or(AppError::Forbidden)
}

fn conflict(message: String) -> AppError {
    AppError::Conflict { message }
}

async fn ensure_name_free(
    db: &impl ConnectionTrait,
    grade_id: i32,
    name: &str,
    except: Option<i32>,
) -> Result<(), AppError> {
    let mut same = class::Entity::find()
        .filter(class::Column::GradeId.eq(grade_id))
        .filter(class::Column::Name.eq(name));
    if let Some(id) = except {
        same = same.filter(class::Column::Id.ne(id));
    }
    if same.count(db).await? > 0 {
        return Err(AppError::invalid("name", format!("本年级已有“{name}”")));
    }
    Ok(())
}

/// The school's grade row of this level, made on first use.
pub async fn ensure_grade(
    db: &impl ConnectionTrait,
    school_id: i32,
    level: i32,
) -> Result<i32, AppError> {
    if let Some(g) = grade::Entity::find()
        .filter(grade::Column::SchoolId.eq(school_id))
        .filter(grade::Column::Level.eq(level))
        .one(db)
        .await?
    {
        return Ok(g.id);
    }
    let g = grade::ActiveModel {
        school_id: Set(school_id),
        name: Set(grade_name(level)),
        level: Set(level),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(g.id)
}

async fn row_of(db: &DatabaseConnection, school_id: i32, id: i32) -> Result<ClassRow, AppError> {
    rows(db, school_id, Some(id))
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("班级"))
}

/// The name to store: a bare class number (`4`, `４`, `4班`) becomes the
/// school's usual form 三年级(4)班, anything else is kept as typed.
pub fn stored_name(input: &ClassInput) -> String {
    let name = input.name.trim();
    match halfwidth(name).trim_end_matches('班').parse::<u32>() {
        Ok(number) if (1..=99).contains(&number) => class_name(input.grade_level, number),
        _ => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classes::MAX_NAME_CHARS;
    use crate::classes::tests::input;
    use proptest::prelude::*;

    #[test]
    fn a_bare_number_becomes_the_usual_class_name() {
        assert_eq!(stored_name(&input(3, "4")), "三年级(4)班");
        assert_eq!(stored_name(&input(3, " ４班 ")), "三年级(4)班");
        assert_eq!(stored_name(&input(7, "12")), "七年级(12)班");
        assert_eq!(stored_name(&input(3, "三年级(4)班")), "三年级(4)班");
        assert_eq!(stored_name(&input(1, "火箭班")), "火箭班");
        assert_eq!(stored_name(&input(1, "0")), "0");
    }

    proptest! {
        /// Whatever is typed, a valid input stores a non-empty name within
        /// the limit (the number form is at most 三年级(99)班).
        #[test]
        fn valid_input_stores_a_short_non_empty_name(level in 1i32..=9, name in "\\PC{1,20}") {
            let i = input(level, &name);
            prop_assume!(i.validate().is_empty());
            let stored = stored_name(&i);
            prop_assert!(!stored.trim().is_empty());
            prop_assert!(stored.chars().count() <= MAX_NAME_CHARS);
        }
    }
}
