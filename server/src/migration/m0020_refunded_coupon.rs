//! A payment records the coupon's part its refunds gave back (with the
//! coupon, in full or not at all), so a payment the coupon covered in full,
//! with no money to refund, can be voided once and the coupon comes back.
//! Payments refunded in full before had their coupon given back: they get
//! its part.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_refunded_coupon"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("payments"))
                .add_column(
                    ColumnDef::new(n("refunded_coupon"))
                        .big_integer()
                        .not_null()
                        .default(0)
                        .take(),
                )
                .take(),
        )
        .await?;
        let paid = Expr::col(n("principal"))
            .add(Expr::col(n("bonus")))
            .add(Expr::col(n("gateway")));
        let refunded = Expr::col(n("refunded_principal"))
            .add(Expr::col(n("refunded_bonus")))
            .add(Expr::col(n("refunded_gateway")));
        m.exec_stmt(
            Query::update()
                .table(n("payments"))
                .value(n("refunded_coupon"), Expr::col(n("coupon")))
                .and_where(Expr::col(n("coupon")).gt(0))
                .and_where(Expr::expr(refunded).eq(paid))
                .and_where(Expr::col(n("amount")).gt(0))
                .take(),
        )
        .await
    }
}
