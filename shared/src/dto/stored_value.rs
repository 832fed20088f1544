//! Stored value: balances, counter top-ups, payments and refunds, pay codes, money settings and plans, 退卡, the payment PIN.

use super::*;

/// A member's stored value: principal (paid in) and bonus (given by plans).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BalanceView {
    /// Paid-in money, refundable.
    pub principal: Fen,
    /// Promotional money, clawed back on a top-up refund.
    pub bonus: Fen,
    /// principal + bonus.
    pub total: Fen,
    /// The brand's cap on a member's balance.
    pub max_balance: Fen,
    /// Whether the member has set a payment PIN.
    #[serde(default)]
    pub pin_set: bool,
    /// Payments above this need the PIN.
    #[serde(default)]
    pub pin_above: Fen,
}

/// How a counter top-up was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum TopUpMethod {
    /// Cash at the counter.
    Cash,
    /// Bank card at the store's own terminal.
    Card,
}

/// Staff top up a member at the counter (counts toward the staff's store).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CounterTopUp {
    /// The member's phone.
    pub member_phone: String,
    /// Amount in fen (> 0).
    pub amount: Fen,
    /// How it was paid.
    pub method: TopUpMethod,
    /// A top-up plan; then `amount` must be the plan's price.
    #[serde(default)]
    pub plan_id: Option<i64>,
}

/// A completed top-up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TopUpReceipt {
    /// Journal entry id.
    pub entry_id: i64,
    /// Member id.
    pub member_id: i64,
    /// Masked phone.
    pub member_phone_masked: String,
    /// Amount credited to principal.
    pub amount: Fen,
    /// Bonus credited by the plan.
    #[serde(default)]
    pub bonus: Fen,
    /// The member's total balance after it.
    pub balance_after: Fen,
    /// When (RFC 3339).
    pub at: String,
}

/// A member pays a store from stored value.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentRequest {
    /// Store id (from its pay code).
    pub store_id: i64,
    /// The bill in fen, before deductions.
    pub amount: Fen,
    /// The member's 6-digit payment PIN, needed above the brand's PIN-free
    /// limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
    /// The one-off pay code being paid, if the member scanned one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pay_request: Option<String>,
    /// The coupon to use, if any (one per payment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coupon_id: Option<i64>,
    /// If the coupon can no longer be used when the payment is booked
    /// (another payment took it, it ran out): pay without it instead of
    /// being refused.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub without_coupon_if_gone: bool,
    /// Pay part of the bill with points, as much as HQ's rate and share
    /// allow (the plan's points step).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub use_points: bool,
    /// With `use_points`: the points the member was shown the plan
    /// spending. If the booking would spend another number (points expired
    /// or were spent meanwhile) the payment is refused with
    /// `points_changed`, naming the number it would spend, and nothing
    /// moves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_expected: Option<i64>,
    /// What the member was shown they pay from stored value and online
    /// (after the level discount, the coupon and the points): if the
    /// booking comes to another amount (their level changed meanwhile),
    /// nothing moves and the answer is `price_changed` with the new one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payable_expected: Option<Fen>,
}

/// A completed payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentReceipt {
    /// Payment id.
    pub payment_id: i64,
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// The bill and what the member paid after deductions.
    pub quote: Quote,
    /// Taken off by the coupon used, if any.
    #[serde(default)]
    pub coupon: Fen,
    /// Paid by points …
    #[serde(default)]
    pub points_off: Fen,
    /// … which were this many.
    #[serde(default)]
    pub points_used: i64,
    /// Points the payment earned.
    #[serde(default)]
    pub points_earned: i64,
    /// The level this payment lifted the member to, if it crossed a
    /// threshold (DESIGN.md "Levels": upgraded in the payment's
    /// transaction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level_up: Option<crate::dto::LevelBadge>,
    /// Taken from principal.
    pub principal: Fen,
    /// Taken from bonus.
    pub bonus: Fen,
    /// The member's total balance after it.
    pub balance_after: Fen,
    /// When (RFC 3339).
    pub at: String,
    /// The brand's channel link to offer now, if HQ set one.
    #[serde(default)]
    pub channel_url: Option<String>,
}

