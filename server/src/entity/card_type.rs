//! A card type HQ sells: a count card (N uses) or a period card (a month,
//! quarter or year), with its look.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "card_types")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub name: String,
    pub kind: String,
    pub uses: Option<i64>,
    pub period: Option<String>,
    pub per_day_limit: Option<i64>,
    pub valid_days: Option<i64>,
    pub price: i64,
    pub theme_color: String,
    pub image_hash: Option<String>,
    pub description: String,
    pub sold_everywhere: bool,
    pub honoured_everywhere: bool,
    pub on_sale: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
