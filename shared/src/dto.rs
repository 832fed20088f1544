//! Request and response bodies of the API. Instants travel as RFC 3339
//! strings in UTC plus, where a person reads them, the brand's local time.

use crate::money::{Fen, Quote};
use serde::{Deserialize, Serialize};

/// A staff role. Scope: HQ roles see the whole brand, a region manager one
/// region, store roles one store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 总部管理员: shapes the chain, reads everything.
    HqAdmin,
    /// 总部财务: money approvals, reads members and statements.
    HqFinance,
    /// 区域经理: the stores of one region.
    RegionManager,
    /// 店长: one store.
    StoreManager,
    /// 店员: one store, counter work only.
    Clerk,
}

impl Role {
    /// Every role, in the order the UI lists them.
    pub const ALL: [Role; 5] = [
        Role::HqAdmin,
        Role::HqFinance,
        Role::RegionManager,
        Role::StoreManager,
        Role::Clerk,
    ];

    /// The stored and transmitted name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::HqAdmin => "hq_admin",
            Role::HqFinance => "hq_finance",
            Role::RegionManager => "region_manager",
            Role::StoreManager => "store_manager",
            Role::Clerk => "clerk",
        }
    }

    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// HQ roles see the whole brand.
    pub fn is_hq(self) -> bool {
        matches!(self, Role::HqAdmin | Role::HqFinance)
    }

    /// Whether the role needs a region (region manager) or a store (store roles).
    pub fn scope_kind(self) -> ScopeKind {
        match self {
            Role::HqAdmin | Role::HqFinance => ScopeKind::Brand,
            Role::RegionManager => ScopeKind::Region,
            Role::StoreManager | Role::Clerk => ScopeKind::Store,
        }
    }
}

/// What a role's scope is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeKind {
    /// The whole brand.
    Brand,
    /// One region.
    Region,
    /// One store.
    Store,
}

/// A brand as anyone may see it (the login screens show it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandPublic {
    /// URL slug.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// IANA time zone, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    /// `#RRGGBB`.
    pub theme_color: String,
    /// Logo URL, if any.
    pub logo_url: Option<String>,
    /// Whether members can pay online (top up, pay a shortfall).
    #[serde(default)]
    pub online_payments: bool,
    /// Demo mode: online payments go through a sandbox, no real money.
    #[serde(default)]
    pub sandbox: bool,
}

/// Ask for an SMS login code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SmsCodeRequest {
    /// Mainland mobile number.
    pub phone: String,
}

/// The code was sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SmsCodeSent {
    /// Seconds before another code may be requested for this phone.
    pub resend_after: u64,
    /// Seconds the code stays valid.
    pub expires_in: u64,
}

/// Log in (registering on first login) with phone + SMS code.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberLoginRequest {
    /// Mainland mobile number.
    pub phone: String,
    /// The 6-digit code.
    pub code: String,
    /// Consent to the privacy terms (needed to register).
    #[serde(default)]
    pub consent: bool,
}

/// A member as the member sees themself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberProfile {
    /// Member id.
    pub id: i64,
    /// Full phone (the member's own).
    pub phone: String,
    /// Display name; empty until set.
    pub name: String,
    /// `YYYY-MM-DD` or none.
    pub birthday: Option<String>,
    /// `male`, `female` or none.
    pub gender: Option<String>,
    /// Home store name.
    pub home_store: Option<String>,
    /// Registered at (RFC 3339, UTC).
    pub registered_at: String,
    /// Level name; levels come later.
    pub level: Option<String>,
    /// Frozen members cannot pay or be written off.
    pub frozen: bool,
}

/// A successful member login.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemberSession {
    /// Bearer token.
    pub token: String,
    /// Whether this login created the membership.
    pub registered: bool,
    /// The member.
    pub member: MemberProfile,
}

/// Profile fields a member may change; absent fields stay as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MemberProfileUpdate {
    /// New name.
    pub name: Option<String>,
    /// New birthday `YYYY-MM-DD`.
    pub birthday: Option<String>,
    /// `male` or `female`.
    pub gender: Option<String>,
}

/// Staff login.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffLoginRequest {
    /// Account name.
    pub account: String,
    /// Password.
    pub password: String,
}

