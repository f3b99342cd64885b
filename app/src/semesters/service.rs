//! Which semester a date falls in, for a school.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::audit::{self, AuditEntry};
use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{school, semester};
use crate::error::AppError;
use crate::semesters::{SemesterInput, SemesterView};

/// Today's date where the schools are.
pub fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// The semester of `school_id` containing `date`: the school's own override
/// if it has one, else the county's.
pub async fn semester_for_date(
    db: &impl ConnectionTrait,
    school_id: i32,
    date: NaiveDate,
) -> Result<Option<semester::Model>, AppError> {
    Ok(SchoolSemesters::load(db, [school_id])
        .await?
        .on(school_id, date)
        .cloned())
}

/// Every semester that may apply to some schools (their counties' and
/// their own overrides), loaded in two queries, to find the semester of
/// many dates without a query each (a batch of synced visits).
pub struct SchoolSemesters {
    schools: HashMap<i32, school::Model>,
    rows: Vec<semester::Model>,
}

impl SchoolSemesters {
    pub async fn load(
        db: &impl ConnectionTrait,
        school_ids: impl IntoIterator<Item = i32>,
    ) -> Result<Self, AppError> {
        let ids: BTreeSet<i32> = school_ids.into_iter().collect();
        let schools = if ids.is_empty() {
            Vec::new()
        } else {
            school::Entity::find()
                .filter(school::Column::Id.is_in(ids))
                .all(db)
                .await?
        };
        Self::of(db, schools).await
    }

    /// The same for schools already loaded.
    pub async fn of(
        db: &impl ConnectionTrait,
        schools: impl IntoIterator<Item = school::Model>,
    ) -> Result<Self, AppError> {
        let schools: HashMap<i32, school::Model> = schools.into_iter().map(|s| (s.id, s)).collect();
        if schools.is_empty() {
            return Ok(SchoolSemesters {
                schools,
                rows: Vec::new(),
            });
        }
        let counties: BTreeSet<i32> = schools.values().map(|s| s.county_id).collect();
        let rows = county_and_school_rows(db, counties, schools.keys().copied()).await?;
        Ok(SchoolSemesters { schools, rows })
    }

    /// The semester of `school_id` containing `date`: the school's own
    /// override if it has one, else the county's (the latest start first).
    pub fn on(&self, school_id: i32, date: NaiveDate) -> Option<&semester::Model> {
        let school = self.schools.get(&school_id)?;
        let mut county = None;
        for row in self.rows.iter().filter(|r| {
            r.county_id == school.county_id && r.start_date <= date && date <= r.end_date
        }) {
            match row.school_id {
                Some(id) if id == school_id => return Some(row),
                None if county.is_none() => county = Some(row),
                _ => {}
            }
        }
        county
    }
}

/// The counties' semesters that are county-wide or one of these schools'
/// own, the latest start first.
async fn county_and_school_rows(
    db: &impl ConnectionTrait,
    counties: impl IntoIterator<Item = i32>,
    schools: impl IntoIterator<Item = i32>,
) -> Result<Vec<semester::Model>, AppError> {
    Ok(semester::Entity::find()
        .filter(semester::Column::CountyId.is_in(counties))
        .filter(
            Condition::any()
                .add(semester::Column::SchoolId.is_null())
                .add(semester::Column::SchoolId.is_in(schools)),
        )
        .order_by_desc(semester::Column::StartDate)
        .order_by_asc(semester::Column::Id)
        .all(db)
        .await?)
}

/// Each school's semester containing `date`, in one query (dashboards over
/// a whole county): the same choice as `semester_for_date` for each.
pub async fn semesters_on(
    db: &impl ConnectionTrait,
    schools: &[school::Model],
    date: NaiveDate,
) -> Result<HashMap<i32, semester::Model>, AppError> {
    let semesters = SchoolSemesters::of(db, schools.iter().cloned()).await?;
    Ok(schools
        .iter()
        .filter_map(|s| semesters.on(s.id, date).map(|r| (s.id, r.clone())))
        .collect())
}

/// The semester of `school_id` containing today.
pub async fn current_semester(
    db: &impl ConnectionTrait,
    school_id: i32,
) -> Result<Option<semester::Model>, AppError> {
    semester_for_date(db, school_id, today()).await
}

