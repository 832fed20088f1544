//! Reading the audit log (HQ): one call into [`crate::audit::page`].

use crate::auth::{HqMoney, StaffCaller};
use crate::error::{AppQuery, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AfterQuery, AuditEntry, Page};

/// Routes.
pub fn router() -> Api {
    Api::new().at(api::ListAudit, list)
}

/// HQ: every staff action, newest first.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<AuditEntry>>> {
    Ok(Json(
        crate::audit::page(&state.db, caller.brand.id, query.after).await?,
    ))
}
