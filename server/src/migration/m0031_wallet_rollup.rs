//! The wallet rollup (issue 20, DESIGN.md "Rules that keep it correct"):
//! an append-only account's balance without summing its history. A line
//! on such an account is `rolled` once the rollup has added it to the
//! account's stored balance; the balance is that stored total plus the
//! lines not rolled yet, which a partial index finds without reading the
//! rest. Lines on accounts that keep their balance (a member's) are never
//! rolled: they record their balance after, or (older than m0008) are
//! marked rolled here so no rollup ever picks them up.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0031_wallet_rollup"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("journal_lines"))
                .add_column(
                    ColumnDef::new(n("rolled"))
                        .boolean()
                        .not_null()
                        .default(false)
                        .take(),
                )
                .take(),
        )
        .await?;
        // The kinds that kept a balance when this was written (a later
        // change to the ledger's kinds must not change what this did).
        let db = m.get_connection();
        db.execute_unprepared(
            "UPDATE journal_lines SET rolled = TRUE WHERE balance_after IS NULL \
             AND account_id IN (SELECT id FROM accounts WHERE kind IN (\
             'member_principal', 'member_bonus', 'member_hold', 'member_points', \
             'member_points_hold', 'card_principal', 'card_bonus', 'card_online', \
             'card_cash', 'card_uses'))",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS journal_lines_unrolled ON journal_lines (account_id) \
             WHERE NOT rolled AND balance_after IS NULL",
        )
        .await?;
        Ok(())
    }
}
