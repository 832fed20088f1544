//! Refunding a payment (DESIGN.md "Entries by operation"): the shared
//! refund plan splits it over every source the payment used, cumulatively;
//! the store gives back what it was credited, the member's stored value
//! and the gateway part (queued, sent after commit) get theirs back, in one
//! transaction under the request's idempotency key.
//!
//! Locks, in order: the payment (`payment:ID`), the store's wallet
//! (`wallet:ID`), then the member's accounts (`ledger::lock_member`).

use super::{posted, unprocessable};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::clock::rfc3339;
use crate::db::lock_key;
use crate::entity::payment;
use crate::error::{AppError, AppResult};
use crate::gateway_orders;
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger::{self, Entry, Kind};
use crate::points;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use shared::ErrorCode;
use shared::dto::{AuditAction, EntryKind};
use shared::dto::{RefundReceipt, RefundRequest, Role};
use shared::money::Fen;
use shared::plan::{RefundRefused, refund_plan};

/// Refunds `req.amount` of a payment under the key.
pub async fn refund(
    state: &AppState,
    by: Actor,
    payment_id: i64,
    key: IdemKey,
    req: RefundRequest,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "refund");
    let identity = (payment_id, &req);
    idempotency::run(&state.db, scope, key, &identity, now, move |tx, _| {
        Box::pin(async move { book(tx, &by, payment_id, req.amount, now).await })
    })
    .await
}

