use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "semester")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub county_id: i32,
    /// `None`: county-wide; `Some`: a school override.
    pub school_id: Option<i32>,
    pub name: String,
    pub start_date: Date,
    pub end_date: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
