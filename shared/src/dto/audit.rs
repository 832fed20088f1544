//! The audit log's shape: what a staff member did, typed, so every screen
//! reads it in its own language and filters it by action.

use super::{Fen, Role};
use serde::{Deserialize, Serialize};

/// Declares a closed set of keys stored and sent as dotted strings.
macro_rules! keyed {
    ($(#[$meta:meta])* $name:ident { $($(#[$m:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        pub enum $name {
            $($(#[$m])* #[serde(rename = $s)] $v,)*
        }

        impl $name {
            /// Every key, in the order the UI lists them.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            /// The stored and transmitted key.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }

            /// The key named `s`, if any.
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($s => Some($name::$v),)*
                    _ => None,
                }
            }
        }
    };
}

keyed! {
    /// What a staff member (or the system) did.
    AuditAction {
        /// A store was opened.
        StoreCreate = "store.create",
        /// A store's details changed.
        StoreUpdate = "store.update",
        /// A store became the brand's default.
        StoreMakeDefault = "store.make_default",
        /// A region was created.
        RegionCreate = "region.create",
        /// A region was renamed.
        RegionRename = "region.rename",
        /// An empty region was deleted.
        RegionDelete = "region.delete",
        /// A staff account was created.
        StaffCreate = "staff.create",
        /// A staff account's name, role or scope changed.
        StaffUpdate = "staff.update",
        /// A staff account was deactivated.
        StaffDeactivate = "staff.deactivate",
        /// A staff account was reactivated.
        StaffActivate = "staff.activate",
        /// A locked account was unlocked.
        StaffUnlock = "staff.unlock",
        /// A staff member's password was reset by another.
        StaffResetPassword = "staff.reset_password",
        /// A staff member changed their own password.
        StaffPasswordChange = "staff.password_change",
        /// A staff member logged in.
        StaffLogin = "staff.login",
        /// A wrong password for a staff account.
        StaffLoginFailed = "staff.login_failed",
        /// Too many wrong passwords locked a staff account.
        StaffLoginLocked = "staff.login_locked",
        /// A member was frozen.
        MemberFreeze = "member.freeze",
        /// A member was unfrozen.
        MemberUnfreeze = "member.unfreeze",
        /// A member's birthday corrected by staff.
        MemberBirthday = "member.birthday",
        /// Stored value topped up at the counter.
        MemberCounterTopUp = "member.counter_topup",
        /// A member's stored value refunded and closed (退卡).
        MemberCloseStoredValue = "member.close_stored_value",
        /// A payment refunded in part or in full.
        PaymentRefund = "payment.refund",
        /// A gateway refund that failed was settled by hand.
        GatewayRefundResolve = "gateway_refund.resolve",
        /// The brand's money settings changed.
        MoneySettings = "money.settings",
        /// A top-up plan was created.
        TopUpPlanCreate = "topup_plan.create",
        /// A top-up plan was changed.
        TopUpPlanUpdate = "topup_plan.update",
        /// A top-up plan was taken off sale.
        TopUpPlanDeactivate = "topup_plan.deactivate",
        /// A store asked for a new payee account.
        PayeeRequest = "payee.request",
        /// Finance approved a payee account.
        PayeeApprove = "payee.approve",
        /// Finance rejected a payee account.
        PayeeReject = "payee.reject",
        /// Finance looked at a payee account's full number.
        PayeeReveal = "payee.reveal",
        /// A store asked to withdraw.
        WithdrawalRequest = "withdrawal.request",
        /// Finance approved a withdrawal.
        WithdrawalApprove = "withdrawal.approve",
        /// Finance rejected a withdrawal.
        WithdrawalReject = "withdrawal.reject",
        /// A failed payout was sent again.
        WithdrawalRetry = "withdrawal.retry",
        /// A payout was marked paid.
        WithdrawalPaid = "withdrawal.paid",
        /// A payout failed.
        WithdrawalFailed = "withdrawal.failed",
        /// A store withdrew its request.
        WithdrawalCancel = "withdrawal.cancel",
        /// Counter cash handed in to HQ.
        CashHandIn = "cash.hand_in",
        /// An API key was created.
        ApiKeyCreate = "api_key.create",
        /// An API key was revoked.
        ApiKeyRevoke = "api_key.revoke",
        /// A machine called the API with a key.
        ApiKeyUse = "api_key.use",
        /// The brand was created.
        BrandCreate = "brand.create",
        /// A service item was added.
        ServiceItemCreate = "service_item.create",
        /// A service item was changed (or put on or off sale).
        ServiceItemUpdate = "service_item.update",
        /// A card type was added.
        CardTypeCreate = "card_type.create",
        /// A card type was changed (or put on or off sale).
        CardTypeUpdate = "card_type.update",
        /// A card sold at the counter.
        CardSell = "card.sell",
        /// A member's card refunded (退卡 of a card).
        CardRefund = "card.refund",
        /// A member's card extended (延期).
        CardExtend = "card.extend",
        /// A coupon template was added.
        CouponTemplateCreate = "coupon_template.create",
        /// A coupon template was changed (or put on or off).
        CouponTemplateUpdate = "coupon_template.update",
        /// A coupon issued to a member by staff.
        CouponIssue = "coupon.issue",
        /// A write-off (核销) undone by the store's manager or HQ.
        WriteOffUndo = "write_off.undo",
        /// The brand's points policy changed.
        PointsPolicy = "points.policy",
        /// The brand's sign-in rewards changed.
        SignInPolicy = "sign_in.policy",
        /// The brand's invite programme changed.
        InvitePolicy = "invite.policy",
        Levels = "levels.policy",
        /// Demo: the sandbox payout's behaviour changed.
        SandboxPayoutMode = "sandbox.payout_mode",
        /// Demo: the sandbox gateway's switches changed.
        SandboxGatewaySwitches = "sandbox.gateway_switches",
    }
}

