//! Home visits (家访记录表) synced from the phones: the visits with every
//! saved revision, their photos and co-visitors, the uploaded attachments
//! (addressed by SHA-256) and the 拟家访 reports made before a visit.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_org_and_people::{School, User, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// A SHA-256 in lowercase hex.
const SHA_LEN: u32 = 64;
/// Enum codes (`persuade_return`, `home_teaching`…) with room to spare.
const CODE_LEN: u32 = 32;

pub(crate) fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(on_delete)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};

        m.create_table(
            Table::create()
                .table(Attachment::Table)
                // The hash of the bytes the phone sent (not of the stored,
                // re-encoded file), so a retried upload finds the same row.
                .col(string_len(Attachment::Sha256, SHA_LEN).primary_key())
                .col(string_len(Attachment::ContentType, CODE_LEN))
                .col(integer(Attachment::Width))
                .col(integer(Attachment::Height))
                .col(big_integer(Attachment::Bytes))
                .col(integer(Attachment::UploadedBy))
                .col(timestamp_with_time_zone(Attachment::CreatedAt))
                .foreign_key(&mut fk(
                    (Attachment::Table, Attachment::UploadedBy),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(VisitPlan::Table)
                .col(uuid(VisitPlan::Id).primary_key())
                .col(integer(VisitPlan::SchoolId))
                .col(integer(VisitPlan::StudentId))
                .col(integer(VisitPlan::TeacherId))
                .col(string_len(VisitPlan::Reason, CODE_LEN))
                .col(timestamp_with_time_zone(VisitPlan::PlannedAt))
                .col(text(VisitPlan::Note))
                .col(string_len(VisitPlan::BodyHash, SHA_LEN))
                .col(integer_null(VisitPlan::AcknowledgedBy))
                .col(timestamp_with_time_zone_null(VisitPlan::AcknowledgedAt))
                .col(timestamp_with_time_zone(VisitPlan::CreatedAt))
                .col(timestamp_with_time_zone(VisitPlan::UpdatedAt))
                .foreign_key(&mut fk(
                    (VisitPlan::Table, VisitPlan::SchoolId),
                    (School::Table, School::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (VisitPlan::Table, VisitPlan::StudentId),
                    (Student::Table, Student::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (VisitPlan::Table, VisitPlan::TeacherId),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (VisitPlan::Table, VisitPlan::AcknowledgedBy),
                    (User::Table, User::Id),
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            VisitPlan::Table,
            &[VisitPlan::SchoolId, VisitPlan::PlannedAt],
        )
        .await?;
        index(m, VisitPlan::Table, &[VisitPlan::TeacherId]).await?;

        m.create_table(
            Table::create()
                .table(Visit::Table)
                // Made by the phone when the form is opened: retries and
                // edits made offline all address the same visit.
                .col(uuid(Visit::Id).primary_key())
                .col(integer(Visit::SchoolId))
                .col(integer(Visit::StudentId))
                .col(integer(Visit::VisitorId))
                .col(integer_null(Visit::SemesterId))
                .col(timestamp_with_time_zone(Visit::VisitedAt))
                // The date in Asia/Shanghai: what quotas and semesters count by.
                .col(date(Visit::VisitDate))
                .col(string_len(Visit::Mode, CODE_LEN))
                .col(string_len(Visit::Reason, CODE_LEN))
                .col(text(Visit::MetPerson))
                .col(text(Visit::MetRelation))
                .col(text(Visit::FamilySituation))
                .col(text(Visit::HomeBehaviour))
                .col(text(Visit::SchoolPerformance))
                .col(text(Visit::Summary))
                .col(text(Visit::ParentOpinion))
                .col(text(Visit::FollowUp))
                .col(string_len_null(Visit::Signature, SHA_LEN))
                .col(text_null(Visit::NoSignatureReason))
                .col(boolean(Visit::Flagged))
                .col(uuid_null(Visit::PlanId))
                .col(integer(Visit::Revision))
                .col(string_len(Visit::BodyHash, SHA_LEN))
                .col(timestamp_with_time_zone(Visit::CreatedAt))
                .col(timestamp_with_time_zone(Visit::UpdatedAt))
                .foreign_key(&mut fk(
                    (Visit::Table, Visit::SchoolId),
                    (School::Table, School::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (Visit::Table, Visit::StudentId),
                    (Student::Table, Student::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (Visit::Table, Visit::VisitorId),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (Visit::Table, Visit::SemesterId),
                    (Semester::Table, Semester::Id),
                    SetNull,
                ))
                .foreign_key(&mut fk(
                    (Visit::Table, Visit::Signature),
                    (Attachment::Table, Attachment::Sha256),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (Visit::Table, Visit::PlanId),
                    (VisitPlan::Table, VisitPlan::Id),
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        index(m, Visit::Table, &[Visit::VisitorId, Visit::VisitDate]).await?;
        index(m, Visit::Table, &[Visit::SchoolId, Visit::VisitDate]).await?;
        index(m, Visit::Table, &[Visit::StudentId, Visit::VisitDate]).await?;
        index(m, Visit::Table, &[Visit::PlanId]).await?;
        index(m, Visit::Table, &[Visit::Signature]).await?;

        m.create_table(
            Table::create()
                .table(VisitPhoto::Table)
                .col(uuid(VisitPhoto::VisitId))
                .col(integer(VisitPhoto::Position))
                .col(string_len(VisitPhoto::Sha256, SHA_LEN))
                .primary_key(
                    Index::create()
                        .col(VisitPhoto::VisitId)
                        .col(VisitPhoto::Position),
                )
                .foreign_key(&mut fk(
                    (VisitPhoto::Table, VisitPhoto::VisitId),
                    (Visit::Table, Visit::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (VisitPhoto::Table, VisitPhoto::Sha256),
                    (Attachment::Table, Attachment::Sha256),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        // Who may see a photo is decided by the visits that show it.
        index(m, VisitPhoto::Table, &[VisitPhoto::Sha256]).await?;

        m.create_table(
            Table::create()
                .table(VisitCoVisitor::Table)
                .col(uuid(VisitCoVisitor::VisitId))
                .col(integer(VisitCoVisitor::UserId))
                .primary_key(
                    Index::create()
                        .col(VisitCoVisitor::VisitId)
                        .col(VisitCoVisitor::UserId),
                )
                .foreign_key(&mut fk(
                    (VisitCoVisitor::Table, VisitCoVisitor::VisitId),
                    (Visit::Table, Visit::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (VisitCoVisitor::Table, VisitCoVisitor::UserId),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        index(m, VisitCoVisitor::Table, &[VisitCoVisitor::UserId]).await?;

        m.create_table(
            Table::create()
                .table(VisitRevision::Table)
                .col(uuid(VisitRevision::VisitId))
                .col(integer(VisitRevision::Revision))
                // The `VisitInput` as JSON, exactly as it was saved.
                .col(text(VisitRevision::Body))
                .col(string_len(VisitRevision::BodyHash, SHA_LEN))
                .col(integer(VisitRevision::SavedBy))
                .col(timestamp_with_time_zone(VisitRevision::SavedAt))
                .primary_key(
                    Index::create()
                        .col(VisitRevision::VisitId)
                        .col(VisitRevision::Revision),
                )
                .foreign_key(&mut fk(
                    (VisitRevision::Table, VisitRevision::VisitId),
                    (Visit::Table, Visit::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (VisitRevision::Table, VisitRevision::SavedBy),
                    (User::Table, User::Id),
                    Restrict,
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Children before parents.
        for table in [
            VisitRevision::Table.into_iden(),
            VisitCoVisitor::Table.into_iden(),
            VisitPhoto::Table.into_iden(),
            Visit::Table.into_iden(),
            VisitPlan::Table.into_iden(),
            Attachment::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Student {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Semester {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachment {
    #[sea_orm(iden = "attachments")]
    Table,
    Sha256,
    ContentType,
    Width,
    Height,
    Bytes,
    UploadedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
#[allow(clippy::enum_variant_names)] // column names mirror the entity
enum Visit {
    #[sea_orm(iden = "visits")]
    Table,
    Id,
    SchoolId,
    StudentId,
    VisitorId,
    SemesterId,
    VisitedAt,
    VisitDate,
    Mode,
    Reason,
    MetPerson,
    MetRelation,
    FamilySituation,
    HomeBehaviour,
    SchoolPerformance,
    Summary,
    ParentOpinion,
    FollowUp,
    Signature,
    NoSignatureReason,
    Flagged,
    PlanId,
    Revision,
    BodyHash,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitPhoto {
    #[sea_orm(iden = "visit_photos")]
    Table,
    VisitId,
    Position,
    Sha256,
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitCoVisitor {
    #[sea_orm(iden = "visit_co_visitors")]
    Table,
    VisitId,
    UserId,
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitRevision {
    #[sea_orm(iden = "visit_revisions")]
    Table,
    VisitId,
    Revision,
    Body,
    BodyHash,
    SavedBy,
    SavedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitPlan {
    #[sea_orm(iden = "visit_plans")]
    Table,
    Id,
    SchoolId,
    StudentId,
    TeacherId,
    Reason,
    PlannedAt,
    Note,
    BodyHash,
    AcknowledgedBy,
    AcknowledgedAt,
    CreatedAt,
    UpdatedAt,
}
