//! The card wallet (issue 15): service items, card types (count and period)
//! with their looks, the cards members hold and what happened to each.
//!
//! A card's money lives in the ledger (its own accounts per funding source,
//! `ledger::Kind::Card*`); these tables say what the card is and which
//! stores and items it covers. `card_events` is a card's own history (bought,
//! each use and its undo, extended, refunded, expired); a use row is what a
//! period card's daily limit counts.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_cards"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            super::table("service_items")
                .col(big_integer(n("brand_id")))
                .col(string(n("name")))
                .col(string(n("category")))
                .col(big_integer(n("price")))
                .col(boolean(n("all_stores")))
                .col(boolean(n("on_sale")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("service_items_name", "service_items", &["brand_id", "name"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("service_item_stores"))
                .if_not_exists()
                .col(big_integer(n("item_id")))
                .col(big_integer(n("store_id")))
                .primary_key(Index::create().col(n("item_id")).col(n("store_id")))
                .take(),
        )
        .await?;
        m.create_table(
            super::table("card_types")
                .col(big_integer(n("brand_id")))
                .col(string(n("name")))
                .col(string(n("kind")))
                .col(big_integer_null(n("uses")))
                .col(string_null(n("period")))
                .col(big_integer_null(n("per_day_limit")))
                .col(big_integer_null(n("valid_days")))
                .col(big_integer(n("price")))
                .col(string(n("theme_color")))
                .col(string_null(n("image_hash")))
                .col(string(n("description")))
                .col(boolean(n("sold_everywhere")))
                .col(boolean(n("honoured_everywhere")))
                .col(boolean(n("on_sale")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("card_types_name", "card_types", &["brand_id", "name"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("card_type_items"))
                .if_not_exists()
                .col(big_integer(n("card_type_id")))
                .col(big_integer(n("item_id")))
                .primary_key(Index::create().col(n("card_type_id")).col(n("item_id")))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("card_type_stores"))
                .if_not_exists()
                .col(big_integer(n("card_type_id")))
                .col(big_integer(n("store_id")))
                .col(boolean(n("sold")))
                .col(boolean(n("honoured")))
                .primary_key(Index::create().col(n("card_type_id")).col(n("store_id")))
                .take(),
        )
        .await?;
        m.create_table(
            super::table("member_cards")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("card_type_id")))
                .col(string(n("kind")))
                .col(string(n("name")))
                .col(big_integer(n("price")))
                .col(big_integer_null(n("uses_total")))
                .col(big_integer_null(n("per_day_limit")))
                .col(string(n("starts_on")))
                .col(string_null(n("ends_on")))
                .col(string_null(n("released_through")))
                .col(string(n("state")))
                .col(string(n("channel")))
                .col(big_integer(n("store_id")))
                .col(string(n("op_ref")))
                .col(big_integer(n("bought_at")))
                .col(big_integer_null(n("closed_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("member_cards_op", "member_cards", &["brand_id", "op_ref"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index(
            "member_cards_member",
            "member_cards",
            &["member_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "member_cards_state",
            "member_cards",
            &["state", "kind", "ends_on"],
        ))
        .await?;
        m.create_table(
            super::table("card_events")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("card_id")))
                .col(string(n("kind")))
                .col(big_integer_null(n("store_id")))
                .col(big_integer_null(n("item_id")))
                .col(big_integer(n("amount")))
                .col(big_integer(n("uses")))
                .col(string_null(n("ends_on")))
                .col(big_integer_null(n("entry_id")))
                .col(big_integer_null(n("undoes")))
                .col(string(n("business_date")))
                .col(string(n("actor")))
                .col(big_integer(n("at")))
                .take(),
        )
        .await?;
        m.create_index(index("card_events_card", "card_events", &["card_id", "id"]))
            .await?;
        // A use is undone once: the undo names it, and only one may.
        m.create_index(
            index("card_events_undoes", "card_events", &["undoes"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("card_images"))
                .if_not_exists()
                .col(string(n("hash")).primary_key())
                .col(big_integer(n("brand_id")))
                .col(string(n("mime")))
                .col(integer(n("width")))
                .col(integer(n("height")))
                .col(blob(n("bytes")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        Ok(())
    }
}
