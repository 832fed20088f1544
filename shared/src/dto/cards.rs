//! The card wallet (卡包): service items, card types with their looks, the
//! cards members hold, selling them, 退卡 of a card and extending one.

use super::*;

crate::named_enum! {
    /// What a card gives.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CardKind {
        /// 次卡: a number of uses of its items.
        Count = "count",
        /// 周期卡: its items for a month, a quarter or a year.
        Period = "period",
    }
}

crate::named_enum! {
    /// How long a period card runs from purchase (a month ends at the end
    /// of the day before the same date next month, in the brand's zone).
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CardPeriod {
        /// One month.
        Month = "month",
        /// Three months.
        Quarter = "quarter",
        /// Twelve months.
        Year = "year",
    }
}

impl CardPeriod {
    /// Months it runs.
    pub fn months(self) -> u32 {
        match self {
            CardPeriod::Month => 1,
            CardPeriod::Quarter => 3,
            CardPeriod::Year => 12,
        }
    }
}

crate::named_enum! {
    /// Where a member's card stands.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CardState {
        /// Usable (within its dates).
        Active = "active",
        /// Past its end date (what was left went to the brand; HQ may extend
        /// it back).
        Expired = "expired",
        /// Refunded (退卡): what was left went back the way it was paid.
        Refunded = "refunded",
    }
}

crate::named_enum! {
    /// How a card was paid for.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CardChannel {
        /// From the member's stored value, in the app.
        StoredValue = "stored_value",
        /// Through the payment gateway (with stored value, if any), in the
        /// app.
        Online = "online",
        /// At a store's counter, in cash or by card taken by the store.
        Counter = "counter",
    }
}

crate::named_enum! {
    /// One thing that happened to a card.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CardEventKind {
        /// Bought.
        Bought = "bought",
        /// One use written off at a store.
        Used = "used",
        /// A use undone.
        UseUndone = "use_undone",
        /// Its end date moved later (延期).
        Extended = "extended",
        /// Refunded (退卡).
        Refunded = "refunded",
        /// Reached its end date.
        Expired = "expired",
    }
}

/// A service item (服务项目).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceItem {
    /// Item id.
    pub id: i64,
    /// Name (e.g. 精致洗车).
    pub name: String,
    /// Category (e.g. 洗护).
    pub category: String,
    /// Its price on its own.
    pub price: Fen,
    /// Offered at every store (then `store_ids` is empty).
    pub all_stores: bool,
    /// The stores offering it, when not every store.
    pub store_ids: Vec<i64>,
    /// On sale.
    pub on_sale: bool,
}

/// Create or change a service item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ServiceItemInput {
    /// Name, 1–40 characters, unique in the brand.
    pub name: String,
    /// Category, up to 20 characters (may be empty).
    pub category: String,
    /// Price, above zero.
    pub price: Fen,
    /// Offered at every store.
    pub all_stores: bool,
    /// Otherwise these stores (at least one).
    #[serde(default)]
    pub store_ids: Vec<i64>,
    /// On sale.
    pub on_sale: bool,
}

/// A card type HQ sells.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardType {
    /// Card type id.
    pub id: i64,
    /// What HQ set.
    #[serde(flatten)]
    pub terms: CardTypeInput,
    /// The background image's URL (under its content hash), if any.
    pub image_url: Option<String>,
}

/// A picture HQ uploaded for card faces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UploadedImage {
    /// Its content hash: what a card type names as `image_hash`.
    pub hash: String,
    /// Where it is served (cached for good).
    pub url: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Create or change a card type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardTypeInput {
    /// Name, 1–40 characters, unique in the brand.
    pub name: String,
    /// Count or period card.
    pub kind: CardKind,
    /// A count card's uses (1–1000).
    #[serde(default)]
    pub uses: Option<i64>,
    /// A period card's length.
    #[serde(default)]
    pub period: Option<CardPeriod>,
    /// A period card's most uses a day (none: no limit).
    #[serde(default)]
    pub per_day_limit: Option<i64>,
    /// A count card's days of validity from purchase (none: no expiry, the
    /// default for named prepaid cards).
    #[serde(default)]
    pub valid_days: Option<i64>,
    /// Price, above zero.
    pub price: Fen,
    /// Theme colour, `#rrggbb`.
    pub theme_color: String,
    /// The background image's hash (from uploading it), if any.
    #[serde(default)]
    pub image_hash: Option<String>,
    /// A line about it (up to 200 characters).
    #[serde(default)]
    pub description: String,
    /// The service items it covers (at least one).
    pub item_ids: Vec<i64>,
    /// Sold at every store …
    pub sold_everywhere: bool,
    /// … or at these.
    #[serde(default)]
    pub sold_store_ids: Vec<i64>,
    /// Honoured at every store …
    pub honoured_everywhere: bool,
    /// … or at these.
    #[serde(default)]
    pub honoured_store_ids: Vec<i64>,
    /// On sale.
    pub on_sale: bool,
}

