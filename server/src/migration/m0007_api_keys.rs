//! API keys for machines (issue 11): an ERP or till calls the API with a
//! key HQ admin created, scoped like a staff account (a role and its region
//! or store). Each key acts through a staff row of its own, marked
//! `api_key`, that cannot log in and is listed nowhere, so every rule a role
//! has applies to its keys unchanged and the audit log names the key.

use super::{index, n, table};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_api_keys"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("staff"))
                .add_column(
                    ColumnDef::new(n("api_key"))
                        .boolean()
                        .not_null()
                        .default(false)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_table(
            table("api_keys")
                .col(big_integer(n("brand_id")))
                .col(big_integer(n("staff_id")))
                .col(string(n("name")))
                .col(string(n("prefix")))
                .col(string(n("secret_hash")).unique_key())
                .col(big_integer(n("created_by")))
                .col(big_integer(n("created_at")))
                .col(big_integer_null(n("revoked_at")))
                .col(big_integer_null(n("revoked_by")))
                .col(big_integer_null(n("last_used_at")))
                .take(),
        )
        .await?;
        m.create_index(index("api_keys_brand", "api_keys", &["brand_id", "id"]))
            .await?;
        Ok(())
    }
}