/// Refund part or all of a payment.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RefundRequest {
    /// Amount in fen (> 0, ≤ what is left to refund; 0 voids a payment
    /// its coupon covered in full, giving the coupon back).
    pub amount: Fen,
}

/// A completed refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RefundReceipt {
    /// Journal entry id of the refund.
    pub entry_id: i64,
    /// The payment refunded.
    pub payment_id: i64,
    /// This refund.
    pub amount: Fen,
    /// Back to principal.
    pub principal: Fen,
    /// Back to bonus.
    pub bonus: Fen,
    /// Back through the payment gateway (the part paid online).
    #[serde(default)]
    pub gateway: Fen,
    /// All refunds of the payment so far.
    pub refunded_total: Fen,
    /// When (RFC 3339).
    pub at: String,
}

/// One movement in a member's history (明细): of their money, points, a
/// card's uses or a coupon.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HistoryItem {
    /// Journal entry id (the paging cursor).
    pub id: i64,
    /// The operation, which is the reason: a top-up, payment, refund, 退卡,
    /// a card bought or used, a coupon, a sign-in, an invite's reward, …
    pub kind: super::EntryKind,
    /// The store involved.
    pub store_name: Option<String>,
    /// Stored value, signed from the member's side: + in, − out (zero when
    /// none moved).
    pub amount: Fen,
    /// Total stored value after this movement (none when it moved none).
    pub balance_after: Option<Fen>,
    /// The member's points, when they moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<CountMove>,
    /// Points owed: positive when a refund could not take back points
    /// already spent (the member now owes them), negative when points the
    /// member earned went to repay what they owed.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points_owed: i64,
    /// A card's uses, when they moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uses: Option<CountMove>,
    /// The card or coupon it concerns, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: String,
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

/// A count (points, uses) that moved: by how much, signed, and what is left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CountMove {
    /// + in, − out.
    pub delta: i64,
    /// What is left after it.
    pub after: i64,
}

/// Where a movement's money came from or went, each part as a positive
/// amount: the member's principal and bonus, the payment channel (online),
/// cash at a counter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MoneyParts {
    /// The member's own stored money (本金).
    pub principal: Fen,
    /// Promotional stored money (赠送金).
    pub bonus: Fen,
    /// Through the payment channel (WeChat Pay, Alipay, a card).
    pub online: Fen,
    /// Cash or a card taken at a store's counter.
    pub cash: Fen,
}

/// One refund of a payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RefundPart {
    /// Its history entry.
    pub entry_id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// How much.
    pub total: Fen,
    /// Where each part went back to.
    pub parts: MoneyParts,
}

/// A payment as its member sees it in a detail.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentDetail {
    /// Payment number.
    pub payment_id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What was paid.
    pub total: Fen,
    /// How it was paid.
    pub parts: MoneyParts,
    /// Its refunds, oldest first.
    pub refunds: Vec<RefundPart>,
    /// Refunded so far.
    pub refunded: Fen,
}

/// One movement in full (明细详情).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HistoryDetail {
    /// Journal entry id.
    pub id: i64,
    /// The operation.
    pub kind: super::EntryKind,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The store involved.
    pub store_name: Option<String>,
    /// Signed from the member's side: + in, − out of stored value.
    pub amount: Fen,
    /// Total balance after it (none when it moved no stored value: a split
    /// payment, whose stored value moved at its hold).
    pub balance_after: Option<Fen>,
    /// Where this movement's money came from or went.
    pub parts: MoneyParts,
    /// The payment it is or belongs to (payments and refunds).
    pub payment: Option<PaymentDetail>,
}

/// A notice in the member's message centre (消息).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberMessage {
    /// Id (the page cursor; the history entry it tells of).
    pub id: i64,
    /// What happened: a top-up, a payment, a refund, 退卡.
    pub kind: super::EntryKind,
    /// The store involved.
    pub store_name: Option<String>,
    /// How much in all (a payment: what was paid, however it was paid).
    pub amount: Fen,
    /// Of which bonus (top-ups: the bonus received; 退卡: the bonus taken
    /// back).
    pub bonus: Fen,
    /// What it names besides money: the coupon issued.
    #[serde(default)]
    pub note: Option<String>,
    /// Points about to expire (a points reminder) …
    #[serde(default)]
    pub points: i64,
    /// … and when (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<String>,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Not yet seen.
    pub unread: bool,
}

