//! 提现: payee accounts (a change waits for HQ finance), withdrawal requests,
//! HQ finance's queue, and staff's in-app messages. The money moves are in
//! [`crate::withdrawals`].
//!
//! Who may do what:
//! - the store manager: set the payee account (pending until approved), ask
//!   for a withdrawal, cancel their own request before approval;
//! - HQ finance (never on their own request): approve or reject payee
//!   changes and withdrawals, retry a failed payout;
//! - HQ admin and the region manager (their region): see, not act;
//! - a clerk: nothing; a store outside the caller's scope does not exist.

use crate::audit;
use crate::auth::{
    AnyStaff, ChainReaders, HqFinance, HqMoney, Managers, RoleSet, StaffCaller, StoreManager,
    admits,
};
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::db::{begin_write, lock_key};
use crate::entity::{payee_account, staff_message, store, withdrawal};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult, check};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger;
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::routes::wallet::{readable_store, wallet_of};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use crate::withdrawals::{self as wd, current_payee, state_changed, transition};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use shared::ErrorCode;
use shared::api;
use shared::dto::AfterQuery;
use shared::dto::StateQuery;
use shared::dto::WithdrawalQuery;
use shared::dto::{
    HqPending, MarkPaidInput, Page, PayeeInput, PayeeState, PayeeView, RejectInput, Role,
    StaffInbox, StaffMessage, WithdrawalInput, WithdrawalState, WithdrawalTerms, WithdrawalView,
};
use shared::money::{Bp, Fen, withdrawal_fee};
use shared::validate;
use std::collections::HashMap;

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
        .at(api::RejectPayee, reject_payee)
        .at(api::ListMessages, inbox)
        .at(api::UnreadMessages, unread)
        .at(api::ReadMessages, read_all)
}

// ---------------------------------------------------------------------------
// Views.

async fn payee_views(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: Vec<payee_account::Model>,
) -> AppResult<Vec<PayeeView>> {
    let people = names::staff_names(
        conn,
        brand_id,
        rows.iter()
            .flat_map(|p| [Some(p.requested_by), p.decided_by])
            .flatten()
            .collect(),
    )
    .await?;
    let shops =
        names::store_names(conn, brand_id, rows.iter().map(|p| p.store_id).collect()).await?;
    Ok(rows
        .into_iter()
        .map(|p| PayeeView {
            id: p.id,
            store_id: p.store_id,
            store_name: shops.get(&p.store_id).cloned().unwrap_or_default(),
            account_name: p.account_name,
            bank_name: p.bank_name,
            account_no_masked: validate::mask_account_no(&p.account_no_last4),
            state: PayeeState::parse(&p.state).unwrap_or(PayeeState::Pending),
            requested_by: people.get(&p.requested_by).cloned().unwrap_or_default(),
            requested_at: rfc3339(p.requested_at),
            decided_by: p.decided_by.and_then(|d| people.get(&d).cloned()),
            decided_at: p.decided_at.map(rfc3339),
            reason: p.reason,
        })
        .collect())
}

