//! A staff account: role plus scope (region or store).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub account: String,
    pub name: String,
    pub role: String,
    pub region_id: Option<i64>,
    pub store_id: Option<i64>,
    pub password_hash: String,
    pub active: bool,
    /// The row an API key acts as: never logs in, listed nowhere.
    pub api_key: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
