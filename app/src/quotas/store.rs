//! Reading and saving quota rules. Each save is a version effective from
//! the start of the semester it was made for; a semester reads the latest
//! version effective by its last day. Editing this semester's rules thus
//! never changes a past semester's figures.

use std::collections::{BTreeSet, HashMap};

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::audit::{self, AuditEntry};
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{quota_rule, school, semester};
use crate::error::AppError;
use crate::quotas::{QuotaRules, RulesChange, RulesScope, RulesView, SemesterRef};
use crate::semesters::service::{semester_of_school, today};

/// The rules in force for `school` in `semester`: the school's override
/// (if any) kept within the county's rules, else the county's.
pub async fn rules_for(
    db: &impl ConnectionTrait,
    school: &school::Model,
    semester: &semester::Model,
) -> Result<QuotaRules, AppError> {
    Ok(rules_for_schools(db, &[school], semester)
        .await?
        .remove(&school.id)
        .unwrap_or_default())
}

/// `rules_for` each of `schools`, from one query: the county dashboard
/// needs every school of the county.
pub async fn rules_for_schools(
    db: &impl ConnectionTrait,
    schools: &[&school::Model],
    semester: &semester::Model,
) -> Result<HashMap<i32, QuotaRules>, AppError> {
    if schools.is_empty() {
        return Ok(HashMap::new());
    }
    let counties: BTreeSet<i32> = schools.iter().map(|s| s.county_id).collect();
    let rows = quota_rule::Entity::find()
        .filter(quota_rule::Column::CountyId.is_in(counties))
        .filter(
            Condition::any()
                .add(quota_rule::Column::SchoolId.is_null())
                .add(quota_rule::Column::SchoolId.is_in(schools.iter().map(|s| s.id))),
        )
        .filter(quota_rule::Column::EffectiveFrom.lte(semester.end_date))
        .order_by_desc(quota_rule::Column::EffectiveFrom)
        .order_by_desc(quota_rule::Column::Id)
        .all(db)
        .await?;
    // Newest first: the first match is the version `latest` would pick.
    let newest = |county_id: i32, school_id: Option<i32>| {
        rows.iter()
            .find(|r| r.county_id == county_id && r.school_id == school_id)
    };
    let mut county_rules: HashMap<i32, QuotaRules> = HashMap::new();
    let mut out = HashMap::new();
    for school in schools {
        let county = match county_rules.get(&school.county_id) {
            Some(rules) => rules.clone(),
            None => {
                let rules = newest(school.county_id, None)
                    .map(|r| parse(&r.rules))
                    .transpose()?
                    .unwrap_or_default();
                county_rules.insert(school.county_id, rules.clone());
                rules
            }
        };
        let rules = match newest(school.county_id, Some(school.id)) {
            Some(own) => parse(&own.rules)?.within(&county),
            None => county,
        };
        out.insert(school.id, rules);
    }
    Ok(out)
}

/// The latest version of the county's (`school_id` None) or a school's
/// rules effective on or before `by`.
async fn latest(
    db: &impl ConnectionTrait,
    county_id: i32,
    school_id: Option<i32>,
    by: NaiveDate,
) -> Result<Option<QuotaRules>, AppError> {
    let scope = match school_id {
        Some(id) => quota_rule::Column::SchoolId.eq(id),
        None => quota_rule::Column::SchoolId.is_null(),
    };
    let row = quota_rule::Entity::find()
        .filter(quota_rule::Column::CountyId.eq(county_id))
        .filter(scope)
        .filter(quota_rule::Column::EffectiveFrom.lte(by))
        .order_by_desc(quota_rule::Column::EffectiveFrom)
        .order_by_desc(quota_rule::Column::Id)
        .one(db)
        .await?;
    row.map(|r| parse(&r.rules)).transpose()
}

fn parse(json: &str) -> Result<QuotaRules, AppError> {
    serde_json::from_str(json).map_err(|e| AppError::internal("stored quota rules unreadable", e))
}

/// A school visible to the caller (staff or officer over it).
async fn visible_school(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    school_id: i32,
) -> Result<school::Model, AppError> {
    let a = &current.access;
    if !(a.staff_schools.contains(&school_id) || a.overseen_schools.contains(&school_id)) {
        return Err(AppError::Forbidden);
    }
    school::Entity::find_by_id(school_id)
        .one(db)
        .await?
        .ok_or(AppError::Forbidden)
}

