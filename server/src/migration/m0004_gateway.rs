//! The payment gateway: our orders and refunds at the gateway, the built-in
//! sandbox gateway's own records, member payment PINs, and HQ's PIN-free
//! limit and channel link.

use super::{index, n, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_gateway"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Our side: one row per order sent to the gateway.
        m.create_table(
            table("gateway_orders")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("member_id")))
                // `topup` for now; split payments later.
                .col(string(n("purpose")))
                .col(string(n("order_no")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("bonus")))
                .col(big_integer_null(n("plan_id")))
                // created | paid | failed | closed
                .col(string(n("state")))
                .col(string_null(n("txn_id")))
                .col(string_null(n("checkout_url")))
                .col(string(n("idem_key")))
                .col(string(n("body_hash")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("expires_at")))
                .col(big_integer_null(n("paid_at")))
                .col(big_integer_null(n("closed_at")))
                .col(big_integer_null(n("last_query_at")))
                // Paid after we had closed it (credited, and flagged for HQ).
                .col(boolean(n("late")))
                // What has been sent back through the gateway.
                .col(big_integer(n("refunded")))
                .take(),
        )
        .await?;
        m.create_index(
            index("gateway_orders_no", "gateway_orders", &["order_no"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "gateway_orders_key",
                "gateway_orders",
                &["brand_id", "member_id", "idem_key"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_index(
            index(
                "gateway_orders_open",
                "gateway_orders",
                &["state", "created_at"],
            )
            .take(),
        )
        .await?;
        m.create_index(
            index("gateway_orders_txn", "gateway_orders", &["txn_id"])
                .unique()
                .take(),
        )
        .await?;
        // Refunds through the gateway, sent by an outbox after commit.
        m.create_table(
            table("gateway_refunds")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("order_id")))
                .col(string(n("refund_no")))
                .col(big_integer(n("amount")))
                // pending | succeeded | failed
                .col(string(n("state")))
                .col(string(n("reason")))
                .col(integer(n("attempts")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("done_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("gateway_refunds_no", "gateway_refunds", &["refund_no"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index("gateway_refunds_state", "gateway_refunds", &["state"]).take())
            .await?;
        // Nonces of gateway callbacks seen (a replayed callback is refused).
        m.create_table(
            table("gateway_nonces")
                .col(string(n("nonce")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("gateway_nonces_nonce", "gateway_nonces", &["nonce"])
                .unique()
                .take(),
        )
        .await?;
        // The sandbox gateway's own books (what a real provider keeps).
        m.create_table(
            table("sandbox_trades")
                .col(string(n("merchant_id")))
                .col(string(n("order_no")))
                .col(big_integer(n("amount")))
                .col(string(n("description")))
                .col(string(n("notify_url")))
                .col(string(n("return_url")))
                // NOTPAY | SUCCESS | PAYERROR | CLOSED
                .col(string(n("state")))
                .col(string_null(n("txn_id")))
                .col(big_integer_null(n("paid_at")))
                .col(big_integer(n("refunded")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("expires_at")))
                .col(integer(n("notify_attempts")))
                .col(integer(n("notify_acks")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "sandbox_trades_no",
                "sandbox_trades",
                &["merchant_id", "order_no"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_table(
            table("sandbox_refunds")
                .col(string(n("merchant_id")))
                .col(string(n("refund_no")))
                .col(string(n("order_no")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "sandbox_refunds_no",
                "sandbox_refunds",
                &["merchant_id", "refund_no"],
            )
            .unique()
            .take(),
        )
        .await?;
        // One-off pay codes carrying a fixed amount (paid at most once).
        m.create_table(
            table("pay_requests")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("store_id")))
                .col(string(n("token")))
                .col(big_integer(n("amount")))
                // open | paid
                .col(string(n("state")))
                .col(big_integer_null(n("payment_id")))
                .col(big_integer(n("created_by")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("expires_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("pay_requests_token", "pay_requests", &["token"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("member_pins"))
                .if_not_exists()
                .col(big_integer(n("member_id")).primary_key())
                .col(string(n("pin_hash")))
                .col(integer(n("failures")))
                .col(big_integer_null(n("locked_until")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await?;
        // Split payments: the stored-value part held while the gateway leg
        // runs lives on the order; the payment row is written when it settles.
        for col in [
            ColumnDef::new(n("store_id")).big_integer().null().take(),
            ColumnDef::new(n("original"))
                .big_integer()
                .not_null()
                .default(0)
                .take(),
            ColumnDef::new(n("sv_principal"))
                .big_integer()
                .not_null()
                .default(0)
                .take(),
            ColumnDef::new(n("sv_bonus"))
                .big_integer()
                .not_null()
                .default(0)
                .take(),
            ColumnDef::new(n("payment_id")).big_integer().null().take(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(n("gateway_orders"))
                    .add_column(col)
                    .take(),
            )
            .await?;
        }
        for col in [
            ColumnDef::new(n("gateway"))
                .big_integer()
                .not_null()
                .default(0)
                .take(),
            ColumnDef::new(n("refunded_gateway"))
                .big_integer()
                .not_null()
                .default(0)
                .take(),
            ColumnDef::new(n("gateway_order_id"))
                .big_integer()
                .null()
                .take(),
        ] {
            m.alter_table(Table::alter().table(n("payments")).add_column(col).take())
                .await?;
        }
        for col in [
            ColumnDef::new(n("pin_above"))
                .big_integer()
                .not_null()
                .default(20_000)
                .take(),
            ColumnDef::new(n("channel_url")).string().null().take(),
        ] {
            m.alter_table(
                Table::alter()
                    .table(n("money_settings"))
                    .add_column(col)
                    .take(),
            )
            .await?;
        }
        Ok(())
    }
}
