//! The price plan: how one bill is paid, step by step, in DESIGN.md's fixed
//! order (level discount → coupon → points → principal → bonus → online),
//! each step a whole number of fen. The member app previews it, the server
//! books it (the ordinary, the batched and the split payment alike), and a
//! refund splits back over the sources it recorded. A new deduction is a
//! new step here and its lines in the ledger, not a change to each path.

use crate::money::{Bp, Fen, Quote, split_refund};
use serde::{Deserialize, Serialize};

/// What a coupon takes off the bill left after the level discount.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CouponOff {
    /// A fixed amount.
    Cash(Fen),
    /// A share of the bill (rounded half up), never more than `cap`.
    Percent {
        /// The share taken off (1000 = 10 % off).
        rate: Bp,
        /// The most it takes off.
        cap: Fen,
    },
}

/// A coupon the member chose for this bill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CouponChoice {
    /// What it takes off.
    pub off: CouponOff,
    /// The least the bill must come to after the level discount; below it
    /// the coupon takes nothing.
    pub min_spend: Fen,
}

/// Points the member chose to spend, at HQ's rate: every `step` points are
/// worth `step_worth`, taken in whole steps only (so neither side ever
/// holds a fraction), up to `max_share` of the bill left after the coupon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PointsChoice {
    /// The member's usable points.
    pub available: i64,
    /// Points per step (HQ's rate, e.g. 100 points …).
    pub step: i64,
    /// … are worth this much (e.g. ¥1).
    pub step_worth: Fen,
    /// The most of the bill points may pay.
    pub max_share: Bp,
}

/// One bill and everything that may pay it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bill {
    /// The bill as entered (checked above zero by the caller).
    pub amount: Fen,
    /// The share of the bill the member's level pays (10000: no discount,
    /// 9500: 5 % off).
    pub level_rate: Bp,
    /// The coupon chosen, if any.
    pub coupon: Option<CouponChoice>,
    /// The points chosen, if any.
    pub points: Option<PointsChoice>,
    /// The member's stored value that may be spent: principal …
    pub principal: Fen,
    /// … then bonus.
    pub bonus: Fen,
}

impl Bill {
    /// A bill with no deductions, paid from `principal` and `bonus` and
    /// online for the rest.
    pub fn plain(amount: Fen, principal: Fen, bonus: Fen) -> Bill {
        Bill {
            amount,
            level_rate: Bp::FULL,
            coupon: None,
            points: None,
            principal,
            bonus,
        }
    }
}

/// How a bill is paid: every source named, each a whole number of fen. The
/// deductions and the sources add up to the bill exactly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentPlan {
    /// The bill as entered.
    pub original: Fen,
    /// Taken off by the member's level.
    pub level_discount: Fen,
    /// Taken off by the coupon (funded by the brand).
    pub coupon: Fen,
    /// Paid by points (funded by the brand) …
    pub points: Fen,
    /// … which are this many points.
    pub points_used: i64,
    /// Paid from the member's stored principal.
    pub principal: Fen,
    /// Paid from the member's stored bonus.
    pub bonus: Fen,
    /// Paid through the payment gateway.
    pub online: Fen,
}

impl PaymentPlan {
    /// What the member pays with money: stored value and online.
    pub fn payable(&self) -> Fen {
        self.principal + self.bonus + self.online
    }

    /// What is paid from stored value (what the PIN guards).
    pub fn stored_value(&self) -> Fen {
        self.principal + self.bonus
    }

    /// What the brand funds for the member (coupon and points): the store
    /// is credited it beside the member's own part.
    pub fn brand_funded(&self) -> Fen {
        self.coupon + self.points
    }

    /// Of the bonus paid, what the store is credited at HQ's settlement
    /// rate (rounded half up); the brand keeps the rest.
    pub fn bonus_settled(&self, rate: Bp) -> Fen {
        rate.of(self.bonus).min(self.bonus)
    }

    /// The bill, the level discount and what is left to pay, as a receipt
    /// shows them.
    pub fn quote(&self) -> Quote {
        Quote {
            original: self.original,
            member_discount: self.level_discount,
            payable: self.payable(),
        }
    }
}

