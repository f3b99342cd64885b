use sea_orm::entity::prelude::*;

/// A class's size frozen for a semester (taken the first time it was
/// needed on or after the semester's start).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "semester_class_sizes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub semester_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub class_id: i32,
    pub size: i32,
    pub taken_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
