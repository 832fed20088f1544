//! What the ledger's entries are: the operation each one books.

crate::named_enum! {
    /// The operation a journal entry books (stored with it; with the
    /// operation's own id it is unique per brand).
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum EntryKind {
        /// Stored value bought: at the counter or through the gateway.
        TopUp = "topup",
        /// A member paid a store.
        Payment = "payment",
        /// A payment given back, in part or in full.
        Refund = "refund",
        /// Stored value closed and paid back (退卡).
        Close = "close",
        /// A split payment's stored-value part held while its gateway leg
        /// runs.
        Hold = "hold",
        /// A hold given back: the split payment's gateway leg failed.
        Release = "release",
        /// A gateway refund refused for good and settled outside it.
        RefundResolved = "refund_resolved",
        /// Counter cash handed in to HQ.
        CashHandIn = "cash_handin",
        /// A store's money frozen for a withdrawal.
        Withdrawal = "withdrawal",
        /// A withdrawal's frozen money given back (rejected, cancelled or
        /// failed).
        WithdrawalRelease = "withdrawal_release",
        /// A withdrawal paid out.
        Payout = "payout",
        /// A card bought or sold (次卡, 周期卡): its price into the card.
        CardSale = "card_sale",
        /// One use of a count card: its share to the store.
        CardUse = "card_use",
        /// A card use undone: the exact reverse of the use.
        CardUseUndo = "card_use_undo",
        /// A period card's day released to its store.
        CardRelease = "card_release",
        /// 退卡 of a card: what it held back the way it was paid.
        CardRefund = "card_refund",
        /// A card that reached its end date: what it held to the brand.
        CardExpiry = "card_expiry",
        /// An expired card extended (延期): its expiry reversed.
        CardExtension = "card_extension",
        /// A coupon issued to the member by staff (no money moves; the
        /// member is told).
        CouponIssued = "coupon_issued",
        /// A free-item coupon written off at a store: the brand pays the
        /// store the item's price from promotion expense.
        CouponItemUse = "coupon_item_use",
        /// A write-off (核销) undone: its card uses and free-item coupons
        /// back to the member, the store giving back what it was settled
        /// (the member is told).
        WriteOffUndo = "write_off_undo",
        /// A lot of points that reached its expiry: what it held to the
        /// brand's points expired.
        PointsExpiry = "points_expiry",
        /// Points about to expire, told to the member (nothing moves).
        PointsReminder = "points_reminder",
        /// A daily sign-in (签到): its points into a new lot.
        SignIn = "sign_in",
        /// An invite's reward (邀请有礼): points into a new lot for the
        /// inviter or the friend.
        InviteReward = "invite_reward",
        /// A correction booked by hand outside any operation (the tests
        /// give money this way; no screen books one).
        Adjustment = "adjustment",
    }
}
