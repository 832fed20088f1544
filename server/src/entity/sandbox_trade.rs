//! The sandbox gateway's record of a trade (what a real provider keeps on its side).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_trades")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub merchant_id: String,
    pub order_no: String,
    pub amount: i64,
    pub description: String,
    pub notify_url: String,
    pub return_url: String,
    pub state: String,
    pub txn_id: Option<String>,
    pub paid_at: Option<i64>,
    pub refunded: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub notify_attempts: i32,
    pub notify_acks: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
