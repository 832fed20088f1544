//! Reading the audit log (HQ): one call into [`crate::audit::page`].

use crate::auth::{HqMoney, StaffCaller};
use crate::error::{AppQuery, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AuditEntry, AuditQuery, Page};

/// Routes.
pub fn router() -> Api {
    Api::new().at(api::ListAudit, list)
}

/// HQ: every staff action, newest first, filtered by who, what, store and
/// date.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(query): AppQuery<AuditQuery>,
) -> AppResult<Json<Page<AuditEntry>>> {
    let zone = caller.brand.time_zone.clone();
    Ok(Json(
        crate::audit::page(&state.db, caller.brand.id, &zone, &query).await?,
    ))
}
