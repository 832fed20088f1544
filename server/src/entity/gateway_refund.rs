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
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
