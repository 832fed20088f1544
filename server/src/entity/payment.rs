//! A member's payment at a store, with what has been refunded of each part.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub store_id: i64,
    pub member_id: i64,
    pub original: i64,
    pub amount: i64,
    pub principal: i64,
    pub bonus: i64,
    pub refunded_principal: i64,
    pub refunded_bonus: i64,
    pub bonus_settled: i64,
    pub gateway: i64,
    pub refunded_gateway: i64,
    pub gateway_order_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
