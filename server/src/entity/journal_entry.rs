//! One business operation, posted as balanced lines.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_entries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub kind: String,
    pub op_ref: String,
    pub store_id: Option<i64>,
    pub member_id: Option<i64>,
    pub member_delta: i64,
    pub member_balance_after: Option<i64>,
    pub actor: String,
    pub business_date: String,
    pub created_at: i64,
    pub reverses_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
