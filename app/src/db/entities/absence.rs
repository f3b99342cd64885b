use sea_orm::entity::prelude::*;

/// A student marked absent at a roll call.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "absences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub roll_call_id: i32,
    pub school_id: i32,
    pub student_id: i32,
    pub day: Date,
    pub note: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