/// How many of the member's messages are unread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberUnread {
    /// Unread messages (counted up to 99).
    pub unread: u32,
}

/// A store as a member sees it when paying there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StorePublic {
    /// Store id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Address.
    pub address: String,
    /// Open stores take payments.
    pub active: bool,
}

/// A store's pay code: the link a member's phone opens, and its QR as SVG.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PayCode {
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// The link inside the member app, e.g. `https://host/m/demo/pay/3`.
    pub url: String,
    /// The QR code of `url`, as an SVG document.
    pub svg: String,
}

/// A payment in a store's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentListItem {
    /// Payment id.
    pub id: i64,
    /// Store name.
    pub store_name: String,
    /// Masked member phone.
    pub member_phone_masked: String,
    /// What the member paid.
    pub amount: Fen,
    /// Refunded so far.
    pub refunded: Fen,
    /// When (RFC 3339).
    pub at: String,
    /// Of which paid online (a split payment: stored value + online).
    #[serde(default)]
    pub online: Fen,
    /// What the member's coupon took off the bill.
    #[serde(default)]
    pub coupon: Fen,
    /// Whether everything it took has been given back (its money and its
    /// coupon): nothing is left to refund or void.
    #[serde(default)]
    pub refunded_in_full: bool,
}

/// New receipts for a store's open screens (long-poll feed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ReceiptFeed {
    /// Payments after the cursor, oldest first.
    pub items: Vec<PaymentListItem>,
    /// Pass as `after` next time.
    pub last_id: i64,
    /// Today's payments in the caller's scope (brand's local day), net of refunds.
    pub today_total: Fen,
    /// How many payments today.
    pub today_count: i64,
}

/// HQ's money settings for the brand.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MoneySettings {
    /// The most a member may hold (default ¥5,000).
    pub max_balance: Fen,
    /// The most one payment may be.
    pub max_payment: Fen,
    /// Share of a bonus-paid amount the store is credited (10000 = 100 %).
    pub bonus_settle_bp: u32,
    /// Whether top-ups of any amount are allowed besides the plans.
    pub allow_custom_topup: bool,
    /// Stored-value payments above this need the member's payment PIN.
    #[serde(default = "default_pin_above")]
    pub pin_above: Fen,
    /// The brand's channel (视频号) link offered after paying, if any.
    #[serde(default)]
    pub channel_url: Option<String>,
    /// The smallest withdrawal a store may ask for.
    #[serde(default = "default_withdraw_min")]
    pub withdraw_min: Fen,
    /// HQ's fixed fee per withdrawal.
    #[serde(default)]
    pub withdraw_fee_fixed: Fen,
    /// HQ's fee rate on withdrawals (10000 = 100 %).
    #[serde(default)]
    pub withdraw_fee_bp: u32,
    /// How many coupons each store manager or HQ staff member may issue to
    /// members a day (0–1000; default 20).
    #[serde(default = "default_coupon_quota")]
    pub coupon_quota: i64,
    /// Hours after a write-off (核销) the store's manager or HQ may undo it
    /// (1–720; default 24).
    #[serde(default = "default_write_off_undo_hours")]
    pub write_off_undo_hours: i64,
}

fn default_write_off_undo_hours() -> i64 {
    24
}

fn default_coupon_quota() -> i64 {
    20
}

fn default_withdraw_min() -> Fen {
    Fen(10_000)
}

fn default_pin_above() -> Fen {
    Fen(20_000)
}

impl Default for MoneySettings {
    /// What a new brand starts with.
    fn default() -> Self {
        MoneySettings {
            max_balance: Fen(500_000),
            max_payment: Fen(500_000),
            bonus_settle_bp: 10_000,
            allow_custom_topup: true,
            pin_above: default_pin_above(),
            channel_url: None,
            withdraw_min: default_withdraw_min(),
            withdraw_fee_fixed: Fen(0),
            withdraw_fee_bp: 0,
            coupon_quota: default_coupon_quota(),
            write_off_undo_hours: default_write_off_undo_hours(),
        }
    }
}

