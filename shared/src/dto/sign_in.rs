//! Daily sign-in (签到): HQ's rewards and what a member sees and gets.

use super::*;

/// The most streak rewards HQ may set.
pub const MAX_STREAK_REWARDS: usize = 10;

/// HQ's sign-in rewards (DESIGN.md "Engagement"): points for every day
/// signed, and more on given days of an unbroken run of days.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SignInPolicy {
    /// Whether members can sign in at all.
    pub enabled: bool,
    /// Points for each day signed (0–1000).
    pub daily_points: i64,
    /// Extra points on a day of the streak (e.g. the 7th day in a row),
    /// at most ten, each day once.
    #[serde(default)]
    pub streak_rewards: Vec<StreakReward>,
}

/// Extra points on one day of a streak.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StreakReward {
    /// The day of the streak (2–365): signing in this many days in a row.
    pub day: u32,
    /// Extra points that day (1–100000).
    pub points: i64,
}

impl SignInPolicy {
    /// The extra points on day `streak` of a streak.
    pub fn bonus(&self, streak: u32) -> i64 {
        self.streak_rewards
            .iter()
            .filter(|r| r.day == streak)
            .map(|r| r.points)
            .sum()
    }

    /// The next streak reward after day `streak`, if any: (day, points).
    pub fn next_bonus(&self, streak: u32) -> Option<(u32, i64)> {
        self.streak_rewards
            .iter()
            .filter(|r| r.day > streak)
            .min_by_key(|r| r.day)
            .map(|r| (r.day, r.points))
    }
}

/// What one sign-in gave: the first answer, the same when asked again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct SignInResult {
    /// The business date signed, `YYYY-MM-DD` in the brand's zone.
    pub date: String,
    /// Days in a row up to and including this one.
    pub streak: u32,
    /// Points for the day.
    pub points: i64,
    /// Extra points for the streak that day.
    pub bonus: i64,
    /// Whether this request signed (false: the day was signed already and
    /// this is that sign-in's answer).
    pub new: bool,
}

/// A member's sign-in page: one month's calendar and today.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberSignInView {
    /// Today's business date in the brand's zone, `YYYY-MM-DD`.
    pub today: String,
    /// Whether today is signed.
    pub signed_today: bool,
    /// The streak as of today: days in a row up to today (if signed) or
    /// yesterday (a streak today's sign-in would go on with).
    pub streak: u32,
    /// What the next sign-in gives (day and streak points): today's if
    /// today is not signed, else tomorrow's if the streak goes on.
    pub next_points: i64,
    /// The month shown, `YYYY-MM`.
    pub month: String,
    /// Days of that month signed (1–31).
    pub days: Vec<u32>,
    /// The brand's rewards.
    pub policy: SignInPolicy,
}

/// Which month of sign-ins to show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MonthQuery {
    /// `YYYY-MM`; this month in the brand's zone when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month: Option<String>,
}
