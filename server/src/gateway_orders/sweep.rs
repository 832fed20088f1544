//! The sweep: orders whose callback never came are asked about, expired
//! ones closed at the gateway first (never just marked unpaid).

use super::orders::{close, refresh};
use super::refunds::send_refunds;
use crate::entity::{gateway_nonce, gateway_order};
use crate::error::AppResult;
use crate::jobs;
use crate::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::dto::{JobName, OrderState};

/// Orders older than this with no news are queried by the sweep.
pub const QUERY_AFTER_MS: i64 = 60 * 1000;

/// What one sweep did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Open orders queried.
    pub queried: usize,
    /// Expired orders closed (or found paid) at the gateway.
    pub closed: usize,
    /// Refunds the gateway confirmed.
    pub refunds_sent: usize,
    /// Orders that could not be settled this time (logged; the rest went on).
    pub failed: usize,
}

/// Resolves orders whose callback never came and sends queued refunds.
/// Safe to run on several replicas at once: every step is idempotent.
pub async fn sweep(app: &AppState) -> AppResult<Sweep> {
    let mut report = sweep_orders(app).await?;
    report.refunds_sent = send_refunds(app).await?;
    Ok(report)
}

/// Asks the gateway about open orders whose callback never came, and closes
/// expired ones there first (the job runner's `gateway_orders`). An order
/// that cannot be settled is recorded for its brand's HQ admin
/// ([`jobs::item_failed`]) and the others go on.
pub async fn sweep_orders(app: &AppState) -> AppResult<Sweep> {
    let now = app.clock.now_ms();
    let mut report = Sweep::default();
    let open = gateway_order::Entity::find()
        .filter(
            gateway_order::Column::State
                .is_in([OrderState::Created.as_str(), OrderState::Failed.as_str()]),
        )
        .filter(gateway_order::Column::CreatedAt.lte(now - QUERY_AFTER_MS))
        .order_by_asc(gateway_order::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?;
    for o in open {
        let expired = now > o.expires_at;
        let outcome = if expired {
            close(app, &o).await
        } else {
            refresh(app, &o).await
        };
        let item = (o.brand_id, o.order_no.as_str());
        match jobs::handled(app, JobName::GatewayOrders, item.0, item.1, outcome).await {
            Some(()) if expired => report.closed += 1,
            Some(()) => report.queried += 1,
            None => report.failed += 1,
        }
    }
    let tx = crate::db::begin_write(&app.db).await?;
    gateway_nonce::Entity::delete_many()
        .filter(gateway_nonce::Column::CreatedAt.lt(now - 2 * crate::gateway::MAX_SKEW_MS))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(report)
}
