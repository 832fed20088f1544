//! Money at a store's counter: a member topped up in cash or by card taken
//! by the store (counting toward that store), and 退卡, a member's stored
//! value paid back (principal the way it came in, the bonus clawed back).
//!
//! Locks, in order: the store's wallet (`wallet:ID`, the counter cash
//! counts against what it may withdraw), then the member's accounts.

use super::settings::{plan_bonus, settings, within_cap};
use super::{positive, posted, unprocessable};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::db::lock_key;
use crate::error::{AppError, AppResult, unknown_as};
use crate::gateway_orders;
use crate::idempotency::{self, IdemKey, Scope};
use crate::identity::members;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::DatabaseTransaction;
use shared::ErrorCode;
use shared::dto::{AuditAction, AuditField, AuditValue, EntryKind};
use shared::dto::{
    CloseStoredValue, CounterMemberView, CounterTopUp, MemberMoney, Role, StoredValueClosed,
    TopUpReceipt,
};
use shared::money::Fen;
use shared::validate::{self, mask_phone};

/// A clerk or store manager tops a member up at their store's counter,
/// under the key.
pub async fn top_up(
    state: &AppState,
    by: Actor,
    key: IdemKey,
    req: CounterTopUp,
) -> AppResult<Response> {
    let store_id = match (by.role, by.store_id) {
        (Role::Clerk | Role::StoreManager, Some(id)) => id,
        _ => return Err(AppError::forbidden()),
    };
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "topup");
    let body = req.clone();
    idempotency::run(&state.db, scope, key, &body, now, move |tx, op_id| {
        Box::pin(async move { book_top_up(tx, &by, store_id, &req, op_id, now).await })
    })
    .await
}

/// Books a counter top-up at `store_id` in `tx` (`op_id`: the idempotency
/// record's own id, the entry's).
pub async fn book_top_up(
    tx: &DatabaseTransaction,
    by: &Actor,
    store_id: i64,
    req: &CounterTopUp,
    op_id: String,
    now: i64,
) -> AppResult<TopUpReceipt> {
    let phone =
        validate::phone(&req.member_phone).map_err(|r| AppError::invalid("member_phone", r))?;
    let amount = positive(req.amount)?;
    let rules = settings(tx, by.brand.id).await?;
    // A plan fixes the price and adds its bonus; without one the
    // amount is custom, if HQ allows that.
    let bonus = plan_bonus(tx, by.brand.id, req.plan_id, amount, &rules).await?;
    let shop = store_in_brand(tx, by.brand.id, store_id).await?;
    if !shop.active {
        return Err(unprocessable(ErrorCode::StoreClosed));
    }
    let m = members::by_phone(tx, by.brand.id, &phone).await?;
    if m.frozen {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::MemberFrozen,
        ));
    }
    // The cash taken counts against what the store may withdraw:
    // the wallet's lock (before the member's, as refunds take them).
    lock_key(tx, &format!("wallet:{}", shop.id)).await?;
    let funds = ledger::lock_member(tx, by.brand.id, m.id, now).await?;
    let after = within_cap(funds.total(), amount, bonus, &rules)?;
    let expense = ledger::account_id(tx, by.brand.id, Kind::PromotionExpense, 0, now).await?;
    let clearing = ledger::account_id(tx, by.brand.id, Kind::CounterClearing, shop.id, now).await?;
    let entry_id = posted(
        ledger::post(
            tx,
            Entry {
                brand_id: by.brand.id,
                kind: EntryKind::TopUp,
                op_ref: format!("counter:{op_id}"),
                store_id: Some(shop.id),
                member_id: Some(m.id),
                member_delta: amount + bonus,
                member_balance_after: Some(after),
                actor: by.name(),
                business_date: ledger::business_date(&by.brand.time_zone, now),
                at: now,
                lines: vec![
                    Line::fen(clearing, -amount),
                    Line::fen(funds.principal_account, amount),
                    Line::fen(expense, -bonus),
                    Line::fen(funds.bonus_account, bonus),
                ],
            },
        )
        .await,
    )?;
    let mut rec = Record::new(AuditAction::MemberCounterTopUp, members::target(&m))
        .store(shop.id)
        .amount(amount)
        .extra(serde_json::json!({ "entry": entry_id, "plan": req.plan_id }));
    if bonus > Fen::ZERO {
        rec = rec.set(AuditField::Bonus, AuditValue::Money(bonus));
    }
    audit::by(tx, by, now, rec).await?;
    Ok(TopUpReceipt {
        entry_id,
        member_id: m.id,
        member_phone_masked: mask_phone(&m.phone),
        amount,
        bonus,
        balance_after: after,
        at: rfc3339(now),
    })
}

/// 退卡: a store manager (at their store) or HQ (naming the store) pays a
/// member's stored value back and closes it, under the key; the gateway
/// refunds go out at once.
pub async fn close(
    state: &AppState,
    by: Actor,
    member_id: i64,
    key: IdemKey,
    req: CloseStoredValue,
) -> AppResult<Response> {
    let store_id = super::paying_back_at(&by, req.store_id)?;
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "close");
    let sender = state.clone();
    let identity = (member_id, &req);
    let answer = idempotency::run(&state.db, scope, key, &identity, now, move |tx, op_id| {
        Box::pin(async move { book_close(tx, &by, store_id, member_id, op_id, now).await })
    })
    .await;
    // Send the gateway refunds now rather than at the next sweep.
    tokio::spawn(async move {
        if let Err(e) = gateway_orders::send_refunds(&sender).await {
            tracing::warn!("sending gateway refunds: {e:?}");
        }
    });
    answer
}

