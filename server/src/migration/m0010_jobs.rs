//! One job runner (issue 12): each background job has a row that replicas
//! lease before running it (`jobs`), and the items a job could not handle
//! are kept per brand until one of its runs handles them (`job_failures`),
//! for HQ admin to see.

use super::{index, n};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(n("jobs"))
                .if_not_exists()
                .col(string(n("name")).primary_key())
                .col(big_integer(n("next_run_at")))
                .col(big_integer(n("lease_until")))
                .col(string_null(n("leased_by")))
                .col(big_integer(n("runs")))
                .col(big_integer_null(n("last_started_at")))
                .col(big_integer_null(n("last_finished_at")))
                .col(string_null(n("last_error")))
                .take(),
        )
        .await?;
        m.create_table(
            super::table("job_failures")
                .col(big_integer(n("brand_id")))
                .col(string(n("job")))
                .col(string(n("item")))
                .col(string(n("error")))
                .col(big_integer(n("attempts")))
                .col(big_integer(n("first_at")))
                .col(big_integer(n("last_at")))
                .take(),
        )
        .await?;
        m.create_index(
            index("job_failures_item", "job_failures", &["job", "item"])
                .unique()
                .take(),
        )
        .await?;
        m.create_index(index(
            "job_failures_brand",
            "job_failures",
            &["brand_id", "id"],
        ))
        .await?;
        Ok(())
    }
}
