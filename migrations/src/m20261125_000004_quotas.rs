//! Per-semester visit quotas and the review of visits.
//!
//! - `quota_rules`: versions of the quota rules, county defaults and school
//!   overrides; a semester uses the latest version effective by its end, so
//!   a rule edit for this semester leaves past semesters as they were.
//! - `semester_class_sizes`: class sizes frozen at the start of a semester
//!   (the head teacher's quota is half the class at semester start).
//! - `visits.review_*`: spot-checks by the school (已审核 / 退回).
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
                .table(QuotaRule::Table)
                .col(pk_auto(QuotaRule::Id))
                .col(integer(QuotaRule::CountyId))
                // NULL: the county's defaults; set: a school's override.
                .col(integer_null(QuotaRule::SchoolId))
                .col(date(QuotaRule::EffectiveFrom))
                // `crate::quotas::QuotaRules` as JSON.
                .col(text(QuotaRule::Rules))
                .col(integer_null(QuotaRule::UpdatedBy))
                .col(timestamp_with_time_zone(QuotaRule::UpdatedAt))
                .foreign_key(&mut fk(
                    (QuotaRule::Table, QuotaRule::CountyId),
                    (County::Table, County::Id),
                    Restrict,
                ))
                .foreign_key(&mut fk(
                    (QuotaRule::Table, QuotaRule::SchoolId),
                    (School::Table, School::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (QuotaRule::Table, QuotaRule::UpdatedBy),
                    (User::Table, User::Id),
                    SetNull,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            QuotaRule::Table,
            &[QuotaRule::CountyId, QuotaRule::EffectiveFrom],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SemesterClassSize::Table)
                .col(integer(SemesterClassSize::SemesterId))
                .col(integer(SemesterClassSize::ClassId))
                .col(integer(SemesterClassSize::Size))
                .col(timestamp_with_time_zone(SemesterClassSize::TakenAt))
                .primary_key(
                    Index::create()
                        .col(SemesterClassSize::SemesterId)
                        .col(SemesterClassSize::ClassId),
                )
                .foreign_key(&mut fk(
                    (SemesterClassSize::Table, SemesterClassSize::SemesterId),
                    (Semester::Table, Semester::Id),
                    Cascade,
                ))
                .foreign_key(&mut fk(
                    (SemesterClassSize::Table, SemesterClassSize::ClassId),
                    (Class::Table, Class::Id),
                    Cascade,
                ))
                .to_owned(),
        )
        .await?;

        // SQLite adds one column per statement.
        for column in [
            ColumnDef::new(Visit::ReviewStatus)
                .string_len(16)
                .not_null()
                .default("pending")
                .to_owned(),
            ColumnDef::new(Visit::ReviewNote).text().null().to_owned(),
            ColumnDef::new(Visit::ReviewedBy)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Visit::ReviewedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(Visit::Table)
                    .add_column(column)
                    .to_owned(),
            )
            .await?;
        }
        // Dashboards count a whole county's semester from this index alone.
        index(
            m,
            Visit::Table,
            &[
                Visit::SchoolId,
                Visit::VisitDate,
                Visit::VisitorId,
                Visit::Mode,
                Visit::ReviewStatus,
            ],
        )
        .await?;
        unique_index(
            m,
            VisitCoVisitor::Table,
            &[VisitCoVisitor::UserId, VisitCoVisitor::VisitId],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("ux_visit_co_visitors_user_id_visit_id")
                .table(VisitCoVisitor::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("ix_visits_school_id_visit_date_visitor_id_mode_review_status")
                .table(Visit::Table)
                .to_owned(),
        )
        .await?;
        for column in [
            Visit::ReviewedAt,
            Visit::ReviewedBy,
            Visit::ReviewNote,
            Visit::ReviewStatus,
        ] {
            m.alter_table(
                Table::alter()
                    .table(Visit::Table)
                    .drop_column(column)
                    .to_owned(),
            )
            .await?;
        }
        for table in [
            SemesterClassSize::Table.into_iden(),
            QuotaRule::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum QuotaRule {
    #[sea_orm(iden = "quota_rules")]
    Table,
    Id,
    CountyId,
    SchoolId,
    EffectiveFrom,
    Rules,
    UpdatedBy,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SemesterClassSize {
    #[sea_orm(iden = "semester_class_sizes")]
    Table,
    SemesterId,
    ClassId,
    Size,
    TakenAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Semester {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Class {
    Table,
    Id,
}

#[allow(clippy::enum_variant_names)] // column names mirror the entity
#[derive(DeriveIden, Clone, Copy)]
enum Visit {
    #[sea_orm(iden = "visits")]
    Table,
    SchoolId,
    VisitDate,
    VisitorId,
    Mode,
    ReviewStatus,
    ReviewNote,
    ReviewedBy,
    ReviewedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitCoVisitor {
    #[sea_orm(iden = "visit_co_visitors")]
    Table,
    VisitId,
    UserId,
}
