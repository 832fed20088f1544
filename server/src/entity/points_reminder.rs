//! A reminder sent to a member that points are about to expire: how many,
//! and when (their message centre tells it).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "points_reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub member_id: i64,
    pub points: i64,
    pub expires_at: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