/// A staff member as shown in lists and as the logged-in user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffView {
    /// Staff id.
    pub id: i64,
    /// Login account.
    pub account: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region scope (region manager).
    pub region_id: Option<i64>,
    /// Store scope (store roles).
    pub store_id: Option<i64>,
    /// Name of the scope (region or store), for display.
    pub scope_name: Option<String>,
    /// Deactivated accounts cannot log in.
    pub active: bool,
    /// Until when too many wrong passwords keep it locked (RFC 3339), if
    /// they do; HQ admin can unlock it.
    #[serde(default)]
    pub locked_until: Option<String>,
}

/// A successful staff login.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffSession {
    /// Bearer token.
    pub token: String,
    /// The staff member.
    pub staff: StaffView,
    /// The brand.
    pub brand: BrandPublic,
}

/// Change one's own password.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasswordChange {
    /// Current password.
    pub current: String,
    /// New password.
    pub new: String,
}

/// Create a staff account.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffCreate {
    /// Login account.
    pub account: String,
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region (region manager).
    pub region_id: Option<i64>,
    /// Store (store roles).
    pub store_id: Option<i64>,
    /// Initial password.
    pub password: String,
}

/// Edit a staff account's name or scope.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffUpdate {
    /// Display name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Region (region manager).
    pub region_id: Option<i64>,
    /// Store (store roles).
    pub store_id: Option<i64>,
}

/// Set a staff member's password (HQ reset).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PasswordReset {
    /// New password.
    pub password: String,
}

/// A region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegionView {
    /// Region id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Number of stores in it.
    pub store_count: i64,
}

/// Create or rename a region.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RegionInput {
    /// Name.
    pub name: String,
}

/// A store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreView {
    /// Store id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Region id.
    pub region_id: i64,
    /// Region name.
    pub region_name: String,
    /// Street address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Opening hours.
    pub hours: String,
    /// The brand's one default store.
    pub is_default: bool,
    /// Closed stores take no business.
    pub active: bool,
}

/// Create or edit a store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoreInput {
    /// Name.
    pub name: String,
    /// Region id.
    pub region_id: i64,
    /// Street address.
    pub address: String,
    /// Phone.
    pub phone: String,
    /// Opening hours.
    pub hours: String,
    /// Open (true) or closed.
    pub active: bool,
}

/// A member in HQ's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberListItem {
    /// Member id.
    pub id: i64,
    /// Masked phone, `138****1234`.
    pub phone_masked: String,
    /// Name.
    pub name: String,
    /// Home store name.
    pub home_store: Option<String>,
    /// Registered at (RFC 3339).
    pub registered_at: String,
    /// Frozen.
    pub frozen: bool,
}

/// One page of a keyset-paged list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items, newest first.
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; none at the end.
    pub next_cursor: Option<i64>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Entry id.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who (staff name and account).
    pub actor: String,
    /// Action key, e.g. `store.create`.
    pub action: String,
    /// What it acted on, e.g. `store #3 南京西路店`.
    pub target: String,
}

/// Server health.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Health {
    /// `ok` when the database answers.
    pub status: String,
}

/// A member's stored value: principal (paid in) and bonus (given by plans).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[serde(rename_all = "snake_case")]
pub enum TopUpMethod {
    /// Cash at the counter.
    Cash,
    /// Bank card at the store's own terminal.
    Card,
}

/// Staff top up a member at the counter (counts toward the staff's store).
#[derive(Clone, Debug, Serialize, Deserialize)]
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
}

/// A completed payment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PaymentReceipt {
    /// Payment id.
    pub payment_id: i64,
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// The bill and what the member paid after deductions.
    pub quote: Quote,
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
pub struct RefundRequest {
    /// Amount in fen (> 0, ≤ what is left to refund).
    pub amount: Fen,
}

/// A completed refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// One movement of a member's money.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    /// Journal entry id (the paging cursor).
    pub id: i64,
    /// `topup`, `payment` or `refund`.
    pub kind: String,
    /// The store involved.
    pub store_name: Option<String>,
    /// Signed from the member's side: + in, − out.
    pub amount: Fen,
    /// Total balance after this movement.
    pub balance_after: Fen,
    /// When (RFC 3339, UTC).
    pub at: String,
}

/// A store as a member sees it when paying there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// New receipts for a store's open screens (long-poll feed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
        }
    }
}

/// A top-up plan: pay `pay`, get `bonus` on top.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct TopUpPlanInput {
    /// What the member pays (> 0).
    pub pay: Fen,
    /// What they get on top (≥ 0).
    pub bonus: Fen,
}

