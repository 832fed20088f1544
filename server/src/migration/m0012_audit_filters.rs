//! The audit log filtered by store and by who (issue 14): each entry keeps
//! the store it concerns, and both filters page by id without a scan.

use super::{index, n};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_audit_filters"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("audit_log"))
                .add_column(ColumnDef::new(n("store_id")).big_integer().null().take())
                .take(),
        )
        .await?;
        m.create_index(index(
            "audit_log_store",
            "audit_log",
            &["brand_id", "store_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "audit_log_staff",
            "audit_log",
            &["brand_id", "staff_id", "id"],
        ))
        .await?;
        m.create_index(index(
            "audit_log_action",
            "audit_log",
            &["brand_id", "action", "id"],
        ))
        .await
    }
}
