//! Brands, regions, stores, staff, members, sessions, SMS codes and sends,
//! the notification outbox and the audit log.

use super::{index, n, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_foundation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            table("brands")
                .col(string_len_uniq(n("slug"), 32))
                .col(string(n("name")))
                .col(string(n("time_zone")))
                .col(string(n("theme_color")))
                .col(string_null(n("logo_url")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_table(
            table("regions")
                .col(big_integer(n("brand_id")))
                .col(string(n("name")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("regions_brand_name", "regions", &["brand_id", "name"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            table("stores")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("region_id")))
                .col(string(n("name")))
                .col(string(n("address")))
                .col(string(n("phone")))
                .col(string(n("hours")))
                .col(boolean(n("is_default")))
                .col(boolean(n("active")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("stores_brand_name", "stores", &["brand_id", "name"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index("stores_region", "stores", &["region_id"]))
            .await?;
        // Exactly one default store per brand: at most one by this partial
        // index, at least one because the default can only be moved, never unset.
        m.get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX IF NOT EXISTS stores_one_default ON stores (brand_id) WHERE is_default",
            )
            .await?;
        m.create_table(
            table("staff")
                .col(big_integer(n("brand_id")))
                .col(string(n("account")))
                .col(string(n("name")))
                .col(string(n("role")))
                .col(big_integer_null(n("region_id")))
                .col(big_integer_null(n("store_id")))
                .col(string(n("password_hash")))
                .col(boolean(n("active")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("staff_brand_account", "staff", &["brand_id", "account"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            table("members")
                .col(big_integer(n("brand_id")))
                .col(string(n("phone")))
                .col(string(n("name")))
                .col(string_null(n("birthday")))
                .col(string_null(n("gender")))
                .col(big_integer_null(n("home_store_id")))
                .col(big_integer(n("registered_at")))
                .col(big_integer(n("consent_at")))
                .col(boolean(n("frozen")))
                .col(big_integer_null(n("invited_by")))
                .take(),
        )
        .await?;
        m.create_index(
            index("members_brand_phone", "members", &["brand_id", "phone"])
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            table("sessions")
                .col(string_uniq(n("token_hash")))
                .col(string(n("kind")))
                .col(big_integer(n("subject_id")))
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("expires_at")))
                .col(big_integer_null(n("revoked_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "sessions_subject",
            "sessions",
            &["kind", "subject_id"],
        ))
        .await?;
        m.create_table(
            table("sms_codes")
                .col(big_integer(n("brand_id")))
                .col(string(n("phone")))
                .col(string(n("code_hash")))
                .col(big_integer(n("created_at")))
                .col(big_integer(n("expires_at")))
                .col(integer(n("failed_attempts")))
                .col(big_integer_null(n("used_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "sms_codes_brand_phone",
            "sms_codes",
            &["brand_id", "phone"],
        ))
        .await?;
        m.create_table(
            table("sms_sends")
                .col(string(n("phone")))
                .col(string(n("client_ip")))
                .col(big_integer(n("sent_at")))
                .take(),
        )
        .await?;
        m.create_index(index("sms_sends_phone", "sms_sends", &["phone", "sent_at"]))
            .await?;
        m.create_index(index(
            "sms_sends_ip",
            "sms_sends",
            &["client_ip", "sent_at"],
        ))
        .await?;
        m.create_table(
            table("notifications")
                .col(big_integer_null(n("brand_id")))
                .col(string(n("channel")))
                .col(string(n("recipient")))
                .col(text(n("body")))
                .col(big_integer(n("created_at")))
                .take(),
        )
        .await?;
        m.create_index(index(
            "notifications_recipient",
            "notifications",
            &["recipient"],
        ))
        .await?;
        m.create_table(
            table("audit_log")
                .col(big_integer(n("brand_id")))
                .col(big_integer_null(n("staff_id")))
                .col(string(n("action")))
                .col(string(n("target")))
                .col(text(n("detail")))
                .col(big_integer(n("at")))
                .take(),
        )
        .await?;
        m.create_index(index("audit_log_brand", "audit_log", &["brand_id", "id"]))
            .await?;
        Ok(())
    }
}
