//! The manual payout channel (outside demo mode, until a bank's adapter
//! exists): nothing is sent. An approved withdrawal waits for HQ finance,
//! who pays it by bank transfer and marks it paid with the transfer's
//! reference (`POST /api/staff/withdrawals/{id}/mark-paid`, audited).

use super::{Payout, PayoutOrder, PayoutStatus, Submitted, Unreachable};
use async_trait::async_trait;

/// The manual channel.
pub struct ManualPayout;

#[async_trait]
impl Payout for ManualPayout {
    async fn submit(&self, order: &PayoutOrder) -> Result<Submitted, Unreachable> {
        Err(Unreachable(format!(
            "payout {} is paid by hand: the manual channel sends nothing",
            order.payout_no
        )))
    }

    async fn query(&self, _payout_no: &str) -> Result<PayoutStatus, Unreachable> {
        Ok(PayoutStatus::Processing)
    }
}
