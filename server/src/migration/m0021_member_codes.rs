//! The member code and write-off (issue 17): each member's code id and
//! sealed TOTP secret with the last step accepted (a code is taken once,
//! and never one older than the last: `UPDATE … WHERE last_step < step`);
//! the short ticket a scan opens for one clerk at one store; and each
//! write-off made with a ticket, line by line (a card's use, a free-item
//! coupon), for the store's records and the undo.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_member_codes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(n("member_codes"))
                .if_not_exists()
                .col(big_integer(n("member_id")).primary_key())
                .col(big_integer(n("brand_id")))
                .col(string(n("code_id")))
                .col(string(n("secret")))
                .col(big_integer(n("last_step")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "member_codes_code_id",
                "member_codes",
                &["brand_id", "code_id"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_table(
            super::table("write_off_tickets")
                .col(string(n("token")))
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("store_id")))
                .col(big_integer(n("staff_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("expires_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("write_off_tickets_token", "write_off_tickets", &["token"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            super::table("write_offs")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("store_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("staff_id")))
                .col(big_integer(n("ticket_id")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("undone_at")))
                .col(big_integer_null(n("undone_by")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "write_offs_store",
            "write_offs",
            &["brand_id", "store_id", "id"],
        ))
        .await?;
        m.create_table(
            super::table("write_off_lines")
                .col(big_integer(n("write_off_id")))
                .col(string(n("kind")))
                .col(big_integer_null(n("card_id")))
                .col(big_integer_null(n("card_event_id")))
                .col(big_integer_null(n("coupon_id")))
                .col(big_integer(n("item_id")))
                .col(big_integer(n("amount")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "write_off_lines_write_off",
            "write_off_lines",
            &["write_off_id"],
        ))
        .await
    }
}