/// Close a member's stored value (退卡): principal paid back at the store's
/// counter, unspent bonus clawed back.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CloseStoredValue {
    /// Where the principal is paid back; a store manager's own store if absent.
    #[serde(default)]
    pub store_id: Option<i64>,
}

/// A closed stored value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// Member: start a top-up through the payment gateway.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TopUpOrderRequest {
    /// What the member pays (a plan's price, or any amount if HQ allows).
    pub amount: Fen,
    /// The plan, if one was picked.
    #[serde(default)]
    pub plan_id: Option<i64>,
}

/// Where a gateway order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Waiting for the member to pay at the checkout.
    Created,
    /// Paid and credited.
    Paid,
    /// The last attempt failed; the member may try again.
    Failed,
    /// Closed unpaid (given up or expired).
    Closed,
    /// Paid, but sent back through the gateway (it would have passed the
    /// balance cap).
    Refunded,
}

/// A gateway top-up order as the member sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// `topup`, or `payment` for the gateway leg of a split payment.
    #[serde(default)]
    pub purpose: String,
    /// The store paid (split payments).
    #[serde(default)]
    pub store_name: Option<String>,
    /// The stored value held for it (split payments).
    #[serde(default)]
    pub stored_value: Fen,
    /// The payment, once settled (split payments).
    #[serde(default)]
    pub payment_id: Option<i64>,
    /// The brand's channel link, once a payment is settled.
    #[serde(default)]
    pub channel_url: Option<String>,
}

/// Member: set or change the payment PIN (the current one when changing).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SetPin {
    /// The new 6-digit PIN.
    pub pin: String,
    /// The current PIN, when one is set.
    #[serde(default)]
    pub current: Option<String>,
}

/// Staff: a member's stored value, looked up by phone (before 退卡).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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

/// Staff: a one-off pay code for a fixed amount at their store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PayRequestInput {
    /// The amount the member will pay (before deductions).
    pub amount: Fen,
}

/// Where a one-off pay code stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PayRequestState {
    /// Waiting to be paid.
    Open,
    /// Paid (it cannot be paid again).
    Paid,
    /// Not paid in time.
    Expired,
}

/// A one-off pay code as the counter shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct PayRequestPublic {
    /// Store id.
    pub store_id: i64,
    /// The fixed amount.
    pub amount: Fen,
    /// Where it stands.
    pub state: PayRequestState,
}

/// A gateway order HQ should look at: paid after we closed it, refunded
/// because it could not be credited, or with a refund the gateway refused.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlaggedOrder {
    /// Order id (the paging cursor).
    pub id: i64,
    /// Our order number.
    pub order_no: String,
    /// `topup` or `payment`.
    pub purpose: String,
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

/// A store's wallet: what HQ owes the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalletView {
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// What the store may withdraw.
    pub available: Fen,
    /// What withdrawals in progress hold.
    pub frozen: Fen,
    /// Counter cash the store took for top-ups and has not handed in to HQ.
    #[serde(default)]
    pub cash_to_hand_in: Fen,
    /// What the store may withdraw now: the wallet less that cash.
    #[serde(default)]
    pub withdrawable: Fen,
}

/// HQ finance records counter cash a store handed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CashHandInInput {
    /// How much (at most the cash the store holds).
    pub amount: Fen,
    /// The bank deposit's or transfer's reference.
    pub reference: String,
}

/// A recorded hand-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CashHandInReceipt {
    /// Store id.
    pub store_id: i64,
    /// How much was handed in.
    pub amount: Fen,
    /// Cash the store still holds afterwards.
    pub cash_to_hand_in: Fen,
    /// When (RFC 3339).
    pub at: String,
}

/// One movement of a store's wallet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WalletEntry {
    /// Line id (the page cursor).
    pub id: i64,
    /// The operation: `payment`, `refund`, …
    pub kind: String,
    /// The operation's own id (payment id, …).
    pub op_ref: String,
    /// Signed amount (+ in, − out).
    pub amount: Fen,
    /// The member behind it, masked, if any.
    pub member_phone_masked: Option<String>,
    /// Business date in the brand's time zone.
    pub business_date: String,
    /// When (RFC 3339).
    pub at: String,
}

