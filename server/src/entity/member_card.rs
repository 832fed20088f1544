//! A card a member holds: what it is (a copy of its type's terms at
//! purchase), its dates and state. Its money and uses are ledger accounts
//! owned by its id.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_cards")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub member_id: i64,
    pub card_type_id: i64,
    pub kind: String,
    pub name: String,
    pub price: i64,
    pub uses_total: Option<i64>,
    pub per_day_limit: Option<i64>,
    pub starts_on: String,
    pub ends_on: Option<String>,
    pub released_through: Option<String>,
    pub state: String,
    pub channel: String,
    pub store_id: i64,
    pub op_ref: String,
    pub bought_at: i64,
    pub closed_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
