//! What staff see of withdrawals and payee accounts: views, the lists
//! across a scope, one withdrawal, HQ's pending counts and the terms a store
//! manager reads before asking.

use super::wallet_of;
use crate::auth::Actor;
use crate::chain;
use crate::clock::rfc3339;
use crate::entity::{payee_account, withdrawal};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shared::dto::{
    HqPending, Page, PayeeState, PayeeView, Role, StateQuery, WithdrawalQuery, WithdrawalState,
    WithdrawalTerms, WithdrawalView,
};
use shared::money::Fen;
use shared::validate;
use std::collections::HashMap;

/// Payee accounts as staff see them (the number masked).
pub(crate) async fn payee_views(
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
/// Withdrawals as `by` sees them (what they may do with each).
pub(crate) async fn withdrawal_views(
    conn: &impl ConnectionTrait,
    by: &Actor,
    manual_payouts: bool,
    rows: Vec<withdrawal::Model>,
) -> AppResult<Vec<WithdrawalView>> {
    let brand_id = by.brand.id;
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
            let mine = w.requested_by == by.staff_id;
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
                can_decide: by.role == Role::HqFinance
                    && !mine
                    && matches!(state, WithdrawalState::Requested | WithdrawalState::Failed),
                can_cancel: mine && state == WithdrawalState::Requested,
                can_mark_paid: manual_payouts
                    && by.role == Role::HqFinance
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
/// One withdrawal as `by` sees it.
pub async fn view(state: &AppState, by: &Actor, id: i64) -> AppResult<WithdrawalView> {
    let w = visible(state, by, id).await?;
    withdrawal_views(&state.db, by, state.manual_payouts, vec![w])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)
}
/// A withdrawal of a store in `by`'s scope (the HTTP layer admits no
/// clerk); others do not exist for them.
pub(crate) async fn visible(state: &AppState, by: &Actor, id: i64) -> AppResult<withdrawal::Model> {
    let w = withdrawal::Entity::find_by_id(id)
        .filter(withdrawal::Column::BrandId.eq(by.brand.id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    // Scope by where the store is now (a store may move region).
    crate::chain::store_in_scope(&state.db, by, w.store_id).await?;
    Ok(w)
}
/// What a store manager sees before asking: wallet, HQ's minimum and fee,
/// the approved payee account and any change waiting.
pub async fn terms(
    conn: &impl ConnectionTrait,
    by: &Actor,
    store_id: i64,
) -> AppResult<WithdrawalTerms> {
    let shop = crate::chain::store_in_scope(conn, by, store_id).await?;
    let brand_id = by.brand.id;
    let rules = settings(conn, brand_id).await?;
    let wallet = wallet_of(conn, brand_id, shop.clone()).await?;
    // The approved account, any change waiting and the last rejected
    // request, in one read.
    let rows = payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .filter(payee_account::Column::StoreId.eq(shop.id))
        .filter(payee_account::Column::State.is_in([
            PayeeState::Approved.as_str(),
            PayeeState::Pending.as_str(),
            PayeeState::Rejected.as_str(),
        ]))
        .order_by_desc(payee_account::Column::Id)
        .all(conn)
        .await?;
    let newest_id = rows.first().map(|p| p.id);
    let views = payee_views(conn, brand_id, rows).await?;
    let of = |state: PayeeState| views.iter().find(|p| p.state == state).cloned();
    // A rejection is news only while it is the store's latest request.
    let rejected = of(PayeeState::Rejected).filter(|p| Some(p.id) == newest_id);
    Ok(WithdrawalTerms {
        wallet,
        min: rules.withdraw_min,
        fee_fixed: rules.withdraw_fee_fixed,
        fee_bp: rules.withdraw_fee_bp,
        payee: of(PayeeState::Approved),
        pending_payee: of(PayeeState::Pending),
        rejected_payee: rejected,
    })
}

/// Payee changes across `by`'s scope, newest first (HQ; the region
/// manager for their region).
pub async fn payee_changes(
    conn: &impl ConnectionTrait,
    by: &Actor,
    query: &StateQuery,
) -> AppResult<Page<PayeeView>> {
    let brand_id = by.brand.id;
    let mut q = payee_account::Entity::find().filter(payee_account::Column::BrandId.eq(brand_id));
    if by.role == Role::RegionManager {
        let region = by.region_id.unwrap_or(-1);
        let ids = chain::stores_of_region(conn, brand_id, region).await?;
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
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |p| p.id);
    let items = payee_views(conn, brand_id, rows).await?;
    Ok(Page { items, next_cursor })
}

fn date_filter(field: &str, value: Option<&str>) -> AppResult<Option<String>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if validate::parse_date(v).is_some() => Ok(Some(v.to_string())),
        Some(_) => Err(AppError::invalid(field, "date_format")),
    }
}
/// Withdrawals across `by`'s scope, newest first, filtered by store,
/// region, state and request date (the brand's local dates, inclusive).
pub async fn list(
    state: &AppState,
    by: &Actor,
    query: &WithdrawalQuery,
) -> AppResult<Page<WithdrawalView>> {
    let brand_id = by.brand.id;
    let mut q = withdrawal::Entity::find().filter(withdrawal::Column::BrandId.eq(brand_id));
    match by.role {
        Role::HqAdmin | Role::HqFinance => {}
        Role::RegionManager => {
            let region = by.region_id.unwrap_or(-1);
            let ids = chain::stores_of_region(&state.db, brand_id, region).await?;
            q = q.filter(withdrawal::Column::StoreId.is_in(ids));
        }
        Role::StoreManager | Role::Clerk => {
            q = q.filter(withdrawal::Column::StoreId.eq(by.store_id.unwrap_or(-1)));
        }
    }
    if let Some(s) = query.store_id {
        q = q.filter(withdrawal::Column::StoreId.eq(s));
    }
    if let Some(r) = query.region_id {
        let ids = chain::stores_of_region(&state.db, brand_id, r).await?;
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
    let items = withdrawal_views(&state.db, by, state.manual_payouts, rows).await?;
    Ok(Page { items, next_cursor })
}

/// How many withdrawals, payee changes and gateway refunds wait for HQ.
pub async fn pending(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<HqPending> {
    let withdrawals = withdrawal::Entity::find()
        .filter(withdrawal::Column::BrandId.eq(brand_id))
        .filter(withdrawal::Column::State.eq(WithdrawalState::Requested.as_str()))
        .count(conn)
        .await?;
    let payee_changes = payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .filter(payee_account::Column::State.eq(PayeeState::Pending.as_str()))
        .count(conn)
        .await?;
    let refund_tasks = crate::gateway_orders::refund_tasks::open_count(conn, brand_id).await?;
    Ok(HqPending {
        withdrawals: i64::try_from(withdrawals).unwrap_or(i64::MAX),
        payee_changes: i64::try_from(payee_changes).unwrap_or(i64::MAX),
        refund_tasks: i64::try_from(refund_tasks).unwrap_or(i64::MAX),
    })
}
