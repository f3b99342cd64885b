use sea_orm::entity::prelude::*;

/// 请假: a student's leave, approved by the head teacher or the school.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leave_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    pub student_id: i32,
    /// See `crate::attendance::LeaveKind::code`.
    pub kind: String,
    pub start_date: Date,
    pub end_date: Date,
    pub reason: String,
    /// SHA-256 of the photo of the written note.
    pub note_photo: Option<String>,
    /// See `crate::attendance::LeaveStatus::code`.
    pub status: String,
    pub requested_by: i32,
    pub decided_by: Option<i32>,
    pub decided_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
