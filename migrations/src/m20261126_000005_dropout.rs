//! Dropout control (控辍保学).
//!
//! - `school_calendar_days`: holidays and make-up working days (调休) on top
//!   of Monday–Friday, county-wide or for one school; "day N" of an absence
//!   counts school days.
//! - `roll_calls` + `absences`: the daily roll call of a class; only the
//!   absent are stored (everyone else was present).
//! - `leave_requests`: 请假; approved leave is not an absence.
//! - `ladder_rules`: the county's absence ladder (days 1/2/3/5 by default).
//! - `ladder_tasks`: what the ladder asks of whom, by when; one row per
//!   (absence, step, person), so re-running the ladder changes nothing.
//! - `notifications`: the in-app list and badge; `dedupe_key` makes a
//!   reminder idempotent across server instances.
//! - `dropout_cases` (一生一案) and `persuasion_records` (劝返情况记录).
//! - `monthly_reports`: the submitted 辍学学生情况统计表 scans.
//! - `student.home_teaching`: the student is taught at home (送教上门).
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_org_and_people::{County, School, User, index, unique_index};
use crate::m20261124_000003_visits::fk;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        m.create_table(
            Table::create()
                .table(CalendarDay::Table)
                .col(pk_auto(CalendarDay::Id))
                .col(integer(CalendarDay::CountyId))
                // NULL: the whole county; set: one school's own day.
                .col(integer_null(CalendarDay::SchoolId))
                .col(date(CalendarDay::Day))
                // holiday | workday
                .col(string_len(CalendarDay::Kind, 16))
                .col(string_len(CalendarDay::Name, 64))
                .foreign_key(&mut fk(
                    (CalendarDay::Table, CalendarDay::CountyId),
                    (County::Table, County::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (CalendarDay::Table, CalendarDay::SchoolId),
                    (School::Table, School::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            CalendarDay::Table,
            &[CalendarDay::CountyId, CalendarDay::Day],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RollCall::Table)
                .col(pk_auto(RollCall::Id))
                .col(integer(RollCall::SchoolId))
                .col(integer(RollCall::ClassId))
                .col(date(RollCall::Day))
                .col(integer(RollCall::TakenBy))
                .col(timestamp_with_time_zone(RollCall::TakenAt))
                .col(timestamp_with_time_zone(RollCall::UpdatedAt))
                .foreign_key(&mut fk(
                    (RollCall::Table, RollCall::SchoolId),
                    (School::Table, School::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (RollCall::Table, RollCall::ClassId),
                    (Class::Table, Class::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (RollCall::Table, RollCall::TakenBy),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(m, RollCall::Table, &[RollCall::ClassId, RollCall::Day]).await?;
        index(m, RollCall::Table, &[RollCall::SchoolId, RollCall::Day]).await?;

        m.create_table(
            Table::create()
                .table(Absence::Table)
                .col(pk_auto(Absence::Id))
                .col(integer(Absence::RollCallId))
                .col(integer(Absence::SchoolId))
                .col(integer(Absence::StudentId))
                .col(date(Absence::Day))
                .col(string_len(Absence::Note, 200))
                .foreign_key(&mut fk(
                    (Absence::Table, Absence::RollCallId),
                    (RollCall::Table, RollCall::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (Absence::Table, Absence::StudentId),
                    (Student::Table, Student::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(m, Absence::Table, &[Absence::StudentId, Absence::Day]).await?;
        index(m, Absence::Table, &[Absence::SchoolId, Absence::Day]).await?;

        m.create_table(
            Table::create()
                .table(LeaveRequest::Table)
                .col(pk_auto(LeaveRequest::Id))
                .col(integer(LeaveRequest::SchoolId))
                .col(integer(LeaveRequest::StudentId))
                // sick | personal | other
                .col(string_len(LeaveRequest::Kind, 16))
                .col(date(LeaveRequest::StartDate))
                .col(date(LeaveRequest::EndDate))
                .col(string_len(LeaveRequest::Reason, 500))
                // SHA-256 of the photo of the written note, if any.
                .col(string_len_null(LeaveRequest::NotePhoto, 64))
                // pending | approved | rejected
                .col(string_len(LeaveRequest::Status, 16))
                .col(integer(LeaveRequest::RequestedBy))
                .col(integer_null(LeaveRequest::DecidedBy))
                .col(timestamp_with_time_zone_null(LeaveRequest::DecidedAt))
                .col(timestamp_with_time_zone(LeaveRequest::CreatedAt))
                .foreign_key(&mut fk(
                    (LeaveRequest::Table, LeaveRequest::StudentId),
                    (Student::Table, Student::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (LeaveRequest::Table, LeaveRequest::RequestedBy),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            LeaveRequest::Table,
            &[LeaveRequest::StudentId, LeaveRequest::StartDate],
        )
        .await?;
        index(
            m,
            LeaveRequest::Table,
            &[LeaveRequest::SchoolId, LeaveRequest::Status],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LadderRule::Table)
                .col(integer(LadderRule::CountyId).primary_key())
                // `crate::dropout::LadderRules` as JSON.
                .col(text(LadderRule::Rules))
                .col(integer_null(LadderRule::UpdatedBy))
                .col(timestamp_with_time_zone(LadderRule::UpdatedAt))
                .foreign_key(&mut fk(
                    (LadderRule::Table, LadderRule::CountyId),
                    (County::Table, County::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(LadderTask::Table)
                .col(pk_auto(LadderTask::Id))
                .col(integer(LadderTask::SchoolId))
                .col(integer(LadderTask::StudentId))
                // First school day of the unexcused absence.
                .col(date(LadderTask::AbsenceStart))
                // contact_visit | joint_visit | control_plan | persuasion_record
                .col(string_len(LadderTask::Kind, 32))
                .col(integer(LadderTask::LadderDay))
                .col(integer(LadderTask::AssigneeId))
                .col(date(LadderTask::DueDate))
                // open | done | cancelled
                .col(string_len(LadderTask::Status, 16))
                .col(uuid_null(LadderTask::VisitId))
                .col(string_len(LadderTask::ClosedNote, 200))
                .col(timestamp_with_time_zone(LadderTask::CreatedAt))
                .col(timestamp_with_time_zone_null(LadderTask::ClosedAt))
                .col(timestamp_with_time_zone_null(LadderTask::EscalatedAt))
                .foreign_key(&mut fk(
                    (LadderTask::Table, LadderTask::StudentId),
                    (Student::Table, Student::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (LadderTask::Table, LadderTask::AssigneeId),
                    (User::Table, User::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(
            m,
            LadderTask::Table,
            &[
                LadderTask::StudentId,
                LadderTask::AbsenceStart,
                LadderTask::Kind,
                LadderTask::AssigneeId,
            ],
        )
        .await?;
        index(
            m,
            LadderTask::Table,
            &[LadderTask::AssigneeId, LadderTask::Status],
        )
        .await?;
        index(
            m,
            LadderTask::Table,
            &[LadderTask::SchoolId, LadderTask::Status],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Notification::Table)
                .col(pk_auto(Notification::Id))
                .col(integer(Notification::UserId))
                .col(string_len(Notification::Kind, 32))
                .col(string_len(Notification::Title, 200))
                .col(text(Notification::Body))
                .col(string_len(Notification::Link, 200))
                .col(string_len(Notification::DedupeKey, 120))
                .col(timestamp_with_time_zone(Notification::CreatedAt))
                .col(timestamp_with_time_zone_null(Notification::ReadAt))
                .foreign_key(&mut fk(
                    (Notification::Table, Notification::UserId),
                    (User::Table, User::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(
            m,
            Notification::Table,
            &[Notification::UserId, Notification::DedupeKey],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(DropoutCase::Table)
                .col(pk_auto(DropoutCase::Id))
                .col(integer(DropoutCase::SchoolId))
                .col(integer(DropoutCase::StudentId))
                .col(date(DropoutCase::OpenedOn))
                .col(text(DropoutCase::Reason))
                .col(text(DropoutCase::Plan))
                .col(string_len(DropoutCase::Responsible, 200))
                // open | closed
                .col(string_len(DropoutCase::Status, 16))
                .col(date_null(DropoutCase::ClosedOn))
                .col(text(DropoutCase::CloseNote))
                .col(integer(DropoutCase::CreatedBy))
                .col(timestamp_with_time_zone(DropoutCase::UpdatedAt))
                .foreign_key(&mut fk(
                    (DropoutCase::Table, DropoutCase::StudentId),
                    (Student::Table, Student::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            DropoutCase::Table,
            &[DropoutCase::StudentId, DropoutCase::Status],
        )
        .await?;
        index(
            m,
            DropoutCase::Table,
            &[DropoutCase::SchoolId, DropoutCase::Status],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PersuasionRecord::Table)
                .col(pk_auto(PersuasionRecord::Id))
                .col(integer(PersuasionRecord::CaseId))
                .col(integer(PersuasionRecord::SchoolId))
                .col(integer(PersuasionRecord::StudentId))
                .col(date(PersuasionRecord::Day))
                .col(string_len(PersuasionRecord::Persons, 200))
                // home | phone | school | joint (三级联合入户)
                .col(string_len(PersuasionRecord::Method, 16))
                .col(text(PersuasionRecord::Result))
                // agreed | refused | undecided
                .col(string_len(PersuasionRecord::Outcome, 16))
                .col(uuid_null(PersuasionRecord::VisitId))
                .col(integer(PersuasionRecord::RecordedBy))
                .col(timestamp_with_time_zone(PersuasionRecord::CreatedAt))
                .foreign_key(&mut fk(
                    (PersuasionRecord::Table, PersuasionRecord::CaseId),
                    (DropoutCase::Table, DropoutCase::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (PersuasionRecord::Table, PersuasionRecord::RecordedBy),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (PersuasionRecord::Table, PersuasionRecord::VisitId),
                    (Visit::Table, Visit::Id),
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        index(m, PersuasionRecord::Table, &[PersuasionRecord::CaseId]).await?;

        m.create_table(
            Table::create()
                .table(MonthlyReport::Table)
                .col(pk_auto(MonthlyReport::Id))
                .col(integer(MonthlyReport::SchoolId))
                // YYYY-MM
                .col(string_len(MonthlyReport::Month, 7))
                // Storage key of the signed and stamped scan.
                .col(string_len(MonthlyReport::ScanKey, 80))
                .col(string_len(MonthlyReport::ScanType, 40))
                .col(integer(MonthlyReport::SubmittedBy))
                .col(timestamp_with_time_zone(MonthlyReport::SubmittedAt))
                .foreign_key(&mut fk(
                    (MonthlyReport::Table, MonthlyReport::SchoolId),
                    (School::Table, School::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (MonthlyReport::Table, MonthlyReport::SubmittedBy),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        unique_index(
            m,
            MonthlyReport::Table,
            &[MonthlyReport::SchoolId, MonthlyReport::Month],
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table(Student::Table)
                .add_column(
                    ColumnDef::new(Student::HomeTeaching)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Student::Table)
                .drop_column(Student::HomeTeaching)
                .to_owned(),
        )
        .await?;
        for table in [
            MonthlyReport::Table.into_iden(),
            PersuasionRecord::Table.into_iden(),
            DropoutCase::Table.into_iden(),
            Notification::Table.into_iden(),
            LadderTask::Table.into_iden(),
            LadderRule::Table.into_iden(),
            LeaveRequest::Table.into_iden(),
            Absence::Table.into_iden(),
            RollCall::Table.into_iden(),
            CalendarDay::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum CalendarDay {
    #[sea_orm(iden = "school_calendar_days")]
    Table,
    Id,
    CountyId,
    SchoolId,
    Day,
    Kind,
    Name,
}

#[derive(DeriveIden, Clone, Copy)]
enum RollCall {
    #[sea_orm(iden = "roll_calls")]
    Table,
    Id,
    SchoolId,
    ClassId,
    Day,
    TakenBy,
    TakenAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Absence {
    #[sea_orm(iden = "absences")]
    Table,
    Id,
    RollCallId,
    SchoolId,
    StudentId,
    Day,
    Note,
}

#[derive(DeriveIden, Clone, Copy)]
enum LeaveRequest {
    #[sea_orm(iden = "leave_requests")]
    Table,
    Id,
    SchoolId,
    StudentId,
    Kind,
    StartDate,
    EndDate,
    Reason,
    NotePhoto,
    Status,
    RequestedBy,
    DecidedBy,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LadderRule {
    #[sea_orm(iden = "ladder_rules")]
    Table,
    CountyId,
    Rules,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LadderTask {
    #[sea_orm(iden = "ladder_tasks")]
    Table,
    Id,
    SchoolId,
    StudentId,
    AbsenceStart,
    Kind,
    LadderDay,
    AssigneeId,
    DueDate,
    Status,
    VisitId,
    ClosedNote,
    CreatedAt,
    ClosedAt,
    EscalatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Notification {
    #[sea_orm(iden = "notifications")]
    Table,
    Id,
    UserId,
    Kind,
    Title,
    Body,
    Link,
    DedupeKey,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum DropoutCase {
    #[sea_orm(iden = "dropout_cases")]
    Table,
    Id,
    SchoolId,
    StudentId,
    OpenedOn,
    Reason,
    Plan,
    Responsible,
    Status,
    ClosedOn,
    CloseNote,
    CreatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PersuasionRecord {
    #[sea_orm(iden = "persuasion_records")]
    Table,
    Id,
    CaseId,
    SchoolId,
    StudentId,
    Day,
    Persons,
    Method,
    Result,
    Outcome,
    VisitId,
    RecordedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum MonthlyReport {
    #[sea_orm(iden = "monthly_reports")]
    Table,
    Id,
    SchoolId,
    Month,
    ScanKey,
    ScanType,
    SubmittedBy,
    SubmittedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Class {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Student {
    Table,
    Id,
    HomeTeaching,
}

#[derive(DeriveIden, Clone, Copy)]
enum Visit {
    #[sea_orm(iden = "visits")]
    Table,
    Id,
}