async fn withdrawal_views(
    conn: &impl ConnectionTrait,
    caller: &StaffCaller<impl RoleSet>,
    manual_payouts: bool,
    rows: Vec<withdrawal::Model>,
) -> AppResult<Vec<WithdrawalView>> {
    let brand_id = caller.brand.id;
    let people = names::staff_names(
        conn,
        brand_id,
        rows.iter()
            .flat_map(|w| [Some(w.requested_by), w.decided_by])
            .flatten()
            .collect(),
    )
    .await?;
    let shops =
        names::store_names(conn, brand_id, rows.iter().map(|w| w.store_id).collect()).await?;
    let payee_ids: Vec<i64> = rows.iter().map(|w| w.payee_id).collect();
    let payees: HashMap<i64, payee_account::Model> = payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .filter(payee_account::Column::Id.is_in(payee_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    Ok(rows
        .into_iter()
        .map(|w| {
            let state = WithdrawalState::parse(&w.state).unwrap_or(WithdrawalState::Unknown);
            let mine = w.requested_by == caller.staff.id;
            WithdrawalView {
                id: w.id,
                store_id: w.store_id,
                store_name: shops.get(&w.store_id).cloned().unwrap_or_default(),
                region_id: w.region_id,
                amount: Fen(w.amount),
                fee: Fen(w.fee),
                payout: Fen(w.amount - w.fee),
                state,
                payee: payees
                    .get(&w.payee_id)
                    .map(|p| {
                        format!(
                            "{} {} {}",
                            p.account_name,
                            p.bank_name,
                            validate::mask_account_no(&p.account_no_last4)
                        )
                    })
                    .unwrap_or_default(),
                requested_by: people.get(&w.requested_by).cloned().unwrap_or_default(),
                requested_at: rfc3339(w.requested_at),
                decided_by: w.decided_by.and_then(|d| people.get(&d).cloned()),
                decided_at: w.decided_at.map(rfc3339),
                reason: w.reason,
                payout_no: w.payout_no,
                attempts: w.attempts,
                paid_at: w.paid_at.map(rfc3339),
                can_decide: caller.role == Role::HqFinance
                    && !mine
                    && matches!(state, WithdrawalState::Requested | WithdrawalState::Failed),
                can_cancel: mine && state == WithdrawalState::Requested,
                can_mark_paid: manual_payouts
                    && caller.role == Role::HqFinance
                    && matches!(
                        state,
                        WithdrawalState::Approved
                            | WithdrawalState::Submitted
                            | WithdrawalState::Unknown
                    ),
            }
        })
        .collect())
}

async fn view_of(
    state: &AppState,
    caller: &StaffCaller<impl RoleSet>,
    id: i64,
) -> AppResult<WithdrawalView> {
    let w = visible_withdrawal(state, caller, id).await?;
    withdrawal_views(&state.db, caller, state.manual_payouts, vec![w])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)
}

/// A withdrawal the caller may see.
async fn visible_withdrawal<R: RoleSet>(
    state: &AppState,
    caller: &StaffCaller<R>,
    id: i64,
) -> AppResult<withdrawal::Model> {
    const { assert!(!admits(R::ROLES, Role::Clerk), "a clerk sees no withdrawal") };
    let w = withdrawal::Entity::find_by_id(id)
        .filter(withdrawal::Column::BrandId.eq(caller.brand.id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    // Scope by where the store is now (a store may move region).
    let shop = store_in_brand(&state.db, caller.brand.id, w.store_id).await?;
    if !caller.covers_store(shop.id, shop.region_id) {
        return Err(AppError::not_found());
    }
    Ok(w)
}

/// The ids of a region's stores now.
async fn stores_of_region(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    region_id: i64,
) -> AppResult<Vec<i64>> {
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .filter(store::Column::RegionId.eq(region_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
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
    let shop = readable_store(&state, &caller, store_id).await?;
    let brand_id = caller.brand.id;
    let rules = settings(&state.db, brand_id).await?;
    let wallet = wallet_of(&state.db, brand_id, shop.clone()).await?;
    // The approved account and any change waiting, in one read.
    let rows = payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .filter(payee_account::Column::StoreId.eq(shop.id))
        .filter(
            payee_account::Column::State
                .is_in([PayeeState::Approved.as_str(), PayeeState::Pending.as_str()]),
        )
        .order_by_desc(payee_account::Column::Id)
        .all(&state.db)
        .await?;
    let views = payee_views(&state.db, brand_id, rows).await?;
    let of = |state: PayeeState| views.iter().find(|p| p.state == state).cloned();
    Ok(Json(WithdrawalTerms {
        wallet,
        min: rules.withdraw_min,
        fee_fixed: rules.withdraw_fee_fixed,
        fee_bp: rules.withdraw_fee_bp,
        payee: of(PayeeState::Approved),
        pending_payee: of(PayeeState::Pending),
    }))
}

/// The store manager of this store, or a refusal.
async fn own_store_manager(
    state: &AppState,
    caller: &StaffCaller<StoreManager>,
    store_id: i64,
) -> AppResult<store::Model> {
    readable_store(state, caller, store_id).await
}

/// The store manager asks to set or change the payee account; it takes
/// effect when HQ finance approves.
async fn request_payee(
    State(state): State<AppState>,
    caller: StaffCaller<StoreManager>,
    AppPath(store_id): AppPath<i64>,
    AppJson(req): AppJson<PayeeInput>,
) -> AppResult<(StatusCode, Json<PayeeView>)> {
    let shop = own_store_manager(&state, &caller, store_id).await?;
    let account_name = validate::account_holder(&req.account_name)
        .map_err(|r| AppError::invalid("account_name", r))?;
    let bank_name =
        validate::bank_name(&req.bank_name).map_err(|r| AppError::invalid("bank_name", r))?;
    let account_no = validate::bank_account_no(&req.account_no)
        .map_err(|r| AppError::invalid("account_no", r))?;
    let sealed = state.cipher.seal(&account_no)?;
    let last4 = account_no[account_no.len() - 4..].to_string();
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    lock_key(&tx, &format!("payee:{}", shop.id)).await?;
    let waiting = payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(caller.brand.id))
        .filter(payee_account::Column::StoreId.eq(shop.id))
        .filter(payee_account::Column::State.eq(PayeeState::Pending.as_str()))
        .count(&tx)
        .await?;
    if waiting > 0 {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::PayeeChangePending,
        ));
    }
    let saved = payee_account::ActiveModel {
        brand_id: Set(caller.brand.id),
        store_id: Set(shop.id),
        account_name: Set(account_name),
        bank_name: Set(bank_name),
        account_no_enc: Set(sealed),
        account_no_last4: Set(last4.clone()),
        state: Set(PayeeState::Pending.as_str().into()),
        requested_by: Set(caller.staff.id),
        requested_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        reason: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "payee.request",
        format!("store {}", shop.id),
        serde_json::json!({"payee": saved.id, "account_no": validate::mask_account_no(&last4)}),
    )
    .await?;
    tx.commit().await?;
    let mut views = payee_views(&state.db, caller.brand.id, vec![saved]).await?;
    let view = views.pop().ok_or_else(AppError::not_found)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Payee changes across the caller's scope, newest first (HQ; the region
/// manager for their region).
async fn payee_changes(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
    AppQuery(query): AppQuery<StateQuery>,
) -> AppResult<Json<Page<PayeeView>>> {
    let brand_id = caller.brand.id;
    let mut q = payee_account::Entity::find().filter(payee_account::Column::BrandId.eq(brand_id));
    if caller.role == Role::RegionManager {
        let region = caller.staff.region_id.unwrap_or(-1);
        let ids = stores_of_region(&state.db, brand_id, region).await?;
        q = q.filter(payee_account::Column::StoreId.is_in(ids));
    }
    if let Some(s) = query.state.as_deref().filter(|s| !s.is_empty()) {
        let parsed = PayeeState::parse(s).ok_or_else(|| AppError::invalid("state", "unknown"))?;
        q = q.filter(payee_account::Column::State.eq(parsed.as_str()));
    }
    if let Some(after) = query.after {
        q = q.filter(payee_account::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(payee_account::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |p| p.id);
    let items = payee_views(&state.db, brand_id, rows).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// Approves (`Some(None)`) or rejects (`Some(Some(reason))`) a payee change.
async fn decide_payee(
    state: &AppState,
    caller: &StaffCaller<impl RoleSet>,
    id: i64,
    rejection: Option<String>,
) -> AppResult<Json<PayeeView>> {
    let brand_id = caller.brand.id;
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let p = payee_account::Entity::find_by_id(id)
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if p.requested_by == caller.staff.id {
        return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::OwnRequest));
    }
    lock_key(&tx, &format!("payee:{}", p.store_id)).await?;
    let to = if rejection.is_some() {
        PayeeState::Rejected
    } else {
        PayeeState::Approved
    };
    let moved = payee_account::Entity::update_many()
        .col_expr(payee_account::Column::State, Expr::value(to.as_str()))
        .col_expr(
            payee_account::Column::DecidedBy,
            Expr::value(caller.staff.id),
        )
        .col_expr(payee_account::Column::DecidedAt, Expr::value(now))
        .col_expr(
            payee_account::Column::Reason,
            Expr::value(rejection.clone()),
        )
        .filter(payee_account::Column::Id.eq(p.id))
        .filter(payee_account::Column::State.eq(PayeeState::Pending.as_str()))
        .exec(&tx)
        .await?;
    if moved.rows_affected != 1 {
        let now_state = payee_account::Entity::find_by_id(p.id)
            .one(&tx)
            .await?
            .map(|p| p.state)
            .unwrap_or_default();
        return Err(state_changed(&now_state));
    }
    if rejection.is_none() {
        // The old account takes no new payouts from now on (an attempt
        // already in the outbox keeps its account: its number may have
        // reached the channel).
        payee_account::Entity::update_many()
            .col_expr(
                payee_account::Column::State,
                Expr::value(PayeeState::Superseded.as_str()),
            )
            .filter(payee_account::Column::BrandId.eq(brand_id))
            .filter(payee_account::Column::StoreId.eq(p.store_id))
            .filter(payee_account::Column::State.eq(PayeeState::Approved.as_str()))
            .filter(payee_account::Column::Id.ne(p.id))
            .exec(&tx)
            .await?;
    }
    audit::record(
        &tx,
        now,
        brand_id,
        Some(caller.staff.id),
        if rejection.is_some() {
            "payee.reject"
        } else {
            "payee.approve"
        },
        format!("store {}", p.store_id),
        serde_json::json!({"payee": p.id, "reason": rejection}),
    )
    .await?;
    wd::notify_store(
        &tx,
        brand_id,
        p.store_id,
        "payee",
        p.id,
        to.as_str(),
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    let saved = payee_account::Entity::find_by_id(p.id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut views = payee_views(&state.db, brand_id, vec![saved]).await?;
    views.pop().map(Json).ok_or_else(AppError::not_found)
}

async fn approve_payee(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayeeView>> {
    decide_payee(&state, &caller, id, None).await
}

fn reason_of(req: &RejectInput) -> AppResult<String> {
    let reason = req.reason.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "required"));
    }
    if reason.chars().count() > 200 {
        return Err(AppError::invalid("reason", "too_long"));
    }
    Ok(reason.to_string())
}

async fn reject_payee(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RejectInput>,
) -> AppResult<Json<PayeeView>> {
    let reason = reason_of(&req)?;
    decide_payee(&state, &caller, id, Some(reason)).await
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
    let shop = own_store_manager(&state, &caller, store_id).await?;
    let brand = caller.brand.clone();
    let staff_id = caller.staff.id;
    let now = state.clock.now_ms();
    let scope = Scope {
        brand_id: brand.id,
        caller: format!("staff:{staff_id}"),
        route: "withdrawal.request",
    };
    let reply = idempotency::run(
        &state.db,
        scope,
        key,
        &(shop.id, &req),
        now,
        move |tx, _| {
            Box::pin(async move {
                let rules = settings(tx, brand.id).await?;
                if !req.amount.is_positive() {
                    return Err(AppError::invalid("amount", "amount_positive"));
                }
                if req.amount < rules.withdraw_min {
                    return Err(AppError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::WithdrawalBelowMinimum,
                    )
                    .with("min", rules.withdraw_min.0));
                }
                let fee = withdrawal_fee(
                    req.amount,
                    rules.withdraw_fee_fixed,
                    Bp(rules.withdraw_fee_bp),
                );
                if fee >= req.amount {
                    return Err(AppError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::WithdrawalFeeTooHigh,
                    )
                    .with("fee", fee.0));
                }
                let payee = current_payee(tx, brand.id, shop.id).await?.ok_or_else(|| {
                    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PayeeMissing)
                })?;
                let saved = withdrawal::ActiveModel {
                    brand_id: Set(brand.id),
                    store_id: Set(shop.id),
                    region_id: Set(shop.region_id),
                    amount: Set(req.amount.0),
                    fee: Set(fee.0),
                    state: Set(WithdrawalState::Requested.as_str().into()),
                    payee_id: Set(payee.id),
                    requested_by: Set(staff_id),
                    requested_at: Set(now),
                    business_date: Set(ledger::business_date(&brand.time_zone, now)),
                    decided_by: Set(None),
                    decided_at: Set(None),
                    reason: Set(None),
                    attempts: Set(0),
                    payout_no: Set(None),
                    paid_at: Set(None),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(tx)
                .await?;
                wd::freeze(
                    tx,
                    &brand,
                    shop.id,
                    req.amount,
                    saved.id.to_string(),
                    format!("staff:{staff_id}"),
                    now,
                )
                .await?;
                audit::record(
                    tx,
                    now,
                    brand.id,
                    Some(staff_id),
                    "withdrawal.request",
                    format!("withdrawal {}", saved.id),
                    serde_json::json!({"store": shop.id, "amount": req.amount.0, "fee": fee.0}),
                )
                .await?;
                Ok(saved.id)
            })
        },
    )
    .await?;
    Ok(reply)
}

fn date_filter(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if validate::parse_date(v).is_some() => Ok(Some(v.to_string())),
        Some(_) => Err(AppError::invalid(field, "date_format")),
    }
}

/// Withdrawals across the caller's scope, newest first, filtered by store,
/// region, state and request date (the brand's local dates, inclusive).
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppQuery(query): AppQuery<WithdrawalQuery>,
) -> AppResult<Json<Page<WithdrawalView>>> {
    let brand_id = caller.brand.id;
    let mut q = withdrawal::Entity::find().filter(withdrawal::Column::BrandId.eq(brand_id));
    match caller.role {
        Role::HqAdmin | Role::HqFinance => {}
        Role::RegionManager => {
            let region = caller.staff.region_id.unwrap_or(-1);
            let ids = stores_of_region(&state.db, brand_id, region).await?;
            q = q.filter(withdrawal::Column::StoreId.is_in(ids));
        }
        Role::StoreManager | Role::Clerk => {
            q = q.filter(withdrawal::Column::StoreId.eq(caller.staff.store_id.unwrap_or(-1)));
        }
    }
    if let Some(s) = query.store_id {
        q = q.filter(withdrawal::Column::StoreId.eq(s));
    }
    if let Some(r) = query.region_id {
        let ids = stores_of_region(&state.db, brand_id, r).await?;
        q = q.filter(withdrawal::Column::StoreId.is_in(ids));
    }
    if let Some(s) = query.state.as_deref().filter(|s| !s.is_empty()) {
        let parsed =
            WithdrawalState::parse(s).ok_or_else(|| AppError::invalid("state", "unknown"))?;
        q = q.filter(withdrawal::Column::State.eq(parsed.as_str()));
    }
    if let Some(from) = date_filter("from", query.from.as_deref())? {
        q = q.filter(withdrawal::Column::BusinessDate.gte(from));
    }
    if let Some(to) = date_filter("to", query.to.as_deref())? {
        q = q.filter(withdrawal::Column::BusinessDate.lte(to));
    }
    if let Some(after) = query.after {
        q = q.filter(withdrawal::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(withdrawal::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |w| w.id);
    let items = withdrawal_views(&state.db, &caller, state.manual_payouts, rows).await?;
    Ok(Json(Page { items, next_cursor }))
}

async fn one(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    Ok(Json(view_of(&state, &caller, id).await?))
}

/// What a decision does once the state moved.
enum Decision {
    Approve,
    Reject(String),
    Cancel,
    Retry,
}

/// One transition of a withdrawal by a person: compare-and-set, money,
/// outbox, audit and message in one transaction. Asking again for what the
/// same person already did answers with the withdrawal as it stands.
async fn decide(
    state: &AppState,
    caller: &StaffCaller<impl RoleSet>,
    id: i64,
    decision: Decision,
) -> AppResult<Json<WithdrawalView>> {
    let w = visible_withdrawal(state, caller, id).await?;
    let (from, to, action) = match &decision {
        Decision::Approve => (
            WithdrawalState::Requested,
            WithdrawalState::Approved,
            "withdrawal.approve",
        ),
        Decision::Reject(_) => (
            WithdrawalState::Requested,
            WithdrawalState::Rejected,
            "withdrawal.reject",
        ),
        Decision::Cancel => (
            WithdrawalState::Requested,
            WithdrawalState::Cancelled,
            "withdrawal.cancel",
        ),
        Decision::Retry => (
            WithdrawalState::Failed,
            WithdrawalState::Approved,
            "withdrawal.retry",
        ),
    };
    match decision {
        Decision::Cancel => {
            if w.requested_by != caller.staff.id {
                return Err(AppError::forbidden());
            }
        }
        // Approve, reject and retry: HQ finance, never on their own request.
        _ => {
            if w.requested_by == caller.staff.id {
                return Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::OwnRequest));
            }
        }
    }
    let brand = caller.brand.clone();
    let actor = format!("staff:{}", caller.staff.id);
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    // Approve and retry pay the account approved now (read under the lock a
    // payee approval takes, so it cannot be superseded meanwhile).
    let payee = match decision {
        Decision::Approve | Decision::Retry => Some({
            lock_key(&tx, &format!("payee:{}", w.store_id)).await?;
            current_payee(&tx, brand.id, w.store_id)
                .await?
                .ok_or_else(|| {
                    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PayeeMissing)
                })?
        }),
        _ => None,
    };
    let n = w.attempts + 1;
    let no = wd::payout_no(brand.id, w.id, n);
    let reason = match &decision {
        Decision::Reject(r) => Some(r.clone()),
        _ => None,
    };
    let staff_id = caller.staff.id;
    let moved = transition(&tx, w.id, &[from], to, now, |u| {
        let u = u
            .col_expr(withdrawal::Column::DecidedBy, Expr::value(staff_id))
            .col_expr(withdrawal::Column::DecidedAt, Expr::value(now));
        match (&payee, &reason) {
            (Some(p), _) => u
                .col_expr(withdrawal::Column::Attempts, Expr::value(n))
                .col_expr(withdrawal::Column::PayoutNo, Expr::value(no.clone()))
                .col_expr(withdrawal::Column::PayeeId, Expr::value(p.id))
                .col_expr(
                    withdrawal::Column::Reason,
                    Expr::value(Option::<String>::None),
                )
                .filter(withdrawal::Column::Attempts.eq(w.attempts)),
            (None, Some(r)) => u.col_expr(withdrawal::Column::Reason, Expr::value(r.clone())),
            (None, None) => u,
        }
    })
    .await?;
    if !moved {
        tx.rollback().await?;
        let now_w = visible_withdrawal(state, caller, id).await?;
        if now_w.state == to.as_str() && now_w.decided_by == Some(staff_id) {
            // The same person's retry of the same decision.
            return Ok(Json(view_of(state, caller, id).await?));
        }
        return Err(state_changed(&now_w.state));
    }
    let amount = Fen(w.amount);
    match &decision {
        Decision::Approve => {}
        Decision::Retry => {
            // The failure gave the money back; take it again for the new attempt.
            wd::freeze(
                &tx,
                &brand,
                w.store_id,
                amount,
                format!("{}:{n}", w.id),
                actor.clone(),
                now,
            )
            .await?;
        }
        Decision::Reject(_) | Decision::Cancel => {
            wd::release(
                &tx,
                &brand,
                w.store_id,
                amount,
                format!("{}:{}", w.id, to.as_str()),
                actor.clone(),
                now,
            )
            .await?;
        }
    }
    if let Some(p) = &payee {
        let mut queued = w.clone();
        queued.payee_id = p.id;
        wd::queue_attempt(&tx, &queued, n, p.id, now).await?;
    }
    audit::record(
        &tx,
        now,
        brand.id,
        Some(staff_id),
        action,
        format!("withdrawal {}", w.id),
        serde_json::json!({"store": w.store_id, "amount": w.amount, "reason": reason, "payout_no": payee.as_ref().map(|_| no.clone())}),
    )
    .await?;
    if !matches!(decision, Decision::Cancel) {
        wd::notify_store(
            &tx,
            brand.id,
            w.store_id,
            "withdrawal",
            w.id,
            to.as_str(),
            Some(amount),
            now,
        )
        .await?;
    }
    tx.commit().await?;
    if payee.is_some() {
        wd::kick(state, brand.id);
    }
    Ok(Json(view_of(state, caller, id).await?))
}

