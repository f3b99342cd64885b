//! `visit_tallies`: how many visits each person made, per school, calendar
//! month, mode, part in the visit (filer or co-visitor) and whether review
//! returned it. The app keeps it in step with every visit write, in the
//! same transaction, so a county's dashboard adds up some 10⁵ tally rows
//! instead of grouping every visit of the semester.
//!
//! `month` is `year * 100 + month` (202612). Filled here from the visits
//! already stored.
use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_org_and_people::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(VisitTally::Table)
                .col(integer(VisitTally::SchoolId))
                .col(integer(VisitTally::UserId))
                .col(string_len(VisitTally::Mode, 16))
                .col(boolean(VisitTally::AsCoVisitor))
                .col(boolean(VisitTally::Returned))
                .col(integer(VisitTally::Month))
                .col(integer(VisitTally::Visits))
                // In this order a school's tallies come out grouped by
                // person, mode, part and review outcome without a sort.
                .primary_key(
                    Index::create()
                        .col(VisitTally::SchoolId)
                        .col(VisitTally::UserId)
                        .col(VisitTally::Mode)
                        .col(VisitTally::AsCoVisitor)
                        .col(VisitTally::Returned)
                        .col(VisitTally::Month),
                )
                .to_owned(),
        )
        .await?;
        // One teacher's own quota.
        index(
            m,
            VisitTally::Table,
            &[VisitTally::UserId, VisitTally::Month],
        )
        .await?;

        let month = match m.get_database_backend() {
            DbBackend::Postgres => "CAST(to_char(v.visit_date, 'YYYYMM') AS INTEGER)",
            _ => "CAST(strftime('%Y%m', v.visit_date) AS INTEGER)",
        };
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO visit_tallies \
               (school_id, user_id, mode, as_co_visitor, returned, month, visits) \
             SELECT v.school_id, v.visitor_id, v.mode, FALSE, \
                    v.review_status = 'returned', {month}, COUNT(*) \
             FROM visits v \
             GROUP BY v.school_id, v.visitor_id, v.mode, v.review_status = 'returned', {month}"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO visit_tallies \
               (school_id, user_id, mode, as_co_visitor, returned, month, visits) \
             SELECT v.school_id, c.user_id, v.mode, TRUE, \
                    v.review_status = 'returned', {month}, COUNT(*) \
             FROM visit_co_visitors c JOIN visits v ON v.id = c.visit_id \
             GROUP BY v.school_id, c.user_id, v.mode, v.review_status = 'returned', {month}"
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(VisitTally::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum VisitTally {
    #[sea_orm(iden = "visit_tallies")]
    Table,
    SchoolId,
    UserId,
    Mode,
    AsCoVisitor,
    Returned,
    Month,
    Visits,
}
