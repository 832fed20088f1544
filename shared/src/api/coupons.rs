//! Coupons (优惠券): HQ's templates and their figures, the coupon centre,
//! a member's coupons, and staff issuing one within their daily quota.

use super::*;
use crate::dto::*;

endpoints! {
    area "coupons";

    /// The brand's coupon templates, each with its figures (issued, used,
    /// expired, what the used ones cost the brand).
    ListCouponTemplates: GET "/hq/coupon-templates", Staff(ANY_STAFF) => Vec<CouponTemplate>;

    /// Adds a coupon template.
    CreateCouponTemplate: POST "/hq/coupon-templates", Staff(HQ_ADMIN),
        body CouponTemplateInput => 201 CouponTemplate, [AlreadyExists];

    /// Changes a coupon template (or puts it on or off); coupons already
    /// given out keep their rule and dates.
    UpdateCouponTemplate: PUT "/hq/coupon-templates/{id}" (i64), Staff(HQ_ADMIN),
        body CouponTemplateInput => CouponTemplate, [AlreadyExists];

    /// The coupon centre: templates a member may claim now, with how many
    /// are left and how many the member holds.
    CouponCentre: GET "/member/coupon-centre", Member => Vec<CouponOffer>;

    /// Claims one coupon of a template in the coupon centre: the stock and
    /// the member's limit hold when claims arrive together.
    ClaimCoupon: POST "/member/coupon-centre/{id}" (i64), ActiveMember
        => 201 MemberCoupon,
        [NotFound, CouponNotOffered, CouponOutOfStock, CouponLimitReached], idempotent;

    /// The member's coupons of one shelf (usable, used, expired), newest
    /// first, a page at a time.
    MemberCoupons: GET "/member/coupons", Member, query CouponQuery => Page<MemberCoupon>;

    /// How many coupons the caller may still issue today.
    MyCouponQuota: GET "/staff/coupons/quota", Staff(COUPON_ISSUERS) => CouponQuota;

    /// A store manager or HQ issues a coupon to a member, within HQ's daily
    /// quota per staff member; audited, and the member is told.
    IssueCouponToMember: POST "/staff/coupons", Staff(COUPON_ISSUERS),
        body IssueCoupon => 201 CouponIssued,
        [NotFound, MemberNotRegistered, CouponNotOffered, CouponOutOfStock, CouponLimitReached,
         CouponQuotaReached], idempotent;
}
