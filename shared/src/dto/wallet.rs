//! Store wallets, counter cash hand-ins, payee accounts, withdrawals, staff messages, 日结 and what waits for HQ.

use super::*;

/// A store's wallet: what HQ owes the store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CashHandInInput {
    /// How much (at most the cash the store holds).
    pub amount: Fen,
    /// The bank deposit's or transfer's reference.
    pub reference: String,
}

/// A recorded hand-in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WalletEntry {
    /// Line id (the page cursor).
    pub id: i64,
    /// The operation: a payment, refund, withdrawal, …
    pub kind: super::EntryKind,
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
    /// For a withdrawal's line: where that withdrawal is now (a paid one
    /// is no longer "frozen").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal_state: Option<WithdrawalState>,
}

/// A payee account's full number, as HQ finance sees it to check it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PayeeNumber {
    /// The payee account.
    pub id: i64,
    /// The whole account number.
    pub account_no: String,
}

/// HQ's view of the chain's money: every store's wallet, what the brand owes
/// its members, and what bonuses cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
    /// Where it stands.
    pub state: PayeeState,
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
    /// The store's latest request, when HQ finance rejected it (with its
    /// reason), until the next request.
    #[serde(default)]
    pub rejected_payee: Option<PayeeView>,
}

/// Ask for a withdrawal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WithdrawalInput {
    /// How much leaves the wallet (the fee included).
    pub amount: Fen,
}

crate::named_enum! {
    /// Where a withdrawal stands (DESIGN.md "Payment gateway and payout").
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum WithdrawalState {
        /// Asked for; the amount is frozen.
        Requested = "requested",
        /// HQ finance approved; the payout is queued.
        Approved = "approved",
        /// Sent to the payout channel.
        Submitted = "submitted",
        /// The channel paid it.
        Paid = "paid",
        /// The channel refused it; the amount is back in the wallet.
        Failed = "failed",
        /// The channel's answer is unknown; stays frozen until a query settles it.
        Unknown = "unknown",
        /// Withdrawn by the requester before approval.
        Cancelled = "cancelled",
        /// Rejected by HQ finance; the amount is back in the wallet.
        Rejected = "rejected",
    }
}

impl WithdrawalState {
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

crate::named_enum! {
    /// Where a change of a store's payee account stands.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum PayeeState {
        /// Asked for; waiting for HQ finance.
        Pending = "pending",
        /// Approved: withdrawals are paid to it.
        Approved = "approved",
        /// Rejected by HQ finance.
        Rejected = "rejected",
        /// Replaced by a later approved account.
        Superseded = "superseded",
    }
}

/// A withdrawal, as listed and shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RejectInput {
    /// Why (shown to the store).
    pub reason: String,
}

/// HQ finance marks a withdrawal paid by bank transfer (manual payouts).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MarkPaidInput {
    /// The bank transfer's reference (流水号).
    pub reference: String,
}

crate::named_enum! {
    /// What a staff message is about.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum MessageTopic {
        /// A withdrawal of the store.
        Withdrawal = "withdrawal",
        /// A change of the store's payee account.
        Payee = "payee",
    }
}

/// A message in a staff member's in-app message centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffMessage {
    /// Id (the page cursor).
    pub id: i64,
    /// What it is about.
    pub topic: MessageTopic,
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StaffInbox {
    /// Unread in all.
    pub unread: i64,
}

/// One day of a store's statement (日结), in the brand's time zone. The
/// wallet moves by principal + bonus + gateway + refunds + withdrawals +
/// other; counter top-ups are cash the store took for HQ and are shown
/// beside, not in, the wallet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HqPending {
    /// Withdrawals requested, not yet decided.
    pub withdrawals: i64,
    /// Payee account changes waiting.
    pub payee_changes: i64,
    /// Gateway refunds refused for good, waiting for HQ finance.
    #[serde(default)]
    pub refund_tasks: i64,
}
