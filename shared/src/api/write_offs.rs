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