/// HQ's view of the chain's money: every store's wallet, what the brand owes
/// its members, and what bonuses cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BrandMoney {
    /// Every store's wallet, by store name.
    pub wallets: Vec<WalletView>,
    /// Sum of the wallets' available amounts.
    pub wallets_available: Fen,
    /// Sum of the wallets' frozen amounts.
    pub wallets_frozen: Fen,
    /// Stored value owed to members: what they paid in.
    pub liability_principal: Fen,
    /// Stored value owed to members: bonuses.
    pub liability_bonus: Fen,
    /// Stored value held for split payments in progress.
    pub liability_held: Fen,
    /// What bonuses granted (net of claw-backs) cost the brand.
    pub promotion_expense: Fen,
}

/// A store's payee account (where its withdrawals are paid), as shown: the
/// number is masked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayeeView {
    /// Id.
    pub id: i64,
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// Account holder (户名).
    pub account_name: String,
    /// Bank and branch (开户行).
    pub bank_name: String,
    /// The number, masked: `**** 2233`.
    pub account_no_masked: String,
    /// `pending`, `approved`, `rejected` or `superseded`.
    pub state: String,
    /// Who asked for it.
    pub requested_by: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// Who approved or rejected it.
    pub decided_by: Option<String>,
    /// When (RFC 3339).
    pub decided_at: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
}

/// A store's payee details: a change takes effect once HQ finance approves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PayeeInput {
    /// Account holder.
    pub account_name: String,
    /// Bank and branch.
    pub bank_name: String,
    /// Account number (digits; spaces allowed).
    pub account_no: String,
}

/// What a store manager needs before asking for a withdrawal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WithdrawalTerms {
    /// The store's wallet now.
    pub wallet: WalletView,
    /// The smallest withdrawal HQ allows.
    pub min: Fen,
    /// HQ's fixed fee per withdrawal.
    pub fee_fixed: Fen,
    /// HQ's fee rate (10000 = 100 %).
    pub fee_bp: u32,
    /// The approved payee account, if any: withdrawals go there only.
    pub payee: Option<PayeeView>,
    /// A change waiting for HQ finance, if any.
    pub pending_payee: Option<PayeeView>,
}

/// Ask for a withdrawal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WithdrawalInput {
    /// How much leaves the wallet (the fee included).
    pub amount: Fen,
}

/// Where a withdrawal stands (DESIGN.md "Payment gateway and payout").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawalState {
    /// Asked for; the amount is frozen.
    Requested,
    /// HQ finance approved; the payout is queued.
    Approved,
    /// Sent to the payout channel.
    Submitted,
    /// The channel paid it.
    Paid,
    /// The channel refused it; the amount is back in the wallet.
    Failed,
    /// The channel's answer is unknown; stays frozen until a query settles it.
    Unknown,
    /// Withdrawn by the requester before approval.
    Cancelled,
    /// Rejected by HQ finance; the amount is back in the wallet.
    Rejected,
}

impl WithdrawalState {
    /// Every state.
    pub const ALL: [WithdrawalState; 8] = [
        WithdrawalState::Requested,
        WithdrawalState::Approved,
        WithdrawalState::Submitted,
        WithdrawalState::Paid,
        WithdrawalState::Failed,
        WithdrawalState::Unknown,
        WithdrawalState::Cancelled,
        WithdrawalState::Rejected,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WithdrawalState::Requested => "requested",
            WithdrawalState::Approved => "approved",
            WithdrawalState::Submitted => "submitted",
            WithdrawalState::Paid => "paid",
            WithdrawalState::Failed => "failed",
            WithdrawalState::Unknown => "unknown",
            WithdrawalState::Cancelled => "cancelled",
            WithdrawalState::Rejected => "rejected",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<WithdrawalState> {
        Self::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// Whether the amount is still frozen in this state.
    pub fn holds_money(self) -> bool {
        matches!(
            self,
            WithdrawalState::Requested
                | WithdrawalState::Approved
                | WithdrawalState::Submitted
                | WithdrawalState::Unknown
        )
    }
}

/// A withdrawal, as listed and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WithdrawalView {
    /// Id (the page cursor).
    pub id: i64,
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// Region id.
    pub region_id: i64,
    /// What leaves the wallet.
    pub amount: Fen,
    /// HQ's fee.
    pub fee: Fen,
    /// What the store receives.
    pub payout: Fen,
    /// Where it stands.
    pub state: WithdrawalState,
    /// The payee account it goes to (masked).
    pub payee: String,
    /// Who asked.
    pub requested_by: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// Who approved, rejected or cancelled it.
    pub decided_by: Option<String>,
    /// When (RFC 3339).
    pub decided_at: Option<String>,
    /// Why it was rejected, or why the payout failed.
    pub reason: Option<String>,
    /// The current payout attempt's id at the channel.
    pub payout_no: Option<String>,
    /// How many payout attempts so far.
    pub attempts: i32,
    /// When the channel paid it (RFC 3339).
    pub paid_at: Option<String>,
    /// Whether the caller may approve, reject or retry it now.
    pub can_decide: bool,
    /// Whether the caller may cancel it now.
    pub can_cancel: bool,
    /// Whether the caller (HQ finance, manual payouts) may mark it paid by
    /// bank transfer now.
    #[serde(default)]
    pub can_mark_paid: bool,
}

/// Reject a withdrawal or a payee change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RejectInput {
    /// Why (shown to the store).
    pub reason: String,
}

