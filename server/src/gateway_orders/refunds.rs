//! Refunds through the gateway: queued in the transaction that decides them
//! (an outbox), sent after commit and by the `gateway_refunds` job, each
//! refund number refunded once by the gateway however often it is sent. A
//! refund refused [`MAX_REFUND_REFUSALS`] times becomes a task for HQ
//! finance ([`super::refund_tasks`]).

use super::RefundState;
use crate::entity::{gateway_order, gateway_refund};
use crate::error::{AppError, AppResult};
use crate::gateway::{GatewayError, RefundDone, RefundOrder};
use crate::jobs;
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use shared::ErrorCode;
use shared::dto::{JobName, OrderPurpose};

/// Queues a refund of `amount` through the gateway order `order_id`, one
/// that must exist (a payment's own order): [`queue_refund`].
pub async fn queue_refund_of(
    tx: &impl ConnectionTrait,
    order_id: i64,
    amount: i64,
    reason: &str,
    now: i64,
) -> AppResult<()> {
    let order = gateway_order::Entity::find_by_id(order_id)
        .one(tx)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("gateway order {order_id} missing")))?;
    queue_refund(tx, &order, amount, reason, now).await
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
    let answer = app.gateway.refund(&req).await;
    let Some((u, done)) = recorded(r, answer, now) else {
        return Ok(false);
    };
    let tx = crate::db::begin_write(&app.db).await?;
    u.exec(&tx).await?;
    tx.commit().await?;
    Ok(done)
}

/// How the gateway's answer to a refund is recorded, and whether it
/// confirmed it; nothing when it did not answer (sent again at the next
/// sweep, and not counted against the refusals allowed).
fn recorded(
    r: &gateway_refund::Model,
    answer: Result<RefundDone, GatewayError>,
    now: i64,
) -> Option<(sea_orm::UpdateMany<gateway_refund::Entity>, bool)> {
    let tries = r.attempts + 1;
    // Every outcome is a compare-and-set from the try this sender saw.
    let u = gateway_refund::Entity::update_many()
        .col_expr(gateway_refund::Column::Attempts, Expr::value(tries))
        .filter(gateway_refund::Column::Id.eq(r.id))
        .filter(gateway_refund::Column::State.eq(RefundState::Pending.as_str()))
        .filter(gateway_refund::Column::Attempts.eq(r.attempts));
    let state = |s: RefundState| Expr::value(s.as_str());
    match answer {
        Ok(_) => Some((
            u.col_expr(gateway_refund::Column::State, state(RefundState::Succeeded))
                .col_expr(gateway_refund::Column::DoneAt, Expr::value(now)),
            true,
        )),
        Err(GatewayError::Refused { code, message }) if tries >= MAX_REFUND_REFUSALS => {
            tracing::error!(refund = %r.refund_no, %code, %message, "gateway refused a refund for good; a task for HQ finance");
            let failure = Expr::value(format!("{code}: {message}"));
            Some((
                u.col_expr(gateway_refund::Column::State, state(RefundState::Failed))
                    .col_expr(gateway_refund::Column::DoneAt, Expr::value(now))
                    .col_expr(gateway_refund::Column::Failure, failure),
                false,
            ))
        }
        Err(GatewayError::Refused { code, message }) => {
            tracing::warn!(refund = %r.refund_no, %code, %message, tries, "gateway refused a refund; sent again later");
            let next = Expr::value(now + refund_backoff_ms(tries));
            let failure = Expr::value(format!("{code}: {message}"));
            Some((
                u.col_expr(gateway_refund::Column::NextAttemptAt, next)
                    .col_expr(gateway_refund::Column::Failure, failure),
                false,
            ))
        }
        Err(GatewayError::Unreachable(e)) => {
            // No answer is not a refusal.
            tracing::warn!(refund = %r.refund_no, "gateway refund not confirmed: {e}; will retry");
            None
        }
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
        .filter(gateway_order::Column::Purpose.eq(OrderPurpose::TopUp.as_str()))
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
