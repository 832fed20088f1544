//! Points a payment spent from one lot (> 0), or a refund gave back to it
//! (< 0).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_lot_spends")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub lot_id: i64,
    pub payment_id: i64,
    pub points: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
