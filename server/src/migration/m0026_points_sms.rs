//! A member's agreement to be told by SMS when points are about to expire
//! (DESIGN.md: reminders go by SMS only to those who agreed). When they
//! agreed; none: they did not, or took it back.

use super::n;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0026_points_sms"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("members"))
                .add_column(big_integer_null(n("points_sms_at")))
                .take(),
        )
        .await
    }
}
