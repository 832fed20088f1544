//! The payout interface (DESIGN.md "Payment gateway and payout"): how a
//! withdrawal's money leaves for the store's bank account.
//!
//! [`Payout`] is what the rest of the server uses: submit a payout under its
//! stable number, and query that number later. A real channel (a bank's or a
//! payment company's transfer API) pays each number at most once however
//! often it is submitted; that, with the outbox in `withdrawals`, is what
//! makes a crash between approval and sending harmless. The built-in
//! [`sandbox`] behaves that way too and can be told to succeed, fail or hang.

pub mod manual;
pub mod sandbox;

use async_trait::async_trait;

/// One payout to send.
#[derive(Clone, Debug)]
pub struct PayoutOrder {
    /// The brand paying (a channel may keep accounts per brand).
    pub brand_id: i64,
    /// Our stable number for this attempt; the channel pays it once.
    pub payout_no: String,
    /// Fen.
    pub amount: i64,
    /// Account holder.
    pub account_name: String,
    /// Bank.
    pub bank_name: String,
    /// Full account number (decrypted only to send).
    pub account_no: String,
}

/// The channel's answer to a submission.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// Taken; the outcome comes by query.
    Accepted,
    /// Refused for good (e.g. the account is closed): nothing will be paid.
    Refused(String),
}

/// The channel's word on a payout number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayoutStatus {
    /// Still being processed.
    Processing,
    /// Paid.
    Paid,
    /// Failed for good; nothing was paid.
    Failed(String),
    /// The channel never received it.
    NotFound,
}

/// The channel could not be reached or did not answer in time: the outcome
/// is unknown, and the money stays frozen until a query settles it.
#[derive(Debug)]
pub struct Unreachable(pub String);

/// A payout channel.
#[async_trait]
pub trait Payout: Send + Sync {
    /// Submits a payout; submitting the same number again never pays twice.
    /// An adapter answers a number the channel already knows with
    /// `Accepted` (or its outcome), never `Refused`; even so, a refusal of
    /// a number sent before is only believed after a status query.
    async fn submit(&self, order: &PayoutOrder) -> Result<Submitted, Unreachable>;
    /// Where a payout number stands.
    async fn query(&self, payout_no: &str) -> Result<PayoutStatus, Unreachable>;
}