/// Books a 退卡 of the member at `store_id` in `tx`.
pub async fn book_close(
    tx: &DatabaseTransaction,
    by: &Actor,
    store_id: i64,
    member_id: i64,
    op_id: String,
    now: i64,
) -> AppResult<StoredValueClosed> {
    let shop = store_in_brand(tx, by.brand.id, store_id)
        .await
        .map_err(unknown_as("store_id"))?;
    let m = members::in_brand(tx, by.brand.id, member_id).await?;
    // Cash paid back at the counter changes what the store holds for
    // HQ: the wallet's lock first, as counter top-ups and refunds.
    lock_key(tx, &format!("wallet:{}", shop.id)).await?;
    let funds = ledger::lock_member(tx, by.brand.id, m.id, now).await?;
    if !funds.total().is_positive() {
        return Err(unprocessable(ErrorCode::NothingToRefund));
    }
    // Principal goes back the way it came: online top-ups through
    // the gateway (newest first), the rest in cash at the counter.
    let mut left = funds.principal.0;
    let mut via_gateway = 0;
    for (order, share) in gateway_orders::gateway_shares(tx, by.brand.id, m.id, left).await? {
        gateway_orders::queue_refund(tx, &order, share, "close", now).await?;
        via_gateway += share;
        left -= share;
    }
    let cash = Fen(left);
    let gateway = ledger::account_id(tx, by.brand.id, Kind::GatewayClearing, 0, now).await?;
    let clearing = ledger::account_id(tx, by.brand.id, Kind::CounterClearing, shop.id, now).await?;
    let expense = ledger::account_id(tx, by.brand.id, Kind::PromotionExpense, 0, now).await?;
    let entry_id = posted(
        ledger::post(
            tx,
            Entry {
                brand_id: by.brand.id,
                kind: EntryKind::Close,
                op_ref: format!("close:{op_id}"),
                store_id: Some(shop.id),
                member_id: Some(m.id),
                member_delta: -funds.total(),
                member_balance_after: Some(Fen::ZERO),
                actor: by.name(),
                business_date: ledger::business_date(&by.brand.time_zone, now),
                at: now,
                lines: vec![
                    Line::fen(funds.principal_account, -funds.principal),
                    Line::fen(gateway, Fen(via_gateway)),
                    Line::fen(clearing, cash),
                    Line::fen(funds.bonus_account, -funds.bonus),
                    Line::fen(expense, funds.bonus),
                ],
            },
        )
        .await,
    )?;
    let rec = Record::new(AuditAction::MemberCloseStoredValue, members::target(&m))
        .store(shop.id)
        .amount(funds.principal)
        .change(AuditField::Bonus, AuditValue::Money(funds.bonus), None)
        .extra(
            serde_json::json!({ "entry": entry_id, "via_gateway": via_gateway, "cash": cash.0 }),
        );
    audit::by(tx, by, now, rec).await?;
    Ok(StoredValueClosed {
        entry_id,
        principal_refunded: funds.principal,
        via_gateway: Fen(via_gateway),
        cash,
        bonus_clawed_back: funds.bonus,
        at: rfc3339(now),
    })
}

/// The member a counter top-up is for (a clerk or store manager sees who
/// they are and what they hold before taking the money).
pub async fn counter_member(
    state: &AppState,
    by: &Actor,
    phone: &str,
) -> AppResult<CounterMemberView> {
    let phone = validate::phone(phone).map_err(|r| AppError::invalid("member_phone", r))?;
    let m = members::by_phone(&state.db, by.brand.id, &phone).await?;
    let (principal, bonus) = ledger::member_balance(&state.db, by.brand.id, m.id).await?;
    let rules = settings(&state.db, by.brand.id).await?;
    Ok(CounterMemberView {
        phone_masked: mask_phone(&m.phone),
        name: m.name,
        frozen: m.frozen,
        principal,
        bonus,
        max_balance: rules.max_balance,
    })
}

/// A member's stored value by phone (for a store manager or HQ), and how
/// 退卡 would pay it back: the part that came through the gateway.
pub async fn member_money(state: &AppState, by: &Actor, phone: &str) -> AppResult<MemberMoney> {
    let phone = validate::phone(phone).map_err(|r| AppError::invalid("member_phone", r))?;
    let m = members::by_phone(&state.db, by.brand.id, &phone).await?;
    money_of(state, by, m).await
}

/// The same by member id (HQ's member page opens 退卡 with it).
pub async fn member_money_by_id(state: &AppState, by: &Actor, id: i64) -> AppResult<MemberMoney> {
    let m = members::in_brand(&state.db, by.brand.id, id).await?;
    money_of(state, by, m).await
}

/// Member `m`'s stored value and how 退卡 would pay it back.
async fn money_of(
    state: &AppState,
    by: &Actor,
    m: crate::entity::member::Model,
) -> AppResult<MemberMoney> {
    let (principal, bonus) = ledger::member_balance(&state.db, by.brand.id, m.id).await?;
    let shares = gateway_orders::gateway_shares(&state.db, by.brand.id, m.id, principal.0).await?;
    let via_gateway = Fen::checked_sum(shares.iter().map(|(_, s)| Fen(*s)))
        .ok_or_else(|| AppError::overflow("gateway shares"))?;
    Ok(MemberMoney {
        member_id: m.id,
        phone_masked: mask_phone(&m.phone),
        name: m.name,
        frozen: m.frozen,
        principal,
        bonus,
        via_gateway,
    })
}
