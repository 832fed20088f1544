//! HQ's money settings per brand and its top-up plans (pay X get Y).

use super::n;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_money_settings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(n("money_settings"))
                .if_not_exists()
                .col(big_integer(n("brand_id")).primary_key())
                .col(big_integer(n("max_balance")))
                .col(big_integer(n("max_payment")))
                .col(integer(n("bonus_settle_bp")))
                .col(boolean(n("allow_custom_topup")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("topup_plans"))
                .if_not_exists()
                .col(big_pk_auto(n("id")))
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("pay_amount")))
                .col(big_integer(n("bonus_amount")))
                .col(boolean(n("active")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("topup_plans_brand")
                .table(n("topup_plans"))
                .col(n("brand_id"))
                .if_not_exists()
                .take(),
        )
        .await?;
        // What the store was credited for the bonus part of a payment, so
        // refunds take back exactly that share.
        m.alter_table(
            Table::alter()
                .table(n("payments"))
                .add_column(
                    ColumnDef::new(n("bonus_settled"))
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .take(),
        )
        .await?;
        Ok(())
    }
}
