//! The ledger: accounts, journal entries and their lines, payments, and the
//! idempotency records of value-moving requests.

use super::{index, n, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_ledger"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("accounts")
                .col(big_integer(n("brand_id")))
                .col(string(n("kind")))
                // The member or store it belongs to; 0 for the brand's own accounts.
                .col(big_integer(n("owner_id")))
                // Kept for accounts debited under a lock (members); zero for
                // append-only accounts, whose balance is the sum of their lines.
                .col(big_integer(n("balance")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "accounts_owner",
                "accounts",
                &["brand_id", "kind", "owner_id"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_table(
            table("journal_entries")
                .col(big_integer(n("brand_id")))
                .col(string(n("kind")))
                .col(string(n("op_ref")))
                .col(big_integer_null(n("store_id")))
                .col(big_integer_null(n("member_id")))
                .col(big_integer(n("member_delta")))
                .col(big_integer_null(n("member_balance_after")))
                .col(string(n("actor")))
                .col(string(n("business_date")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("reverses_id")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "journal_op",
                "journal_entries",
                &["brand_id", "kind", "op_ref"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_index(index(
            "journal_member",
            "journal_entries",
            &["member_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "journal_store_date",
            "journal_entries",
            &["store_id", "business_date"],
        ))
        .await?;
        m.create_table(
            table("journal_lines")
                .col(big_integer(n("entry_id")))
                .col(big_integer(n("account_id")))
                .col(big_integer(n("amount")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "journal_lines_account",
            "journal_lines",
            &["account_id"],
        ))
        .await?;
        m.create_index(index("journal_lines_entry", "journal_lines", &["entry_id"]))
            .await?;
        m.create_table(
            table("payments")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("store_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("original")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("principal")))
                .col(big_integer(n("bonus")))
                .col(big_integer(n("refunded_principal")))
                .col(big_integer(n("refunded_bonus")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index("payments_store", "payments", &["store_id", "id"]))
            .await?;
        m.create_table(
            table("idempotency_keys")
                .col(big_integer(n("brand_id")))
                .col(string(n("caller")))
                .col(string(n("route")))
                .col(string(n("key")))
                .col(string(n("body_hash")))
                .col(integer_null(n("status")))
                .col(text_null(n("response")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "idempotency_scope",
                "idempotency_keys",
                &["brand_id", "caller", "route", "key"],
            )
            .unique()
            .take(),
        )
        .await?;
        Ok(())
    }
}
