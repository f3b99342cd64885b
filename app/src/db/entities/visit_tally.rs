use sea_orm::entity::prelude::*;

/// How many visits a person made at a school in a calendar month: one
/// counter per mode, part (filed the record, or joined as co-visitor) and
/// review outcome (returned or not). Kept by
/// `crate::quotas::tallies::record` with every visit write.
#[derive(Clone, Debug, Default, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub school_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    /// `year * 100 + month`, e.g. 202612.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    pub home_filed: i32,
    pub home_joined: i32,
    pub phone_filed: i32,
    pub phone_joined: i32,
    pub school_filed: i32,
    pub school_joined: i32,
    pub home_filed_returned: i32,
    pub home_joined_returned: i32,
    pub phone_filed_returned: i32,
    pub phone_joined_returned: i32,
    pub school_filed_returned: i32,
    pub school_joined_returned: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
