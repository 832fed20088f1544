//! The ledger with units (issue 12): each line on an account that keeps a
//! balance (a member's) records the balance after it, so a history never
//! sums. Lines written before this migration have none.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_ledger_units"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("journal_lines"))
                .add_column(
                    ColumnDef::new(n("balance_after"))
                        .big_integer()
                        .null()
                        .take(),
                )
                .take(),
        )
        .await
    }
}
