//! Gateway orders: money that comes through the payment gateway. A member's
//! self top-up and the online part of a split payment are gateway orders;
//! this area keeps our side of each, settles what the gateway says, sweeps
//! the orders whose callback never came, and sends gateway refunds (those
//! the gateway refuses for good become tasks HQ finance resolves by hand).
//!
//! An order is `created` when the member starts it ([`self_topup`]) and goes
//! to the gateway's hosted checkout. What the gateway says, by a signed
//! callback or by our query, is applied by [`orders::apply`]: a success
//! credits the member exactly once (the order row is locked and moves only
//! forward; the journal entry is unique on the order number), a failure
//! never undoes a success, and a success that arrives after we closed the
//! order still credits and is flagged `late`. A payment that would take the
//! member past the brand's balance cap is refunded through the gateway
//! instead of credited. A split payment's settlement books its payment row
//! through [`crate::stored_value::payment::settle_split`].
//!
//! Callbacks get lost, so [`sweep()`] (the job runner's `gateway_orders`, and
//! tests) queries orders left open, closes expired ones at the gateway
//! first (never just marking them unpaid); [`send_refunds()`] (the
//! `gateway_refunds` job) sends queued refunds.
//!
//! Services here take the state or a connection and typed inputs; the HTTP
//! layer (`routes::self_topup`, `routes::refund_tasks`) only extracts the
//! caller and the body and calls one of them.

pub mod flagged;
pub mod orders;
pub mod refund_tasks;
pub mod refunds;
pub mod self_topup;
pub mod sweep;
#[cfg(test)]
mod tests;

pub use orders::{REPLAYED, apply, apply_callback, close, close_here, refresh};
pub use refunds::{
    MAX_REFUND_REFUSALS, gateway_shares, queue_refund, queue_refund_of, refund_backoff_ms,
    send_refunds,
};
pub use sweep::{QUERY_AFTER_MS, Sweep, sweep, sweep_orders};

use crate::entity::{brand, gateway_order};
use crate::error::{AppError, AppResult};
use crate::ledger;
use crate::stored_value::settings::settings;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared::dto::{EntryKind, OrderPurpose, OrderState, TopUpOrderView};
use shared::money::Fen;

/// How long a checkout stays payable.
pub const ORDER_TTL_MS: i64 = 15 * 60 * 1000;

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
    let balance_after =
        if o.state == OrderState::Paid.as_str() && o.purpose == OrderPurpose::TopUp.as_str() {
            ledger::entry_of(conn, o.brand_id, EntryKind::TopUp, &op_ref(o))
                .await?
                .and_then(|e| e.member_balance_after)
                .map(Fen)
        } else {
            None
        };
    let state = state_of(o);
    let store_name = match o.store_id {
        Some(id) => crate::chain::find_store(conn, o.brand_id, id)
            .await?
            .map(|s| s.name),
        None => None,
    };
    let channel_url = if o.purpose == PAYMENT && o.state == OrderState::Paid.as_str() {
        settings(conn, o.brand_id).await?.channel_url
    } else {
        None
    };
    let purpose = purpose_of(o)?;
    let (card_id, card_name) = match (purpose, o.card_type_id) {
        (OrderPurpose::Card, Some(type_id)) => {
            let card = crate::entity::member_card::Entity::find()
                .filter(crate::entity::member_card::Column::BrandId.eq(o.brand_id))
                .filter(crate::entity::member_card::Column::OpRef.eq(op_ref(o)))
                .one(conn)
                .await?;
            let name = match &card {
                Some(c) => Some(c.name.clone()),
                None => crate::entity::card_type::Entity::find_by_id(type_id)
                    .one(conn)
                    .await?
                    .map(|t| t.name),
            };
            (card.map(|c| c.id), name)
        }
        _ => (None, None),
    };
    Ok(TopUpOrderView {
        card_id,
        card_name,
        purpose,
        store_name,
        stored_value: Fen(o.sv_principal + o.sv_bonus),
        points_used: o.points_used,
        points_off: Fen(o.points),
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

const OP_REF_PREFIX: &str = "gateway:";

/// What the ledger (a top-up's entry) and a card bought online name an
/// order by.
pub(crate) fn op_ref(o: &gateway_order::Model) -> String {
    format!("{OP_REF_PREFIX}{}", o.order_no)
}

/// What an order pays for (a name no code writes is an internal error).
pub fn purpose_of(o: &gateway_order::Model) -> AppResult<OrderPurpose> {
    OrderPurpose::parse(&o.purpose).ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!("order {} has purpose {}", o.id, o.purpose))
    })
}

/// The purpose of a split payment's gateway order.
pub const PAYMENT: &str = OrderPurpose::Payment.as_str();

/// Whether the order is the online leg of a purchase (a split payment or a
/// card) rather than a top-up: settled by booking the purchase.
pub fn is_split(o: &gateway_order::Model) -> bool {
    o.purpose != OrderPurpose::TopUp.as_str()
}

/// Whether the order held the member's stored value or points when it
/// started, to be released if it is not paid.
pub fn holds_value(o: &gateway_order::Model) -> bool {
    is_split(o) && (o.sv_principal + o.sv_bonus > 0 || o.points_used > 0)
}

/// The paid card order whose `op_ref` a card bought online carries, if
/// `card_op_ref` is one (the card remembers its order by it).
pub async fn card_order(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    card_op_ref: &str,
) -> AppResult<Option<gateway_order::Model>> {
    let Some(order_no) = card_op_ref.strip_prefix(OP_REF_PREFIX) else {
        return Ok(None);
    };
    Ok(gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(brand_id))
        .filter(gateway_order::Column::OrderNo.eq(order_no))
        .filter(gateway_order::Column::Purpose.eq(OrderPurpose::Card.as_str()))
        .one(conn)
        .await?)
}

pub(crate) async fn brand_of(conn: &impl ConnectionTrait, id: i64) -> AppResult<brand::Model> {
    brand::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}
