//! Self top-up through the payment gateway: our side of each order.
//!
//! An order is `created` when the member starts it and goes to the gateway's
//! hosted checkout. What the gateway says, by a signed callback or by our
//! query, is applied by [`apply`]: a success credits the member exactly once
//! (the order row is locked and moves only forward; the journal entry is
//! unique on the order number), a failure never undoes a success, and a
//! success that arrives after we closed the order still credits and is
//! flagged `late`. A payment that would take the member past the brand's
//! balance cap is refunded through the gateway instead of credited.
//!
//! Callbacks get lost, so [`sweep`] (run every few seconds by `serve`, and
//! by tests) queries orders left open, closes expired ones at the gateway
//! first (never just marking them unpaid), and sends queued refunds.

use crate::db::{begin_write, lock_key};
use crate::entity::{brand, gateway_nonce, gateway_order, gateway_refund, journal_entry, payment};
use crate::error::{AppError, AppResult};
use crate::gateway::{GatewayError, RefundOrder, Trade, TradeState};
use crate::jobs;
use crate::ledger::{self, Entry, Kind, Line, PostError};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use axum::http::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use shared::ErrorCode;
use shared::dto::JobName;
use shared::dto::{OrderState, TopUpOrderView};
use shared::money::Fen;

/// How long a checkout stays payable.
pub const ORDER_TTL_MS: i64 = 15 * 60 * 1000;
/// Orders older than this with no news are queried by the sweep.
pub const QUERY_AFTER_MS: i64 = 60 * 1000;

/// Whether the order may still be paid at the checkout.
pub fn is_open(o: &gateway_order::Model) -> bool {
    matches!(state_of(o), OrderState::Created | OrderState::Failed)
}

/// Where an order stands, as the apps name it.
pub fn state_of(o: &gateway_order::Model) -> OrderState {
    OrderState::parse(&o.state).unwrap_or(OrderState::Created)
}

shared::named_enum! {
    /// Where a refund through the gateway stands.
    pub enum RefundState {
        /// Queued or sent, not settled.
        Pending = "pending",
        /// The gateway paid it back.
        Succeeded = "succeeded",
        /// The gateway refused it: HQ resolves it by hand.
        Failed = "failed",
    }
}

/// The member's view of an order.
pub async fn view(
    conn: &impl ConnectionTrait,
    o: &gateway_order::Model,
) -> AppResult<TopUpOrderView> {
    let balance_after = if o.state == OrderState::Paid.as_str() && o.purpose != PAYMENT {
        journal_entry::Entity::find()
            .filter(journal_entry::Column::BrandId.eq(o.brand_id))
            .filter(journal_entry::Column::Kind.eq("topup"))
            .filter(journal_entry::Column::OpRef.eq(op_ref(o)))
            .one(conn)
            .await?
            .and_then(|e| e.member_balance_after)
            .map(Fen)
    } else {
        None
    };
    let state = state_of(o);
    let store_name = match o.store_id {
        Some(id) => crate::entity::store::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|s| s.name),
        None => None,
    };
    let channel_url = if o.purpose == PAYMENT && o.state == OrderState::Paid.as_str() {
        settings(conn, o.brand_id).await?.channel_url
    } else {
        None
    };
    Ok(TopUpOrderView {
        purpose: o.purpose.clone(),
        store_name,
        stored_value: Fen(o.sv_principal + o.sv_bonus),
        payment_id: o.payment_id,
        channel_url,
        id: o.id,
        order_no: o.order_no.clone(),
        amount: Fen(o.amount),
        bonus: Fen(o.bonus),
        state,
        checkout_url: if is_open(o) {
            o.checkout_url.clone()
        } else {
            None
        },
        balance_after,
        created_at: crate::clock::rfc3339(o.created_at),
    })
}

fn op_ref(o: &gateway_order::Model) -> String {
    format!("gateway:{}", o.order_no)
}

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

