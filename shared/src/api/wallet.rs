//! The store wallet (门店钱包): balances, entries, 日结 statements, counter
//! cash handed in, withdrawals approved by HQ finance, staff messages.

use super::*;
use crate::dto::*;

endpoints! {
    area "wallet";

    /// A store's wallet: balance, frozen, withdrawable, cash to hand in.
    StoreWallet: GET "/staff/stores/{id}/wallet" (i64), Staff(MANAGERS) => WalletView;

    /// Every movement of a store's wallet, newest first.
    WalletEntries: GET "/staff/stores/{id}/wallet/entries" (i64), Staff(MANAGERS),
        query AfterQuery => Page<WalletEntry>;

    /// A store's wallet movements in a date range, as CSV.
    WalletEntriesCsv: GET "/staff/stores/{id}/wallet/entries.csv" (i64), Staff(MANAGERS),
        query RangeQuery => Csv, csv;

    /// Wallets of the stores in the caller's scope.
    ScopeWallets: GET "/staff/wallets", Staff(MANAGERS) => Vec<WalletView>;

    /// The brand's money at a glance.
    BrandMoneyView: GET "/hq/money", Staff(HQ_MONEY) => BrandMoney;

    /// 日结: a store's statement per business day.
    StoreStatement: GET "/staff/stores/{id}/statement" (i64), Staff(MANAGERS),
        query RangeQuery => Statement;

    /// 日结 as CSV.
    StoreStatementCsv: GET "/staff/stores/{id}/statement.csv" (i64), Staff(MANAGERS),
        query RangeQuery => Csv, csv;

    /// Records counter cash a store handed in to HQ.
    HandInCash: POST "/hq/stores/{id}/cash-handins" (i64), Staff(HQ_FINANCE),
        body CashHandInInput => 201 CashHandInReceipt, idempotent;

    /// What a store may withdraw, the fee and its payee account.
    WithdrawalTermsView: GET "/staff/stores/{id}/withdrawal-terms" (i64), Staff(MANAGERS) => WithdrawalTerms;

    /// Asks to change a store's payee account (HQ finance approves).
    RequestPayee: POST "/staff/stores/{id}/payee" (i64), Staff(STORE_MANAGER),
        body PayeeInput => 201 PayeeView, [PayeeChangePending];

    /// Asks for a withdrawal from a store's wallet (HQ finance approves);
    /// answers the new withdrawal's id.
    RequestWithdrawal: POST "/staff/stores/{id}/withdrawals" (i64), Staff(STORE_MANAGER),
        body WithdrawalInput => 201 i64,
        [WithdrawalBelowMinimum, WithdrawalFeeTooHigh, PayeeMissing, WithdrawalAboveAvailable],
        idempotent;

    /// Withdrawals in the caller's scope, newest first.
    ListWithdrawals: GET "/staff/withdrawals", Staff(MANAGERS),
        query WithdrawalQuery => Page<WithdrawalView>;

    /// One withdrawal with its history.
    GetWithdrawal: GET "/staff/withdrawals/{id}" (i64), Staff(MANAGERS) => WithdrawalView;

    /// Cancels a withdrawal request before approval (only the one who asked,
    /// who is a store manager: only they can ask).
    CancelWithdrawal: POST "/staff/withdrawals/{id}/cancel" (i64), Staff(STORE_MANAGER) => WithdrawalView,
        [StateChanged];

    /// Approves a withdrawal and sends the payout (not one's own request).
    ApproveWithdrawal: POST "/hq/withdrawals/{id}/approve" (i64), Staff(HQ_FINANCE) => WithdrawalView,
        [OwnRequest, PayeeMissing, StateChanged];

    /// Rejects a withdrawal with a reason (the money is unfrozen).
    RejectWithdrawal: POST "/hq/withdrawals/{id}/reject" (i64), Staff(HQ_FINANCE),
        body RejectInput => WithdrawalView, [OwnRequest, StateChanged];

    /// Sends a failed payout again.
    RetryWithdrawal: POST "/hq/withdrawals/{id}/retry" (i64), Staff(HQ_FINANCE) => WithdrawalView,
        [OwnRequest, PayeeMissing, StateChanged, WithdrawalAboveAvailable];

    /// Records a payout made by hand (manual channel) with its reference.
    MarkWithdrawalPaid: POST "/hq/withdrawals/{id}/mark-paid" (i64), Staff(HQ_FINANCE),
        body MarkPaidInput => WithdrawalView, [Conflict, StateChanged];

    /// What waits for HQ: withdrawals, payee changes, refund tasks.
    HqPendingView: GET "/hq/pending", Staff(HQ_MONEY) => HqPending;

    /// Payee account changes, newest first.
    ListPayeeChanges: GET "/hq/payee-changes", Staff(CHAIN_READERS),
        query StateQuery => Page<PayeeView>;

    /// Approves a payee account change.
    ApprovePayee: POST "/hq/payee-changes/{id}/approve" (i64), Staff(HQ_FINANCE) => PayeeView,
        [OwnRequest, StateChanged];

    /// The full account number of a payee account, for HQ finance checking
    /// it before approving (each look is in the audit log).
    RevealPayee: POST "/hq/payee-changes/{id}/reveal" (i64), Staff(HQ_FINANCE) => PayeeNumber;

    /// Rejects a payee account change with a reason.
    RejectPayee: POST "/hq/payee-changes/{id}/reject" (i64), Staff(HQ_FINANCE),
        body RejectInput => PayeeView, [OwnRequest, StateChanged];

    /// The caller's messages, newest first.
    ListMessages: GET "/staff/messages", Staff(ANY_STAFF),
        query AfterQuery => Page<StaffMessage>;

    /// How many of the caller's messages are unread.
    UnreadMessages: GET "/staff/messages/unread", Staff(ANY_STAFF) => StaffInbox;

    /// Marks all the caller's messages read.
    ReadMessages: POST "/staff/messages/read", Staff(ANY_STAFF) => 204 ();
}
