//! HQ's window for undoing a write-off (核销), in hours (default 24).

use super::n;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_write_off_undo"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("money_settings"))
                .add_column(big_integer(n("write_off_undo_hours")).default(24))
                .take(),
        )
        .await
    }
}
