//! Points (积分): HQ's policy and what a member holds, lot by lot.

use super::*;

/// HQ's points policy (DESIGN.md "Engagement"): what a payment earns, how
/// long points last, and what they are worth when spent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PointsPolicy {
    /// Points per whole yuan the member paid with their own money
    /// (principal and online, after every deduction; bonus earns none).
    /// 0–100; 0: payments earn no points.
    pub per_yuan: i64,
    /// Days a lot of points lasts (1–3650), or 0: to the end of the next
    /// calendar year in the brand's time zone.
    pub expiry_days: i64,
    /// Spending: every `step` points (1–100000) …
    pub step: i64,
    /// … are worth this much (1 fen – ¥100).
    pub step_worth: Fen,
    /// The most of a bill (after the level discount and the coupon) points
    /// may pay, in basis points (0–10000; 0: points cannot pay).
    pub max_share_bp: u32,
    /// In the member's birthday month points earned are multiplied by
    /// this (10000: ×1; 10000–100000), on top of the level's multiplier.
    #[serde(default = "full_rate")]
    pub birthday_rate_bp: u32,
    /// Members are reminded this many days before points expire (0–90;
    /// 0: never), at most once a week and never at night.
    #[serde(default = "remind_days")]
    pub remind_days: i64,
}

fn full_rate() -> u32 {
    10_000
}

fn remind_days() -> i64 {
    30
}

impl PointsPolicy {
    /// The points a payment earns: `per_yuan` for each whole yuan of the
    /// member's own money `own`, times the level's multiplier and, in the
    /// birthday month, the birthday multiplier (rounded down).
    pub fn earned(&self, own: Fen, level_rate_bp: u32, birthday: bool) -> i64 {
        let base = i128::from((own.0.max(0) / 100).saturating_mul(self.per_yuan));
        let birthday_rate = if birthday {
            self.birthday_rate_bp
        } else {
            10_000
        };
        let product = base * i128::from(level_rate_bp) * i128::from(birthday_rate);
        i64::try_from(product / 100_000_000).unwrap_or(i64::MAX)
    }

    /// The points step of the price plan for a member with `usable` points,
    /// if the brand lets points pay (the app's preview and the server's
    /// booking both ask here).
    pub fn choice(&self, usable: i64) -> Option<crate::plan::PointsChoice> {
        (self.max_share_bp > 0 && usable >= self.step.max(1)).then_some(crate::plan::PointsChoice {
            available: usable,
            step: self.step,
            step_worth: self.step_worth,
            max_share: crate::money::Bp(self.max_share_bp),
        })
    }
}

impl Default for PointsPolicy {
    fn default() -> Self {
        PointsPolicy {
            per_yuan: 0,
            expiry_days: 0,
            step: 100,
            step_worth: Fen(100),
            max_share_bp: 0,
            birthday_rate_bp: 10_000,
            remind_days: remind_days(),
        }
    }
}

/// One lot of a member's points: what one earning put in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PointLot {
    /// Lot id.
    pub id: i64,
    /// Points it was earned with.
    pub earned: i64,
    /// Points left in it (0 once expired).
    pub left: i64,
    /// When it expires (RFC 3339); it counts for nothing from then.
    pub expires_at: String,
    /// The payment that earned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<i64>,
}

/// A member's points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberPointsView {
    /// Points usable now (lots not yet expired).
    pub usable: i64,
    /// The soonest lot to expire with points left: how many …
    #[serde(default)]
    pub next_expiring: i64,
    /// … and when (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_expiry: Option<String>,
    /// Points refunds could not take back (they had been spent): repaid
    /// first from later earnings.
    #[serde(default)]
    pub owed: i64,
    /// Points held by a payment whose online part is being paid (back to
    /// their lots if it is not).
    #[serde(default)]
    pub held: i64,
    /// The lots with points left, soonest to expire first.
    pub lots: Vec<PointLot>,
    /// What points are worth when paying (the plan's points step).
    pub policy: PointsPolicy,
}
