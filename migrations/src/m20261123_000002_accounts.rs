//! Everything that makes the server stateless: sessions, login failures
//! (for the rate limit) and the audit log all live in the database so
//! several instances can run behind a load balancer.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261123_000001_org_and_people::{School, User, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Session::Table)
                .col(string_len(Session::Id, 64).primary_key())
                // Copied out of the session data so a password change can end
                // every other session of that user.
                .col(integer_null(Session::UserId))
                .col(text(Session::Data))
                .col(big_integer(Session::ExpiresAt))
                .to_owned(),
        )
        .await?;
        index(m, Session::Table, &[Session::ExpiresAt]).await?;
        index(m, Session::Table, &[Session::UserId]).await?;

        m.create_table(
            Table::create()
                .table(LoginFailure::Table)
                .col(pk_auto(LoginFailure::Id))
                .col(string_len(LoginFailure::Username, 64))
                .col(string_len(LoginFailure::Ip, 64))
                .col(timestamp_with_time_zone(LoginFailure::AttemptedAt))
                .to_owned(),
        )
        .await?;
        index(
            m,
            LoginFailure::Table,
            &[LoginFailure::Username, LoginFailure::AttemptedAt],
        )
        .await?;
        index(
            m,
            LoginFailure::Table,
            &[LoginFailure::Ip, LoginFailure::AttemptedAt],
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(pk_auto(AuditLog::Id))
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(integer_null(AuditLog::ActorId))
                .col(integer_null(AuditLog::SchoolId))
                .col(string_len(AuditLog::Action, 64))
                .col(string_len(AuditLog::Entity, 64))
                .col(string_len_null(AuditLog::EntityId, 64))
                .col(text_null(AuditLog::Detail))
                .foreign_key(
                    ForeignKey::create()
                        .from(AuditLog::Table, AuditLog::ActorId)
                        .to(User::Table, User::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AuditLog::Table, AuditLog::SchoolId)
                        .to(School::Table, School::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        index(m, AuditLog::Table, &[AuditLog::SchoolId, AuditLog::At]).await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditLog::Table.into_iden(),
            LoginFailure::Table.into_iden(),
            Session::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Session {
    Table,
    Id,
    UserId,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginFailure {
    Table,
    Id,
    Username,
    Ip,
    AttemptedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    SchoolId,
    Action,
    Entity,
    EntityId,
    Detail,
}
