//! Money in fen, rates in basis points, and the one price rule both the
//! member app (preview) and the server (authoritative) apply.

use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in fen (分), the smallest unit; never a float.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    /// Zero.
    pub const ZERO: Fen = Fen(0);

    /// `self + other`, or none on overflow.
    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    /// `self - other`, or none on overflow.
    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    /// The sum, or none on overflow (for sums of stored amounts, which no
    /// parser bounded together).
    pub fn checked_sum(amounts: impl IntoIterator<Item = Fen>) -> Option<Fen> {
        amounts
            .into_iter()
            .try_fold(Fen::ZERO, |total, a| total.checked_add(a))
    }

    /// Whether the amount is above zero.
    pub fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Parses a yuan amount typed by a person (`12`, `12.3`, `12.34`);
    /// refuses fractions of a fen, signs and anything else.
    pub fn parse_yuan(text: &str) -> Result<Fen, &'static str> {
        let t = text.trim();
        if t.is_empty() {
            return Err("required");
        }
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err("amount_format");
        }
        if frac.len() > 2 {
            return Err("amount_fraction");
        }
        let yuan: i64 = whole.parse().map_err(|_| "amount_too_large")?;
        let mut fen: i64 = frac.parse::<i64>().unwrap_or(0);
        if frac.len() == 1 {
            fen *= 10;
        }
        yuan.checked_mul(100)
            .and_then(|y| y.checked_add(fen))
            .map(Fen)
            .ok_or("amount_too_large")
    }
}

// Arithmetic on money stays money. Overflow panics in every profile
// (`overflow-checks = true` in Cargo.toml): a sum of stored amounts that
// could overflow uses `checked_*` instead.
impl std::ops::Add for Fen {
    type Output = Fen;
    fn add(self, other: Fen) -> Fen {
        Fen(self.0 + other.0)
    }
}

impl std::ops::Sub for Fen {
    type Output = Fen;
    fn sub(self, other: Fen) -> Fen {
        Fen(self.0 - other.0)
    }
}

impl std::ops::Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}

impl std::ops::AddAssign for Fen {
    fn add_assign(&mut self, other: Fen) {
        self.0 += other.0;
    }
}

impl std::ops::SubAssign for Fen {
    fn sub_assign(&mut self, other: Fen) {
        self.0 -= other.0;
    }
}

impl std::iter::Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, |a, b| a + b)
    }
}

/// `v` as a whole number of `1/10^digits`, as rates are typed: "9.355" at 3
/// digits → 9355, "50.5" at 2 → 5050; `None` past `digits` decimals or for
/// anything but digits and one point.
pub fn parse_scaled(v: &str, digits: u32) -> Option<i64> {
    let v = v.trim();
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let all_digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() || whole.len() > 9 || frac.len() > digits as usize {
        return None;
    }
    if !all_digits(whole) || !all_digits(frac) || digits > 9 {
        return None;
    }
    let pad = 10_i64.pow(digits - frac.len() as u32);
    let frac = if frac.is_empty() {
        0
    } else {
        frac.parse::<i64>().ok()?
    };
    Some(whole.parse::<i64>().ok()? * 10_i64.pow(digits) + frac * pad)
}

/// `n / unit` in decimals without trailing zeros, as rates are written:
/// 9500/1000 → "9.5" (9.5 折), 15000/10000 → "1.5" (×1.5), 9000/1000 → "9".
pub fn decimal(n: u32, unit: u32) -> String {
    let unit = unit.max(1);
    let (whole, rest) = (n / unit, n % unit);
    if rest == 0 {
        return whole.to_string();
    }
    let digits = unit.ilog10() as usize;
    format!(
        "{whole}.{}",
        format!("{rest:0digits$}").trim_end_matches('0')
    )
}

impl fmt::Display for Fen {
    /// `¥12.34`, `¥5,000.00`, `-¥0.05`: yuan with thousands separators, as
    /// people read amounts (CSV files write plain numbers instead).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let digits = (abs / 100).to_string();
        let mut yuan = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, d) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                yuan.push(',');
            }
            yuan.push(d);
        }
        write!(f, "{sign}¥{yuan}.{:02}", abs % 100)
    }
}

/// A rate in basis points: 10000 = 100 %.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Bp(pub u32);

impl Bp {
    /// 100 %.
    pub const FULL: Bp = Bp(10_000);

