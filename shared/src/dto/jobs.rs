//! Background jobs as HQ admin sees them: the items a job could not handle.

use serde::{Deserialize, Serialize};

crate::named_enum! {
    /// A background job.
    #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
    pub enum JobName {
        /// Asks the gateway about orders whose answer never came, and closes
        /// expired ones.
        GatewayOrders = "gateway_orders",
        /// Sends queued refunds to the gateway.
        GatewayRefunds = "gateway_refunds",
        /// Sends approved withdrawals to the payout channel and asks about
        /// the ones sent.
        Payouts = "payouts",
        /// Delivers text messages.
        Sms = "sms",
        /// Releases period cards' days to their stores and expires cards
        /// past their end date.
        Cards = "cards",
        /// Expires the points of lots past their expiry.
        Points = "points",
        /// Gives members their level's birthday coupon in their birthday
        /// month, once a year.
        Birthday = "birthday",
        /// Reminds members of points about to expire (in the daytime, at
        /// most once a week).
        PointsReminders = "points_reminders",
        /// Gives invites' rewards once a first payment's refund window
        /// has passed.
        Invites = "invites",
        /// Adds the lines of store wallets (and the brand's other
        /// append-only accounts) to their stored balances, so reading a
        /// balance never sums a long history.
        Rollup = "rollup",
    }
}

/// An item a background job could not handle (it is tried again on every
/// run until it goes through, and then leaves this list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct JobFailure {
    /// Id (the page cursor).
    pub id: i64,
    /// The job.
    pub job: JobName,
    /// What it was handling: a gateway order number, a refund number, a
    /// payout number.
    pub item: String,
    /// Why it failed, as the job saw it (technical).
    pub error: String,
    /// Runs that tried it.
    pub attempts: i64,
    /// First failure (RFC 3339, UTC).
    pub first_at: String,
    /// Latest failure (RFC 3339, UTC).
    pub last_at: String,
}