/// The semester a school's figures are for: `requested` (a semester id,
/// which must be the county's or the school's own) or the current one.
pub async fn semester_of_school(
    db: &impl ConnectionTrait,
    school_id: i32,
    requested: Option<i32>,
) -> Result<semester::Model, AppError> {
    let Some(id) = requested else {
        return current_semester(db, school_id)
            .await?
            .ok_or_else(|| AppError::not_found("当前学期（请县教育局先设置本学期的起止日期）"));
    };
    let school = school::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("学校"))?;
    semester::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|s| {
            s.county_id == school.county_id && s.school_id.is_none_or(|own| own == school_id)
        })
        .ok_or_else(|| AppError::not_found("该学期"))
}

/// Schools the caller works at or oversees, and the counties they (or a
/// county officer role) belong to.
async fn visible_area(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
) -> Result<(Vec<school::Model>, BTreeSet<i32>), AppError> {
    let ids: BTreeSet<i32> = current
        .access
        .staff_schools
        .union(&current.access.overseen_schools)
        .copied()
        .collect();
    let schools = school::Entity::find()
        .filter(school::Column::Id.is_in(ids))
        .order_by_asc(school::Column::Name)
        .all(db)
        .await?;
    let mut counties: BTreeSet<i32> = schools.iter().map(|s| s.county_id).collect();
    counties.extend(
        current
            .roles
            .iter()
            .filter(|r| r.role == Role::CountyOfficer.code())
            .filter_map(|r| r.county_id),
    );
    Ok((schools, counties))
}

/// `GET /api/v1/semesters`: the county's semesters and the own dates of
/// the schools the caller sees, latest first.
pub async fn list(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
) -> Result<Vec<SemesterView>, AppError> {
    let (schools, counties) = visible_area(db, current).await?;
    let names: HashMap<i32, String> = schools.iter().map(|s| (s.id, s.name.clone())).collect();
    let rows = county_and_school_rows(db, counties, names.keys().copied()).await?;
    let today = today();
    Ok(rows
        .into_iter()
        .map(|s| SemesterView {
            editable: s.end_date >= today && may_change(current, &s),
            scope: match s.school_id {
                None => "全县".to_owned(),
                Some(id) => names.get(&id).cloned().unwrap_or_default(),
            },
            id: s.id,
            name: s.name,
            start: s.start_date,
            end: s.end_date,
            school_id: s.school_id,
        })
        .collect())
}

fn may_change(current: &CurrentUser, s: &semester::Model) -> bool {
    match s.school_id {
        None => current.is_county_officer_of(s.county_id),
        Some(school_id) => current.keeps_school(school_id),
    }
}

/// Create a county semester (county officers) or a school's own dates
/// (its principal or admin); audit-logged.
pub async fn create(
    db: &DatabaseConnection,
    current: &CurrentUser,
    input: SemesterInput,
) -> Result<SemesterView, AppError> {
    AppError::first_invalid(input.validate())?;
    let county_id = match input.school_id {
        Some(school_id) => {
            if !current.keeps_school(school_id) {
                return Err(AppError::Forbidden);
            }
            school::Entity::find_by_id(school_id)
                .one(db)
                .await?
                .ok_or(AppError::Forbidden)?
                .county_id
        }
        None => current
            .roles
            .iter()
            .find(|r| r.role == Role::CountyOfficer.code())
            .and_then(|r| r.county_id)
            .ok_or(AppError::Forbidden)?,
    };
    let txn = crate::db::begin_write(db).await?;
    refuse_overlap(&txn, county_id, input.school_id, None, &input).await?;
    let row = semester::ActiveModel {
        county_id: Set(county_id),
        school_id: Set(input.school_id),
        name: Set(input.name.trim().to_owned()),
        start_date: Set(input.start),
        end_date: Set(input.end),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    log(&txn, current, &row, "semester.create").await?;
    txn.commit().await?;
    one(db, current, row.id).await
}

/// Correct a semester's name or dates while it has not ended.
pub async fn update(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
    input: SemesterInput,
) -> Result<SemesterView, AppError> {
    AppError::first_invalid(input.validate())?;
    let row = semester::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("该学期"))?;
    if !may_change(current, &row) {
        return Err(AppError::Forbidden);
    }
    if row.end_date < today() {
        return Err(AppError::Conflict {
            message: format!("{}已结束，不能再修改", row.name),
        });
    }
    let txn = crate::db::begin_write(db).await?;
    refuse_overlap(&txn, row.county_id, row.school_id, Some(row.id), &input).await?;
    let mut change: semester::ActiveModel = row.into();
    change.name = Set(input.name.trim().to_owned());
    change.start_date = Set(input.start);
    change.end_date = Set(input.end);
    let row = change.update(&txn).await?;
    log(&txn, current, &row, "semester.update").await?;
    txn.commit().await?;
    one(db, current, row.id).await
}

