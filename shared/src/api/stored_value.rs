//! Stored value (储值): balances, paying a store, top-ups at the counter and
//! through the gateway, refunds, 退卡, the brand's money settings.

use super::*;
use crate::dto::*;

endpoints! {
    area "stored_value";

    /// The member's stored value: principal, bonus, total and cap.
    MemberBalance: GET "/member/balance", Member => BalanceView;

    /// Pays a store from stored value (bonus first by the brand's rule); a
    /// PIN above the brand's threshold. With `coupon_id` the coupon comes
    /// off the bill first and is used by this payment alone (a refund in
    /// full gives it back).
    Pay: POST "/member/payments", ActiveMember,
        body PaymentRequest => 201 PaymentReceipt,
        [NotFound, AmountTooLarge, StoreClosed, PayCodeUsed, InsufficientBalance,
         PinRequired, PinNotSet, WrongPin, PinLocked, CouponNotUsable], idempotent;

    /// Every movement of the member's money, points, cards' uses and
    /// coupons (明细), newest first, by kind and store.
    MemberHistory: GET "/member/history", Member,
        query HistoryQuery => Page<HistoryItem>;

    /// The stores the member's history names (the history's store filter),
    /// by name.
    MemberHistoryStores: GET "/member/history-stores", Member => Vec<Named>;

    /// One movement in full: its split over principal, bonus and the
    /// payment channel, and for a payment its refunds.
    MemberHistoryDetail: GET "/member/history/{id}" (i64), Member => HistoryDetail;

    /// The member's messages (消息), newest first.
    MemberMessages: GET "/member/messages", Member,
        query AfterQuery => Page<MemberMessage>;

    /// How many of the member's messages are unread.
    MemberUnreadMessages: GET "/member/messages/unread", Member => MemberUnread;

    /// Marks all the member's messages read.
    ReadMemberMessages: POST "/member/messages/read", Member => 204 ();

    /// Tops a member up at the counter (cash or card taken by the store).
    TopUpAtCounter: POST "/staff/topups", Staff(COUNTER),
        body CounterTopUp => 201 TopUpReceipt,
        [MemberNotRegistered, MemberFrozen, StoreClosed, BalanceLimit, InsufficientBalance], idempotent;

    /// The member a counter top-up is for, by phone: who they are and what
    /// they hold, shown to the clerk before the money is taken.
    CounterMember: GET "/staff/counter-member", Staff(COUNTER),
        query PhoneQuery => CounterMemberView, [MemberNotRegistered];

    /// Refunds (part of) a payment to where it came from.
    RefundPayment: POST "/staff/payments/{id}/refunds" (i64), Staff(MONEY_BACK),
        body RefundRequest => 201 RefundReceipt,
        [RefundTooLarge, WalletShortfall, Conflict, InsufficientBalance], idempotent;

    /// 退卡: pays a member's stored value back and closes it.
    CloseMemberStoredValue: POST "/staff/members/{id}/close-stored-value" (i64), Staff(MONEY_BACK),
        body CloseStoredValue => 201 StoredValueClosed,
        [NothingToRefund, RefundTooLarge, InsufficientBalance], idempotent;

    /// A member's stored value by phone, and how 退卡 would pay it back.
    MemberMoneyByPhone: GET "/staff/member-money", Staff(MONEY_BACK),
        query PhoneQuery => MemberMoney, [MemberNotRegistered];

    /// The same by member id (HQ's member page opens 退卡 with it).
    MemberMoneyById: GET "/staff/members/{id}/money" (i64), Staff(MONEY_BACK) => MemberMoney;

    /// The brand's money settings.
    GetMoneySettings: GET "/hq/money-settings", Staff(ANY_STAFF) => MoneySettings;

    /// Changes the brand's money settings (a cap below members' balances
    /// needs `confirm_above`).
    PutMoneySettings: PUT "/hq/money-settings", Staff(HQ_ADMIN),
        query ConfirmQuery, body MoneySettings => MoneySettings, [CapBelowBalances];

    /// Top-up plans (pay X, get Y bonus), on sale or not.
    ListTopUpPlans: GET "/hq/topup-plans", Staff(ANY_STAFF) => Vec<TopUpPlan>;

    /// Creates a top-up plan.
    CreateTopUpPlan: POST "/hq/topup-plans", Staff(HQ_ADMIN),
        body TopUpPlanInput => 201 TopUpPlan, [AlreadyExists];

    /// Changes a plan on offer: its price or its bonus.
    UpdateTopUpPlan: PUT "/hq/topup-plans/{id}" (i64), Staff(HQ_ADMIN),
        body TopUpPlanInput => TopUpPlan, [AlreadyExists, StateChanged];

    /// Takes a top-up plan off sale.
    DeactivateTopUpPlan: POST "/hq/topup-plans/{id}/deactivate" (i64), Staff(HQ_ADMIN) => TopUpPlan;

    /// The top-up plans on sale, for the member.
    MemberTopUpPlans: GET "/member/topup-plans", Member => Vec<TopUpPlan>;

    /// The stores the member paid at, most recent first (at most 3, open
    /// ones only): the home page's quick way to pay again.
    RecentStores: GET "/member/recent-stores", Member => Vec<StorePublic>;

    /// A store of the member's brand, as the pay page shows it.
    MemberStore: GET "/member/stores/{id}" (i64), Member => StorePublic;

    /// A store's pay code (its QR's link).
    StorePayCode: GET "/staff/stores/{id}/pay-code" (i64), Staff(ANY_STAFF) => PayCode;

    /// Payments in the caller's scope, newest first.
    ListPayments: GET "/staff/payments", Staff(ANY_STAFF),
        query PaymentsQuery => Page<PaymentListItem>;

    /// The counter's receipt feed: answers at once when there is something
    /// newer than `after`, else waits up to `timeout` seconds.
    WaitReceipts: GET "/staff/receipts/wait", Staff(ANY_STAFF),
        query WaitQuery => ReceiptFeed;

    /// Asks a member for an amount by a one-use pay code.
    CreatePayRequest: POST "/staff/pay-requests", Staff(COUNTER),
        body PayRequestInput => 201 PayRequestView, [AmountTooLarge, StoreClosed];

    /// A pay request and whether it was paid.
    GetPayRequest: GET "/staff/pay-requests/{id}" (i64), Staff(ANY_STAFF) => PayRequestView;

    /// A pay request as the member's pay page shows it.
    MemberPayRequest: GET "/member/pay-requests/{token}" (str), Member => PayRequestPublic;

    /// Sets or changes the member's payment PIN.
    SetPaymentPin: PUT "/member/pin", Member, body SetPin => 204 (),
        [WrongPin, PinLocked, PinRequired, PinNotSet];

    /// Sends a code to the member's phone to reset a forgotten PIN.
    SendPinResetCode: POST "/member/pin/reset-code", Member => SmsCodeSent, [RateLimited];

    /// Resets a forgotten PIN with the code; for 24 hours after, only
    /// payments within the PIN-free limit go through (the member is told
    /// by SMS).
    ResetPaymentPin: POST "/member/pin/reset", Member, body PinReset => 204 (),
        [WrongSmsCode, SmsCodeExpired, SmsCodeLocked];

    /// Starts a top-up through the payment gateway: answers the checkout.
    StartTopUp: POST "/member/topups", ActiveMember,
        body TopUpOrderRequest => 201 TopUpOrderView,
        [GatewayNotConfigured, BalanceLimit, GatewayUnavailable], idempotent;

    /// A gateway top-up's state (asks the gateway while it is open).
    TopUpStatus: GET "/member/topups/{id}" (i64), Member => TopUpOrderView,
        [Conflict, RefundTooLarge];

    /// Gives up an open gateway top-up (closes it at the gateway).
    CloseTopUp: POST "/member/topups/{id}/close" (i64), Member => TopUpOrderView,
        [GatewayUnavailable, Conflict, RefundTooLarge];

    /// Pays a store when stored value does not cover the bill: the stored
    /// value (and the coupon, if one is named) is held, the rest goes to the
    /// gateway's checkout; both come back if the gateway leg fails.
    StartSplitPayment: POST "/member/split-payments", ActiveMember,
        body PaymentRequest => 201 TopUpOrderView,
        [NotFound, GatewayNotConfigured, AmountTooLarge, PinRequired, PinNotSet, WrongPin,
         PinLocked, StoreClosed, Conflict, GatewayUnavailable, CouponNotUsable], idempotent;

    /// Gateway orders that need a look, newest first.
    ListGatewayFlags: GET "/hq/gateway-flags", Staff(HQ_MONEY),
        query AfterQuery => Page<FlaggedOrder>;

    /// The payment gateway's signed callback (answers in the gateway's own
    /// format).
    GatewayNotify: POST "/gateway/notify", Gateway,
        body Opaque => GatewayAnswer;

    /// Refunds the gateway refused for good, open or settled.
    ListRefundTasks: GET "/hq/refund-tasks", Staff(HQ_MONEY),
        query StateQuery => Page<RefundTask>;

    /// Settles a refused refund: to stored value, or paid outside with a
    /// reference.
    ResolveRefundTask: POST "/hq/refund-tasks/{id}/resolve" (i64), Staff(HQ_FINANCE),
        body ResolveRefundInput => RefundTask, [StateChanged, BalanceLimit];
}
