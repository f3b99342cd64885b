//! The organisation tree (county → town → school → grade → class), semesters,
//! users with their per-school roles, and students with guardians and a
//! dated status history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let to_table = to_table.into_iden();
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, Alias::new("id"))
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(County::Table)
                .col(pk_auto(County::Id))
                .col(string(County::Name))
                .col(string_null(County::Code))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Town::Table)
                .col(pk_auto(Town::Id))
                .col(integer(Town::CountyId))
                .col(string(Town::Name))
                .foreign_key(&mut fk(
                    Town::Table,
                    Town::CountyId,
                    County::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(School::Table)
                .col(pk_auto(School::Id))
                .col(integer(School::CountyId))
                .col(integer(School::TownId))
                .col(string(School::Name))
                // primary | junior | nine_year: drives the dropout-rate target.
                .col(string_len(School::Stage, 16))
                .col(string_null(School::Code))
                .foreign_key(&mut fk(
                    School::Table,
                    School::CountyId,
                    County::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    School::Table,
                    School::TownId,
                    Town::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(m, School::Table, &[School::TownId]).await?;
        index(m, School::Table, &[School::CountyId]).await?;

        m.create_table(
            Table::create()
                .table(Grade::Table)
                .col(pk_auto(Grade::Id))
                .col(integer(Grade::SchoolId))
                .col(string(Grade::Name))
                .col(integer(Grade::Level))
                .foreign_key(&mut fk(
                    Grade::Table,
                    Grade::SchoolId,
                    School::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(m, Grade::Table, &[Grade::SchoolId, Grade::Level]).await?;

        m.create_table(
            Table::create()
                .table(Class::Table)
                .col(pk_auto(Class::Id))
                .col(integer(Class::SchoolId))
                .col(integer(Class::GradeId))
                .col(string(Class::Name))
                .foreign_key(&mut fk(
                    Class::Table,
                    Class::SchoolId,
                    School::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    Class::Table,
                    Class::GradeId,
                    Grade::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(m, Class::Table, &[Class::GradeId, Class::Name]).await?;
        index(m, Class::Table, &[Class::SchoolId]).await?;

        m.create_table(
            Table::create()
                .table(Semester::Table)
                .col(pk_auto(Semester::Id))
                .col(integer(Semester::CountyId))
                // NULL: the county-wide semester; set: a school's own override.
                .col(integer_null(Semester::SchoolId))
                .col(string(Semester::Name))
                .col(date(Semester::StartDate))
                .col(date(Semester::EndDate))
                .foreign_key(&mut fk(
                    Semester::Table,
                    Semester::CountyId,
                    County::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    Semester::Table,
                    Semester::SchoolId,
                    School::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            Semester::Table,
            &[Semester::CountyId, Semester::StartDate],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(User::Table)
                .col(pk_auto(User::Id))
                .col(string_len_uniq(User::Username, 64))
                .col(string_len(User::DisplayName, 64))
                .col(string(User::PasswordHash))
                .col(boolean(User::MustChangePassword))
                .col(boolean(User::IsActive))
                .col(string_len_null(User::Phone, 32))
                .col(timestamp_with_time_zone(User::CreatedAt))
                .col(timestamp_with_time_zone(User::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserRole::Table)
                .col(pk_auto(UserRole::Id))
                .col(integer(UserRole::UserId))
                .col(string_len(UserRole::Role, 32))
                // Which columns are set depends on the role: officers have an
                // area (county or town), school staff a school, teachers a class.
                .col(integer_null(UserRole::CountyId))
                .col(integer_null(UserRole::TownId))
                .col(integer_null(UserRole::SchoolId))
                .col(integer_null(UserRole::ClassId))
                .col(string_len_null(UserRole::Subject, 32))
                .foreign_key(&mut fk(
                    UserRole::Table,
                    UserRole::UserId,
                    User::Table,
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    UserRole::Table,
                    UserRole::CountyId,
                    County::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    UserRole::Table,
                    UserRole::TownId,
                    Town::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    UserRole::Table,
                    UserRole::SchoolId,
                    School::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    UserRole::Table,
                    UserRole::ClassId,
                    Class::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(m, UserRole::Table, &[UserRole::UserId]).await?;
        index(m, UserRole::Table, &[UserRole::SchoolId, UserRole::Role]).await?;
        index(m, UserRole::Table, &[UserRole::ClassId]).await?;

        m.create_table(
            Table::create()
                .table(Student::Table)
                .col(pk_auto(Student::Id))
                .col(integer(Student::SchoolId))
                .col(integer(Student::ClassId))
                .col(string_len(Student::Name, 64))
                .col(string_len(Student::Gender, 8))
                .col(date_null(Student::BirthDate))
                // 学籍号: the national student number, the key for re-imports.
                .col(string_len_uniq(Student::StudentNo, 32))
                .col(string_len_null(Student::IdCard, 32))
                .col(string_null(Student::HomeAddress))
                .col(boolean(Student::FlagLeftBehind))
                .col(boolean(Student::FlagOrphan))
                .col(boolean(Student::FlagDisabled))
                .col(boolean(Student::FlagLowIncome))
                .col(boolean(Student::FlagPoverty))
                .col(boolean(Student::FlagSingleParent))
                .col(string_len_null(Student::FlagOther, 64))
                .col(string_len(Student::Status, 32))
                .col(date(Student::StatusSince))
                .col(timestamp_with_time_zone(Student::CreatedAt))
                .col(timestamp_with_time_zone(Student::UpdatedAt))
                .foreign_key(&mut fk(
                    Student::Table,
                    Student::SchoolId,
                    School::Table,
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut fk(
                    Student::Table,
                    Student::ClassId,
                    Class::Table,
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(m, Student::Table, &[Student::ClassId]).await?;
        index(m, Student::Table, &[Student::SchoolId, Student::Status]).await?;

        m.create_table(
            Table::create()
                .table(Guardian::Table)
                .col(pk_auto(Guardian::Id))
                .col(integer(Guardian::StudentId))
                .col(string_len(Guardian::Name, 64))
                .col(string_len(Guardian::Relation, 16))
                .col(string_len_null(Guardian::Phone, 32))
                .col(boolean(Guardian::IsPrimary))
                .foreign_key(&mut fk(
                    Guardian::Table,
                    Guardian::StudentId,
                    Student::Table,
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
        index(m, Guardian::Table, &[Guardian::StudentId]).await?;

        m.create_table(
            Table::create()
                .table(StudentStatusHistory::Table)
                .col(pk_auto(StudentStatusHistory::Id))
                .col(integer(StudentStatusHistory::StudentId))
                .col(string_len_null(StudentStatusHistory::FromStatus, 32))
                .col(string_len(StudentStatusHistory::ToStatus, 32))
                .col(date(StudentStatusHistory::EffectiveDate))
                .col(text_null(StudentStatusHistory::Note))
                .col(integer_null(StudentStatusHistory::ChangedBy))
                .col(timestamp_with_time_zone(StudentStatusHistory::ChangedAt))
                .foreign_key(&mut fk(
                    StudentStatusHistory::Table,
                    StudentStatusHistory::StudentId,
                    Student::Table,
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut fk(
                    StudentStatusHistory::Table,
                    StudentStatusHistory::ChangedBy,
                    User::Table,
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            StudentStatusHistory::Table,
            &[StudentStatusHistory::StudentId],
        )
        .await?;

        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents.
        for table in [
            StudentStatusHistory::Table.into_iden(),
            Guardian::Table.into_iden(),
            Student::Table.into_iden(),
            UserRole::Table.into_iden(),
            User::Table.into_iden(),
            Semester::Table.into_iden(),
            Class::Table.into_iden(),
            Grade::Table.into_iden(),
            School::Table.into_iden(),
            Town::Table.into_iden(),
            County::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

/// Index names are derived from table and columns so they are unique and stable.
fn index_statement<T: IntoIden + Copy, C: IntoIden + Copy>(
    table: T,
    cols: &[C],
    unique: bool,
) -> IndexCreateStatement {
    let table_name = table.into_iden().to_string();
    let col_names: Vec<String> = cols.iter().map(|c| c.into_iden().to_string()).collect();
    let mut stmt = Index::create();
    stmt.name(format!(
        "{}_{}_{}",
        if unique { "ux" } else { "ix" },
        table_name,
        col_names.join("_")
    ))
    .table(table);
    for col in cols {
        stmt.col(*col);
    }
    if unique {
        stmt.unique();
    }
    stmt.to_owned()
}

pub(crate) async fn index<T: IntoIden + Copy, C: IntoIden + Copy>(
    m: &SchemaManager<'_>,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    m.create_index(index_statement(table, cols, false)).await
}

pub(crate) async fn unique_index<T: IntoIden + Copy, C: IntoIden + Copy>(
    m: &SchemaManager<'_>,
    table: T,
    cols: &[C],
) -> Result<(), DbErr> {
    m.create_index(index_statement(table, cols, true)).await
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum County {
    Table,
    Id,
    Name,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum Town {
    Table,
    Id,
    CountyId,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum School {
    Table,
    Id,
    CountyId,
    TownId,
    Name,
    Stage,
    Code,
}

#[derive(DeriveIden, Clone, Copy)]
enum Grade {
    Table,
    Id,
    SchoolId,
    Name,
    Level,
}

#[derive(DeriveIden, Clone, Copy)]
enum Class {
    Table,
    Id,
    SchoolId,
    GradeId,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum Semester {
    Table,
    Id,
    CountyId,
    SchoolId,
    Name,
    StartDate,
    EndDate,
}

#[derive(DeriveIden, Clone, Copy)]
pub(crate) enum User {
    // "user" is reserved in PostgreSQL.
    #[sea_orm(iden = "users")]
    Table,
    Id,
    Username,
    DisplayName,
    PasswordHash,
    MustChangePassword,
    IsActive,
    Phone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserRole {
    Table,
    Id,
    UserId,
    Role,
    CountyId,
    TownId,
    SchoolId,
    ClassId,
    Subject,
}

#[derive(DeriveIden, Clone, Copy)]
#[allow(clippy::enum_variant_names)] // column names mirror the entity
enum Student {
    Table,
    Id,
    SchoolId,
    ClassId,
    Name,
    Gender,
    BirthDate,
    StudentNo,
    IdCard,
    HomeAddress,
    FlagLeftBehind,
    FlagOrphan,
    FlagDisabled,
    FlagLowIncome,
    FlagPoverty,
    FlagSingleParent,
    FlagOther,
    Status,
    StatusSince,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Guardian {
    Table,
    Id,
    StudentId,
    Name,
    Relation,
    Phone,
    IsPrimary,
}

#[derive(DeriveIden, Clone, Copy)]
enum StudentStatusHistory {
    Table,
    Id,
    StudentId,
    FromStatus,
    ToStatus,
    EffectiveDate,
    Note,
    ChangedBy,
    ChangedAt,
}
