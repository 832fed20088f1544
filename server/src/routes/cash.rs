//! 现金上缴: HQ finance records counter cash a store handed in
//! ([`crate::wallet::cash`]).

use crate::auth::{HqFinance, StaffCaller};
use crate::error::{AppJson, AppPath, AppResult};
use crate::idempotency::IdemKey;
use crate::routes::Api;
use crate::state::AppState;
use crate::wallet::cash;
use axum::extract::State;
use axum::response::Response;
use shared::api;
use shared::dto::CashHandInInput;

/// Routes.
pub fn router() -> Api {
    Api::new().at(api::HandInCash, hand_in)
}

/// HQ finance: the store handed in `amount` of its counter cash (at most
/// what it holds), under the deposit's reference. Idempotent on the key.
async fn hand_in(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(store_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<CashHandInInput>,
) -> AppResult<Response> {
    cash::hand_in(&state, caller.actor(), store_id, key, req).await
}
