//! A member's sign-in (签到) of one business date: the row that makes it
//! once (unique per member and date) and what it gave.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub member_id: i64,
    /// The business date in the brand's zone, `YYYY-MM-DD`.
    pub date: String,
    /// Days in a row up to this one.
    pub streak: i32,
    /// The day's points.
    pub points: i64,
    /// The streak's extra points that day.
    pub bonus: i64,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
