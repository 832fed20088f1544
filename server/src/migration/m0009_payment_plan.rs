//! One payment plan (issue 12): a payment, and a split payment's gateway
//! order, record every source the plan names: the level discount, the
//! coupon, the points (their worth and how many), beside the principal,
//! bonus and online parts they already had; a payment also records the
//! points its refunds gave back. Rows written before hold zeros, which is
//! what they were.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_payment_plan"
    }
}

/// The columns each table gains, all `BIGINT NOT NULL DEFAULT 0`.
const COLUMNS: [(&str, &[&str]); 2] = [
    (
        "payments",
        &[
            "level_discount",
            "coupon",
            "points",
            "points_used",
            "refunded_points",
        ],
    ),
    (
        "gateway_orders",
        &["level_discount", "coupon", "points", "points_used"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one thing at a time.
        for (table, columns) in COLUMNS {
            for &column in columns {
                m.alter_table(
                    Table::alter()
                        .table(n(table))
                        .add_column(
                            ColumnDef::new(n(column))
                                .big_integer()
                                .not_null()
                                .default(0)
                                .take(),
                        )
                        .take(),
                )
                .await?;
            }
        }
        Ok(())
    }
}
