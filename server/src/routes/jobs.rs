//! HQ admin: the items the brand's background jobs could not handle.

use crate::auth::{HqAdmin, StaffCaller};
use crate::clock::rfc3339;
use crate::error::{AppError, AppQuery, AppResult};
use crate::jobs;
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AfterQuery, JobFailure, JobName, Page};

/// Routes.
pub fn router() -> Api {
    Api::new().at(api::ListJobFailures, list_failures)
}

/// HQ admin: the brand's failed job items, newest first.
async fn list_failures(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppQuery(q): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<JobFailure>>> {
    let rows = jobs::failures(&state.db, Some(caller.brand.id), q.after, PAGE_SIZE + 1).await?;
    let (rows, next_cursor) = split_page(rows, |f| f.id);
    let items = rows
        .into_iter()
        .map(|f| {
            let job = JobName::parse(&f.job).ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("unknown job {} in job_failures", f.job))
            })?;
            Ok(JobFailure {
                id: f.id,
                job,
                item: f.item,
                error: f.error,
                attempts: f.attempts,
                first_at: rfc3339(f.first_at),
                last_at: rfc3339(f.last_at),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Json(Page { items, next_cursor }))
}
