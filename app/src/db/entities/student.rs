use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "student")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub school_id: i32,
    pub class_id: i32,
    pub name: String,
    /// male | female
    pub gender: String,
    pub birth_date: Option<Date>,
    /// 学籍号
    #[sea_orm(unique)]
    pub student_no: String,
    pub id_card: Option<String>,
    pub home_address: Option<String>,
    pub flag_left_behind: bool,
    pub flag_orphan: bool,
    pub flag_disabled: bool,
    pub flag_low_income: bool,
    pub flag_poverty: bool,
    pub flag_single_parent: bool,
    pub flag_other: Option<String>,
    /// See `crate::roster::StudentStatus::code`.
    pub status: String,
    pub status_since: Date,
    /// Taught at home (送教上门) for disability.
    pub home_teaching: bool,
    /// When the student was put on the 送教上门 list.
    pub home_teaching_since: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
