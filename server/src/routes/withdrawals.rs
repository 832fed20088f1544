//! 提现: payee accounts (a change waits for HQ finance), withdrawal requests,
//! HQ finance's queue, and staff's in-app messages. The services are in
//! [`crate::wallet`] (`payee`, `withdraw`, `views`, `messages`).
//!
//! Who may do what (each endpoint's role set, admitted by its extractor):
//! - the store manager: set the payee account (pending until approved), ask
//!   for a withdrawal, cancel their own request before approval;
//! - HQ finance (never on their own request): approve or reject payee
//!   changes and withdrawals, retry a failed payout;
//! - HQ admin and the region manager (their region): see, not act;
//! - a clerk: nothing; a store outside the caller's scope does not exist.

use crate::auth::{
    AnyStaff, ChainReaders, HqFinance, HqMoney, Managers, RoleSet, SeeThenAct, StaffCaller,
    StoreManager,
};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::idempotency::IdemKey;
use crate::routes::Api;
use crate::state::AppState;
use crate::wallet::withdraw::{self, Decision};
use crate::wallet::{messages, payee, views};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use shared::api;
use shared::dto::{
    AfterQuery, HqPending, MarkPaidInput, Page, PayeeInput, PayeeNumber, PayeeView, RejectInput,
    StaffInbox, StaffMessage, StateQuery, WithdrawalInput, WithdrawalQuery, WithdrawalTerms,
    WithdrawalView,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::WithdrawalTermsView, terms)
        .at(api::RequestPayee, request_payee)
        .at(api::RequestWithdrawal, request_withdrawal)
        .at(api::ListWithdrawals, list)
        .at(api::GetWithdrawal, one)
        .at(api::CancelWithdrawal, cancel)
        .at(api::ApproveWithdrawal, approve)
        .at(api::RejectWithdrawal, reject)
        .at(api::RetryWithdrawal, retry)
        .at(api::MarkWithdrawalPaid, mark_paid)
        .at(api::HqPendingView, pending)
        .at(api::ListPayeeChanges, payee_changes)
        .at(api::ApprovePayee, approve_payee)
        .at(api::RevealPayee, reveal_payee)
        .at(api::RejectPayee, reject_payee)
        .at(api::ListMessages, inbox)
        .at(api::UnreadMessages, unread)
        .at(api::ReadMessages, read_all)
}

// ---------------------------------------------------------------------------
// Payee accounts.

/// What a store manager sees before asking: wallet, HQ's minimum and fee,
/// the approved payee account and any change waiting.
async fn terms(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
) -> AppResult<Json<WithdrawalTerms>> {
    Ok(Json(
        views::terms(&state.db, &caller.actor(), store_id).await?,
    ))
}

/// The store manager asks to set or change the payee account; it takes
/// effect when HQ finance approves.
async fn request_payee(
    State(state): State<AppState>,
    caller: StaffCaller<StoreManager>,
    AppPath(store_id): AppPath<i64>,
    AppJson(req): AppJson<PayeeInput>,
) -> AppResult<(StatusCode, Json<PayeeView>)> {
    let view = payee::request(&state, &caller.actor(), store_id, &req).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Payee changes across the caller's scope, newest first (HQ; the region
/// manager for their region).
async fn payee_changes(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
    AppQuery(query): AppQuery<StateQuery>,
) -> AppResult<Json<Page<PayeeView>>> {
    Ok(Json(
        views::payee_changes(&state.db, &caller.actor(), &query).await?,
    ))
}

async fn approve_payee(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayeeView>> {
    Ok(Json(
        payee::decide(&state, &caller.actor(), id, None).await?,
    ))
}

async fn reveal_payee(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayeeNumber>> {
    Ok(Json(payee::reveal(&state, &caller.actor(), id).await?))
}

async fn reject_payee(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RejectInput>,
) -> AppResult<Json<PayeeView>> {
    let reason = withdraw::reason(&req.reason)?;
    Ok(Json(
        payee::decide(&state, &caller.actor(), id, Some(reason)).await?,
    ))
}

// ---------------------------------------------------------------------------
// Withdrawals.

/// The store manager asks for a withdrawal: checked against HQ's minimum,
/// the fee and the wallet, and frozen at once (Idempotency-Key required).
async fn request_withdrawal(
    State(state): State<AppState>,
    caller: StaffCaller<StoreManager>,
    AppPath(store_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<WithdrawalInput>,
) -> AppResult<Response> {
    withdraw::request(&state, &caller.actor(), store_id, key, req).await
}

/// Withdrawals across the caller's scope, newest first, filtered by store,
/// region, state and request date (the brand's local dates, inclusive).
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppQuery(query): AppQuery<WithdrawalQuery>,
) -> AppResult<Json<Page<WithdrawalView>>> {
    Ok(Json(views::list(&state, &caller.actor(), &query).await?))
}

async fn one(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    Ok(Json(views::view(&state, &caller.actor(), id).await?))
}

/// A decision on a withdrawal by the caller: anyone who may see it is let
/// in, so one outside their scope is 404; then only the endpoint's roles act.
async fn decided<R: RoleSet>(
    state: &AppState,
    caller: SeeThenAct<Managers, R>,
    id: i64,
    decision: Decision,
) -> AppResult<Json<WithdrawalView>> {
    let (by, acting) = caller.actor();
    Ok(Json(
        withdraw::decide(state, (&by, acting), id, decision).await?,
    ))
}

async fn approve(
    State(state): State<AppState>,
    caller: SeeThenAct<Managers, HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    decided(&state, caller, id, Decision::Approve).await
}

async fn reject(
    State(state): State<AppState>,
    caller: SeeThenAct<Managers, HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RejectInput>,
) -> AppResult<Json<WithdrawalView>> {
    let reason = withdraw::reason(&req.reason)?;
    decided(&state, caller, id, Decision::Reject(reason)).await
}

async fn retry(
    State(state): State<AppState>,
    caller: SeeThenAct<Managers, HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    decided(&state, caller, id, Decision::Retry).await
}

async fn cancel(
    State(state): State<AppState>,
    caller: SeeThenAct<Managers, StoreManager>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    decided(&state, caller, id, Decision::Cancel).await
}

/// HQ finance (manual payout channel): the approved withdrawal was paid by
/// bank transfer; records it paid with the transfer's reference, audited.
async fn mark_paid(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<MarkPaidInput>,
) -> AppResult<Json<WithdrawalView>> {
    let by = caller.actor();
    Ok(Json(
        withdraw::mark_paid(&state, &by, id, &req.reference).await?,
    ))
}

/// HQ: how many withdrawals and payee changes wait for a decision.
async fn pending(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
) -> AppResult<Json<HqPending>> {
    Ok(Json(views::pending(&state.db, caller.brand.id).await?))
}

// ---------------------------------------------------------------------------
// Messages.

/// How many of the caller's messages are unread.
async fn unread(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<StaffInbox>> {
    Ok(Json(messages::unread(&state.db, &caller.actor()).await?))
}

/// The caller's messages, newest first.
async fn inbox(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<StaffMessage>>> {
    Ok(Json(
        messages::inbox(&state.db, &caller.actor(), query.after).await?,
    ))
}

/// Marks every message of the caller read.
async fn read_all(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<StatusCode> {
    let me = caller.actor();
    if messages::any_unread(&state.db, &me).await? {
        let tx = crate::db::begin_write(&state.db).await?;
        messages::read_all(&tx, &me, state.clock.now_ms()).await?;
        tx.commit().await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
