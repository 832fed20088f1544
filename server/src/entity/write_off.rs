//! One write-off made with a ticket: what the store was settled in all.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "write_offs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub store_id: i64,
    pub member_id: i64,
    pub staff_id: i64,
    pub ticket_id: i64,
    pub amount: i64,
    pub created_at: i64,
    pub undone_at: Option<i64>,
    pub undone_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
