//! Member levels (issue 18): HQ's levels (a threshold on cumulative spend,
//! the level's discount, points multiplier, birthday coupon and card look);
//! each member's cumulative spend (payments net of refunds) and the most it
//! ever reached (what counts where refunds do not lower levels), moved in
//! the payment's and the refund's transaction, and filled here from the
//! payments already made; the birthday gifts given (once a year each); whether refunds lower
//! levels; the birthday-month points multiplier.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_levels"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        m.alter_table(
            Table::alter()
                .table(n("money_settings"))
                .add_column(big_integer(n("points_birthday_bp")).default(10_000))
                .take(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(n("money_settings"))
                .add_column(boolean(n("levels_refund_lower")).default(false))
                .take(),
        )
        .await?;
        for column in ["spent", "peak_spent"] {
            m.alter_table(
                Table::alter()
                    .table(n("members"))
                    .add_column(big_integer(n(column)).default(0))
                    .take(),
            )
            .await?;
        }
        // What members paid before levels were kept counts too: each
        // payment's money (stored value and online) net of its refunds.
        let paid = "(SELECT COALESCE(SUM(p.principal + p.bonus + p.gateway \
            - p.refunded_principal - p.refunded_bonus - p.refunded_gateway), 0) \
            FROM payments p WHERE p.member_id = members.id)";
        m.get_connection()
            .execute_unprepared(&format!(
                "UPDATE members SET spent = {paid}, peak_spent = {paid}"
            ))
            .await?;
        m.create_table(
            super::table("member_levels")
                .col(big_integer(n("brand_id")))
                .col(string(n("name")))
                .col(big_integer(n("threshold")))
                .col(integer(n("pay_rate_bp")))
                .col(integer(n("points_rate_bp")))
                .col(big_integer_null(n("birthday_coupon_id")))
                .col(string(n("look")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "member_levels_brand",
            "member_levels",
            &["brand_id", "threshold"],
        ))
        .await?;
        // The birthday gift: one row per member per year, the unique key
        // deciding between replicas (`INSERT … ON CONFLICT DO NOTHING`).
        m.create_table(
            super::table("birthday_gifts")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("member_id")))
                .col(integer(n("year")))
                .col(big_integer_null(n("coupon_id")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        let mut once = index(
            "birthday_gifts_once",
            "birthday_gifts",
            &["member_id", "year"],
        );
        once.unique();
        m.create_index(once).await
    }
}
