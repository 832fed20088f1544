//! The store's payee account (收款账户): the store manager asks to set or
//! change it; HQ finance approves or rejects the change (never their own);
//! an approval supersedes the old account for new payouts.
//!
//! Locks: the store's payee (`payee:STORE`), the lock approving a
//! withdrawal takes to read the account it pays.

use super::views::payee_views;
use super::withdrawals::notify_store;
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::db::{begin_write, lock_key};
use crate::entity::payee_account;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::{
    AuditAction, AuditField, AuditValue, MessageTopic, PayeeInput, PayeeNumber, PayeeState,
    PayeeView,
};
use shared::validate;

/// The manager of a store in their scope asks to set or change its payee
/// account; it takes effect when HQ finance approves.
/// A payee account as the audit log names it: id, bank and the masked
/// number (never the whole number).
fn payee_target(p: &payee_account::Model) -> String {
    format!(
        "#{} {} {}",
        p.id,
        p.bank_name,
        validate::mask_account_no(&p.account_no_last4)
    )
}

pub async fn request(
    state: &AppState,
    by: &Actor,
    store_id: i64,
    req: &PayeeInput,
) -> AppResult<PayeeView> {
    let shop = crate::chain::store_in_scope(&state.db, by, store_id).await?;
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
        .filter(payee_account::Column::BrandId.eq(by.brand.id))
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
        brand_id: Set(by.brand.id),
        store_id: Set(shop.id),
        account_name: Set(account_name),
        bank_name: Set(bank_name),
        account_no_enc: Set(sealed),
        account_no_last4: Set(last4.clone()),
        state: Set(PayeeState::Pending.as_str().into()),
        requested_by: Set(by.staff_id),
        requested_at: Set(now),
        decided_by: Set(None),
        decided_at: Set(None),
        reason: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let rec = Record::new(AuditAction::PayeeRequest, payee_target(&saved))
        .store(shop.id)
        .set(
            AuditField::Name,
            AuditValue::Text(saved.account_name.clone()),
        );
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    let mut views = payee_views(&state.db, by.brand.id, vec![saved]).await?;
    views.pop().ok_or_else(AppError::not_found)
}
/// HQ finance reads a payee account's whole number (to check it against
/// the store's documents before approving); every look is audited.
pub async fn reveal(state: &AppState, by: &Actor, id: i64) -> AppResult<PayeeNumber> {
    let tx = begin_write(&state.db).await?;
    let p = payee_account::Entity::find_by_id(id)
        .filter(payee_account::Column::BrandId.eq(by.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let account_no = state.cipher.open(&p.account_no_enc)?;
    let now = state.clock.now_ms();
    let rec = Record::new(AuditAction::PayeeReveal, payee_target(&p)).store(p.store_id);
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(PayeeNumber {
        id: p.id,
        account_no,
    })
}

/// HQ finance approves (`rejection` none) or rejects a payee change that is
/// not their own.
pub async fn decide(
    state: &AppState,
    by: &Actor,
    id: i64,
    rejection: Option<String>,
) -> AppResult<PayeeView> {
    let brand_id = by.brand.id;
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let p = payee_account::Entity::find_by_id(id)
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if p.requested_by == by.staff_id {
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
        .col_expr(payee_account::Column::DecidedBy, Expr::value(by.staff_id))
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
        return Err(AppError::state_changed(&now_state));
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
    let action = if rejection.is_some() {
        AuditAction::PayeeReject
    } else {
        AuditAction::PayeeApprove
    };
    let rec = Record::new(action, payee_target(&p))
        .store(p.store_id)
        .note(rejection.clone());
    audit::record(&tx, now, brand_id, Some(by.staff_id), rec).await?;
    notify_store(
        &tx,
        brand_id,
        p.store_id,
        MessageTopic::Payee,
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
    views.pop().ok_or_else(AppError::not_found)
}
