use sea_orm::entity::prelude::*;

/// A 家访记录表 in its current revision (older ones are in `visit_revision`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visits")]
pub struct Model {
    /// Made by the phone.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub school_id: i32,
    pub student_id: i32,
    pub visitor_id: i32,
    pub semester_id: Option<i32>,
    pub visited_at: DateTimeUtc,
    /// `visited_at` as a date in Asia/Shanghai.
    pub visit_date: Date,
    /// See `crate::visits::VisitMode::code`.
    pub mode: String,
    /// See `crate::visits::VisitReason::code`.
    pub reason: String,
    pub met_person: String,
    pub met_relation: String,
    pub family_situation: String,
    pub home_behaviour: String,
    pub school_performance: String,
    pub summary: String,
    pub parent_opinion: String,
    pub follow_up: String,
    pub signature: Option<String>,
    pub no_signature_reason: Option<String>,
    pub flagged: bool,
    pub plan_id: Option<Uuid>,
    /// 送教上门 only: how long the teaching lasted.
    pub duration_minutes: Option<i32>,
    pub revision: i32,
    /// SHA-256 of the canonical JSON of the input without `base_revision`.
    pub body_hash: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// See `crate::reviews::ReviewStatus::code`; back to `pending` on every
    /// new revision.
    pub review_status: String,
    /// Why it was returned (退回).
    pub review_note: Option<String>,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
