//! Invites (issue 19): HQ's programme per brand, a code per member (unique
//! in the brand), one invite per invited member (unique: bound once), and
//! a counter per inviter and day for the cap on their rewards.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0029_invites"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(n("invite_policies"))
                .if_not_exists()
                .col(big_integer(n("brand_id")).primary_key())
                .col(text(n("policy")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(n("invite_codes"))
                .if_not_exists()
                .col(big_integer(n("member_id")).primary_key())
                .col(big_integer(n("brand_id")))
                .col(string(n("code")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index(
                "invite_codes_brand_code",
                "invite_codes",
                &["brand_id", "code"],
            )
            .unique()
            .take(),
        )
        .await?;
        m.create_table(
            super::table("invites")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("inviter_id")))
                .col(big_integer(n("invitee_id")))
                .col(string(n("state")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("min_payment")))
                .col(big_integer(n("window_ms")))
                .col(big_integer_null(n("payment_id")))
                .col(big_integer_null(n("due_at")))
                .col(big_integer_null(n("rewarded_at")))
                .col(big_integer(n("inviter_points")))
                .col(big_integer(n("invitee_points")))
                .col(big_integer_null(n("inviter_coupon_id")))
                .col(big_integer_null(n("invitee_coupon_id")))
                .col(boolean(n("inviter_capped")))
                .take(),
        )
        .await?;
        m.create_index(
            index("invites_invitee", "invites", &["invitee_id"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index("invites_inviter", "invites", &["inviter_id", "id"]).take())
            .await?;
        m.create_index(index("invites_due", "invites", &["state", "due_at"]).take())
            .await?;
        m.create_table(
            Table::create()
                .table(n("invite_reward_days"))
                .if_not_exists()
                .col(big_integer(n("inviter_id")))
                .col(string(n("date")))
                .col(big_integer(n("given")))
                .primary_key(Index::create().col(n("inviter_id")).col(n("date")))
                .take(),
        )
        .await
    }
}