/// Books a refund of `amount` of the payment in `tx`.
pub async fn book(
    tx: &DatabaseTransaction,
    by: &Actor,
    payment_id: i64,
    amount: Fen,
    now: i64,
) -> AppResult<RefundReceipt> {
    // Zero voids a payment the coupon covered in full (the plan decides).
    if amount.0 < 0 {
        return Err(AppError::invalid("amount", "amount_positive"));
    }
    lock_key(tx, &format!("payment:{payment_id}")).await?;
    let p = payment::Entity::find_by_id(payment_id)
        .filter(payment::Column::BrandId.eq(by.brand.id))
        .one(tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if by.role == Role::StoreManager && by.store_id != Some(p.store_id) {
        return Err(AppError::not_found());
    }
    // Principal and bonus back to stored value, the gateway part
    // back the way it came; the store gives back what it was
    // credited, cumulatively, so a full refund takes back exactly
    // what the payment gave it.
    let back =
        refund_plan(&p.plan(), Fen(p.bonus_settled), &p.refunded(), amount).map_err(|refused| {
            match refused {
                RefundRefused::TooLarge(refundable) => {
                    unprocessable(ErrorCode::RefundTooLarge).with("refundable", refundable.0)
                }
                RefundRefused::NotPositive => AppError::invalid("amount", "amount_positive"),
            }
        })?;
    let (to_principal, to_bonus, to_gateway) = (back.principal, back.bonus, back.online);
    // What the payment earned goes back in proportion to the member's own
    // money refunded (all of it with the last refund).
    let own_after = Fen(p.refunded_principal + p.refunded_gateway) + to_principal + to_gateway;
    let earned_back = points::earned_back(p.points_earned, p.own(), own_after) - p.refunded_earned;
    let from_store = back.from_store();
    let wallet = ledger::account_id(tx, by.brand.id, Kind::StoreWallet, p.store_id, now).await?;
    let income = ledger::account_id(tx, by.brand.id, Kind::BonusIncome, 0, now).await?;
    lock_key(tx, &format!("wallet:{}", p.store_id)).await?;
    let available = ledger::summed_balance(tx, wallet).await?;
    if by.role == Role::StoreManager && available < from_store {
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::WalletShortfall)
                .with("available", available.0),
        );
    }
    let moved = payment::Entity::update_many()
        .col_expr(
            payment::Column::RefundedPrincipal,
            Expr::value(p.refunded_principal + to_principal.0),
        )
        .col_expr(
            payment::Column::RefundedBonus,
            Expr::value(p.refunded_bonus + to_bonus.0),
        )
        .col_expr(
            payment::Column::RefundedGateway,
            Expr::value(p.refunded_gateway + to_gateway.0),
        )
        .col_expr(
            payment::Column::RefundedPoints,
            Expr::value(p.refunded_points + back.points),
        )
        .col_expr(
            payment::Column::RefundedCoupon,
            Expr::value(p.refunded_coupon + back.coupon.0),
        )
        .col_expr(
            payment::Column::RefundedEarned,
            Expr::value(p.refunded_earned + earned_back),
        )
        .filter(payment::Column::Id.eq(p.id))
        .filter(payment::Column::RefundedGateway.eq(p.refunded_gateway))
        .filter(payment::Column::RefundedPrincipal.eq(p.refunded_principal))
        .filter(payment::Column::RefundedBonus.eq(p.refunded_bonus))
        .filter(payment::Column::RefundedPoints.eq(p.refunded_points))
        .filter(payment::Column::RefundedCoupon.eq(p.refunded_coupon))
        .filter(payment::Column::RefundedEarned.eq(p.refunded_earned))
        .exec(tx)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict));
    }
    let funds = ledger::lock_member(tx, by.brand.id, p.member_id, now).await?;
    // The money refunded no longer counts toward the member's level.
    crate::levels::refunded(
        tx,
        (by.brand.id, p.member_id),
        to_principal + to_bonus + to_gateway,
    )
    .await?;
    let back_to_member = to_principal + to_bonus;
    let after = funds.total() + back_to_member;
    let refunded_total = back.refunded_total;
    if to_gateway.is_positive() {
        let order_id = p.gateway_order_id.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!(
                "payment {} has a gateway part but no order",
                p.id
            ))
        })?;
        gateway_orders::queue_refund_of(tx, order_id, to_gateway.0, "payment_refund", now).await?;
    }
    let gateway = ledger::account_id(tx, by.brand.id, Kind::GatewayClearing, 0, now).await?;
    let promotion = ledger::account_id(tx, by.brand.id, Kind::PromotionExpense, 0, now).await?;
    // Refunded in full (or voided): the coupon goes back to the member,
    // exactly once (the payment's row above moved once).
    if back.coupon_back
        && crate::coupons::redeem::give_back(tx, p.id, now)
            .await?
            .is_none()
    {
        return Err(AppError::Internal(anyhow::anyhow!(
            "payment {} gives back a coupon it does not hold",
            p.id
        )));
    }
    // Points spent go back to the lots they came from; points earned are
    // taken back from the payment's lot, what was spent of them owed.
    let who = (by.brand.id, p.member_id);
    let points_accounts = if back.points > 0 {
        points::give_back(tx, p.id, back.points, now).await?;
        Some(points::payment_accounts(tx, who.0, who.1, now).await?)
    } else {
        None
    };
    let take_lines = points::take_back(tx, who, p.id, earned_back, now).await?;
    let accounts = ledger::PaymentAccounts {
        stored: ledger::StoredFrom::Accounts {
            principal: funds.principal_account,
            bonus: funds.bonus_account,
        },
        wallet,
        income,
        gateway: Some(gateway),
        promotion: Some(promotion),
        points: points_accounts,
    };
    let mut lines = ledger::refund_lines(&accounts, &back)
        .map_err(|m| AppError::Internal(anyhow::anyhow!("refund needs {m:?}")))?;
    lines.extend(take_lines);
    let lines = ledger::merged(lines);
    let entry_id = posted(
        ledger::post(
            tx,
            Entry {
                brand_id: by.brand.id,
                kind: EntryKind::Refund,
                op_ref: format!("{}:{}", p.id, refunded_total.0),
                store_id: Some(p.store_id),
                member_id: Some(p.member_id),
                member_delta: back_to_member,
                member_balance_after: Some(after),
                actor: by.name(),
                business_date: ledger::business_date(&by.brand.time_zone, now),
                at: now,
                lines,
            },
        )
        .await,
    )?;
    let rec = Record::new(AuditAction::PaymentRefund, format!("#{}", p.id))
        .store(p.store_id)
        .amount(amount)
        .extra(serde_json::json!({
            "entry": entry_id,
            "member": p.member_id,
            "principal": to_principal.0,
            "bonus": to_bonus.0,
            "gateway": to_gateway.0,
        }));
    audit::by(tx, by, now, rec).await?;
    Ok(RefundReceipt {
        entry_id,
        payment_id: p.id,
        amount,
        principal: to_principal,
        gateway: to_gateway,
        bonus: to_bonus,
        refunded_total,
        at: rfc3339(now),
    })
}
