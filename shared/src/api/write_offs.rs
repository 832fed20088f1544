//! The member code and write-off (核销): the member's code secret, a clerk
//! scanning a member code, and writing off card uses and free-item coupons
//! with the ticket the scan opened.

use super::*;
use crate::dto::*;

endpoints! {
    area "write-offs";

    /// The member's code id and TOTP secret (made on first asking), with
    /// the server's clock: the app makes member codes from them, offline.
    MyMemberCode: GET "/member/code", ActiveMember => MemberCodeSecret;

    /// Waits (up to 25 s) until the member's things move past the pulse
    /// given (a write-off, a payment, a coupon used, their code taken), then
    /// answers where they stand; with no pulse, at once.
    WaitMemberPulse: GET "/member/pulse", ActiveMember, query PulseQuery => MemberPulse;

    /// A clerk scans (or types) a member code: it is taken once, and opens
    /// a 2-minute ticket for this clerk at this store showing the member
    /// and what is usable here. Wrong codes are limited per store and per
    /// code id.
    ScanCode: POST "/staff/scans", Staff(COUNTER),
        body ScanMemberCode => 201 WriteOffTicket,
        [MemberCodeRefused, MemberFrozen, TooManyAttempts];

    /// Writes off card uses and free-item coupons with a ticket, all or
    /// none, through the ledger.
    WriteOff: POST "/staff/write-offs", Staff(COUNTER),
        body WriteOffRequest => 201 WriteOffReceipt,
        [TicketExpired, NotFound, CardClosed, CardNotHonouredHere, ItemNotOnCard, NoUsesLeft,
         DailyLimitReached, CouponNotUsable, MemberFrozen, StoreClosed], idempotent;

    /// 会员码收款: takes an amount from the member's stored value with a
    /// ticket (a coupon too), the member typing their PIN on the clerk's
    /// phone above HQ's PIN-free amount.
    ChargeTicket: POST "/staff/ticket-charges", Staff(COUNTER),
        body TicketCharge => 201 PaymentReceipt,
        [TicketExpired, MemberFrozen, InsufficientBalance, PinRequired, WrongPin, PinLocked,
         PinNotSet, CouponNotUsable, AmountTooLarge, StoreClosed], idempotent;

    /// 核销记录: write-offs at the stores in the caller's scope, newest
    /// first.
    ListWriteOffs: GET "/staff/write-offs", Staff(ANY_STAFF),
        query WriteOffsQuery => Page<WriteOffListItem>;

    /// Undoes a write-off (the store's manager or HQ, within HQ's window):
    /// its uses and coupons go back to the member, the store gives back
    /// what it was settled (a store manager only from what the wallet
    /// holds), audited, and the member is told.
    UndoWriteOff: POST "/staff/write-offs/{id}/undo" (i64), Staff(MONEY_BACK),
        body WriteOffUndoInput => 201 WriteOffListItem,
        [NotFound, WriteOffUndoRefused, WalletShortfall, CardClosed], idempotent;
}
