use sea_orm::entity::prelude::*;

/// How many visits a person made at a school in a calendar month, by mode,
/// part (filer or co-visitor) and review outcome. Kept by
/// `crate::quotas::tallies::record` with every visit write.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "visit_tallies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub school_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub mode: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub as_co_visitor: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub returned: bool,
    /// `year * 100 + month`, e.g. 202612.
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: i32,
    pub visits: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
