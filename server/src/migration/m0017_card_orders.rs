//! Buying a card through the payment gateway (issue 15): the order names
//! the card type it pays for; the card it opened names the order (by its
//! `op_ref`), so 退卡 sends the online part back through it.

use super::n;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0017_card_orders"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("gateway_orders"))
                .add_column(
                    ColumnDef::new(n("card_type_id"))
                        .big_integer()
                        .null()
                        .take(),
                )
                .take(),
        )
        .await
    }
}