pub async fn view(
    db: &impl ConnectionTrait,
    current: &CurrentUser,
    school_id: i32,
    semester_id: Option<i32>,
) -> Result<RulesView, AppError> {
    let school = visible_school(db, current, school_id).await?;
    let semester = semester_of_school(db, school.id, semester_id).await?;
    let county = latest(db, school.county_id, None, semester.end_date)
        .await?
        .unwrap_or_default();
    let own = latest(db, school.county_id, Some(school.id), semester.end_date).await?;
    let effective = own.as_ref().map_or(county.clone(), |o| o.within(&county));
    Ok(RulesView {
        school_id: school.id,
        school_name: school.name.clone(),
        semester: semester_ref(&semester),
        can_edit_county: current.is_county_officer_of(school.county_id),
        can_edit_school: current.keeps_school(school.id),
        closed: semester.end_date < today(),
        county,
        school_override: own,
        effective,
    })
}

pub fn semester_ref(s: &semester::Model) -> SemesterRef {
    SemesterRef {
        id: s.id,
        name: s.name.clone(),
        start: s.start_date,
        end: s.end_date,
    }
}

/// Save the county's rules or a school's override for a semester that has
/// not ended; audit-logged.
pub async fn save(
    db: &sea_orm::DatabaseConnection,
    current: &CurrentUser,
    change: RulesChange,
) -> Result<RulesView, AppError> {
    let school = visible_school(db, current, change.school_id).await?;
    let semester = semester_of_school(db, school.id, change.semester_id).await?;
    let allowed = match change.scope {
        RulesScope::County => current.is_county_officer_of(school.county_id),
        RulesScope::School => current.keeps_school(school.id),
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    if semester.end_date < today() {
        return Err(AppError::Conflict {
            message: format!("{}已结束，规则不能再修改", semester.name),
        });
    }
    let school_id = match change.scope {
        RulesScope::County => None,
        RulesScope::School => Some(school.id),
    };
    let rules = match (change.scope, change.rules) {
        (_, Some(rules)) => {
            let mut problems = rules.validate();
            if change.scope == RulesScope::School {
                let county = latest(db, school.county_id, None, semester.end_date)
                    .await?
                    .unwrap_or_default();
                problems.extend(rules.looser_than(&county));
            }
            if let Some(first) = problems.into_iter().next() {
                return Err(AppError::invalid("rules", first));
            }
            Some(rules)
        }
        (RulesScope::School, None) => None,
        (RulesScope::County, None) => {
            return Err(AppError::invalid("rules", "请填写县级规则"));
        }
    };

    let txn = crate::db::begin_write(db).await?;
    let scope = match school_id {
        Some(id) => quota_rule::Column::SchoolId.eq(id),
        None => quota_rule::Column::SchoolId.is_null(),
    };
    let existing = quota_rule::Entity::find()
        .filter(quota_rule::Column::CountyId.eq(school.county_id))
        .filter(scope)
        .filter(quota_rule::Column::EffectiveFrom.eq(semester.start_date))
        .one(&txn)
        .await?;
    let json = rules
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| AppError::internal("quota rules not serialisable", e))?;
    match (existing, json) {
        (Some(row), Some(json)) => {
            let mut row: quota_rule::ActiveModel = row.into();
            row.rules = Set(json);
            row.updated_by = Set(Some(current.user.id));
            row.updated_at = Set(Utc::now());
            row.update(&txn).await?;
        }
        (None, Some(json)) => {
            quota_rule::ActiveModel {
                county_id: Set(school.county_id),
                school_id: Set(school_id),
                effective_from: Set(semester.start_date),
                rules: Set(json),
                updated_by: Set(Some(current.user.id)),
                updated_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        (Some(row), None) => {
            quota_rule::Entity::delete_by_id(row.id).exec(&txn).await?;
        }
        (None, None) => {}
    }
    audit::record(
        &txn,
        AuditEntry {
            actor_id: Some(current.user.id),
            school_id,
            action: "quota_rules.save",
            entity: "quota_rules",
            entity_id: Some(format!(
                "{}:{}",
                school_id.map_or_else(
                    || format!("county{}", school.county_id),
                    |s| format!("school{s}")
                ),
                semester.start_date
            )),
            detail: Some(serde_json::json!({
                "semester_id": semester.id,
                "scope": change.scope,
                "rules": rules,
            })),
        },
    )
    .await?;
    txn.commit().await?;
    view(db, current, school.id, Some(semester.id)).await
}
