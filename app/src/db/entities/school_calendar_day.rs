use sea_orm::entity::prelude::*;

/// A holiday or a make-up working day (调休), county-wide (`school_id` NULL) or for one school.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "school_calendar_days")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub county_id: i32,
    pub school_id: Option<i32>,
    pub day: Date,
    /// holiday | workday
    pub kind: String,
    pub name: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
