//! The member's message centre (issue 14): how far they have read. Their
//! messages are their ledger entries that tell them something (top-ups,
//! payments, refunds, 退卡), so a message is written with the money in the
//! same row and never counted apart from it; unread is what lies past this
//! mark, found by the journal's (member_id, id) index.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_member_messages"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("members"))
                .add_column(
                    ColumnDef::new(n("messages_read_through"))
                        .big_integer()
                        .not_null()
                        .default(0)
                        .take(),
                )
                .take(),
        )
        .await
    }
}
