//! A member's lot of points: what one earning put in, what is left, when it
//! expires (it counts for nothing from that instant) and what expired.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "point_lots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub member_id: i64,
    pub earned: i64,
    pub left_points: i64,
    pub expired: i64,
    pub expires_at: i64,
    pub touched_at: i64,
    pub payment_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
