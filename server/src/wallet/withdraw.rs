//! A withdrawal (提现) as people move it: the store manager asks (the
//! amount frozen at once) and may cancel before a decision; HQ finance
//! approves (a payout queued in the same transaction), rejects or retries a
//! failed payout, never on their own request, and with a manual payout
//! channel marks it paid by hand. The money moves and the payout outbox are
//! in [`super::withdrawals`].
//!
//! Locks, in order: the store's payee (`payee:STORE`, approve and retry),
//! then the store's wallet (`wallet:STORE`, inside freeze and release).

use super::views::{view, visible};
use super::withdrawals::{
    ByHand, Told, WalletMove, current_payee, freeze, kick, mark_paid_by_hand, payout_no,
    queue_attempt, release, tell, transition,
};
use crate::audit::{self, Record};
use crate::auth::{Acting, Actor};
use crate::db::{begin_write, lock_key};
use crate::entity::{payee_account, withdrawal};
use crate::error::{AppError, AppResult, check};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger;
use crate::state::AppState;
use crate::stored_value::settings::settings;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::{AuditAction, WithdrawalInput, WithdrawalState, WithdrawalView};
use shared::money::{Bp, Fen, withdrawal_fee};
use shared::validate;

/// The manager of a store in their scope asks for a withdrawal: checked
/// against HQ's minimum, the fee and the wallet, and frozen at once
/// (idempotent on the key).
pub async fn request(
    state: &AppState,
    by: &Actor,
    store_id: i64,
    key: IdemKey,
    req: WithdrawalInput,
) -> AppResult<Response> {
    let shop = crate::chain::store_in_scope(&state.db, by, store_id).await?;
    let brand = by.brand.clone();
    let staff_id = by.staff_id;
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
                let frozen = WalletMove {
                    brand: &brand,
                    store_id: shop.id,
                    amount: req.amount,
                    op_ref: saved.id.to_string(),
                    actor: format!("staff:{staff_id}"),
                    now,
                };
                freeze(tx, frozen).await?;
                let rec = Record::new(AuditAction::WithdrawalRequest, format!("#{}", saved.id))
                    .store(shop.id)
                    .amount(req.amount)
                    .extra(serde_json::json!({"fee": fee.0}));
                audit::record(tx, now, brand.id, Some(staff_id), rec).await?;
                Ok(saved.id)
            })
        },
    )
    .await?;
    Ok(reply)
}
/// A reason typed by staff (a rejection's, an undo's): required, at most
/// 200 characters.
pub fn reason(text: &str) -> AppResult<String> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(AppError::invalid("reason", "required"));
    }
    if reason.chars().count() > 200 {
        return Err(AppError::invalid("reason", "too_long"));
    }
    Ok(reason.to_string())
}
/// A person's decision on a withdrawal.
pub enum Decision {
    /// HQ finance approves: the payout is queued.
    Approve,
    /// HQ finance rejects, with the reason: the money goes back.
    Reject(String),
    /// The requester cancels before a decision: the money goes back.
    Cancel,
    /// HQ finance retries a failed payout as a new attempt.
    Retry,
}

impl Decision {
    /// The state it moves a withdrawal from, the state it moves it to, and
    /// its name in the audit log.
    fn moves(&self) -> (WithdrawalState, WithdrawalState, AuditAction) {
        use WithdrawalState::*;
        match self {
            Decision::Approve => (Requested, Approved, AuditAction::WithdrawalApprove),
            Decision::Reject(_) => (Requested, Rejected, AuditAction::WithdrawalReject),
            Decision::Cancel => (Requested, Cancelled, AuditAction::WithdrawalCancel),
            Decision::Retry => (Failed, Approved, AuditAction::WithdrawalRetry),
        }
    }

    /// Whether `by` may make it on `w`: only the requester cancels; HQ
    /// finance decides the rest, never on their own request.
    fn allowed(&self, w: &withdrawal::Model, by: &Actor) -> AppResult<()> {
        match self {
            Decision::Cancel if w.requested_by != by.staff_id => Err(AppError::forbidden()),
            Decision::Cancel => Ok(()),
            _ if w.requested_by == by.staff_id => {
                Err(AppError::new(StatusCode::FORBIDDEN, ErrorCode::OwnRequest))
            }
            _ => Ok(()),
        }
    }

