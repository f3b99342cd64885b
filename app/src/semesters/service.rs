//! Which semester a date falls in, for a school.

use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::db::entities::{school, semester};
use crate::error::AppError;

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
    let Some(school) = school::Entity::find_by_id(school_id).one(db).await? else {
        return Ok(None);
    };
    let candidates = semester::Entity::find()
        .filter(semester::Column::CountyId.eq(school.county_id))
        .filter(
            Condition::any()
                .add(semester::Column::SchoolId.is_null())
                .add(semester::Column::SchoolId.eq(school_id)),
        )
        .filter(semester::Column::StartDate.lte(date))
        .filter(semester::Column::EndDate.gte(date))
        .order_by_desc(semester::Column::StartDate)
        .order_by_asc(semester::Column::Id)
        .all(db)
        .await?;
    Ok(pick(candidates))
}

/// The school's override wins over the county-wide row.
fn pick(candidates: Vec<semester::Model>) -> Option<semester::Model> {
    let (own, county): (Vec<_>, Vec<_>) =
        candidates.into_iter().partition(|s| s.school_id.is_some());
    own.into_iter().next().or_else(|| county.into_iter().next())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i32, school_id: Option<i32>) -> semester::Model {
        semester::Model {
            id,
            county_id: 1,
            school_id,
            name: "2026年秋季学期".into(),
            start_date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            end_date: NaiveDate::from_ymd_opt(2027, 1, 31).unwrap(),
        }
    }

    #[test]
    fn a_school_override_wins() {
        assert_eq!(pick(vec![row(1, None), row(2, Some(7))]).unwrap().id, 2);
        assert_eq!(pick(vec![row(1, None)]).unwrap().id, 1);
        assert!(pick(vec![]).is_none());
    }
}
