//! A forgotten payment PIN reset by SMS (issue 14): when, so that for 24
//! hours after only payments within the PIN-free limit go through.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_pin_reset"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("member_pins"))
                .add_column(ColumnDef::new(n("reset_at")).big_integer().null().take())
                .take(),
        )
        .await
    }
}
