//! Database schema for 家访通. Every migration must run identically on
//! SQLite (the embedded default) and PostgreSQL (the scale-out path); the
//! test suite applies them up and down on both.

pub use sea_orm_migration::prelude::*;

pub mod m20261123_000001_org_and_people;
mod m20261123_000002_accounts;
pub(crate) mod m20261124_000003_visits;
mod m20261125_000004_quotas;
mod m20261126_000005_dropout;
mod m20261127_000006_home_teaching;
mod m20261206_000007_visit_tallies;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_org_and_people::Migration),
            Box::new(m20261123_000002_accounts::Migration),
            Box::new(m20261124_000003_visits::Migration),
            Box::new(m20261125_000004_quotas::Migration),
            Box::new(m20261126_000005_dropout::Migration),
            Box::new(m20261127_000006_home_teaching::Migration),
            Box::new(m20261206_000007_visit_tallies::Migration),
        ]
    }
}
