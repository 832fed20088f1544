//! A member's payments by member, newest first (issue 14): the member app's
//! home lists the stores they paid at before without scanning every payment.

use super::index;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_member_payments"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("payments_member", "payments", &["member_id", "id"]))
            .await
    }
}
