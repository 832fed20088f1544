//! 退款异常 over HTTP: gateway refunds the gateway refused for good, listed
//! for HQ and resolved by HQ finance. Each is one call into
//! [`crate::gateway_orders::refund_tasks`].

use crate::auth::{HqFinance, HqMoney, StaffCaller};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::gateway_orders::refund_tasks;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::StateQuery;
use shared::dto::{Page, RefundTask, ResolveRefundInput};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListRefundTasks, list)
        .at(api::ResolveRefundTask, resolve)
}

/// HQ admin or finance: refunds refused for good, open or settled, newest
/// first, keyset-paged.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(q): AppQuery<StateQuery>,
) -> AppResult<Json<Page<RefundTask>>> {
    Ok(Json(
        refund_tasks::list(&state.db, caller.brand.id, &q).await?,
    ))
}

/// HQ finance: send a refused refund's money back one way or the other.
async fn resolve(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<ResolveRefundInput>,
) -> AppResult<Json<RefundTask>> {
    Ok(Json(
        refund_tasks::resolve(&state, &caller.actor(), id, &req).await?,
    ))
}
