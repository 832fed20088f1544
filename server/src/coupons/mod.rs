//! Coupons (优惠券, DESIGN.md "Cards and coupons"): HQ's templates, members
//! claiming them in the coupon centre, staff issuing them within a daily
//! quota, and the coupons a member holds.
//!
//! Every limit is a guarded counter in the same transaction as the coupon
//! it allows: the template's stock (`issued < stock`), the member's holding
//! (`held < per_member`) and the staff member's day (`used < quota`), so
//! they hold when the requests arrive together. A coupon moves issued →
//! reserved → used | expired | revoked, each step a compare-and-set on its
//! state.

pub mod give;
pub mod redeem;
pub mod templates;
pub mod views;
