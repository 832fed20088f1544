//! Hardening (issue 10): guessing counters shared by replicas (staff
//! passwords per account and per client address).

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
        Ok(())
    }
}
