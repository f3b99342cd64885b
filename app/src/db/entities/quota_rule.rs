use sea_orm::entity::prelude::*;

/// One version of the quota rules: a county's defaults (`school_id` NULL)
/// or a school's override, used by semesters ending on or after
/// `effective_from` until a later version takes over.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quota_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub county_id: i32,
    pub school_id: Option<i32>,
    pub effective_from: Date,
    /// `crate::quotas::QuotaRules` as JSON.
    pub rules: String,
    pub updated_by: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
