//! A refund sent back through the gateway (outbox: sent after commit, retried until settled).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gateway_refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub order_id: i64,
    pub refund_no: String,
    pub amount: i64,
    pub state: String,
    pub reason: String,
    pub attempts: i32,
    pub created_at: i64,
    pub done_at: Option<i64>,
    /// When a refused refund is sent again (backoff).
    pub next_attempt_at: Option<i64>,
    /// The gateway's last refusal.
    pub failure: Option<String>,
    /// How HQ finance settled a refund refused for good: `stored_value`
    /// (back to the member's balance) or `paid_outside` (by bank transfer).
    pub resolution: Option<String>,
    /// The transfer's reference, for `paid_outside`.
    pub resolution_ref: Option<String>,
    /// Who settled it.
    pub resolved_by: Option<i64>,
    /// When.
    pub resolved_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
