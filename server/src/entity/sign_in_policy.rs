//! A brand's sign-in rewards, as HQ set them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    pub enabled: bool,
    pub daily_points: i64,
    /// JSON: `[{"day": 7, "points": 50}, …]`, by day.
    pub streak_rewards: String,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