/// HQ finance marks a withdrawal paid by bank transfer (manual payouts).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MarkPaidInput {
    /// The bank transfer's reference (流水号).
    pub reference: String,
}

/// A message in a staff member's in-app message centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffMessage {
    /// Id (the page cursor).
    pub id: i64,
    /// `withdrawal` or `payee`.
    pub topic: String,
    /// The withdrawal or payee change it is about.
    pub subject_id: i64,
    /// The new state (`approved`, `paid`, `rejected`, …).
    pub state: String,
    /// The amount, for withdrawals.
    pub amount: Option<Fen>,
    /// The store id.
    pub store_id: i64,
    /// The store.
    pub store_name: String,
    /// When (RFC 3339).
    pub at: String,
    /// Read already.
    pub read: bool,
}

/// How many messages in the message centre are unread.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffInbox {
    /// Unread in all.
    pub unread: i64,
}

/// One day of a store's statement (日结), in the brand's time zone. The
/// wallet moves by principal + bonus + gateway + refunds + withdrawals +
/// other; counter top-ups are cash the store took for HQ and are shown
/// beside, not in, the wallet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatementDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// The wallet at the start of the day.
    pub opening: Fen,
    /// Payments: the stored-value principal members paid.
    pub principal: Fen,
    /// Payments: the store's share of the bonus members paid with.
    pub bonus: Fen,
    /// Payments: what members paid online (the gateway part).
    pub gateway: Fen,
    /// How many payments.
    pub payments: i64,
    /// Refunds (negative).
    pub refunds: Fen,
    /// Withdrawals frozen, less those given back (negative or zero).
    pub withdrawals: Fen,
    /// Anything else that moved the wallet.
    pub other: Fen,
    /// The wallet at the end of the day.
    pub closing: Fen,
    /// Counter top-ups taken at this store (not part of the wallet).
    pub counter_topups: Fen,
    /// Counter cash handed in to HQ that day.
    #[serde(default)]
    pub cash_handed_in: Fen,
    /// Counter cash the store holds for HQ at the end of the day.
    #[serde(default)]
    pub cash_to_hand_in: Fen,
}

/// A store's statement over a range of days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    /// Store id.
    pub store_id: i64,
    /// Store name.
    pub store_name: String,
    /// First day.
    pub from: String,
    /// Last day.
    pub to: String,
    /// Every day of the range, oldest first.
    pub days: Vec<StatementDay>,
}

/// What waits for HQ finance: withdrawals to decide and payee changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HqPending {
    /// Withdrawals requested, not yet decided.
    pub withdrawals: i64,
    /// Payee account changes waiting.
    pub payee_changes: i64,
    /// Gateway refunds refused for good, waiting for HQ finance.
    #[serde(default)]
    pub refund_tasks: i64,
}

/// How HQ finance settles a gateway refund the gateway refused for good.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundResolution {
    /// Back to the member's stored value.
    StoredValue,
    /// Paid back outside the system (a bank transfer), with its reference.
    PaidOutside,
}

/// Settle a refused refund.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ResolveRefundInput {
    /// Which way the money goes back.
    pub way: RefundResolution,
    /// The bank transfer's reference (`paid_outside` only).
    #[serde(default)]
    pub reference: Option<String>,
}

/// A gateway refund the gateway refused for good: a task for HQ finance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
