use sea_orm::entity::prelude::*;

/// A 拟家访 report: a teacher tells the school leaders about a visit to come.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_plans")]
pub struct Model {
    /// Made by the phone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub school_id: i32,
    pub student_id: i32,
    pub teacher_id: i32,
    /// See `crate::visits::VisitReason::code`.
    pub reason: String,
    pub planned_at: DateTimeUtc,
    pub note: String,
    pub body_hash: String,
    pub acknowledged_by: Option<i32>,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
