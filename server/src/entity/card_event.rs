//! One thing that happened to a card: bought, used (and undone), extended,
//! refunded, expired.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub card_id: i64,
    pub kind: String,
    pub store_id: Option<i64>,
    pub item_id: Option<i64>,
    pub amount: i64,
    pub uses: i64,
    pub ends_on: Option<String>,
    pub entry_id: Option<i64>,
    pub undoes: Option<i64>,
    pub business_date: String,
    pub actor: String,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
