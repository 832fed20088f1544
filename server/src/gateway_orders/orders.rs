//! Our side of each gateway order: what the gateway says about a trade,
//! by a signed callback or by our query, applied once and only forward
//! (under the order's lock, `gateway-order:ID`); closing an order at the
//! gateway first, then here, releasing a split payment's held value.

use super::refunds::queue_refund;
use super::{brand_of, is_open, op_ref};
use crate::db::{begin_write, lock_key};
use crate::entity::{brand, gateway_nonce, gateway_order};
use crate::error::{AppError, AppResult};
use crate::gateway::{GatewayError, Trade, TradeState};
use crate::ledger::post_or_fail;
use crate::ledger::{self, Entry, Kind, Line, MemberFunds};
use crate::state::AppState;
use crate::stored_value::payment::{Payer, settle_split};
use crate::stored_value::settings::settings;
use axum::http::StatusCode;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::EntryKind;
use shared::dto::{OrderPurpose, OrderState};
use shared::money::Fen;

/// Applies what the gateway says about a trade to our order.
pub async fn apply(app: &AppState, trade: &Trade) -> AppResult<()> {
    apply_spending(app, trade, None).await
}

/// [`apply`] for a signed callback: its `nonce` is spent in the transaction
/// that applies it, so a failure leaves it unspent for the gateway's retry,
/// and a replay of an applied callback is refused ([`REPLAYED`]).
pub async fn apply_callback(app: &AppState, trade: &Trade, nonce: &str) -> AppResult<()> {
    apply_spending(app, trade, Some(nonce)).await
}

/// The reason of the 409 a replayed callback gets.
pub const REPLAYED: &str = "replayed";

/// Records a callback's nonce in `tx`; a nonce seen before is a replay.
async fn spend_nonce(
    tx: &sea_orm::DatabaseTransaction,
    nonce: Option<&str>,
    now: i64,
) -> AppResult<()> {
    let Some(nonce) = nonce else {
        return Ok(());
    };
    let inserted = gateway_nonce::Entity::insert(gateway_nonce::ActiveModel {
        nonce: Set(nonce.into()),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(gateway_nonce::Column::Nonce)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(tx)
    .await?;
    if inserted == 0 {
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict).with("reason", REPLAYED)
        );
    }
    Ok(())
}

async fn apply_spending(app: &AppState, trade: &Trade, nonce: Option<&str>) -> AppResult<()> {
    let order = gateway_order::Entity::find()
        .filter(gateway_order::Column::OrderNo.eq(&trade.order_no))
        .one(&app.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if trade.merchant_id != app.gateway.merchant_id(order.brand_id) || trade.amount != order.amount
    {
        tracing::error!(order = %order.order_no, ?trade, "gateway trade does not match our order");
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict).with("reason", "mismatch")
        );
    }
    match trade.state {
        TradeState::Success => credit(app, order.id, trade, nonce).await,
        TradeState::Payerror => {
            // Only an order still waiting turns failed; paid stays paid.
            let tx = begin_write(&app.db).await?;
            spend_nonce(&tx, nonce, app.clock.now_ms()).await?;
            gateway_order::Entity::update_many()
                .col_expr(
                    gateway_order::Column::State,
                    Expr::value(OrderState::Failed.as_str()),
                )
                .filter(gateway_order::Column::Id.eq(order.id))
                .filter(gateway_order::Column::State.eq(OrderState::Created.as_str()))
                .exec(&tx)
                .await?;
            tx.commit().await?;
            Ok(())
        }
        TradeState::Closed => close_spending(app, order.id, nonce).await,
        TradeState::Notpay => {
            let tx = begin_write(&app.db).await?;
            spend_nonce(&tx, nonce, app.clock.now_ms()).await?;
            tx.commit().await?;
            Ok(())
        }
    }
}

/// Marks an open order closed; a split payment's held stored value goes
/// back to the member in the same transaction.
pub async fn close_here(app: &AppState, order_id: i64) -> AppResult<()> {
    close_spending(app, order_id, None).await
}

