//! Coupons (issue 16): HQ's templates, the coupons members hold, and the
//! guarded counters that keep a template's stock, a member's limit and a
//! staff member's daily quota under concurrency.
//!
//! `coupon_templates.issued` is the stock counter (raised by a guarded
//! `UPDATE … WHERE issued < stock`); `coupon_holdings` counts a member's
//! coupons of a template and `coupon_quota_used` a staff member's issues on
//! a business date, each raised by an insert-or-guarded-update, so the
//! limits hold when the requests arrive together. A coupon's state moves
//! issued → reserved → used | expired | revoked, each step a compare-and-set
//! on `state`.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_coupons"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            super::table("coupon_templates")
                .col(big_integer(n("brand_id")))
                .col(string(n("name")))
                .col(string(n("kind")))
                .col(big_integer(n("off_amount")))
                .col(big_integer(n("rate_bp")))
                .col(big_integer(n("cap")))
                .col(big_integer_null(n("item_id")))
                .col(big_integer(n("min_spend")))
                .col(string_null(n("valid_from")))
                .col(string_null(n("valid_until")))
                .col(big_integer_null(n("valid_days")))
                .col(big_integer(n("stock")))
                .col(big_integer(n("issued")))
                .col(big_integer(n("per_member")))
                .col(boolean(n("all_stores")))
                .col(boolean(n("claimable")))
                .col(boolean(n("issuable")))
                .col(boolean(n("on_sale")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "coupon_templates_name",
                "coupon_templates",
                &["brand_id", "name"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("coupon_template_stores"))
                .if_not_exists()
                .col(big_integer(n("template_id")))
                .col(big_integer(n("store_id")))
                .primary_key(Index::create().col(n("template_id")).col(n("store_id")))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("coupon_holdings"))
                .if_not_exists()
                .col(big_integer(n("template_id")))
                .col(big_integer(n("member_id")))
                .col(big_integer(n("held")))
                .primary_key(Index::create().col(n("template_id")).col(n("member_id")))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("coupon_quota_used"))
                .if_not_exists()
                .col(big_integer(n("staff_id")))
                .col(string(n("business_date")))
                .col(big_integer(n("used")))
                .primary_key(Index::create().col(n("staff_id")).col(n("business_date")))
                .take(),
        )
        .await?;
        m.create_table(
            super::table("coupons")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("template_id")))
                .col(big_integer(n("member_id")))
                .col(string(n("state")))
                .col(big_integer(n("starts_at")))
                .col(big_integer(n("ends_at")))
                .col(string(n("source")))
                .col(big_integer_null(n("issued_by")))
                .col(big_integer_null(n("issued_at_store")))
                .col(big_integer_null(n("payment_id")))
                .col(big_integer_null(n("gateway_order_id")))
                .col(big_integer(n("worth")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("used_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "coupons_member",
            "coupons",
            &["member_id", "state", "id"],
        ))
        .await?;
        m.create_index(index(
            "coupons_template",
            "coupons",
            &["template_id", "state"],
        ))
        .await?;
        // The coupon a split payment holds while its gateway leg runs.
        m.alter_table(
            Table::alter()
                .table(n("gateway_orders"))
                .add_column(big_integer_null(n("coupon_id")))
                .take(),
        )
        .await?;
        // HQ's daily quota of coupons each store manager or HQ staff member
        // may issue.
        m.alter_table(
            Table::alter()
                .table(n("money_settings"))
                .add_column(big_integer(n("coupon_quota")).default(20))
                .take(),
        )
        .await?;
        Ok(())
    }
}
