//! An officer's area as the area pages show it (各校家访完成情况, 辍学
//! 月报): its name, its schools and their towns.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::auth::Role;
use crate::auth::current_user::CurrentUser;
use crate::db::entities::{county, school, town};
use crate::error::AppError;

pub struct Area {
    /// The county's name for a county officer, else the town's.
    pub name: String,
    /// Ordered by town, then name.
    pub schools: Vec<school::Model>,
    pub town_names: HashMap<i32, String>,
}

impl Area {
    pub fn school_ids(&self) -> Vec<i32> {
        self.schools.iter().map(|s| s.id).collect()
    }

    pub fn town_name(&self, s: &school::Model) -> String {
        self.town_names.get(&s.town_id).cloned().unwrap_or_default()
    }
}

/// The caller's area; 403 for anyone who oversees no school.
pub async fn area_of(db: &impl ConnectionTrait, current: &CurrentUser) -> Result<Area, AppError> {
    if current.access.overseen_schools.is_empty() {
        return Err(AppError::Forbidden);
    }
    let schools = school::Entity::find()
        .filter(school::Column::Id.is_in(current.access.overseen_schools.iter().copied()))
        .order_by_asc(school::Column::TownId)
        .order_by_asc(school::Column::Name)
        .all(db)
        .await?;
    let town_names = town::Entity::find()
        .filter(town::Column::Id.is_in(schools.iter().map(|s| s.town_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(Area {
        name: area_name(db, current).await?,
        schools,
        town_names,
    })
}

async fn area_name(db: &impl ConnectionTrait, current: &CurrentUser) -> Result<String, AppError> {
    for r in &current.roles {
        if let Some(id) = r.county_id.filter(|_| r.role == Role::CountyOfficer.code())
            && let Some(c) = county::Entity::find_by_id(id).one(db).await?
        {
            return Ok(c.name);
        }
    }
    for r in &current.roles {
        if let Some(id) = r.town_id.filter(|_| r.role == Role::TownOfficer.code())
            && let Some(t) = town::Entity::find_by_id(id).one(db).await?
        {
            return Ok(t.name);
        }
    }
    Ok(String::new())
}
