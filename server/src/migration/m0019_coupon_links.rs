//! The payment and the gateway order a coupon belongs to are looked up on
//! every refund and every split payment's end: both are indexed.

use super::index;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_coupon_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("coupons_payment", "coupons", &["payment_id"]))
            .await?;
        m.create_index(index(
            "coupons_gateway_order",
            "coupons",
            &["gateway_order_id"],
        ))
        .await
    }
}
