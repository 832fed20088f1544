//! Hardening (issue 10): guessing counters shared by replicas (staff
//! passwords per account and per client address); the notification outbox
//! delivered by a provider adapter (sent, tries, claimed by a sender);
//! gateway refunds retried with backoff and, once refused for good, resolved
//! by HQ finance (how, by whom, with what reference); a
//! payout's bank-transfer reference (the manual channel); the sandbox
//! payout channel's mode per brand, in the database so replicas agree.

use super::n;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_hardening"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(n("guess_limits"))
                .if_not_exists()
                .col(string(n("key")).primary_key())
                .col(integer(n("failures")))
                .col(integer(n("lock_level")))
                .col(big_integer_null(n("locked_until")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await?;
        for def in [
            ColumnDef::new(n("sent_at")).big_integer().null().take(),
            ColumnDef::new(n("claimed_until"))
                .big_integer()
                .null()
                .take(),
            ColumnDef::new(n("tries"))
                .integer()
                .not_null()
                .default(0)
                .take(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(n("notifications"))
                    .add_column(def)
                    .take(),
            )
            .await?;
        }
        m.alter_table(
            Table::alter()
                .table(n("payout_attempts"))
                .add_column(ColumnDef::new(n("reference")).string().null().take())
                .take(),
        )
        .await?;
        for def in [
            ColumnDef::new(n("next_attempt_at"))
                .big_integer()
                .null()
                .take(),
            ColumnDef::new(n("failure")).string().null().take(),
            ColumnDef::new(n("resolution")).string().null().take(),
            ColumnDef::new(n("resolution_ref")).string().null().take(),
            ColumnDef::new(n("resolved_by")).big_integer().null().take(),
            ColumnDef::new(n("resolved_at")).big_integer().null().take(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(n("gateway_refunds"))
                    .add_column(def)
                    .take(),
            )
            .await?;
        }
        m.create_table(
            Table::create()
                .table(n("sandbox_modes"))
                .if_not_exists()
                .col(big_integer(n("brand_id")).primary_key())
                .col(string(n("payout_mode")))
                .take(),
        )
        .await?;
        Ok(())
    }
}
