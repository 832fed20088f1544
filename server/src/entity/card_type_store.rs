//! A store where a card type is sold, honoured, or both (when not
//! everywhere).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_type_stores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub card_type_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: i64,
    pub sold: bool,
    pub honoured: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
