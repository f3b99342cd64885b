//! 送教上门: a session is a visit with reason `home_teaching`; it also
//! records how long the teaching lasted (the 送教上门记录卡 asks for it).
//! Other visits leave the column empty. `student.home_teaching_since` is
//! when the student was put on the list: the first session is due a week
//! after that, not a week after the semester began.
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Visit::Table)
                .add_column(ColumnDef::new(Visit::DurationMinutes).integer().null())
                .to_owned(),
        )
        .await?;
        // SQLite alters one column per statement.
        m.alter_table(
            Table::alter()
                .table(Student::Table)
                .add_column(ColumnDef::new(Student::HomeTeachingSince).date().null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Student::Table)
                .drop_column(Student::HomeTeachingSince)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Visit::Table)
                .drop_column(Visit::DurationMinutes)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Visit {
    #[sea_orm(iden = "visits")]
    Table,
    DurationMinutes,
}

#[derive(DeriveIden, Clone, Copy)]
enum Student {
    Table,
    HomeTeachingSince,
}
