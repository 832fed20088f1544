//! The API, one module per area, each with its own `router()`.

use crate::state::AppState;
use axum::Router;

pub mod audit;
pub mod cash;
pub mod chain;
pub mod member_auth;
pub mod members_admin;
pub mod money;
pub mod money_settings;
pub mod pay_code;
pub mod pin;
pub mod public;
pub mod refund_tasks;
pub mod sandbox;
pub mod self_topup;
pub mod staff_admin;
pub mod staff_auth;
pub mod statement;
pub mod wallet;
pub mod withdrawals;

/// Everything under `/api`.
pub fn api() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(member_auth::router())
        .merge(staff_auth::router())
        .merge(chain::router())
        .merge(staff_admin::router())
        .merge(members_admin::router())
        .merge(audit::router())
        .merge(money::router())
        .merge(money_settings::router())
        .merge(pay_code::router())
        .merge(self_topup::router())
        .merge(pin::router())
        .merge(wallet::router())
        .merge(statement::router())
        .merge(withdrawals::router())
        .merge(sandbox::router())
        .merge(cash::router())
        .merge(refund_tasks::router())
}