/// Plans a bill: each step takes what it may of what the steps before left.
pub fn plan(bill: &Bill) -> PaymentPlan {
    let original = bill.amount.max(Fen::ZERO);
    // The level discount, rounded half up once.
    let rate = Bp(bill.level_rate.0.min(Bp::FULL.0));
    let level_discount = (original - rate.of(original)).max(Fen::ZERO);
    let mut left = original - level_discount;
    let coupon = bill
        .coupon
        .filter(|c| left >= c.min_spend)
        .map(|c| match c.off {
            CouponOff::Cash(off) => off,
            CouponOff::Percent { rate, cap } => rate.of(left).min(cap),
        })
        .unwrap_or(Fen::ZERO)
        .clamp(Fen::ZERO, left);
    left -= coupon;
    let (points, points_used) = match bill.points {
        Some(p) if p.step > 0 && p.step_worth.is_positive() => {
            let most = p.max_share.of(left).min(left);
            let steps = (p.available.max(0) / p.step).min(most.0 / p.step_worth.0);
            (Fen(steps * p.step_worth.0), steps * p.step)
        }
        _ => (Fen::ZERO, 0),
    };
    left -= points;
    let principal = bill.principal.clamp(Fen::ZERO, left);
    left -= principal;
    let bonus = bill.bonus.clamp(Fen::ZERO, left);
    left -= bonus;
    PaymentPlan {
        original,
        level_discount,
        coupon,
        points,
        points_used,
        principal,
        bonus,
        online: left,
    }
}

/// What a payment's earlier refunds gave back, per source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Refunded {
    /// Back to principal.
    pub principal: Fen,
    /// Back to bonus.
    pub bonus: Fen,
    /// Back online.
    pub online: Fen,
    /// Points given back.
    pub points: i64,
    /// The coupon's part given back with the coupon (all of it or nothing).
    pub coupon: Fen,
}

impl Refunded {
    /// The money refunded so far.
    pub fn total(&self) -> Fen {
        self.principal + self.bonus + self.online
    }

    /// Whether everything `paid` took has been given back: its money, its
    /// points and its coupon.
    pub fn all_of(&self, paid: &PaymentPlan) -> bool {
        self.total() == paid.payable()
            && self.points == paid.points_used
            && self.coupon == paid.coupon
    }
}

/// One refund of a payment, split over every source the plan used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RefundPlan {
    /// Back to the member's principal.
    pub principal: Fen,
    /// Back to the member's bonus.
    pub bonus: Fen,
    /// Back online, the way it came.
    pub online: Fen,
    /// Of the bonus, what the store gives back (its settled share); the
    /// brand's bonus income gives back the rest.
    pub store_bonus: Fen,
    /// Of what the brand funded (points, and the coupon once refunded in
    /// full), what the store gives back to the brand's promotion expense.
    pub brand_funded: Fen,
    /// Points back to the member.
    pub points: i64,
    /// Whether the coupon goes back to the member (a refund in full).
    pub coupon_back: bool,
    /// The coupon's part given back with it (0 unless `coupon_back`).
    pub coupon: Fen,
    /// What the payment has refunded with this one.
    pub refunded_total: Fen,
}

impl RefundPlan {
    /// What the store's wallet gives back.
    pub fn from_store(&self) -> Fen {
        self.principal + self.store_bonus + self.online + self.brand_funded
    }

    /// What the brand's bonus income gives back.
    pub fn from_income(&self) -> Fen {
        self.bonus - self.store_bonus
    }
}

/// Why a refund cannot be planned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundRefused {
    /// The amount is below zero, or zero for a payment the member paid
    /// money for.
    NotPositive,
    /// More than is left to refund, which is this much.
    TooLarge(Fen),
}