/// A top-up plan: pay `pay`, get `bonus` on top.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TopUpPlan {
    /// Plan id.
    pub id: i64,
    /// What the member pays.
    pub pay: Fen,
    /// What they get on top.
    pub bonus: Fen,
    /// Offered now.
    pub active: bool,
}

/// Create a top-up plan.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct TopUpPlanInput {
    /// What the member pays (> 0).
    pub pay: Fen,
    /// What they get on top (≥ 0).
    pub bonus: Fen,
}

/// Close a member's stored value (退卡): principal paid back at the store's
/// counter, unspent bonus clawed back.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CloseStoredValue {
    /// Where the principal is paid back; a store manager's own store if absent.
    #[serde(default)]
    pub store_id: Option<i64>,
}

/// A closed stored value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StoredValueClosed {
    /// Journal entry id.
    pub entry_id: i64,
    /// Principal paid back to the member.
    pub principal_refunded: Fen,
    /// Of it, sent back through the payment gateway (to the card or wallet
    /// that paid the online top-ups).
    #[serde(default)]
    pub via_gateway: Fen,
    /// Of it, paid back in cash at the store's counter.
    #[serde(default)]
    pub cash: Fen,
    /// Unspent bonus taken back.
    pub bonus_clawed_back: Fen,
    /// When (RFC 3339).
    pub at: String,
}

/// Member: set or change the payment PIN (the current one when changing).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SetPin {
    /// The new 6-digit PIN.
    pub pin: String,
    /// The current PIN, when one is set.
    #[serde(default)]
    pub current: Option<String>,
}

/// Resetting a forgotten payment PIN with a code sent to the member's phone.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PinReset {
    /// The 6-digit code sent by SMS.
    pub code: String,
    /// The new 6-digit PIN.
    pub pin: String,
}

/// Staff: a member's stored value, looked up by phone (before 退卡).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberMoney {
    /// Member id.
    pub member_id: i64,
    /// Masked phone.
    pub phone_masked: String,
    /// Name, if given.
    pub name: String,
    /// Frozen members cannot pay.
    pub frozen: bool,
    /// Principal (refundable).
    pub principal: Fen,
    /// Bonus (clawed back on 退卡).
    pub bonus: Fen,
    /// How much of the principal 退卡 would send back through the gateway;
    /// the rest is paid in cash at the counter.
    pub via_gateway: Fen,
}

/// Staff at the counter: the member a top-up is for, before it is made.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CounterMemberView {
    /// Masked phone.
    pub phone_masked: String,
    /// Name, if given.
    pub name: String,
    /// A frozen member cannot be topped up.
    pub frozen: bool,
    /// Principal (their own money).
    pub principal: Fen,
    /// Bonus.
    pub bonus: Fen,
    /// The most a member may hold (the brand's cap): a top-up above it is
    /// refused, so the clerk is told before taking the money.
    pub max_balance: Fen,
}

/// Staff: a one-off pay code for a fixed amount at their store.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PayRequestInput {
    /// The amount the member will pay (before deductions).
    pub amount: Fen,
}

crate::named_enum! {
    /// Where a one-off pay code stands (`expired` is never stored: an open
    /// code past its time is shown so).
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum PayRequestState {
        /// Waiting to be paid.
        Open = "open",
        /// Paid (it cannot be paid again).
        Paid = "paid",
        /// Not paid in time.
        Expired = "expired",
    }
}

/// A one-off pay code as the counter shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PayRequestView {
    /// Id.
    pub id: i64,
    /// Store id.
    pub store_id: i64,
    /// The fixed amount.
    pub amount: Fen,
    /// Where it stands.
    pub state: PayRequestState,
    /// The payment, once paid.
    pub payment_id: Option<i64>,
    /// The member-app link it carries.
    pub url: String,
    /// Its QR as SVG.
    pub svg: String,
    /// Until when it can be paid (RFC 3339).
    pub expires_at: String,
}

/// A one-off pay code as the member's phone sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PayRequestPublic {
    /// Store id.
    pub store_id: i64,
    /// The fixed amount.
    pub amount: Fen,
    /// Where it stands.
    pub state: PayRequestState,
}
