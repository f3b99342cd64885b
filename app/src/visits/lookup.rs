//! Bulk loading of the names a page of visits or plans shows, so a list
//! costs a fixed number of queries however long it is.

use std::collections::{BTreeSet, HashMap};

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use sha2::{Digest, Sha256};

use crate::db::entities::{class, student, user, visit_photo};
use crate::error::AppError;
use crate::visits::{FieldError, PersonRef};

/// Students by id with their class names.
pub struct Students {
    students: HashMap<i32, student::Model>,
    class_names: HashMap<i32, String>,
}

impl Students {
    pub async fn load(
        db: &impl ConnectionTrait,
        ids: impl IntoIterator<Item = i32>,
    ) -> Result<Self, AppError> {
        let ids: BTreeSet<i32> = ids.into_iter().collect();
        let students: HashMap<i32, student::Model> = student::Entity::find()
            .filter(student::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        let class_ids: BTreeSet<i32> = students.values().map(|s| s.class_id).collect();
        let class_names = class::Entity::find()
            .filter(class::Column::Id.is_in(class_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        Ok(Students {
            students,
            class_names,
        })
    }

    /// (student name, class name); empty for a row that has gone.
    pub fn labels(&self, id: i32) -> (String, String) {
        match self.students.get(&id) {
            Some(s) => (
                s.name.clone(),
                self.class_names
                    .get(&s.class_id)
                    .cloned()
                    .unwrap_or_default(),
            ),
            None => (String::new(), String::new()),
        }
    }
}

/// Display names of users by id.
pub struct People(HashMap<i32, String>);

impl People {
    pub async fn load(
        db: &impl ConnectionTrait,
        ids: impl IntoIterator<Item = i32>,
    ) -> Result<Self, AppError> {
        let ids: BTreeSet<i32> = ids.into_iter().collect();
        Ok(People(
            user::Entity::find()
                .filter(user::Column::Id.is_in(ids))
                .all(db)
                .await?
                .into_iter()
                .map(|u| (u.id, u.display_name))
                .collect(),
        ))
    }

    pub fn person(&self, id: i32) -> PersonRef {
        PersonRef {
            id,
            name: self.0.get(&id).cloned().unwrap_or_default(),
        }
    }
}

/// How many photos each visit has.
pub async fn photo_counts(
    db: &impl ConnectionTrait,
    visit_ids: impl IntoIterator<Item = uuid::Uuid>,
) -> Result<HashMap<uuid::Uuid, u32>, AppError> {
    let ids: BTreeSet<uuid::Uuid> = visit_ids.into_iter().collect();
    let mut counts = HashMap::new();
    if ids.is_empty() {
        return Ok(counts);
    }
    for p in visit_photo::Entity::find()
        .filter(visit_photo::Column::VisitId.is_in(ids))
        .all(db)
        .await?
    {
        *counts.entry(p.visit_id).or_default() += 1;
    }
    Ok(counts)
}

/// SHA-256 (hex) of a value's JSON: what makes two sends "the same body".
/// Struct fields serialise in declaration order, so equal values hash equal.
pub fn body_hash<T: serde::Serialize>(value: &T) -> Result<(String, String), AppError> {
    let json =
        serde_json::to_string(value).map_err(|e| AppError::internal("serialising a body", e))?;
    Ok((hex::encode(Sha256::digest(json.as_bytes())), json))
}

/// The first validation problem as the API's 422.
pub fn first_error(errors: Vec<FieldError>) -> Result<(), AppError> {
    match errors.into_iter().next() {
        Some(e) => Err(AppError::invalid(e.field, e.message)),
        None => Ok(()),
    }
}

/// Now, to the millisecond: what is stored is exactly what was answered,
/// on every database, so a replay gets byte-identical JSON.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(3)
}
