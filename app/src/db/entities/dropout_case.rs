use sea_orm::entity::prelude::*;

/// 一生一案: the plan for a suspected or confirmed dropout.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "dropout_cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    pub student_id: i32,
    pub opened_on: Date,
    pub reason: String,
    pub plan: String,
    pub responsible: String,
    /// open | closed
    pub status: String,
    pub closed_on: Option<Date>,
    pub close_note: String,
    pub created_by: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