    /// `amount × rate`, rounded half up to the fen.
    pub fn of(self, amount: Fen) -> Fen {
        let product = i128::from(amount.0) * i128::from(self.0);
        let rounded = (product + 5_000).div_euclid(10_000);
        Fen(i64::try_from(rounded).unwrap_or(i64::MAX))
    }
}

/// HQ's fee on a withdrawal of `amount`: a fixed part plus a rate, rounded
/// half up to the fen. The store receives `amount − fee`.
pub fn withdrawal_fee(amount: Fen, fixed: Fen, rate: Bp) -> Fen {
    Fen(fixed.0.saturating_add(rate.of(amount).0))
}

/// What a bill came to, as a receipt shows it: the bill, the level
/// discount, what was left to pay ([`crate::plan::PaymentPlan::quote`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Quote {
    /// The bill as entered.
    pub original: Fen,
    /// Taken off by the member's level discount.
    pub member_discount: Fen,
    /// What is left to pay.
    pub payable: Fen,
}

/// Splits `amount` over parts in proportion to `parts`, cumulatively: given
/// what was already refunded of each part, returns this refund's share of
/// each part so that every refund sums exactly to `amount`, no part goes
/// beyond its total, and the refunds of all parts add up to the parts.
/// Shares follow the largest-remainder rule on the cumulative total.
pub fn split_refund(parts: &[Fen], already: &[Fen], amount: Fen) -> Option<Vec<Fen>> {
    let total: i64 = parts.iter().map(|p| p.0).sum();
    let done: i64 = already.iter().map(|p| p.0).sum();
    let after = done.checked_add(amount.0)?;
    if parts.len() != already.len() || amount.0 <= 0 || after > total || total <= 0 {
        return None;
    }
    // Largest remainder on the cumulative amount `after`.
    let quotas: Vec<(i128, i128)> = parts
        .iter()
        .map(|p| {
            let exact = i128::from(p.0) * i128::from(after);
            (exact / i128::from(total), exact % i128::from(total))
        })
        .collect();
    let mut target: Vec<i64> = quotas.iter().map(|(q, _)| *q as i64).collect();
    let mut left = after - target.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| quotas[b].1.cmp(&quotas[a].1).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(parts.len() * 2) {
        if left == 0 {
            break;
        }
        if target[i] < parts[i].0 {
            target[i] += 1;
            left -= 1;
        }
    }
    // This refund's share: never negative, never past a part's total.
    let mut share: Vec<i64> = target
        .iter()
        .zip(already)
        .map(|(t, a)| (t - a.0).max(0))
        .collect();
    let mut excess = share.iter().sum::<i64>() - amount.0;
    for part in share.iter_mut() {
        let cut = excess.clamp(0, *part);
        *part -= cut;
        excess -= cut;
    }
    let mut missing = amount.0 - share.iter().sum::<i64>();
    for i in 0..parts.len() {
        let room = parts[i].0 - already[i].0 - share[i];
        let add = missing.clamp(0, room);
        share[i] += add;
        missing -= add;
    }
    (missing == 0).then(|| share.into_iter().map(Fen).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_as_typed() {
        assert_eq!(parse_scaled("9.5", 3), Some(9_500));
        assert_eq!(parse_scaled("9.355", 3), Some(9_355));
        assert_eq!(parse_scaled(" 10 ", 3), Some(10_000));
        assert_eq!(parse_scaled("50.5", 2), Some(5_050));
        assert_eq!(parse_scaled("1.25", 4), Some(12_500));
        for wrong in ["9.3555", "-1", "x", "", ".5", "1.2.3", "1e3"] {
            assert_eq!(parse_scaled(wrong, 3), None, "{wrong}");
        }
    }

    #[test]
    fn rates_are_written_without_trailing_zeros() {
        assert_eq!(decimal(9_500, 1_000), "9.5");
        assert_eq!(decimal(9_050, 1_000), "9.05");
        assert_eq!(decimal(9_000, 1_000), "9");
        assert_eq!(decimal(12_500, 10_000), "1.25");
        assert_eq!(decimal(9_500, 100), "95");
    }

    #[test]
    fn a_checked_sum_of_stored_amounts_refuses_to_overflow() {
        assert_eq!(Fen::checked_sum([Fen(1), Fen(2), Fen(-5)]), Some(Fen(-2)));
        assert_eq!(Fen::checked_sum([]), Some(Fen::ZERO));
        assert_eq!(Fen::checked_sum([Fen(i64::MAX), Fen(1)]), None);
        assert_eq!(Fen::checked_sum([Fen(i64::MIN), Fen(-1)]), None);
    }

    #[test]
    fn withdrawal_fee_is_fixed_plus_rate_rounded_half_up() {
        assert_eq!(withdrawal_fee(Fen(10_000), Fen(200), Bp(0)), Fen(200));
        // 0.6 % of ¥123.45 = 74.07 fen → 74.
        assert_eq!(withdrawal_fee(Fen(12_345), Fen(0), Bp(60)), Fen(74));
        // 0.5 % of 100 fen = 0.5 fen → 1.
        assert_eq!(withdrawal_fee(Fen(100), Fen(0), Bp(50)), Fen(1));
        assert_eq!(withdrawal_fee(Fen(100), Fen(0), Bp(0)), Fen(0));
    }

    #[test]
    fn parses_yuan_and_refuses_fractions_of_a_fen() {
        assert_eq!(Fen::parse_yuan("12"), Ok(Fen(1200)));
        assert_eq!(Fen::parse_yuan("12.3"), Ok(Fen(1230)));
        assert_eq!(Fen::parse_yuan(" 0.05 "), Ok(Fen(5)));
        assert_eq!(Fen::parse_yuan("1.005"), Err("amount_fraction"));
        assert_eq!(Fen::parse_yuan("-1"), Err("amount_format"));
        assert_eq!(Fen::parse_yuan("1e3"), Err("amount_format"));
        assert_eq!(
            Fen::parse_yuan("99999999999999999999"),
            Err("amount_too_large")
        );
    }

    #[test]
    fn displays_yuan() {
        assert_eq!(Fen(123456).to_string(), "¥1,234.56");
        assert_eq!(Fen(500_000).to_string(), "¥5,000.00");
        assert_eq!(Fen(99_999).to_string(), "¥999.99");
        assert_eq!(Fen(10_000_000_000).to_string(), "¥100,000,000.00");
        assert_eq!(Fen(-123_456_789).to_string(), "-¥1,234,567.89");
        assert_eq!(Fen(i64::MIN).to_string(), "-¥92,233,720,368,547,758.08");
        assert_eq!(Fen(-5).to_string(), "-¥0.05");
    }

    #[test]
    fn refunds_add_up_exactly_one_fen_at_a_time() {
        let parts = [Fen(7), Fen(3)];
        let mut done = [Fen(0), Fen(0)];
        for _ in 0..10 {
            let s = split_refund(&parts, &done, Fen(1)).expect("split");
            assert_eq!(s.iter().map(|f| f.0).sum::<i64>(), 1);
            done[0].0 += s[0].0;
            done[1].0 += s[1].0;
            assert!(done[0] <= parts[0] && done[1] <= parts[1]);
        }
        assert_eq!(done, parts);
        assert_eq!(
            split_refund(&parts, &done, Fen(1)),
            None,
            "nothing left to refund"
        );
    }

    #[test]
    fn refunds_split_in_proportion() {
        assert_eq!(
            split_refund(&[Fen(500), Fen(300)], &[Fen(0), Fen(0)], Fen(400)),
            Some(vec![Fen(250), Fen(150)])
        );
        assert_eq!(
            split_refund(&[Fen(1), Fen(1)], &[Fen(0), Fen(0)], Fen(1))
                .map(|v| v.iter().map(|f| f.0).sum::<i64>()),
            Some(1)
        );
        assert_eq!(split_refund(&[Fen(100)], &[Fen(0)], Fen(0)), None);
        assert_eq!(split_refund(&[Fen(100)], &[Fen(0)], Fen(101)), None);
    }

    #[test]
    fn random_refund_sequences_always_add_up() {
        // A small seeded generator keeps this deterministic without a crate.
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |n: i64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as i64
        };
        for _ in 0..500 {
            let parts: Vec<Fen> = (0..1 + next(3)).map(|_| Fen(next(2_000))).collect();
            let total: i64 = parts.iter().map(|p| p.0).sum();
            if total == 0 {
                continue;
            }
            let mut done = vec![Fen(0); parts.len()];
            let mut refunded = 0;
            while refunded < total {
                let amount = 1 + next(total - refunded);
                let s = split_refund(&parts, &done, Fen(amount)).expect("feasible split");
                assert_eq!(s.iter().map(|f| f.0).sum::<i64>(), amount);
                for (d, x) in done.iter_mut().zip(&s) {
                    assert!(x.0 >= 0);
                    d.0 += x.0;
                }
                refunded += amount;
                assert!(done.iter().zip(&parts).all(|(d, p)| d <= p));
            }
            assert_eq!(done, parts);
        }
    }
}
