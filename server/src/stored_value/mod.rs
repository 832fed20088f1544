//! Stored value (储值): a member's one balance per brand, kept as principal
//! and bonus, paid into at the counter or through the gateway and spent at
//! any store of the brand; the payment PIN that guards it; HQ's rules for it.
//!
//! Services here take a database connection or transaction and typed
//! inputs; the HTTP layer (`routes::money`, `routes::pin`, …) only extracts
//! the caller and the body and calls one of them.

pub mod batch;
pub mod counter;
pub mod messages;
pub mod pay_code;
pub mod payment;
pub mod pin;
pub mod receipts;
pub mod refund;
pub mod rules;
pub mod settings;
#[cfg(test)]
mod tests;

use crate::error::{AppError, AppResult};
use crate::ledger::PostError;
use axum::http::StatusCode;
use shared::ErrorCode;
use shared::money::Fen;

/// The amount, if above zero.
pub(crate) fn positive(amount: Fen) -> AppResult<Fen> {
    if amount.is_positive() {
        Ok(amount)
    } else {
        Err(AppError::invalid("amount", "amount_positive"))
    }
}

/// The store paying money back (退卡 of stored value or of a card): a store
/// manager's own; HQ names one.
pub(crate) fn paying_back_at(by: &crate::auth::Actor, asked: Option<i64>) -> AppResult<i64> {
    use shared::dto::Role;
    match (by.role, by.store_id, asked) {
        (Role::StoreManager, Some(own), None) => Ok(own),
        (Role::StoreManager, Some(own), Some(asked)) if asked == own => Ok(own),
        (Role::HqAdmin | Role::HqFinance, _, Some(asked)) => Ok(asked),
        (Role::HqAdmin | Role::HqFinance, _, None) => {
            Err(AppError::invalid("store_id", "required"))
        }
        _ => Err(AppError::forbidden()),
    }
}

/// A refusal of a well-formed request (422) with its code.
pub(crate) fn unprocessable(code: ErrorCode) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
}

/// A posting's result as the member sees it: a guard that fired is too
/// little money.
pub(crate) fn posted(r: Result<i64, PostError>) -> AppResult<i64> {
    match r {
        Ok(id) => Ok(id),
        // The guard behind the locked read: should never fire, but if it does
        // the member simply does not have the money.
        Err(PostError::Overdrawn) => {
            Err(unprocessable(ErrorCode::InsufficientBalance).with("balance", 0))
        }
        Err(PostError::Db(e)) => Err(e.into()),
    }
}
