//! Points held by a split payment (issue 18): while the gateway leg runs,
//! the points the plan spends are taken from the member's lots at once
//! (guarded, as any spending) and recorded here per lot under the gateway
//! order; when the gateway says paid they become the payment's spends (a
//! refund gives them back where they came from), and when the order fails
//! or expires they go back to the same lots.
//!
//! Points reminders: how many days before expiry HQ has members reminded
//! (0: never), when each member was last reminded (at most one a week, a
//! guarded update decides), and each reminder sent (what it told: the
//! points and when they expire), which the member's message centre shows.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_points_holds_reminders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            super::table("point_lot_holds")
                .col(big_integer(n("order_id")))
                .col(big_integer(n("lot_id")))
                .col(big_integer(n("points")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "point_lot_holds_order",
            "point_lot_holds",
            &["order_id"],
        ))
        .await?;
        m.alter_table(
            Table::alter()
                .table(n("money_settings"))
                .add_column(big_integer(n("points_remind_days")).default(30))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(n("members"))
                .add_column(big_integer_null(n("points_reminded_at")))
                .take(),
        )
        .await?;
        m.create_table(
            super::table("points_reminders")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("points")))
                .col(big_integer(n("expires_at")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "points_reminders_member",
            "points_reminders",
            &["member_id", "created_at"],
        ))
        .await
    }
}
