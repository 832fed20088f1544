//! The member code and write-off (核销): the secret a member's phone makes
//! codes from, the ticket a scan opens, and a write-off made with it.

use super::*;

/// What the member app makes member codes from, offline: fetched after
/// login and kept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberCodeSecret {
    /// The member's 10-digit code id (random, per brand).
    pub code_id: String,
    /// The TOTP secret, hex.
    pub secret: String,
    /// The server's clock (Unix milliseconds), for the app to correct its own.
    pub server_time_ms: i64,
}

/// A member code scanned or typed at the counter.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ScanMemberCode {
    /// The 18 digits (spaces allowed), as the camera or the scanner gun read them.
    pub code: String,
}

/// A card the member holds that can be used at this store, with the items
/// it covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TicketCard {
    /// The card.
    pub card: MemberCard,
    /// Its service items.
    pub items: Vec<Named>,
    /// Uses it can give now: a count card's uses left, a period card's
    /// uses left today (`None`: no daily limit).
    pub usable: Option<i64>,
}

/// What a scanned member code opened: a short ticket for this clerk at this
/// store, the member, and everything usable here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WriteOffTicket {
    /// Pass it with the write-off.
    pub ticket: String,
    /// Until when (RFC 3339).
    pub expires_at: String,
    /// The store.
    pub store_id: i64,
    /// Masked phone of the member.
    pub member_phone_masked: String,
    /// Their name, if they gave one.
    pub member_name: Option<String>,
    /// Their stored value.
    pub balance: Fen,
    /// Their level, if they reached one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<LevelBadge>,
    /// Their points usable now.
    #[serde(default)]
    pub points: i64,
    /// The share of a bill their level pays (10000: no discount): the
    /// first step of a 会员码收款's plan.
    #[serde(default = "full_rate")]
    pub pay_rate_bp: u32,
    /// Cards usable here today.
    pub cards: Vec<TicketCard>,
    /// Free-item coupons usable here now.
    pub coupons: Vec<MemberCoupon>,
    /// Coupons that can take money off a 会员码收款 here now.
    #[serde(default)]
    pub pay_coupons: Vec<MemberCoupon>,
}

/// 会员码收款: an amount taken from the member's stored value with a
/// ticket, through the same plan as a member's payment.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketCharge {
    /// The ticket the scan opened.
    pub ticket: String,
    /// The bill, before the coupon.
    pub amount: Fen,
    /// A coupon of the member's to take off it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_id: Option<i64>,
    /// The member's payment PIN, typed by them on the clerk's phone, needed
    /// above HQ's PIN-free amount.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// Uses of one card's item.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UseOf {
    /// The card.
    pub card_id: i64,
    /// The service item.
    pub item_id: i64,
    /// How many uses (1 to 20).
    pub count: i64,
}

/// A write-off with a ticket: card uses and free-item coupons, all or none.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteOffRequest {
    /// The ticket the scan opened.
    pub ticket: String,
    /// Card uses.
    #[serde(default)]
    pub uses: Vec<UseOf>,
    /// Free-item coupons.
    #[serde(default)]
    pub coupon_ids: Vec<i64>,
}

/// One line of a write-off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WriteOffLine {
    /// The card used, if a card.
    pub card_id: Option<i64>,
    /// The coupon written off, if a coupon.
    pub coupon_id: Option<i64>,
    /// The service item.
    pub item_id: i64,
    /// What the store was settled for it.
    pub amount: Fen,
    /// A count card's uses left after it.
    pub uses_left: Option<i64>,
}

/// A write-off made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WriteOffReceipt {
    /// Its id (what an undo names).
    pub id: i64,
    /// The store.
    pub store_id: i64,
    /// Masked phone of the member.
    pub member_phone_masked: String,
    /// Each use and coupon.
    pub lines: Vec<WriteOffLine>,
    /// What the store was settled in all.
    pub amount: Fen,
    /// When (RFC 3339).
    pub at: String,
}

/// 核销记录: a page of the write-offs at the stores the caller's scope
/// covers, newest first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteOffsQuery {
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// Only this store's (within the caller's scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
}

/// One line of a write-off as 核销记录 shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WriteOffItem {
    /// The card type's or the coupon's name.
    pub source: String,
    /// Whether a coupon (else a card use).
    pub coupon: bool,
    /// The service item's name.
    pub item_name: String,
    /// What the store was settled for it.
    pub amount: Fen,
}

/// A write-off in 核销记录.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WriteOffListItem {
    /// Its id.
    pub id: i64,
    /// The store.
    pub store_id: i64,
    /// The store's name.
    pub store_name: String,
    /// Masked phone of the member.
    pub member_phone_masked: String,
    /// Who wrote it off.
    pub staff_name: String,
    /// Its uses and coupons, one line each.
    pub lines: Vec<WriteOffItem>,
    /// What the store was settled in all.
    pub amount: Fen,
    /// When (RFC 3339).
    pub at: String,
    /// Until when it may be undone (RFC 3339; HQ's window).
    pub undo_until: String,
    /// When it was undone, if it was (RFC 3339).
    pub undone_at: Option<String>,
    /// Who undid it.
    pub undone_by: Option<String>,
}

/// Undoing a write-off: why (kept in the audit log).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct WriteOffUndoInput {
    /// Why it is undone (1–200 characters).
    pub reason: String,
}

/// Where the member's things stand: the member app waits for this to move
/// (a write-off, a payment, a coupon used, a code scanned) and then reloads
/// what it shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberPulse {
    /// The member's latest ledger entry.
    pub entry: i64,
    /// The latest event on any of their cards.
    pub card_event: i64,
    /// The step of the last member code a clerk took.
    pub code_step: i64,
}

/// Waiting for the member's things to move (long poll).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PulseQuery {
    /// The pulse already shown: `entry`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<i64>,
    /// … `card_event`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_event: Option<i64>,
    /// … `code_step`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_step: Option<i64>,
    /// Seconds to hold the request open when nothing moved (≤ 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

fn full_rate() -> u32 {
    10_000
}