async fn close_spending(app: &AppState, order_id: i64, nonce: Option<&str>) -> AppResult<()> {
    let now = app.clock.now_ms();
    let tx = begin_write(&app.db).await?;
    lock_key(&tx, &format!("gateway-order:{order_id}")).await?;
    spend_nonce(&tx, nonce, now).await?;
    let o = gateway_order::Entity::find_by_id(order_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
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
    let held = o.sv_principal + o.sv_bonus;
    if o.purpose == PAYMENT && held > 0 {
        let b = brand_of(&tx, o.brand_id).await?;
        let funds = ledger::lock_member(&tx, o.brand_id, o.member_id, now).await?;
        let hold = ledger::account_id(&tx, o.brand_id, Kind::MemberHold, o.member_id, now).await?;
        post_or_fail(
            &tx,
            Entry {
                brand_id: o.brand_id,
                kind: "release",
                op_ref: o.order_no.clone(),
                store_id: o.store_id,
                member_id: Some(o.member_id),
                member_delta: Fen(held),
                member_balance_after: Some(Fen(funds.total().0 + held)),
                actor: format!("member:{}", o.member_id),
                business_date: ledger::business_date(&b.time_zone, now),
                at: now,
                lines: vec![
                    Line::fen(hold, Fen(-held)),
                    Line::fen(funds.principal_account, Fen(o.sv_principal)),
                    Line::fen(funds.bonus_account, Fen(o.sv_bonus)),
                ],
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The purpose of a split payment's gateway order.
pub const PAYMENT: &str = "payment";

async fn brand_of(conn: &impl ConnectionTrait, id: i64) -> AppResult<brand::Model> {
    brand::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Posts an entry whose debits were checked under the member's lock.
pub async fn post_or_fail(tx: &sea_orm::DatabaseTransaction, entry: Entry<'_>) -> AppResult<i64> {
    match ledger::post(tx, entry).await {
        Ok(id) => Ok(id),
        Err(PostError::Overdrawn) => Err(AppError::Internal(anyhow::anyhow!(
            "a debit guard fired on a checked posting"
        ))),
        Err(PostError::Db(e)) => Err(e.into()),
    }
}

async fn credit(
    app: &AppState,
    order_id: i64,
    trade: &Trade,
    nonce: Option<&str>,
) -> AppResult<()> {
    let now = app.clock.now_ms();
    let tx = begin_write(&app.db).await?;
    lock_key(&tx, &format!("gateway-order:{order_id}")).await?;
    spend_nonce(&tx, nonce, now).await?;
    let o = gateway_order::Entity::find_by_id(order_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if o.state == OrderState::Paid.as_str() || o.state == OrderState::Refunded.as_str() {
        // A duplicate or reordered callback, or a query after the callback.
        tx.commit().await?;
        return Ok(());
    }
    let late = o.state == OrderState::Closed.as_str();
    if o.purpose == PAYMENT {
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
    let clearing = ledger::account_id(&tx, o.brand_id, Kind::GatewayClearing, 0, now).await?;
    let expense = ledger::account_id(&tx, o.brand_id, Kind::PromotionExpense, 0, now).await?;
    post_or_fail(
        &tx,
        Entry {
            brand_id: o.brand_id,
            kind: "topup",
            op_ref: op_ref(&o),
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
    tx.commit().await?;
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
/// payment appears at the store. If we had closed the order (the held value
/// went back to the member), the gateway money is refunded instead and the
/// order flagged.
async fn settle_payment(
    app: &AppState,
    tx: sea_orm::DatabaseTransaction,
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
    let store_id = o.store_id.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("payment order {} has no store", o.order_no))
    })?;
    let b = brand_of(&tx, o.brand_id).await?;
    let rules = settings(&tx, o.brand_id).await?;
    let plan = o.plan();
    let settled = plan.bonus_settled(shared::money::Bp(rules.bonus_settle_bp));
    let p = payment::ActiveModel::booked(
        [o.brand_id, store_id, o.member_id],
        &plan,
        settled,
        Some(o.id),
        now,
    )
    .insert(&tx)
    .await?;
    mark(OrderState::Paid.as_str(), Some(p.id))
        .exec(&tx)
        .await?;
    let hold = ledger::account_id(&tx, o.brand_id, Kind::MemberHold, o.member_id, now).await?;
    let clearing = ledger::account_id(&tx, o.brand_id, Kind::GatewayClearing, 0, now).await?;
    let wallet = ledger::account_id(&tx, o.brand_id, Kind::StoreWallet, store_id, now).await?;
    let income = ledger::account_id(&tx, o.brand_id, Kind::BonusIncome, 0, now).await?;
    let accounts = ledger::PaymentAccounts {
        stored: ledger::StoredFrom::Hold(hold),
        wallet,
        income,
        gateway: Some(clearing),
        promotion: None,
        points: None,
    };
    let lines = ledger::payment_lines(&accounts, &plan, settled)
        .map_err(|m| AppError::Internal(anyhow::anyhow!("split payment needs {m:?}")))?;
    // The member's balance already went down when the value was held; the
    // hold's debit is guarded like any other.
    post_or_fail(
        &tx,
        Entry {
            brand_id: o.brand_id,
            kind: "payment",
            op_ref: p.id.to_string(),
            store_id: Some(store_id),
            member_id: None,
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: format!("member:{}", o.member_id),
            business_date: ledger::business_date(&b.time_zone, now),
            at: now,
            lines,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Queues a refund through the gateway, sent after commit by [`send_refunds`].
pub async fn queue_refund(
    tx: &impl ConnectionTrait,
    o: &gateway_order::Model,
    amount: i64,
    reason: &str,
    now: i64,
) -> AppResult<()> {
    // Never more back through the gateway than it took.
    let counted = gateway_order::Entity::update_many()
        .col_expr(
            gateway_order::Column::Refunded,
            Expr::col(gateway_order::Column::Refunded).add(amount),
        )
        .filter(gateway_order::Column::Id.eq(o.id))
        .filter(
            Expr::col(gateway_order::Column::Refunded)
                .add(amount)
                .lte(Expr::col(gateway_order::Column::Amount)),
        )
        .exec(tx)
        .await?;
    if counted.rows_affected != 1 {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::RefundTooLarge)
                .with("refundable", o.amount - o.refunded),
        );
    }
    gateway_refund::ActiveModel {
        brand_id: Set(o.brand_id),
        order_id: Set(o.id),
        refund_no: Set(format!("R{}-{}", o.order_no, o.refunded + amount)),
        amount: Set(amount),
        state: Set(RefundState::Pending.as_str().into()),
        reason: Set(reason.into()),
        attempts: Set(0),
        created_at: Set(now),
        done_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Asks the gateway where an open order stands and applies the answer.
pub async fn refresh(app: &AppState, o: &gateway_order::Model) -> AppResult<()> {
    gateway_order::Entity::update_many()
        .col_expr(
            gateway_order::Column::LastQueryAt,
            Expr::value(app.clock.now_ms()),
        )
        .filter(gateway_order::Column::Id.eq(o.id))
        .exec(&app.db)
        .await?;
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

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Open orders queried.
    pub queried: usize,
    /// Expired orders closed (or found paid) at the gateway.
    pub closed: usize,
    /// Refunds the gateway confirmed.
    pub refunds_sent: usize,
    /// Orders that could not be settled this time (logged; the rest went on).
    pub failed: usize,
}

/// Resolves orders whose callback never came and sends queued refunds.
/// Safe to run on several replicas at once: every step is idempotent.
pub async fn sweep(app: &AppState) -> AppResult<Sweep> {
    let mut report = sweep_orders(app).await?;
    report.refunds_sent = send_refunds(app).await?;
    Ok(report)
}

/// Asks the gateway about open orders whose callback never came, and closes
/// expired ones there first (the job runner's `gateway_orders`). An order
/// that cannot be settled is recorded for its brand's HQ admin
/// ([`jobs::item_failed`]) and the others go on.
pub async fn sweep_orders(app: &AppState) -> AppResult<Sweep> {
    let now = app.clock.now_ms();
    let mut report = Sweep::default();
    let open = gateway_order::Entity::find()
        .filter(
            gateway_order::Column::State
                .is_in([OrderState::Created.as_str(), OrderState::Failed.as_str()]),
        )
        .filter(gateway_order::Column::CreatedAt.lte(now - QUERY_AFTER_MS))
        .order_by_asc(gateway_order::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?;
    for o in open {
        let expired = now > o.expires_at;
        let outcome = if expired {
            close(app, &o).await
        } else {
            refresh(app, &o).await
        };
        let item = (o.brand_id, o.order_no.as_str());
        match jobs::handled(app, JobName::GatewayOrders, item.0, item.1, outcome).await {
            Some(()) if expired => report.closed += 1,
            Some(()) => report.queried += 1,
            None => report.failed += 1,
        }
    }
    gateway_nonce::Entity::delete_many()
        .filter(gateway_nonce::Column::CreatedAt.lt(now - 2 * crate::gateway::MAX_SKEW_MS))
        .exec(&app.db)
        .await?;
    Ok(report)
}

/// Sends pending gateway refunds; each refund number is refunded once by the
/// gateway however often it is sent.
pub async fn send_refunds(app: &AppState) -> AppResult<usize> {
    let now = app.clock.now_ms();
    let pending = gateway_refund::Entity::find()
        .filter(gateway_refund::Column::State.eq(RefundState::Pending.as_str()))
        .filter(
            gateway_refund::Column::NextAttemptAt
                .is_null()
                .or(gateway_refund::Column::NextAttemptAt.lte(now)),
        )
        .order_by_asc(gateway_refund::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?;
    let mut sent = 0;
    for r in pending {
        // Each refund on its own: one that cannot be sent holds up no other.
        let outcome = send_refund(app, &r).await;
        let item = (r.brand_id, r.refund_no.as_str());
        if let Some(confirmed) =
            jobs::handled(app, JobName::GatewayRefunds, item.0, item.1, outcome).await
        {
            sent += usize::from(confirmed);
        }
    }
    Ok(sent)
}

/// Refusals of one refund before it is given up and handed to HQ finance
/// (`attempts` counts the gateway's answers; no answer is not counted).
pub const MAX_REFUND_REFUSALS: i32 = 5;

/// How long after its `n`th refusal a refund is sent again: 1 min, 5 min,
/// 30 min, 2 h.
pub fn refund_backoff_ms(n: i32) -> i64 {
    match n {
        ..=1 => 60_000,
        2 => 5 * 60_000,
        3 => 30 * 60_000,
        _ => 2 * 3_600_000,
    }
}

/// Sends one refund; whether the gateway confirmed it.
async fn send_refund(app: &AppState, r: &gateway_refund::Model) -> AppResult<bool> {
    {
        let Some(o) = gateway_order::Entity::find_by_id(r.order_id)
            .one(&app.db)
            .await?
        else {
            return Ok(false);
        };
        let req = RefundOrder {
            merchant_id: app.gateway.merchant_id(o.brand_id),
            order_no: o.order_no.clone(),
            refund_no: r.refund_no.clone(),
            amount: r.amount,
        };
        let now = app.clock.now_ms();
        let tries = r.attempts + 1;
        // Every outcome is a compare-and-set from the try this sender saw.
        let u = gateway_refund::Entity::update_many()
            .col_expr(gateway_refund::Column::Attempts, Expr::value(tries))
            .filter(gateway_refund::Column::Id.eq(r.id))
            .filter(gateway_refund::Column::State.eq(RefundState::Pending.as_str()))
            .filter(gateway_refund::Column::Attempts.eq(r.attempts));
        let (u, done) = match app.gateway.refund(&req).await {
            Ok(_) => (
                u.col_expr(
                    gateway_refund::Column::State,
                    Expr::value(RefundState::Succeeded.as_str()),
                )
                .col_expr(gateway_refund::Column::DoneAt, Expr::value(now)),
                true,
            ),
            Err(GatewayError::Refused { code, message }) if tries >= MAX_REFUND_REFUSALS => {
                tracing::error!(refund = %r.refund_no, %code, %message, "gateway refused a refund for good; a task for HQ finance");
                (
                    u.col_expr(
                        gateway_refund::Column::State,
                        Expr::value(RefundState::Failed.as_str()),
                    )
                    .col_expr(gateway_refund::Column::DoneAt, Expr::value(now))
                    .col_expr(
                        gateway_refund::Column::Failure,
                        Expr::value(format!("{code}: {message}")),
                    ),
                    false,
                )
            }
            Err(GatewayError::Refused { code, message }) => {
                tracing::warn!(refund = %r.refund_no, %code, %message, tries, "gateway refused a refund; sent again later");
                (
                    u.col_expr(
                        gateway_refund::Column::NextAttemptAt,
                        Expr::value(now + refund_backoff_ms(tries)),
                    )
                    .col_expr(
                        gateway_refund::Column::Failure,
                        Expr::value(format!("{code}: {message}")),
                    ),
                    false,
                )
            }
            Err(GatewayError::Unreachable(e)) => {
                // No answer is not a refusal: sent again at the next sweep,
                // and not counted against the refusals allowed.
                tracing::warn!(refund = %r.refund_no, "gateway refund not confirmed: {e}; will retry");
                return Ok(false);
            }
        };
        u.exec(&app.db).await?;
        Ok(done)
    }
}

/// How `principal` would go back through the gateway: the member's paid
/// online top-ups, newest first, each up to what is left to refund of it.
pub async fn gateway_shares(
    conn: &impl sea_orm::ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    principal: i64,
) -> AppResult<Vec<(gateway_order::Model, i64)>> {
    let orders = gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(brand_id))
        .filter(gateway_order::Column::MemberId.eq(member_id))
        .filter(gateway_order::Column::State.eq(shared::dto::OrderState::Paid.as_str()))
        // Only top-ups became stored value; a split payment's online part
        // paid the store.
        .filter(gateway_order::Column::Purpose.eq("topup"))
        .order_by_desc(gateway_order::Column::Id)
        .all(conn)
        .await?;
    let mut left = principal;
    let mut shares = Vec::new();
    for o in orders {
        let share = std::cmp::min(o.amount - o.refunded, left);
        if share > 0 {
            left -= share;
            shares.push((o, share));
        }
    }
    Ok(shares)
}