/// A store or an item by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Named {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
}

/// A card type as a member sees it before buying: the price, the items and
/// the stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardOffer {
    /// The card type.
    pub card_type: CardType,
    /// The items it covers.
    pub items: Vec<Named>,
    /// Where it is honoured (empty with `honoured_everywhere`).
    pub stores: Vec<Named>,
}

/// A card a member holds, as the wallet shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberCard {
    /// Card id.
    pub id: i64,
    /// Its type.
    pub card_type_id: i64,
    /// Name.
    pub name: String,
    /// Count or period card.
    pub kind: CardKind,
    /// Where it stands.
    pub state: CardState,
    /// What it cost.
    pub price: Fen,
    /// A count card's uses left and in all.
    pub uses_left: Option<i64>,
    /// …
    pub uses_total: Option<i64>,
    /// First day (brand's date).
    pub starts_on: String,
    /// Last day, if it ends.
    pub ends_on: Option<String>,
    /// Days left including today, if it ends.
    pub days_left: Option<i64>,
    /// Uses today (a period card's daily limit counts these).
    pub today_uses: i64,
    /// A period card's most uses a day.
    pub per_day_limit: Option<i64>,
    /// Its look: theme colour …
    pub theme_color: String,
    /// … and background image.
    pub image_url: Option<String>,
    /// How it was paid for.
    pub channel: CardChannel,
    /// When it was bought.
    pub bought_at: String,
    /// What it still holds in money (what 退卡 would give back).
    pub remaining: Fen,
}

/// One thing that happened to a card.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardEvent {
    /// Event id.
    pub id: i64,
    /// What happened.
    pub kind: CardEventKind,
    /// The store, if at one.
    pub store_name: Option<String>,
    /// The item used, for a use.
    pub item_name: Option<String>,
    /// Money it moved (a use's share to the store, a refund's total).
    pub amount: Fen,
    /// Uses it moved (−1 for a use, +1 for its undo).
    pub uses: i64,
    /// The new end date, for an extension.
    pub ends_on: Option<String>,
    /// When.
    pub at: String,
}

/// A card in full: where it is honoured, what it covers, its history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberCardDetail {
    /// The card.
    pub card: MemberCard,
    /// Honoured at every store of the brand.
    pub honoured_everywhere: bool,
    /// Otherwise at these.
    pub stores: Vec<Named>,
    /// The items it covers.
    pub items: Vec<Named>,
    /// Its history, newest first.
    pub history: Vec<CardEvent>,
}

/// A member buys a card in the app, from stored value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BuyCard {
    /// The card type.
    pub card_type_id: i64,
    /// The payment PIN, when the price is above the PIN-free limit.
    #[serde(default)]
    pub pin: Option<String>,
}

/// Staff sell a card at their store's counter (cash or card taken by the
/// store).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SellCard {
    /// The member's phone.
    pub member_phone: String,
    /// The card type.
    pub card_type_id: i64,
}

/// A card bought or sold: the card and how it was paid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardReceipt {
    /// The card.
    pub card: MemberCard,
    /// Paid from stored principal …
    pub principal: Fen,
    /// … from stored bonus …
    pub bonus: Fen,
    /// … at the counter.
    pub cash: Fen,
    /// The member's stored value after, when it paid.
    pub balance_after: Option<Fen>,
    /// The ledger entry.
    pub entry_id: i64,
}

/// What 退卡 of a card gives back, per way it was paid.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardRefundParts {
    /// Back to the member's stored principal.
    pub principal: Fen,
    /// Bonus taken back by the brand.
    pub bonus_clawed_back: Fen,
    /// Back through the payment gateway.
    pub online: Fen,
    /// Paid back in cash at the counter.
    pub cash: Fen,
    /// Uses that lapse.
    pub uses: i64,
}

/// 退卡 of a card: the store it happens at (HQ names one; a store manager
/// does it at their own).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RefundCard {
    /// The store paying cash back (HQ only; a store manager's own store).
    #[serde(default)]
    pub store_id: Option<i64>,
}

/// A card refunded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CardRefunded {
    /// What went back where.
    pub parts: CardRefundParts,
    /// The ledger entry.
    pub entry_id: i64,
    /// When.
    pub at: String,
}

/// HQ moves a card's end date later (延期).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ExtendCard {
    /// The new last day, `YYYY-MM-DD`, after the current one.
    pub ends_on: String,
}
