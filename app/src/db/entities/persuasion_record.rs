use sea_orm::entity::prelude::*;

/// One 劝返 attempt of a case.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persuasion_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub case_id: i32,
    pub school_id: i32,
    pub student_id: i32,
    pub day: Date,
    pub persons: String,
    /// See `crate::dropout::PersuasionMethod::code`.
    pub method: String,
    pub result: String,
    /// See `crate::dropout::PersuasionOutcome::code`.
    pub outcome: String,
    pub visit_id: Option<Uuid>,
    pub recorded_by: i32,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
