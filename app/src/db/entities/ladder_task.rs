use sea_orm::entity::prelude::*;

/// A step of the absence ladder for one person: visit, plan, 劝返 record.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ladder_tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    pub student_id: i32,
    /// First school day of the unexcused absence.
    pub absence_start: Date,
    /// See `crate::dropout::TaskKind::code`.
    pub kind: String,
    pub ladder_day: i32,
    pub assignee_id: i32,
    pub due_date: Date,
    /// open | done | cancelled
    pub status: String,
    /// The visit that did it.
    pub visit_id: Option<Uuid>,
    pub closed_note: String,
    pub created_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// When the school leaders were told it is overdue.
    pub escalated_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
