//! Coupons (优惠券): HQ's templates with their figures, the coupon centre,
//! the coupons a member holds, and staff issuing one.

use super::*;

crate::named_enum! {
    /// What a coupon gives.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CouponKind {
        /// A fixed amount off the bill.
        Cash = "cash",
        /// A share off the bill, never more than its cap.
        Percent = "percent",
        /// One service item free (written off by scanning).
        Item = "item",
    }
}

crate::named_enum! {
    /// Where a member's coupon stands.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CouponState {
        /// Held and usable within its dates.
        Issued = "issued",
        /// Held for a payment whose online part is still being paid.
        Reserved = "reserved",
        /// Used by a payment (or written off).
        Used = "used",
        /// Past its end date unused.
        Expired = "expired",
        /// Taken back by HQ.
        Revoked = "revoked",
    }
}

crate::named_enum! {
    /// How a member came to hold a coupon.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CouponSource {
        /// Claimed in the coupon centre.
        Claimed = "claimed",
        /// Issued by a store manager or HQ.
        Issued = "issued",
        /// The member's level's birthday gift.
        Birthday = "birthday",
        /// An invite's reward.
        Invite = "invite",
    }
}

crate::named_enum! {
    /// The coupons a member lists: those they can use, used ones, or those
    /// that ran out (expired or revoked).
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum CouponShelf {
        /// Usable now or later (issued, or held for a payment under way).
        Usable = "usable",
        /// Used.
        Used = "used",
        /// Expired or revoked.
        Expired = "expired",
    }
}

/// Create or change a coupon template.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponTemplateInput {
    /// Name, 1–40 characters, unique in the brand.
    pub name: String,
    /// Cash off, percent off or a free item.
    pub kind: CouponKind,
    /// A cash coupon's amount off (above zero).
    #[serde(default)]
    pub off: Fen,
    /// A percent coupon's share off in basis points (1000 = 10 % off;
    /// 1–9999).
    #[serde(default)]
    pub rate_bp: u32,
    /// A percent coupon's most off (above zero).
    #[serde(default)]
    pub cap: Fen,
    /// A free-item coupon's service item.
    #[serde(default)]
    pub item_id: Option<i64>,
    /// The least the bill must come to after the level discount (0: any).
    #[serde(default)]
    pub min_spend: Fen,
    /// Fixed validity: the first day (`YYYY-MM-DD`, the brand's zone) …
    #[serde(default)]
    pub valid_from: Option<String>,
    /// … and the last.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Or valid this many days from receipt (1–3650), the day of receipt
    /// counting as the first.
    #[serde(default)]
    pub valid_days: Option<i64>,
    /// How many may be given out in all (1–1,000,000).
    pub stock: i64,
    /// How many one member may hold of it, used or not (1–100).
    pub per_member: i64,
    /// Usable at every store …
    pub all_stores: bool,
    /// … or at these.
    #[serde(default)]
    pub store_ids: Vec<i64>,
    /// Members may claim it in the coupon centre.
    pub claimable: bool,
    /// Store managers and HQ may issue it to a member.
    pub issuable: bool,
    /// On: claimable and issuable as set; off: neither (coupons held stay
    /// usable).
    pub on_sale: bool,
}

/// A coupon template with its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponTemplate {
    /// Template id.
    pub id: i64,
    /// What HQ set.
    #[serde(flatten)]
    pub terms: CouponTemplateInput,
    /// Given out so far (claimed or issued).
    pub issued: i64,
    /// Used.
    pub used: i64,
    /// Expired unused.
    pub expired: i64,
    /// What its used coupons cost the brand.
    pub cost: Fen,
}

/// A coupon's rule, as the member app and the receipt say it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponRule {
    /// The template it comes from.
    pub template_id: i64,
    /// Its name.
    pub name: String,
    /// What it gives.
    pub kind: CouponKind,
    /// Cash off.
    pub off: Fen,
    /// Percent off, in basis points.
    pub rate_bp: u32,
    /// The most a percent coupon takes off.
    pub cap: Fen,
    /// A free-item coupon's item.
    pub item: Option<Named>,
    /// The least the bill must come to after the level discount.
    pub min_spend: Fen,
    /// Usable at every store …
    pub all_stores: bool,
    /// … or at these.
    pub stores: Vec<Named>,
}

impl CouponRule {
    /// What it takes off a bill, as the price plan takes it (a free-item
    /// coupon takes nothing off: it is written off at the counter).
    pub fn choice(&self) -> Option<crate::plan::CouponChoice> {
        use crate::plan::{CouponChoice, CouponOff};
        let off = match self.kind {
            CouponKind::Cash => CouponOff::Cash(self.off),
            CouponKind::Percent => CouponOff::Percent {
                rate: crate::money::Bp(self.rate_bp),
                cap: self.cap,
            },
            CouponKind::Item => return None,
        };
        Some(CouponChoice {
            off,
            min_spend: self.min_spend,
        })
    }
}

/// A coupon a member holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberCoupon {
    /// Coupon id.
    pub id: i64,
    /// Its rule.
    pub rule: CouponRule,
    /// Where it stands (an issued coupon past its end shows as expired).
    pub state: CouponState,
    /// Usable from (RFC 3339) …
    pub starts_at: String,
    /// … until, not including (RFC 3339).
    pub ends_at: String,
    /// The last day it is usable, in the brand's zone (`YYYY-MM-DD`).
    pub last_day: String,
    /// How it came.
    pub source: CouponSource,
    /// When it was used (RFC 3339).
    pub used_at: Option<String>,
    /// What it took off the bill it was used on.
    pub worth: Fen,
}

/// A template in the coupon centre, with what is left of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponOffer {
    /// Its rule.
    pub rule: CouponRule,
    /// How many are left to claim.
    pub left: i64,
    /// How many this member holds of it …
    pub held: i64,
    /// … and may hold.
    pub per_member: i64,
    /// Fixed validity: first and last day (`YYYY-MM-DD`).
    pub valid_from: Option<String>,
    /// Last day.
    pub valid_until: Option<String>,
    /// Or this many days from receipt.
    pub valid_days: Option<i64>,
}

/// The member's coupons of one shelf, a page at a time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponQuery {
    /// Which coupons (usable by default).
    #[serde(default)]
    pub shelf: Option<CouponShelf>,
    /// The cursor from the previous page.
    #[serde(default)]
    pub after: Option<i64>,
    /// Only the coupons that can pay a bill at this store now (on the usable
    /// shelf: issued, within their dates, honoured there, not a free item).
    #[serde(default)]
    pub usable_at: Option<i64>,
}

/// Staff issue a coupon to a member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IssueCoupon {
    /// The member's phone.
    pub member_phone: String,
    /// The template.
    pub template_id: i64,
}

/// A coupon issued by staff, and what is left of their day's quota.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponIssued {
    /// The coupon.
    pub coupon: MemberCoupon,
    /// The member (masked phone).
    pub phone_masked: String,
    /// How many more this staff member may issue today.
    pub quota_left: i64,
}

/// A staff member's coupon quota today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CouponQuota {
    /// How many each staff member may issue a day (HQ's setting).
    pub quota: i64,
    /// How many this staff member issued today.
    pub used: i64,
    /// How many more they may issue today.
    pub left: i64,
}
