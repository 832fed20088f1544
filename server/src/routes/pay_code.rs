//! Store pay codes (收款码) and the store's payment list over HTTP: what
//! the counter shows and what a member's phone opens. Each route is one
//! call into [`crate::stored_value::pay_code`] or
//! [`crate::stored_value::receipts`].

use crate::auth::{AnyStaff, Counter, MemberCaller, StaffCaller};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::{pay_code, receipts};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{
    Page, PayCode, PayRequestInput, PayRequestPublic, PayRequestView, PaymentListItem,
    PaymentsQuery, ReceiptFeed, StorePublic, WaitQuery,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::MemberStore, store_for_member)
        .at(api::RecentStores, recent_stores)
        .at(api::StorePayCode, store_code)
        .at(api::ListPayments, payments)
        .at(api::WaitReceipts, wait_receipts)
        .at(api::CreatePayRequest, create_pay_request)
        .at(api::GetPayRequest, staff_pay_request)
        .at(api::MemberPayRequest, member_pay_request)
}

/// Clerk or store manager: a one-off pay code for a fixed amount at their
/// store, payable once within ten minutes.
async fn create_pay_request(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    AppJson(req): AppJson<PayRequestInput>,
) -> AppResult<(StatusCode, Json<PayRequestView>)> {
    let view = pay_code::open_request(&state, &caller.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Staff of that store: a one-off code (the counter polls it until paid).
async fn staff_pay_request(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayRequestView>> {
    Ok(Json(
        pay_code::request_for_staff(&state, &caller.actor(), id).await?,
    ))
}

/// Member: the one-off code they scanned.
async fn member_pay_request(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(token): AppPath<String>,
) -> AppResult<Json<PayRequestPublic>> {
    Ok(Json(
        pay_code::request_for_member(&state, &caller.brand, &token).await?,
    ))
}

/// Member: the store behind a pay code, if it is of their brand.
async fn store_for_member(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StorePublic>> {
    Ok(Json(
        pay_code::store_for_member(&state, &caller.brand, id).await?,
    ))
}

/// Member: the stores they paid at lately.
async fn recent_stores(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<StorePublic>>> {
    Ok(Json(
        pay_code::recent_stores(&state, &caller.brand, caller.member.id, 3).await?,
    ))
}

/// Staff: the pay code of a store in their scope.
async fn store_code(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayCode>> {
    Ok(Json(
        pay_code::store_code(&state, &caller.actor(), id).await?,
    ))
}

/// Staff: payments at the stores their scope covers, newest first.
async fn payments(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(query): AppQuery<PaymentsQuery>,
) -> AppResult<Json<Page<PaymentListItem>>> {
    Ok(Json(receipts::list(&state, &caller.actor(), &query).await?))
}

/// Staff: waits until a payment lands at a store in scope (or the timeout),
/// then answers with the new ones and today's total. A key revoked or a
/// session ended while waiting gets no answer.
async fn wait_receipts(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(query): AppQuery<WaitQuery>,
) -> AppResult<Json<ReceiptFeed>> {
    let still_valid = || caller.still_valid(&state);
    Ok(Json(
        receipts::feed(&state, &caller.actor(), &query, still_valid).await?,
    ))
}