    /// Whether it sends a payout (a new attempt).
    fn pays(&self) -> bool {
        matches!(self, Decision::Approve | Decision::Retry)
    }
}

/// The store's approved payee, read under the lock a payee approval takes
/// (so it cannot be superseded meanwhile), or why there is none.
async fn payee_now(
    tx: &DatabaseTransaction,
    brand_id: i64,
    store_id: i64,
) -> AppResult<payee_account::Model> {
    lock_key(tx, &format!("payee:{store_id}")).await?;
    current_payee(tx, brand_id, store_id)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PayeeMissing))
}

/// The decision's money: a retry freezes the amount again (the failure gave
/// it back); a rejection or cancellation gives it back.
async fn move_money(
    tx: &DatabaseTransaction,
    decision: &Decision,
    by: &Actor,
    w: &withdrawal::Model,
    (n, to): (i32, WithdrawalState),
    now: i64,
) -> AppResult<()> {
    let m = |op_ref: String| WalletMove {
        brand: &by.brand,
        store_id: w.store_id,
        amount: Fen(w.amount),
        op_ref,
        actor: by.name(),
        now,
    };
    match decision {
        Decision::Approve => Ok(()),
        Decision::Retry => freeze(tx, m(format!("{}:{n}", w.id))).await,
        Decision::Reject(_) | Decision::Cancel => {
            release(tx, m(format!("{}:{}", w.id, to.as_str()))).await
        }
    }
}

/// One transition of a withdrawal by a person (`acting`: HQ finance for
/// approve, reject and retry, never on their own request; the store manager
/// who asked, to cancel), once it is found in their scope:
/// compare-and-set, money, outbox, audit and message in one transaction.
/// Asking again for what the same person already did answers with the
/// withdrawal as it stands.
pub async fn decide(
    state: &AppState,
    (by, acting): (&Actor, Acting),
    id: i64,
    decision: Decision,
) -> AppResult<WithdrawalView> {
    let w = visible(state, by, id).await?;
    acting.check(by)?;
    let (from, to, action) = decision.moves();
    decision.allowed(&w, by)?;
    let brand_id = by.brand.id;
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let payee = match decision.pays() {
        true => Some(payee_now(&tx, brand_id, w.store_id).await?),
        false => None,
    };
    let n = w.attempts + 1;
    let no = payout_no(brand_id, w.id, n);
    let reason = match &decision {
        Decision::Reject(r) => Some(r.clone()),
        _ => None,
    };
    let staff_id = by.staff_id;
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
        let now_w = visible(state, by, id).await?;
        if now_w.state == to.as_str() && now_w.decided_by == Some(staff_id) {
            // The same person's retry of the same decision.
            return view(state, by, id).await;
        }
        return Err(AppError::state_changed(&now_w.state));
    }
    move_money(&tx, &decision, by, &w, (n, to), now).await?;
    if let Some(p) = &payee {
        let mut queued = w.clone();
        queued.payee_id = p.id;
        queue_attempt(&tx, &queued, n, p.id, now).await?;
    }
    let told = Told {
        by: Some(staff_id),
        action,
        note: reason.clone(),
        extra: serde_json::json!({"payout_no": payee.as_ref().map(|_| no.clone())}),
        notify: !matches!(decision, Decision::Cancel),
    };
    tell(&tx, brand_id, &w, to, told, now).await?;
    tx.commit().await?;
    if payee.is_some() {
        kick(state, brand_id);
    }
    view(state, by, id).await
}

/// HQ finance (manual payout channel): the approved withdrawal was paid by
/// bank transfer; records it paid with the transfer's reference, audited.
pub async fn mark_paid(
    state: &AppState,
    by: &Actor,
    id: i64,
    reference: &str,
) -> AppResult<WithdrawalView> {
    let reference = check("reference", validate::transfer_reference(reference))?;
    let w = visible(state, by, id).await?;
    if !state.manual_payouts {
        // A payout channel pays and reports; nobody marks it by hand.
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict)
            .with("reason", "payout_channel"));
    }
    let paid_by = ByHand {
        staff_id: by.staff_id,
        reference,
    };
    if !mark_paid_by_hand(state, by.brand.id, w.id, paid_by).await? {
        let now_w = visible(state, by, id).await?;
        if now_w.state != WithdrawalState::Paid.as_str() {
            return Err(AppError::state_changed(&now_w.state));
        }
    }
    view(state, by, id).await
}
