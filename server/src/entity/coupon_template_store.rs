//! A store where a coupon template's coupons are usable (when not every
//! store).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_template_stores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub template_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
