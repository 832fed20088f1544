//! A member closing their account (注销, issue 14): when. The row stays for
//! the ledger's sake, without the phone or the profile, so the phone can
//! register again as a new member.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_member_closure"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("members"))
                .add_column(ColumnDef::new(n("closed_at")).big_integer().null().take())
                .take(),
        )
        .await
    }
}