/// The order under its lock in a new write transaction, the callback's
/// nonce (if any) spent in it.
async fn locked(
    app: &AppState,
    order_id: i64,
    nonce: Option<&str>,
    now: i64,
) -> AppResult<(crate::db::WriteTx, gateway_order::Model)> {
    let tx = begin_write(&app.db).await?;
    lock_key(&tx, &format!("gateway-order:{order_id}")).await?;
    spend_nonce(&tx, nonce, now).await?;
    let o = gateway_order::Entity::find_by_id(order_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((tx, o))
}

async fn close_spending(app: &AppState, order_id: i64, nonce: Option<&str>) -> AppResult<()> {
    let now = app.clock.now_ms();
    let (tx, o) = locked(app, order_id, nonce, now).await?;
    if !is_open(&o) {
        tx.commit().await?;
        return Ok(());
    }
    gateway_order::Entity::update_many()
        .col_expr(
            gateway_order::Column::State,
            Expr::value(OrderState::Closed.as_str()),
        )
        .col_expr(gateway_order::Column::ClosedAt, Expr::value(now))
        .filter(gateway_order::Column::Id.eq(o.id))
        .exec(&tx)
        .await?;
    if super::holds_value(&o) {
        release_hold(&tx, &o, now).await?;
    }
    if o.coupon_id.is_some() {
        crate::coupons::redeem::release_reserved(&tx, o.id).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Gives a closed split payment's held stored value and points back to the
/// member (the points to the lots they came from).
async fn release_hold(
    tx: &DatabaseTransaction,
    o: &gateway_order::Model,
    now: i64,
) -> AppResult<()> {
    let held = o.sv_principal + o.sv_bonus;
    let b = brand_of(tx, o.brand_id).await?;
    let funds = ledger::lock_member(tx, o.brand_id, o.member_id, now).await?;
    let hold = ledger::account_id(tx, o.brand_id, Kind::MemberHold, o.member_id, now).await?;
    let points = crate::points::release_hold(tx, (o.brand_id, o.member_id), o.id, now).await?;
    post_or_fail(
        tx,
        Entry {
            brand_id: o.brand_id,
            kind: EntryKind::Release,
            op_ref: o.order_no.clone(),
            store_id: o.store_id,
            member_id: Some(o.member_id),
            member_delta: Fen(held),
            member_balance_after: Some(Fen(funds.total().0 + held)),
            actor: format!("member:{}", o.member_id),
            business_date: ledger::business_date(&b.time_zone, now),
            at: now,
            lines: [
                Line::fen(hold, Fen(-held)),
                Line::fen(funds.principal_account, Fen(o.sv_principal)),
                Line::fen(funds.bonus_account, Fen(o.sv_bonus)),
            ]
            .into_iter()
            .chain(points)
            .collect(),
        },
    )
    .await?;
    Ok(())
}

/// A gateway success on order `order_id`, under its lock: a top-up is
/// credited once (or refunded when it would pass the balance cap), a split
/// payment settled.
async fn credit(
    app: &AppState,
    order_id: i64,
    trade: &Trade,
    nonce: Option<&str>,
) -> AppResult<()> {
    let now = app.clock.now_ms();
    let (tx, o) = locked(app, order_id, nonce, now).await?;
    if o.state == OrderState::Paid.as_str() || o.state == OrderState::Refunded.as_str() {
        // A duplicate or reordered callback, or a query after the callback.
        tx.commit().await?;
        return Ok(());
    }
    let late = o.state == OrderState::Closed.as_str();
    if super::is_split(&o) {
        return settle_payment(app, tx, o, trade, late).await;
    }
    if late {
        tracing::warn!(order = %o.order_no, "payment arrived after the order was closed; crediting it and flagging it");
    }
    let b = brand_of(&tx, o.brand_id).await?;
    let rules = settings(&tx, o.brand_id).await?;
    let funds = ledger::lock_member(&tx, o.brand_id, o.member_id, now).await?;
    let after = funds
        .total()
        .checked_add(Fen(o.amount))
        .and_then(|a| a.checked_add(Fen(o.bonus)))
        .filter(|a| *a <= rules.max_balance);
    let mark = |to: &'static str| mark_paid(o.id, to, trade, now, late);
    let Some(after) = after else {
        // Paid, but crediting it would pass the cap (another top-up landed
        // meanwhile): send it all back the way it came.
        tracing::warn!(order = %o.order_no, "top-up would pass the balance cap; refunding it through the gateway");
        mark(OrderState::Refunded.as_str()).exec(&tx).await?;
        queue_refund(&tx, &o, o.amount, "over_cap", now).await?;
        tx.commit().await?;
        return Ok(());
    };
    mark(OrderState::Paid.as_str()).exec(&tx).await?;
    post_top_up(&tx, &o, &b, &funds, after, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A paid top-up's entry: its amount from gateway clearing to the member's
/// principal, its bonus from promotion expense to the member's bonus.
async fn post_top_up(
    tx: &DatabaseTransaction,
    o: &gateway_order::Model,
    b: &brand::Model,
    funds: &MemberFunds,
    after: Fen,
    now: i64,
) -> AppResult<()> {
    let clearing = ledger::account_id(tx, o.brand_id, Kind::GatewayClearing, 0, now).await?;
    let expense = ledger::account_id(tx, o.brand_id, Kind::PromotionExpense, 0, now).await?;
    post_or_fail(
        tx,
        Entry {
            brand_id: o.brand_id,
            kind: EntryKind::TopUp,
            op_ref: op_ref(o),
            store_id: None,
            member_id: Some(o.member_id),
            member_delta: Fen(o.amount + o.bonus),
            member_balance_after: Some(after),
            actor: format!("member:{}", o.member_id),
            business_date: ledger::business_date(&b.time_zone, now),
            at: now,
            lines: vec![
                Line::fen(clearing, Fen(-o.amount)),
                Line::fen(funds.principal_account, Fen(o.amount)),
                Line::fen(expense, Fen(-o.bonus)),
                Line::fen(funds.bonus_account, Fen(o.bonus)),
            ],
        },
    )
    .await?;
    Ok(())
}

/// The update that records a gateway success on an order (moving it `to`
/// paid, or refunded when it cannot be credited).
fn mark_paid(
    id: i64,
    to: &'static str,
    trade: &Trade,
    now: i64,
    late: bool,
) -> sea_orm::UpdateMany<gateway_order::Entity> {
    gateway_order::Entity::update_many()
        .col_expr(gateway_order::Column::State, Expr::value(to))
        .col_expr(
            gateway_order::Column::TxnId,
            Expr::value(trade.txn_id.clone()),
        )
        .col_expr(
            gateway_order::Column::PaidAt,
            Expr::value(trade.paid_at.unwrap_or(now)),
        )
        .col_expr(gateway_order::Column::Late, Expr::value(late))
        .filter(gateway_order::Column::Id.eq(id))
}

/// The gateway leg of a split payment succeeded: both legs post and the
/// payment appears at the store (for a card order: the card opens, funded
/// by both). If we had closed the order (the held value went back to the
/// member), the gateway money is refunded instead and the order flagged.
async fn settle_payment(
    app: &AppState,
    tx: crate::db::WriteTx,
    o: gateway_order::Model,
    trade: &Trade,
    late: bool,
) -> AppResult<()> {
    let now = app.clock.now_ms();
    let mark = |to: &'static str, payment_id: Option<i64>| {
        mark_paid(o.id, to, trade, now, late)
            .col_expr(gateway_order::Column::PaymentId, Expr::value(payment_id))
    };
    if late {
        tracing::warn!(order = %o.order_no, "split payment paid after we closed it; refunding the gateway part and flagging it");
        mark(OrderState::Refunded.as_str(), None).exec(&tx).await?;
        queue_refund(&tx, &o, o.amount, "late_payment", now).await?;
        tx.commit().await?;
        return Ok(());
    }
    if o.purpose == OrderPurpose::Card.as_str() {
        let b = brand_of(&tx, o.brand_id).await?;
        crate::cards::sale::settle_online(&tx, &b, &o, now).await?;
        mark(OrderState::Paid.as_str(), None).exec(&tx).await?;
        tx.commit().await?;
        return Ok(());
    }
    let store_id = o.store_id.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("payment order {} has no store", o.order_no))
    })?;
    let payer = Payer {
        brand: brand_of(&tx, o.brand_id).await?,
        member_id: o.member_id,
    };
    // The payment row and its entry belong to stored value; the order is
    // marked paid with the payment's id under the same lock.
    let payment_id = settle_split(&tx, &payer, store_id, &o.plan(), o.id, now).await?;
    if o.coupon_id.is_some() {
        crate::coupons::redeem::settle_reserved(&tx, o.id, payment_id, now).await?;
    }
    mark(OrderState::Paid.as_str(), Some(payment_id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Asks the gateway where an open order stands and applies the answer.
pub async fn refresh(app: &AppState, o: &gateway_order::Model) -> AppResult<()> {
    let tx = begin_write(&app.db).await?;
    gateway_order::Entity::update_many()
        .col_expr(
            gateway_order::Column::LastQueryAt,
            Expr::value(app.clock.now_ms()),
        )
        .filter(gateway_order::Column::Id.eq(o.id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    let merchant = app.gateway.merchant_id(o.brand_id);
    match app.gateway.query(&merchant, &o.order_no).await {
        Ok(trade) => apply(app, &trade).await,
        Err(GatewayError::Refused { code, .. }) if code == "ORDER_NOT_FOUND" => {
            // It never reached the gateway: once expired, it is closed.
            if app.clock.now_ms() > o.expires_at {
                close_here(app, o.id).await?;
            }
            Ok(())
        }
        Err(e) => {
            tracing::warn!(order = %o.order_no, "gateway query failed: {e}");
            Ok(())
        }
    }
}

/// Closes an open order at the gateway first, then here. If the gateway says
/// it was paid meanwhile, it is credited instead.
pub async fn close(app: &AppState, o: &gateway_order::Model) -> AppResult<()> {
    let merchant = app.gateway.merchant_id(o.brand_id);
    match app.gateway.close(&merchant, &o.order_no).await {
        Ok(trade) => apply(app, &trade).await,
        Err(GatewayError::Refused { code, .. }) if code == "ORDER_NOT_FOUND" => {
            close_here(app, o.id).await
        }
        Err(e) => {
            tracing::warn!(order = %o.order_no, "gateway close failed: {e}");
            Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::GatewayUnavailable,
            ))
        }
    }
}
