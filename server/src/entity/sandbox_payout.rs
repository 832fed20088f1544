//! The built-in sandbox payout channel's record of one payout number.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_payouts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub payout_no: String,
    pub amount: i64,
    pub account_name: String,
    pub account_no_last4: String,
    pub state: String,
    pub outcome: String,
    pub settles_at: i64,
    pub submits: i32,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
