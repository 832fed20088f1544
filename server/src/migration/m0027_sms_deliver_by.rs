//! When an SMS stops being worth delivering. A login code's message lapses
//! ten minutes after it is queued (as every message did before); a points
//! reminder lasts to the end of the brand's daytime. The sender delivers
//! the soonest to lapse first, so a login code does not wait behind a run
//! of reminders, and reads only what is still worth sending (indexed).

use super::n;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0027_sms_deliver_by"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(n("notifications"))
                .add_column(big_integer(n("deliver_by")).default(0))
                .take(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared("UPDATE notifications SET deliver_by = created_at + 600000")
            .await?;
        m.create_index(super::index(
            "notifications_deliver_by",
            "notifications",
            &["deliver_by"],
        ))
        .await
    }
}
