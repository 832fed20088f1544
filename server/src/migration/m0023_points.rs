//! Points (issue 18): HQ's points policy in the money settings; each
//! member's points in lots with their own expiry (`left` moves only by
//! guarded updates: `… SET left = left - n WHERE left >= n`); which lots a
//! payment spent from, so a refund gives them back where they came from;
//! what a payment earned and what refunds took back; and the points a refund
//! could not take back (owed, repaid first from later earnings).

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_points"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        let settings: [(&'static str, i64); 5] = [
            // Points per whole yuan of the member's own money (0: none).
            ("points_per_yuan", 0),
            // A lot lasts this many days (0: to the end of the next
            // calendar year in the brand's zone).
            ("points_expiry_days", 0),
            // Spending: every `points_step` points are worth
            // `points_step_worth` fen, up to `points_max_share_bp` of a bill.
            ("points_step", 100),
            ("points_step_worth", 100),
            ("points_max_share_bp", 0),
        ];
        for (column, default) in settings {
            m.alter_table(
                Table::alter()
                    .table(n("money_settings"))
                    .add_column(big_integer(n(column)).default(default))
                    .take(),
            )
            .await?;
        }
        for column in ["points_earned", "refunded_earned"] {
            m.alter_table(
                Table::alter()
                    .table(n("payments"))
                    .add_column(big_integer(n(column)).default(0))
                    .take(),
            )
            .await?;
        }
        m.create_table(
            super::table("point_lots")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("earned")))
                .col(big_integer(n("left_points")))
                .col(big_integer(n("expired")))
                .col(big_integer(n("expires_at")))
                // Set whenever points come back into the lot: an expiry
                // posted after it is stamped no earlier.
                .col(big_integer(n("touched_at")))
                .col(big_integer_null(n("payment_id")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "point_lots_member",
            "point_lots",
            &["brand_id", "member_id", "expires_at"],
        ))
        .await?;
        m.create_index(index(
            "point_lots_due",
            "point_lots",
            &["expires_at", "left_points"],
        ))
        .await?;
        // Points a payment spent from each lot (`points` > 0) and what its
        // refunds gave back (< 0).
        m.create_table(
            super::table("point_lot_spends")
                .col(big_integer(n("lot_id")))
                .col(big_integer(n("payment_id")))
                .col(big_integer(n("points")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "point_lot_spends_payment",
            "point_lot_spends",
            &["payment_id"],
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(n("points_owed"))
                .if_not_exists()
                .col(big_integer(n("member_id")).primary_key())
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("owed")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await
    }
}
