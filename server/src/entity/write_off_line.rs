//! One line of a write-off: a card's use (its event) or a free-item coupon.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "write_off_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub write_off_id: i64,
    pub kind: String,
    pub card_id: Option<i64>,
    pub card_event_id: Option<i64>,
    pub coupon_id: Option<i64>,
    pub item_id: i64,
    pub amount: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