/// Two semesters of the same scope (the county's, or one school's own)
/// may not share a day: a visit must fall in exactly one.
async fn refuse_overlap(
    db: &impl ConnectionTrait,
    county_id: i32,
    school_id: Option<i32>,
    except: Option<i32>,
    input: &SemesterInput,
) -> Result<(), AppError> {
    let scope = match school_id {
        Some(id) => semester::Column::SchoolId.eq(id),
        None => semester::Column::SchoolId.is_null(),
    };
    let mut query = semester::Entity::find()
        .filter(semester::Column::CountyId.eq(county_id))
        .filter(scope);
    if let Some(id) = except {
        query = query.filter(semester::Column::Id.ne(id));
    }
    for other in query.all(db).await? {
        if input.overlaps(other.start_date, other.end_date) {
            return Err(AppError::invalid(
                "start",
                format!(
                    "与“{}”（{} 至 {}）的日期重叠",
                    other.name, other.start_date, other.end_date
                ),
            ));
        }
    }
    Ok(())
}

async fn log(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    row: &semester::Model,
    action: &str,
) -> Result<(), AppError> {
    audit::record(
        db,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id: row.school_id,
            action,
            entity: "semester",
            entity_id: Some(row.id.to_string()),
            detail: Some(serde_json::json!({
                "name": row.name,
                "start": row.start_date,
                "end": row.end_date,
            })),
        },
    )
    .await
}

async fn one(
    db: &DatabaseConnection,
    current: &CurrentUser,
    id: i32,
) -> Result<SemesterView, AppError> {
    list(db, current)
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| AppError::not_found("该学期"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i32, school_id: Option<i32>, start: (i32, u32, u32)) -> semester::Model {
        semester::Model {
            id,
            county_id: 1,
            school_id,
            name: "2026年秋季学期".into(),
            start_date: NaiveDate::from_ymd_opt(start.0, start.1, start.2).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        }
    }

    fn semesters(rows: Vec<semester::Model>) -> SchoolSemesters {
        let school = |id| school::Model {
            id,
            county_id: 1,
            town_id: 1,
            name: format!("学校{id}"),
            stage: "primary".into(),
            code: None,
        };
        let mut rows = rows;
        // As the query orders them.
        rows.sort_by(|a, b| b.start_date.cmp(&a.start_date).then(a.id.cmp(&b.id)));
        SchoolSemesters {
            schools: [(7, school(7)), (8, school(8))].into_iter().collect(),
            rows,
        }
    }

    #[test]
    fn a_school_override_wins() {
        let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap();
        let both = semesters(vec![
            row(1, None, (2026, 9, 1)),
            row(2, Some(7), (2026, 9, 1)),
        ]);
        assert_eq!(both.on(7, day).unwrap().id, 2);
        // Another school's override is not this school's.
        assert_eq!(both.on(8, day).unwrap().id, 1);
        let county = semesters(vec![row(1, None, (2026, 9, 1))]);
        assert_eq!(county.on(7, day).unwrap().id, 1);
        assert!(semesters(vec![]).on(7, day).is_none());
        // Unknown schools have no semester.
        assert!(county.on(9, day).is_none());
    }

    #[test]
    fn the_date_must_fall_inside_and_the_latest_start_wins() {
        let rows = semesters(vec![
            row(1, None, (2026, 9, 1)),
            row(3, None, (2026, 9, 20)),
        ]);
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(rows.on(7, day(8, 31)).is_none());
        assert_eq!(rows.on(7, day(9, 10)).unwrap().id, 1);
        assert_eq!(rows.on(7, day(9, 25)).unwrap().id, 3);
    }
}