keyed! {
    /// A field whose value an action changed.
    AuditField {
        /// A name.
        Name = "name",
        /// An address.
        Address = "address",
        /// A phone number.
        Phone = "phone",
        /// Opening hours.
        Hours = "hours",
        /// A region.
        Region = "region",
        /// A store.
        Store = "store",
        /// Where a staff member works: a store, a region or the brand.
        Scope = "scope",
        /// Open or closed (stores), active or not (accounts, plans).
        Active = "active",
        /// A staff role.
        Role = "role",
        /// The most a member may hold.
        MaxBalance = "max_balance",
        /// The most one payment may be.
        MaxPayment = "max_payment",
        /// Share of bonus-paid amounts credited to stores.
        BonusSettle = "bonus_settle",
        /// Top-ups of any amount allowed.
        CustomTopUp = "custom_topup",
        /// The amount above which a PIN is asked.
        PinAbove = "pin_above",
        /// The brand's channel link.
        ChannelUrl = "channel_url",
        /// The smallest withdrawal.
        WithdrawMin = "withdraw_min",
        /// The fixed withdrawal fee.
        WithdrawFeeFixed = "withdraw_fee_fixed",
        /// The withdrawal fee rate.
        WithdrawFeeRate = "withdraw_fee_rate",
        /// A plan's price.
        Pay = "pay",
        /// A plan's bonus.
        Bonus = "bonus",
        /// A mode or switch (demo sandbox).
        Mode = "mode",
        /// A price.
        Price = "price",
        /// On sale or not.
        OnSale = "on_sale",
        /// A card's last day.
        EndsOn = "ends_on",
        /// How many of a coupon may be given out.
        Stock = "stock",
        /// The member (masked phone).
        Member = "member",
        /// Coupons each staff member may issue a day.
        CouponQuota = "coupon_quota",
        /// Hours after a write-off it may be undone.
        WriteOffUndoHours = "write_off_undo_hours",
    }
}

/// A value before or after a change, typed so it reads in every language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AuditValue {
    /// Words as typed (a name, an address).
    Text(String),
    /// An amount.
    Money(Fen),
    /// On or off.
    Flag(bool),
    /// A rate in basis points (10000 = 100 %).
    Rate(u32),
    /// A staff role.
    Role(Role),
}

/// One field's change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditChange {
    /// Which field.
    pub field: AuditField,
    /// Before (none when it was not set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<AuditValue>,
    /// After (none when it was cleared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<AuditValue>,
}

/// One line of the audit log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditEntry {
    /// Entry id.
    pub id: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// Who: staff name and account, or an API key's name; none for the
    /// system (and for failed logins, where nobody is known yet).
    pub actor: Option<String>,
    /// What was done.
    pub action: AuditAction,
    /// What it acted on: `#3 南京西路店`, `#12 138****0001`, a withdrawal's
    /// number.
    pub target: String,
    /// The store it concerns, if one.
    pub store: Option<String>,
    /// The money it moved, if any.
    pub amount: Option<Fen>,
    /// What changed, field by field.
    pub changes: Vec<AuditChange>,
    /// A reason, a reference or an address, as typed or seen.
    pub note: Option<String>,
}

/// The audit log filtered; every filter is optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AuditQuery {
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// Who: part of a staff member's name or account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub who: Option<String>,
    /// What: one action key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Which store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
    /// On or after this date (YYYY-MM-DD, brand's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// On or before this date (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}
