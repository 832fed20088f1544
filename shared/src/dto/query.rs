//! Query strings: what lists and searches take after `?`. Absent fields are
//! left out of the URL.

use serde::{Deserialize, Serialize};

/// A keyset-paged list: `after` is the previous page's `next_cursor`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AfterQuery {
    /// The previous page's `next_cursor`; none for the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
}

/// Members by name or phone digits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberSearch {
    /// Part of the name or of the phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
}

/// A list filtered by state (refund tasks: `open` or `resolved`; payee
/// changes: `pending`, `approved`, `rejected`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct StateQuery {
    /// The state to list; the list's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
}

/// Withdrawals in the caller's scope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WithdrawalQuery {
    /// One store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_id: Option<i64>,
    /// The stores of one region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region_id: Option<i64>,
    /// One state (`requested`, `approved`, `submitted`, `paid`, `failed`,
    /// `unknown`, `cancelled`, `rejected`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Asked on or after this date (YYYY-MM-DD, brand's time zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Asked on or before this date (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
}

/// The member's history (明细), optionally one kind of movement and one
/// store.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HistoryQuery {
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// One kind of movement: `topup`, `payment`, `refund`, `close`,
    /// `points` (every movement of points: earned, spent, expired, taken
    /// back, owed), `cards` (bought, used, refunded, expired), `coupons`,
    /// `sign_in`, `invite`; all when absent or empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Only movements at this store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<i64>,
}

/// An invite link's code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct InviteCodeQuery {
    /// The code (letters and digits, 8).
    pub code: String,
}

/// A member by phone number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PhoneQuery {
    /// The member's phone number.
    pub phone: String,
}

/// Saving money settings that leave members above the new cap.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ConfirmQuery {
    /// HQ saw that this many members hold more than the new cap and saves
    /// anyway (the count must still be what they saw).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_above: Option<u64>,
}

/// Payments in the caller's scope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PaymentsQuery {
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// Only today's (in the brand's time zone).
    #[serde(default)]
    pub today: bool,
    /// An amount (`30.50`, `¥30.50`) or the last digits of the member's
    /// phone (at least 4): payments of that amount or by such a member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
}

/// The counter's receipt feed (long poll).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WaitQuery {
    /// The last receipt already shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<i64>,
    /// Seconds to hold the request open when nothing is new (≤ 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// A range of business dates (YYYY-MM-DD, brand's time zone); the last 7
/// days by default.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct RangeQuery {
    /// First day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Last day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}
