//! A member's payment PIN (argon2id hash) and its wrong-attempt counter.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "member_pins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub member_id: i64,
    pub pin_hash: String,
    pub failures: i32,
    pub locked_until: Option<i64>,
    pub updated_at: i64,
    /// When the PIN was last reset by SMS (none: never).
    pub reset_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