async fn approve(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    decide(&state, &caller, id, Decision::Approve).await
}

async fn reject(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RejectInput>,
) -> AppResult<Json<WithdrawalView>> {
    let reason = reason_of(&req)?;
    decide(&state, &caller, id, Decision::Reject(reason)).await
}

async fn retry(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    decide(&state, &caller, id, Decision::Retry).await
}

/// HQ finance (manual payout channel): the approved withdrawal was paid by
/// bank transfer; records it paid with the transfer's reference, audited.
async fn mark_paid(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<MarkPaidInput>,
) -> AppResult<Json<WithdrawalView>> {
    let reference = check("reference", validate::transfer_reference(&req.reference))?;
    let w = visible_withdrawal(&state, &caller, id).await?;
    if !state.manual_payouts {
        // A payout channel pays and reports; nobody marks it by hand.
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict)
            .with("reason", "payout_channel"));
    }
    let by = wd::ByHand {
        staff_id: caller.staff.id,
        reference,
    };
    if !wd::mark_paid_by_hand(&state, caller.brand.id, w.id, by).await? {
        let now_w = visible_withdrawal(&state, &caller, id).await?;
        if now_w.state != WithdrawalState::Paid.as_str() {
            return Err(state_changed(&now_w.state));
        }
    }
    Ok(Json(view_of(&state, &caller, id).await?))
}

