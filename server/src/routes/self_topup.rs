//! Member self top-up and split payments through the payment gateway, HQ's
//! flagged orders, and the gateway's callback. Each is one call into
//! [`crate::gateway_orders`].

use crate::auth::{ActiveMember, HqMoney, MemberCaller, StaffCaller};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult};
use crate::gateway_orders::{self, flagged, self_topup};
use crate::idempotency::IdemKey;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use shared::api;
use shared::dto::AfterQuery;
use shared::dto::{FlaggedOrder, Page, PaymentRequest, TopUpOrderRequest, TopUpOrderView};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StartTopUp, start)
        .at(api::TopUpStatus, status)
        .at(api::CloseTopUp, give_up)
        .at(api::StartSplitPayment, start_split)
        .at(api::ListGatewayFlags, flagged)
        .at(api::GatewayNotify, notify)
}

/// Member (not frozen): start a top-up; answers the order with its hosted
/// checkout. Idempotent on the `Idempotency-Key`: the same key and body give
/// the same order (and create it at the gateway if that failed before).
async fn start(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppJson(req): AppJson<TopUpOrderRequest>,
) -> AppResult<Response> {
    let order = self_topup::top_up(&state, &caller.brand, caller.member.id, &key, &req).await?;
    Ok((StatusCode::CREATED, Json(order)).into_response())
}

/// Member: where their order stands. While it is open and no callback has
/// come, this asks the gateway (at most every 3 s), so a lost callback does
/// not leave the member waiting.
async fn status(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<TopUpOrderView>> {
    let order = self_topup::status(&state, caller.brand.id, caller.member.id, id).await?;
    Ok(Json(order))
}

/// Member: give up an unpaid order (closed at the gateway first; if it was
/// paid meanwhile, it is credited instead).
async fn give_up(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<TopUpOrderView>> {
    let order = self_topup::give_up(&state, caller.brand.id, caller.member.id, id).await?;
    Ok(Json(order))
}

/// The gateway's own answer format: `{"code": "SUCCESS" | "FAIL", …}`.
fn gateway_answer(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (status, Json(json!({ "code": code, "message": message }))).into_response();
    r.extensions_mut().insert(crate::error::RawBody);
    r
}

/// The gateway's signed callback. Checked for signature (constant time),
/// timestamp and nonce, then for amount, order and merchant against our
/// record; applying it is idempotent, so duplicates and retries are safe.
async fn notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let now = state.clock.now_ms();
    let (n, nonce) = match state.gateway.verify_callback(&headers, &body, now) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("gateway callback refused: {e:?}");
            return gateway_answer(StatusCode::UNAUTHORIZED, "FAIL", "signature check failed");
        }
    };
    match gateway_orders::apply_callback(&state, &n.trade, &nonce).await {
        Ok(()) => gateway_answer(StatusCode::OK, "SUCCESS", "OK"),
        Err(AppError::Api { params, .. })
            if params.get("reason").map(String::as_str) == Some(gateway_orders::REPLAYED) =>
        {
            tracing::warn!("gateway callback replayed (nonce seen before)");
            gateway_answer(StatusCode::CONFLICT, "FAIL", "nonce already used")
        }
        Err(AppError::Api { status, code, .. }) => {
            tracing::warn!(order = %n.trade.order_no, ?code, "gateway callback not applied");
            gateway_answer(status, "FAIL", "order not found or does not match")
        }
        Err(e) => {
            tracing::error!(order = %n.trade.order_no, "gateway callback failed: {e:?}");
            gateway_answer(StatusCode::INTERNAL_SERVER_ERROR, "FAIL", "try again")
        }
    }
}

/// Member (not frozen): pay a store when stored value does not cover the
/// bill. The stored value is held at once; the rest goes to the gateway's
/// checkout. When the gateway says paid, both legs post and the store sees
/// the receipt; if the order fails or expires, the hold is released.
/// Idempotent on the `Idempotency-Key` like a top-up.
async fn start_split(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppJson(req): AppJson<PaymentRequest>,
) -> AppResult<Response> {
    let order = self_topup::pay_split(&state, &caller.brand, caller.member.id, &key, &req).await?;
    Ok((StatusCode::CREATED, Json(order)).into_response())
}

/// HQ admin or finance: gateway orders that need a look: paid after we
/// closed them, refunded because they could not be credited, or with a
/// refund the gateway refused. Newest first, keyset-paged.
async fn flagged(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(q): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<FlaggedOrder>>> {
    Ok(Json(
        flagged::list(&state.db, caller.brand.id, q.after).await?,
    ))
}
