//! One line of a journal entry: an amount added to one account.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "journal_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub entry_id: i64,
    pub account_id: i64,
    pub amount: i64,
    /// A kept account's balance after this line (none on append-only
    /// accounts, and on lines older than migration m0008).
    pub balance_after: Option<i64>,
    /// On an append-only account: added to the account's stored balance
    /// by the rollup (`ledger::rollup`). Always false until then.
    pub rolled: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
