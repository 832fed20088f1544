//! Online payment through the gateway: top-up orders, flagged orders and refunds the gateway refused.

use super::*;

crate::named_enum! {
    /// What a gateway order pays for.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    #[derive(Default)]
    pub enum OrderPurpose {
        /// Stored value bought online.
        #[default]
        TopUp = "topup",
        /// The online leg of a split payment at a store.
        Payment = "payment",
        /// A card bought in the app: stored value held, the rest online.
        Card = "card",
    }
}

/// Member: start a top-up through the payment gateway.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TopUpOrderRequest {
    /// What the member pays (a plan's price, or any amount if HQ allows).
    pub amount: Fen,
    /// The plan, if one was picked.
    #[serde(default)]
    pub plan_id: Option<i64>,
}

crate::named_enum! {
    /// Where a gateway order stands.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum OrderState {
        /// Waiting for the member to pay at the checkout.
        Created = "created",
        /// Paid and credited.
        Paid = "paid",
        /// The last attempt failed; the member may try again.
        Failed = "failed",
        /// Closed unpaid (given up or expired).
        Closed = "closed",
        /// Paid, but sent back through the gateway (it would have passed the
        /// balance cap).
        Refunded = "refunded",
    }
}

/// A gateway top-up order as the member sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TopUpOrderView {
    /// Order id.
    pub id: i64,
    /// Our order number, as the gateway shows it.
    pub order_no: String,
    /// What the member pays.
    pub amount: Fen,
    /// The plan's bonus credited with it.
    pub bonus: Fen,
    /// Where it stands.
    pub state: OrderState,
    /// The gateway's hosted checkout (while it can still be paid).
    pub checkout_url: Option<String>,
    /// The member's balance after the credit (once paid).
    pub balance_after: Option<Fen>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// A top-up, the gateway leg of a split payment, or a card bought.
    #[serde(default)]
    pub purpose: OrderPurpose,
    /// The store paid (split payments).
    #[serde(default)]
    pub store_name: Option<String>,
    /// The stored value held for it (split payments).
    #[serde(default)]
    pub stored_value: Fen,
    /// The points held for it and what they take off the bill (split
    /// payments).
    #[serde(default)]
    pub points_used: i64,
    #[serde(default)]
    pub points_off: Fen,
    /// The payment, once settled (split payments).
    #[serde(default)]
    pub payment_id: Option<i64>,
    /// The brand's channel link, once a payment is settled.
    #[serde(default)]
    pub channel_url: Option<String>,
    /// The card bought (a card order, once paid).
    #[serde(default)]
    pub card_id: Option<i64>,
    /// The card's name (a card order).
    #[serde(default)]
    pub card_name: Option<String>,
}

/// A gateway order HQ should look at: paid after we closed it, refunded
/// because it could not be credited, or with a refund the gateway refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FlaggedOrder {
    /// Order id (the paging cursor).
    pub id: i64,
    /// Our order number.
    pub order_no: String,
    /// A top-up or a split payment's gateway leg.
    pub purpose: OrderPurpose,
    /// The member (masked phone).
    pub member_phone_masked: String,
    /// The online amount.
    pub amount: Fen,
    /// Where it stands.
    pub state: OrderState,
    /// Paid after we had closed it.
    pub late: bool,
    /// Refunds the gateway refused (HQ must settle them by hand).
    pub failed_refunds: Fen,
    /// What was sent back through the gateway.
    pub refunded: Fen,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// How HQ finance settles a gateway refund the gateway refused for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RefundResolution {
    /// Back to the member's stored value.
    StoredValue,
    /// Paid back outside the system (a bank transfer), with its reference.
    PaidOutside,
}

/// Settle a refused refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ResolveRefundInput {
    /// Which way the money goes back.
    pub way: RefundResolution,
    /// The bank transfer's reference (`paid_outside` only).
    #[serde(default)]
    pub reference: Option<String>,
}

/// A gateway refund the gateway refused for good: a task for HQ finance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RefundTask {
    /// Refund id.
    pub id: i64,
    /// Our refund number at the gateway.
    pub refund_no: String,
    /// The gateway order it refunds.
    pub order_no: String,
    /// The member, masked.
    pub member_phone_masked: String,
    /// How much.
    pub amount: Fen,
    /// Why it was refunded (`close`, `payment_refund`, `over_cap`, `late_payment`).
    pub reason: String,
    /// The gateway's last refusal.
    pub failure: Option<String>,
    /// Tries made.
    pub attempts: i32,
    /// When it was queued (RFC 3339).
    pub created_at: String,
    /// How it was settled, once it is.
    pub resolution: Option<RefundResolution>,
    /// The transfer's reference, for a refund paid outside.
    pub resolution_ref: Option<String>,
}

// ---------------------------------------------------------------------------
// The demo sandboxes (demo mode only).

/// What the sandbox does with the next submissions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayoutMode {
    /// Accept and pay at once.
    #[default]
    Succeed,
    /// Refuse.
    Fail,
    /// Time out; pay a day and a half later.
    Hang,
    /// Time out; fail a day and a half later.
    HangFail,
}

impl PayoutMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutMode::Succeed => "succeed",
            PayoutMode::Fail => "fail",
            PayoutMode::Hang => "hang",
            PayoutMode::HangFail => "hang_fail",
        }
    }

    /// From the stored name (`succeed` for anything unknown).
    pub fn parse(s: &str) -> PayoutMode {
        match s {
            "fail" => PayoutMode::Fail,
            "hang" => PayoutMode::Hang,
            "hang_fail" => PayoutMode::HangFail,
            _ => PayoutMode::Succeed,
        }
    }
}

/// The payout sandbox's mode for the caller's brand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SandboxMode {
    /// What the sandbox does with the next submissions.
    pub mode: PayoutMode,
}

/// The gateway sandbox misbehaves (all off by default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct GatewaySwitches {
    /// Deliver every callback twice.
    pub duplicate: bool,
    /// Hold each order's first callback this long (later ones overtake it).
    pub reorder_hold_ms: u64,
    /// Wait this long before delivering any callback.
    pub delay_ms: u64,
    /// Deliver no callbacks.
    pub drop: bool,
    /// Lose the first N delivery attempts of each callback.
    pub fail_attempts: u32,
    /// Take payment at the checkout even after the order was closed.
    pub accept_after_close: bool,
    /// Refuse every refund (an account the money cannot go back to).
    pub refuse_refunds: bool,
}

/// What the callback answers the gateway.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GatewayAnswer {
    /// `SUCCESS` or `FAIL`.
    pub code: String,
    /// Why, for the gateway's logs.
    pub message: String,
}
