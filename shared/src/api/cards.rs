//! The card wallet (卡包): HQ's service items and card types, members
//! buying cards and seeing them, counter sales, 退卡 of a card, 延期.

use super::*;
use crate::dto::*;

endpoints! {
    area "cards";

    /// The brand's service items (服务项目).
    ListServiceItems: GET "/hq/service-items", Staff(ANY_STAFF) => Vec<ServiceItem>;

    /// Adds a service item.
    CreateServiceItem: POST "/hq/service-items", Staff(HQ_ADMIN),
        body ServiceItemInput => 201 ServiceItem, [AlreadyExists];

    /// Changes a service item (or puts it on or off sale).
    UpdateServiceItem: PUT "/hq/service-items/{id}" (i64), Staff(HQ_ADMIN),
        body ServiceItemInput => ServiceItem, [AlreadyExists];

    /// The brand's card types (count and period cards), on sale or not.
    ListCardTypes: GET "/hq/card-types", Staff(ANY_STAFF) => Vec<CardType>;

    /// Adds a card type.
    CreateCardType: POST "/hq/card-types", Staff(HQ_ADMIN),
        body CardTypeInput => 201 CardType, [AlreadyExists];

    /// Changes a card type (or puts it on or off sale); cards already sold
    /// keep their price, uses and dates.
    UpdateCardType: PUT "/hq/card-types/{id}" (i64), Staff(HQ_ADMIN),
        body CardTypeInput => CardType, [AlreadyExists];

    /// Uploads a card face's background picture: PNG, JPEG or WebP, at
    /// most 1 MB and 4096 pixels a side (read from its header), sent as the
    /// body with its type. Answers its content hash, which a card type
    /// names as `image_hash`; the same picture again answers the same hash.
    UploadCardImage: POST "/hq/card-images", Staff(HQ_ADMIN),
        body ImageBytes => 201 UploadedImage, upload;

    /// A card face's picture, by its content hash: never changes, so it is
    /// cached for good.
    CardImage: GET "/card-images/{hash}" (str), Public => ImageFile, image;

    /// The cards a member may buy: price, items and stores.
    MemberCardOffers: GET "/member/card-offers", Member => Vec<CardOffer>;

    /// The member's cards (卡包), active first.
    MemberCards: GET "/member/cards", Member => Vec<MemberCard>;

    /// One of the member's cards in full: where it is honoured, what it
    /// covers, its history.
    MemberCardInFull: GET "/member/cards/{id}" (i64), Member => MemberCardDetail;

    /// Buys a card from stored value; a PIN above the brand's PIN-free
    /// limit.
    BuyMemberCard: POST "/member/cards", ActiveMember,
        body BuyCard => 201 CardReceipt,
        [NotFound, CardOffSale, CardNotHonouredHere, InsufficientBalance, PinRequired,
         PinNotSet, WrongPin, PinLocked], idempotent;

    /// Buys a card when stored value does not cover its price: the stored
    /// value is held, the rest goes to the gateway's checkout; the card
    /// opens when the gateway says paid (follow it as any gateway order).
    StartCardOrder: POST "/member/card-orders", ActiveMember,
        body BuyCard => 201 TopUpOrderView,
        [NotFound, GatewayNotConfigured, CardOffSale, CardNotHonouredHere, PinRequired,
         PinNotSet, WrongPin, PinLocked, Conflict, GatewayUnavailable], idempotent;

    /// Sells a card at the caller's counter (cash or card taken by the
    /// store).
    SellCardAtCounter: POST "/staff/card-sales", Staff(COUNTER),
        body SellCard => 201 CardReceipt,
        [MemberNotRegistered, MemberFrozen, StoreClosed, CardOffSale, CardNotSoldHere],
        idempotent;

    /// A member's cards, for staff giving money back or HQ.
    StaffMemberCards: GET "/staff/members/{id}/cards" (i64), Staff(MONEY_BACK) => Vec<MemberCard>;

    /// One card in full, for staff.
    StaffCardInFull: GET "/staff/cards/{id}" (i64), Staff(MONEY_BACK) => MemberCardDetail;

    /// What 退卡 of a card would give back now, per way it was paid.
    CardRefundPreview: GET "/staff/cards/{id}/refund" (i64), Staff(MONEY_BACK)
        => CardRefundParts, [CardClosed];

    /// 退卡 of a card: what it holds back the way it was paid.
    RefundMemberCard: POST "/staff/cards/{id}/refund" (i64), Staff(MONEY_BACK),
        body RefundCard => 201 CardRefunded, [CardClosed, StateChanged, NothingToRefund, StoreClosed],
        idempotent;

    /// Moves a card's last day later (延期); an expired card comes back.
    ExtendMemberCard: POST "/hq/cards/{id}/extend" (i64), Staff(HQ_MONEY),
        body ExtendCard => MemberCard, [CardClosed, StateChanged];
}
