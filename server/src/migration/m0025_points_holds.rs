//! Points held by a split payment (issue 18): while the gateway leg runs,
//! the points the plan spends are taken from the member's lots at once
//! (guarded, as any spending) and recorded here per lot under the gateway
//! order; when the gateway says paid they become the payment's spends (a
//! refund gives them back where they came from), and when the order fails
//! or expires they go back to the same lots.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0025_points_holds"
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
        .await
    }
}
