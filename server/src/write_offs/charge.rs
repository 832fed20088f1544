//! 会员码收款: with the ticket a scan opened, the clerk takes an amount
//! from the member's stored value through the same plan as a member's own
//! payment (a coupon too); above HQ's PIN-free amount the member types
//! their PIN on the clerk's phone, checked and limited as in the app.

use super::open_ticket;
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdemKey, Scope};
use crate::identity::members;
use crate::state::AppState;
use crate::stored_value::payment::{self, Payer, needs_pin};
use crate::stored_value::pin::{self, PinFor};
use crate::stored_value::settings::settings;
use axum::http::StatusCode;
use axum::response::Response;
use shared::ErrorCode;
use shared::dto::{PaymentRequest, TicketCharge};

/// Takes `req.amount` from the ticket's member under the request's key.
pub async fn charge(
    state: &AppState,
    by: Actor,
    key: IdemKey,
    req: TicketCharge,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "ticket-charge");
    // The PIN is not part of the request's identity (nor stored).
    let identity = TicketCharge {
        pin: None,
        ..req.clone()
    };
    // A retry of a charge that went through gets its receipt, even once
    // the ticket has run out (the clerk's phone lost the answer).
    if let Some(answer) = idempotency::recorded(&state.db, &scope, &key, &identity).await? {
        return Ok(answer);
    }
    let t = open_ticket(&state.db, &by, &req.ticket, now).await?;
    let m = members::in_brand(&state.db, by.brand.id, t.member_id).await?;
    if m.frozen {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::MemberFrozen,
        ));
    }
    let pay = PaymentRequest {
        store_id: t.store_id,
        amount: req.amount,
        pin: None,
        pay_request: None,
        coupon_id: req.coupon_id,
        without_coupon_if_gone: false,
        use_points: false,
        points_expected: None,
        payable_expected: None,
    };
    let rules = settings(&state.db, by.brand.id).await?;
    let mut pin_ok = false;
    if needs_pin(&state.db, (&by.brand, m.id), &pay, &rules, now).await? {
        let why = PinFor::PaymentAbove(rules.pin_above);
        pin::check(state, m.id, req.pin.as_deref(), why).await?;
        pin_ok = true;
    }
    let payer = Payer {
        brand: by.brand.clone(),
        member_id: m.id,
    };
    let token = req.ticket.clone();
    idempotency::run(&state.db, scope, key, &identity, now, move |tx, _| {
        Box::pin(async move {
            // Still this clerk's and open when the money moves.
            open_ticket(tx, &by, &token, now).await?;
            payment::book(tx, &payer, &pay, &rules, pin_ok, now).await
        })
    })
    .await
}
