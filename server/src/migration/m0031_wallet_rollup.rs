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
        let kept: Vec<String> = crate::ledger::Kind::ALL
            .iter()
            .filter(|k| k.keeps_balance())
            .map(|k| format!("'{}'", k.as_str()))
            .collect();
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "UPDATE journal_lines SET rolled = TRUE WHERE balance_after IS NULL \
             AND account_id IN (SELECT id FROM accounts WHERE kind IN ({}))",
            kept.join(", ")
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX IF NOT EXISTS journal_lines_unrolled ON journal_lines (account_id) \
             WHERE NOT rolled AND balance_after IS NULL",
        )
        .await?;
        Ok(())
    }
}
