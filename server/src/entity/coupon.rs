//! A coupon a member holds: its template, dates, state (moved by
//! compare-and-set), how it came and what it took off when used.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub template_id: i64,
    pub member_id: i64,
    pub state: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub source: String,
    pub issued_by: Option<i64>,
    pub issued_at_store: Option<i64>,
    pub payment_id: Option<i64>,
    pub gateway_order_id: Option<i64>,
    pub worth: i64,
    pub created_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