async fn cancel(
    State(state): State<AppState>,
    caller: StaffCaller<StoreManager>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<WithdrawalView>> {
    decide(&state, &caller, id, Decision::Cancel).await
}

/// HQ: how many withdrawals and payee changes wait for a decision.
async fn pending(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
) -> AppResult<Json<HqPending>> {
    let brand_id = caller.brand.id;
    let withdrawals = withdrawal::Entity::find()
        .filter(withdrawal::Column::BrandId.eq(brand_id))
        .filter(withdrawal::Column::State.eq(WithdrawalState::Requested.as_str()))
        .count(&state.db)
        .await?;
    let payee_changes = payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .filter(payee_account::Column::State.eq(PayeeState::Pending.as_str()))
        .count(&state.db)
        .await?;
    let refund_tasks = crate::entity::gateway_refund::Entity::find()
        .filter(crate::entity::gateway_refund::Column::BrandId.eq(brand_id))
        .filter(
            crate::entity::gateway_refund::Column::State
                .eq(crate::gateway_orders::RefundState::Failed.as_str()),
        )
        .filter(crate::entity::gateway_refund::Column::Resolution.is_null())
        .count(&state.db)
        .await?;
    Ok(Json(HqPending {
        withdrawals: i64::try_from(withdrawals).unwrap_or(i64::MAX),
        payee_changes: i64::try_from(payee_changes).unwrap_or(i64::MAX),
        refund_tasks: i64::try_from(refund_tasks).unwrap_or(i64::MAX),
    }))
}

// ---------------------------------------------------------------------------
// Messages.

/// How many of the caller's messages are unread.
async fn unread(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<StaffInbox>> {
    let unread = staff_message::Entity::find()
        .filter(staff_message::Column::StaffId.eq(caller.staff.id))
        .filter(staff_message::Column::ReadAt.is_null())
        .count(&state.db)
        .await?;
    Ok(Json(StaffInbox {
        unread: i64::try_from(unread).unwrap_or(i64::MAX),
    }))
}

/// The caller's messages, newest first.
async fn inbox(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<StaffMessage>>> {
    let mut q =
        staff_message::Entity::find().filter(staff_message::Column::StaffId.eq(caller.staff.id));
    if let Some(after) = query.after {
        q = q.filter(staff_message::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(staff_message::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |m| m.id);
    let shops = names::store_names(
        &state.db,
        caller.brand.id,
        rows.iter().map(|m| m.store_id).collect(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|m| StaffMessage {
            id: m.id,
            topic: m.topic,
            subject_id: m.subject_id,
            state: m.state,
            amount: m.amount.map(Fen),
            store_name: shops.get(&m.store_id).cloned().unwrap_or_default(),
            store_id: m.store_id,
            at: rfc3339(m.created_at),
            read: m.read_at.is_some(),
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// Marks every message of the caller read.
async fn read_all(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<StatusCode> {
    staff_message::Entity::update_many()
        .col_expr(
            staff_message::Column::ReadAt,
            Expr::value(state.clock.now_ms()),
        )
        .filter(staff_message::Column::StaffId.eq(caller.staff.id))
        .filter(staff_message::Column::ReadAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
