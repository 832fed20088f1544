//! A store's withdrawal request and where it stands.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "withdrawals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub store_id: i64,
    pub region_id: i64,
    pub amount: i64,
    pub fee: i64,
    pub state: String,
    pub payee_id: i64,
    pub requested_by: i64,
    pub requested_at: i64,
    pub business_date: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub reason: Option<String>,
    pub attempts: i32,
    pub payout_no: Option<String>,
    pub paid_at: Option<i64>,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
