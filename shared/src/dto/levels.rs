//! Member levels (会员等级, DESIGN.md "Levels"): HQ's levels and where a
//! member stands.

use super::*;

/// The card looks a level may take (the app draws each).
pub const LEVEL_LOOKS: [&str; 5] = ["plain", "silver", "gold", "platinum", "diamond"];

/// One level HQ defines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Level {
    /// Level id (absent for a level HQ is adding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// Its name (1–20 characters), e.g. 金卡会员.
    pub name: String,
    /// The cumulative spend (payments net of refunds) from which a member
    /// holds it; one level may start at 0 (every member's first).
    pub threshold: Fen,
    /// The share of a bill the member pays (the price plan's first step):
    /// 10000 no discount, 9500 5 % off (95折); 5000–10000.
    pub pay_rate_bp: u32,
    /// Points earned are multiplied by this: 10000 ×1, 15000 ×1.5;
    /// 10000–100000.
    pub points_rate_bp: u32,
    /// The coupon given once a year in the member's birthday month, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday_coupon_id: Option<i64>,
    /// The card's look: one of [`LEVEL_LOOKS`].
    pub look: String,
}

impl Level {
    /// What the receipt and the clerk's ticket show of it.
    pub fn badge(&self) -> LevelBadge {
        LevelBadge {
            name: self.name.clone(),
            look: self.look.clone(),
        }
    }
}

/// A level as a receipt or ticket names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LevelBadge {
    /// Its name.
    pub name: String,
    /// Its card look.
    pub look: String,
}

/// HQ's levels, lowest threshold first, and whether refunds lower them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LevelsPolicy {
    /// Whether a refund can lower a member's level (else a level once
    /// reached is kept).
    pub refund_lowers: bool,
    /// The levels (at most 10; thresholds and names each different).
    pub levels: Vec<Level>,
}

impl LevelsPolicy {
    /// The level a member holds whose counted spend is `counted`: the one
    /// with the highest threshold reached.
    pub fn level_for(&self, counted: Fen) -> Option<&Level> {
        self.levels
            .iter()
            .filter(|l| l.threshold <= counted)
            .max_by_key(|l| l.threshold)
    }

    /// The next level up from `counted`, if any.
    pub fn next_after(&self, counted: Fen) -> Option<&Level> {
        self.levels
            .iter()
            .filter(|l| l.threshold > counted)
            .min_by_key(|l| l.threshold)
    }

    /// What counts for the level: the spend as it is, or, where refunds do
    /// not lower levels, the most it has ever been.
    pub fn counted(&self, spent: Fen, peak: Fen) -> Fen {
        if self.refund_lowers {
            spent
        } else {
            spent.max(peak)
        }
    }
}

/// Where a member stands: their spend, level and the next one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberLevelView {
    /// Cumulative spend: what they paid (stored value and online) net of
    /// refunds.
    pub spent: Fen,
    /// What the level is judged on (the spend, or where refunds do not
    /// lower levels the most it reached).
    pub counted: Fen,
    /// Their level, if they reached one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// The next level up, if any …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Level>,
    /// … and the spend still to go.
    #[serde(default)]
    pub to_next: Fen,
    /// Whether it is the member's birthday month now (points multiplied
    /// by HQ's birthday rate).
    #[serde(default)]
    pub birthday_month: bool,
    /// Every level, lowest first (what each brings).
    pub levels: Vec<Level>,
}