/// Splits a refund of `amount` (of what the member paid) over the sources
/// of `paid`, cumulatively: money by the largest remainder over principal,
/// bonus and online, so all refunds of one payment add up exactly to it;
/// the store's settled share of the bonus, the points and the points'
/// funding in proportion to what has been refunded in all; the coupon and
/// its funding back only with a refund in full (DESIGN.md: a partial refund
/// keeps the coupon used). A payment the coupon and points covered in full
/// (nothing to pay) is voided by a refund of zero, once.
pub fn refund_plan(
    paid: &PaymentPlan,
    bonus_settled: Fen,
    done: &Refunded,
    amount: Fen,
) -> Result<RefundPlan, RefundRefused> {
    let payable = paid.payable();
    let void = amount == Fen::ZERO && payable == Fen::ZERO;
    if !amount.is_positive() && !void {
        return Err(RefundRefused::NotPositive);
    }
    let refundable = payable - done.total();
    if amount > refundable || done.all_of(paid) {
        return Err(RefundRefused::TooLarge(refundable));
    }
    let parts = [paid.principal, paid.bonus, paid.online];
    let already = [done.principal, done.bonus, done.online];
    // `amount` is within what is left, so the split exists.
    let share = split_refund(&parts, &already, amount).unwrap_or_else(|| vec![Fen::ZERO; 3]);
    let (principal, bonus, online) = (share[0], share[1], share[2]);
    // A part in proportion to money refunded in all, rounded down, so the
    // last refund takes exactly what is left.
    let pro_rata = |whole: i64, of: i64, after: i64| -> i64 {
        if of == 0 {
            0
        } else {
            let exact = i128::from(whole) * i128::from(after) / i128::from(of);
            i64::try_from(exact).unwrap_or(whole)
        }
    };
    let settled_share =
        |refunded_bonus: Fen| pro_rata(bonus_settled.0, paid.bonus.0, refunded_bonus.0);
    let store_bonus = Fen(settled_share(done.bonus + bonus) - settled_share(done.bonus));
    let after = done.total() + amount;
    let full = after == payable;
    let points_funded = |refunded: Fen| pro_rata(paid.points.0, payable.0, refunded.0);
    let mut brand_funded = Fen(points_funded(after) - points_funded(done.total()));
    let coupon_back = full && paid.coupon.is_positive() && done.coupon != paid.coupon;
    let coupon = if coupon_back { paid.coupon } else { Fen::ZERO };
    brand_funded += coupon;
    let points = if full {
        paid.points_used - done.points
    } else {
        pro_rata(paid.points_used, payable.0, after.0) - done.points
    };
    Ok(RefundPlan {
        principal,
        bonus,
        online,
        store_bonus,
        brand_funded,
        points: points.max(0),
        coupon_back,
        coupon,
        refunded_total: after,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bill(amount: i64) -> Bill {
        Bill::plain(Fen(amount), Fen::ZERO, Fen::ZERO)
    }

    #[test]
    fn steps_run_in_order_and_add_up_to_the_bill() {
        let p = plan(&Bill {
            amount: Fen(10_000),
            level_rate: Bp(9_500),
            coupon: Some(CouponChoice {
                off: CouponOff::Cash(Fen(1_000)),
                min_spend: Fen(5_000),
            }),
            points: Some(PointsChoice {
                available: 1_250,
                step: 100,
                step_worth: Fen(100),
                max_share: Bp(1_000),
            }),
            principal: Fen(3_000),
            bonus: Fen(2_000),
        });
        // 5 % off ¥100 → ¥95; the coupon ¥10 → ¥85; points at most 10 % of
        // ¥85 = ¥8.50, whole ¥1 steps of 100 points, 12 steps available → ¥8.
        assert_eq!(p.level_discount, Fen(500));
        assert_eq!(p.coupon, Fen(1_000));
        assert_eq!((p.points, p.points_used), (Fen(800), 800));
        assert_eq!(
            (p.principal, p.bonus, p.online),
            (Fen(3_000), Fen(2_000), Fen(2_700))
        );
        assert_eq!(
            p.level_discount + p.coupon + p.points + p.payable(),
            p.original
        );
        assert_eq!(p.quote().payable, Fen(7_700));
    }

    #[test]
    fn a_plain_bill_takes_principal_then_bonus_then_online() {
        let p = plan(&Bill::plain(Fen(500), Fen(300), Fen(100)));
        assert_eq!(
            (p.principal, p.bonus, p.online),
            (Fen(300), Fen(100), Fen(100))
        );
        let p = plan(&Bill::plain(Fen(500), Fen(800), Fen(100)));
        assert_eq!(
            (p.principal, p.bonus, p.online),
            (Fen(500), Fen::ZERO, Fen::ZERO)
        );
    }

    fn quote(amount: i64, level_rate: Bp) -> Quote {
        let mut b = bill(amount);
        b.level_rate = level_rate;
        plan(&b).quote()
    }

    #[test]
    fn discount_rounds_half_up_once() {
        // 95 % of ¥0.10 is 9.5 fen → the member pays 10 (half up), no discount.
        assert_eq!(quote(10, Bp(9_500)).payable, Fen(10));
        assert_eq!(
            quote(1000, Bp(8_800)),
            Quote {
                original: Fen(1000),
                member_discount: Fen(120),
                payable: Fen(880)
            }
        );
        assert_eq!(quote(0, Bp(9_000)).payable, Fen(0));
        assert_eq!(quote(999, Bp::FULL).payable, Fen(999));
    }

    #[test]
    fn a_coupon_needs_its_minimum_and_never_goes_below_zero() {
        let mut b = bill(3_000);
        b.level_rate = Bp(9_000);
        b.coupon = Some(CouponChoice {
            off: CouponOff::Cash(Fen(5_000)),
            min_spend: Fen(2_700),
        });
        // The minimum is measured after the level discount: ¥27 qualifies.
        let p = plan(&b);
        assert_eq!((p.coupon, p.payable()), (Fen(2_700), Fen::ZERO));
        b.coupon = Some(CouponChoice {
            off: CouponOff::Cash(Fen(500)),
            min_spend: Fen(2_701),
        });
        assert_eq!(plan(&b).coupon, Fen::ZERO);
        b.coupon = Some(CouponChoice {
            off: CouponOff::Percent {
                rate: Bp(1_500),
                cap: Fen(300),
            },
            min_spend: Fen::ZERO,
        });
        // 15 % of ¥27 = ¥4.05, capped at ¥3.
        assert_eq!(plan(&b).coupon, Fen(300));
    }

    #[test]
    fn points_go_in_whole_steps_within_their_share() {
        let mut b = bill(999);
        b.points = Some(PointsChoice {
            available: 10_000,
            step: 10,
            step_worth: Fen(5),
            max_share: Bp::FULL,
        });
        // Up to the whole bill, in 5-fen steps: 995 fen for 1,990 points.
        let p = plan(&b);
        assert_eq!(
            (p.points, p.points_used, p.online),
            (Fen(995), 1_990, Fen(4))
        );
        b.points = Some(PointsChoice {
            available: 9,
            step: 10,
            step_worth: Fen(5),
            max_share: Bp::FULL,
        });
        assert_eq!(plan(&b).points_used, 0);
    }

    #[test]
    fn refunds_split_every_source_and_add_up_exactly() {
        let paid = plan(&Bill {
            amount: Fen(10_001),
            level_rate: Bp::FULL,
            coupon: Some(CouponChoice {
                off: CouponOff::Cash(Fen(1_000)),
                min_spend: Fen::ZERO,
            }),
            points: Some(PointsChoice {
                available: 300,
                step: 100,
                step_worth: Fen(100),
                max_share: Bp::FULL,
            }),
            principal: Fen(3_333),
            bonus: Fen(2_222),
        });
        let settled = paid.bonus_settled(Bp(8_000));
        let mut done = Refunded::default();
        let mut store = Fen::ZERO;
        let mut funded = Fen::ZERO;
        for amount in [1, 999, 2_000, 3_000] {
            let r = refund_plan(&paid, settled, &done, Fen(amount)).expect("within what is left");
            assert_eq!(r.principal + r.bonus + r.online, Fen(amount));
            assert!(!r.coupon_back);
            done.principal += r.principal;
            done.bonus += r.bonus;
            done.online += r.online;
            done.points += r.points;
            store += r.store_bonus;
            funded += r.brand_funded;
        }
        let rest = paid.payable() - done.total();
        assert_eq!(
            refund_plan(&paid, settled, &done, rest + Fen(1)),
            Err(RefundRefused::TooLarge(rest))
        );
        let last = refund_plan(&paid, settled, &done, rest).expect("the rest");
        assert!(last.coupon_back);
        assert_eq!(last.refunded_total, paid.payable());
        assert_eq!(done.principal + last.principal, paid.principal);
        assert_eq!(done.bonus + last.bonus, paid.bonus);
        assert_eq!(done.online + last.online, paid.online);
        assert_eq!(done.points + last.points, paid.points_used);
        assert_eq!(store + last.store_bonus, settled);
        assert_eq!(funded + last.brand_funded, paid.points + paid.coupon);
        assert_eq!(
            refund_plan(&paid, settled, &done, Fen::ZERO),
            Err(RefundRefused::NotPositive)
        );
        done.principal += last.principal;
        done.bonus += last.bonus;
        done.online += last.online;
        done.points += last.points;
        done.coupon += last.coupon;
        assert!(done.all_of(&paid));
        assert_eq!(
            refund_plan(&paid, settled, &done, Fen(1)),
            Err(RefundRefused::TooLarge(Fen::ZERO))
        );
    }

    #[test]
    fn a_payment_the_coupon_covered_is_voided_once_by_a_refund_of_zero() {
        let paid = plan(&Bill {
            amount: Fen(2_000),
            level_rate: Bp::FULL,
            coupon: Some(CouponChoice {
                off: CouponOff::Cash(Fen(3_000)),
                min_spend: Fen::ZERO,
            }),
            points: None,
            principal: Fen(5_000),
            bonus: Fen::ZERO,
        });
        assert_eq!((paid.payable(), paid.coupon), (Fen::ZERO, Fen(2_000)));
        let mut done = Refunded::default();
        assert_eq!(
            refund_plan(&paid, Fen::ZERO, &done, Fen(-1)),
            Err(RefundRefused::NotPositive)
        );
        let void = refund_plan(&paid, Fen::ZERO, &done, Fen::ZERO).expect("a void");
        assert!(void.coupon_back);
        assert_eq!((void.coupon, void.brand_funded), (Fen(2_000), Fen(2_000)));
        assert_eq!(void.from_store(), Fen(2_000));
        assert_eq!(void.principal + void.bonus + void.online, Fen::ZERO);
        done.coupon += void.coupon;
        assert_eq!(
            refund_plan(&paid, Fen::ZERO, &done, Fen::ZERO),
            Err(RefundRefused::TooLarge(Fen::ZERO))
        );
    }
}
