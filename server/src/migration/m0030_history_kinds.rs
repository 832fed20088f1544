//! One history (issue 19): a member's entries of one kind, newest first,
//! read straight off an index, so a filter whose kind is rare among a
//! member's many entries does not scan them all.

use super::index;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0030_history_kinds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "journal_member_kind",
            "journal_entries",
            &["member_id", "kind", "id"],
        ))
        .await
    }
}
