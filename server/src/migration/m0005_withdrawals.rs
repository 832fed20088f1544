//! Withdrawals: stores' payee accounts (number encrypted at rest), withdrawal
//! requests and their payout attempts (the outbox), the built-in sandbox
//! payout channel's own records, staff's in-app messages, and HQ's minimum
//! and fee.

use super::{index, n, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_withdrawals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("payee_accounts")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("store_id")))
                .col(string(n("account_name")))
                .col(string(n("bank_name")))
                // AES-256-GCM, `v1:` + hex(nonce ‖ ciphertext).
                .col(string(n("account_no_enc")))
                .col(string(n("account_no_last4")))
                // pending | approved | rejected | superseded
                .col(string(n("state")))
                .col(big_integer(n("requested_by")))
                .col(big_integer(n("requested_at")))
                .col(big_integer_null(n("decided_by")))
                .col(big_integer_null(n("decided_at")))
                .col(string_null(n("reason")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "payee_accounts_store",
                "payee_accounts",
                &["brand_id", "store_id", "state"],
            )
            .take(),
        )
        .await?;
        m.create_table(
            table("withdrawals")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("store_id")))
                .col(big_integer(n("region_id")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("fee")))
                // requested | approved | submitted | paid | failed | unknown
                // | cancelled | rejected
                .col(string(n("state")))
                .col(big_integer(n("payee_id")))
                .col(big_integer(n("requested_by")))
                .col(big_integer(n("requested_at")))
                // The brand's local date of the request, for filters.
                .col(string(n("business_date")))
                .col(big_integer_null(n("decided_by")))
                .col(big_integer_null(n("decided_at")))
                .col(string_null(n("reason")))
                .col(integer(n("attempts")))
                .col(string_null(n("payout_no")))
                .col(big_integer_null(n("paid_at")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await?;
        for (name, cols) in [
            ("withdrawals_brand", &["brand_id", "id"][..]),
            ("withdrawals_store", &["brand_id", "store_id", "id"][..]),
            ("withdrawals_state", &["brand_id", "state", "id"][..]),
        ] {
            m.create_index(index(name, "withdrawals", cols).take())
                .await?;
        }
        // The outbox: one row per payout attempt, written in the approval's
        // transaction and sent afterwards; `payout_no` is the attempt's
        // stable id at the channel, which pays each number at most once.
        m.create_table(
            table("payout_attempts")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("withdrawal_id")))
                .col(string(n("payout_no")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("payee_id")))
                // pending | submitted | unknown | paid | failed
                .col(string(n("state")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("sent_at")))
                .col(big_integer_null(n("settled_at")))
                .col(string_null(n("failure")))
                .col(integer(n("tries")))
                .take(),
        )
        .await?;
        m.create_index(
            index("payout_attempts_no", "payout_attempts", &["payout_no"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index("payout_attempts_state", "payout_attempts", &["state", "id"]).take())
            .await?;
        // The sandbox payout channel's own book (stands for the provider's).
        m.create_table(
            table("sandbox_payouts")
                .col(string(n("payout_no")))
                .col(big_integer(n("amount")))
                .col(string(n("account_name")))
                .col(string(n("account_no_last4")))
                // processing | success | failed
                .col(string(n("state")))
                .col(string(n("outcome")))
                .col(big_integer(n("settles_at")))
                .col(integer(n("submits")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("sandbox_payouts_no", "sandbox_payouts", &["payout_no"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            table("staff_messages")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("staff_id")))
                // withdrawal | payee
                .col(string(n("topic")))
                .col(big_integer(n("subject_id")))
                .col(string(n("state")))
                .col(big_integer_null(n("amount")))
                .col(big_integer(n("store_id")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("read_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "staff_messages_staff",
                "staff_messages",
                &["staff_id", "id"],
            )
            .take(),
        )
        .await?;
        for (name, default) in [
            ("withdraw_min", 10_000),
            ("withdraw_fee_fixed", 0),
            ("withdraw_fee_bp", 0),
        ] {
            m.alter_table(
                Table::alter()
                    .table(n("money_settings"))
                    .add_column(
                        ColumnDef::new(n(name))
                            .big_integer()
                            .not_null()
                            .default(default)
                            .take(),
                    )
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
