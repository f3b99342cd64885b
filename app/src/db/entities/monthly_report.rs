use sea_orm::entity::prelude::*;

/// A school's submitted monthly 辍学学生情况统计表 (the signed, stamped scan).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "monthly_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    /// YYYY-MM
    pub month: String,
    pub scan_key: String,
    pub scan_type: String,
    pub submitted_by: i32,
    pub submitted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
