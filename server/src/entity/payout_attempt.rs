//! The payout outbox: one attempt to pay a withdrawal, with its stable id at
//! the payout channel.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payout_attempts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub withdrawal_id: i64,
    pub payout_no: String,
    pub amount: i64,
    pub payee_id: i64,
    pub state: String,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub settled_at: Option<i64>,
    pub failure: Option<String>,
    pub tries: i32,
    /// The bank transfer's reference, when HQ finance paid it by hand.
    pub reference: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
