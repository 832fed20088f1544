//! A coupon in plain words, the same in both apps: what it takes off, from
//! what spend, where and until when.

use crate::i18n::{Lang, T};
use shared::dto::{CouponKind, CouponRule, CouponTemplateInput};
use shared::money::Fen;

/// An amount the way a coupon says it: `¥10`, `¥9.90`.
pub fn short_yuan(f: Fen) -> String {
    if f.0 % 100 == 0 {
        format!("¥{}", f.0 / 100)
    } else {
        f.to_string()
    }
}

/// A share off as people read it: 1000 bp off is "9折" in Chinese and
/// "10% off" in English.
fn percent_text(rate_bp: u32, l: Lang) -> String {
    // `v` over `unit`, its decimals without trailing zeros.
    let trim = |v: u32, unit: u32, places: usize| {
        let s = format!("{}.{:0places$}", v / unit, v % unit);
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    match l {
        // What is paid, in tenths: 1000 bp off → "9折", 1500 → "8.5折".
        Lang::Zh => format!("{}折", trim(10_000 - rate_bp.min(10_000), 1_000, 3)),
        Lang::En => format!("{}% off", trim(rate_bp, 100, 2)),
    }
}

/// What a coupon gives, in one line: "满¥50减¥10", "9折，最多减¥5",
/// "免费：精致洗车".
pub fn rule_text(
    (kind, off, rate_bp, cap): (CouponKind, Fen, u32, Fen),
    item: &str,
    min_spend: Fen,
    l: Lang,
) -> String {
    let min = short_yuan(min_spend);
    let gives = match kind {
        CouponKind::Cash if min_spend.is_positive() => {
            return T::CouponCashOver
                .text(l)
                .replace("{min}", &min)
                .replace("{off}", &short_yuan(off));
        }
        CouponKind::Cash => return T::CouponCashOff.text(l).replace("{off}", &short_yuan(off)),
        CouponKind::Percent => T::CouponPercentOff
            .text(l)
            .replace("{rate}", &percent_text(rate_bp, l))
            .replace("{cap}", &short_yuan(cap)),
        CouponKind::Item => T::CouponFreeItem.text(l).replace("{item}", item),
    };
    if min_spend.is_positive() {
        gives + &T::CouponOverSuffix.text(l).replace("{min}", &min)
    } else {
        gives
    }
}

/// A member's coupon's rule in one line.
pub fn held_rule_text(r: &CouponRule, l: Lang) -> String {
    let item = r.item.as_ref().map(|i| i.name.as_str()).unwrap_or_default();
    rule_text((r.kind, r.off, r.rate_bp, r.cap), item, r.min_spend, l)
}

/// A template's rule in one line (`item`: its item's name).
pub fn template_rule_text(t: &CouponTemplateInput, item: &str, l: Lang) -> String {
    rule_text((t.kind, t.off, t.rate_bp, t.cap), item, t.min_spend, l)
}

/// A template's validity: "2026-12-01 至 2026-12-31" or "领取后 7 天内有效".
pub fn validity_text(
    from: Option<&str>,
    until: Option<&str>,
    days: Option<i64>,
    l: Lang,
) -> String {
    match (from, until, days) {
        (Some(f), Some(u), _) => T::CouponDates
            .text(l)
            .replace("{from}", f)
            .replace("{until}", u),
        (_, _, Some(d)) => T::CouponDays.text(l).replace("{n}", &d.to_string()),
        _ => String::new(),
    }
}

/// Where a coupon is honoured: "全部门店" or the stores' names.
pub fn stores_text(all: bool, names: &[String], l: Lang) -> String {
    if all {
        T::AllStores.text(l).to_string()
    } else {
        names.join("、")
    }
}
