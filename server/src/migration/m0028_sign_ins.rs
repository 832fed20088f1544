//! Daily sign-in (issue 19): HQ's rewards per brand, and one row per member
//! per business date, unique, so that signing in is an insert or nothing
//! (two taps, two replicas: one sign-in, one reward).

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0028_sign_ins"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(n("sign_in_policies"))
                .if_not_exists()
                .col(big_integer(n("brand_id")).primary_key())
                .col(boolean(n("enabled")))
                .col(big_integer(n("daily_points")))
                .col(text(n("streak_rewards")))
                .col(big_integer(n("updated_at")))
                .take(),
        )
        .await?;
        m.create_table(
            super::table("sign_ins")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("member_id")))
                .col(string(n("date")))
                .col(integer(n("streak")))
                .col(big_integer(n("points")))
                .col(big_integer(n("bonus")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("sign_ins_member_date", "sign_ins", &["member_id", "date"])
                .unique()
                .take(),
        )
        .await
    }
}
