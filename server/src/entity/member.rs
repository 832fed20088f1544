//! A member of one brand (a phone may be a member of several brands).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub phone: String,
    pub name: String,
    pub birthday: Option<String>,
    pub gender: Option<String>,
    pub home_store_id: Option<i64>,
    pub registered_at: i64,
    pub consent_at: i64,
    pub frozen: bool,
    pub invited_by: Option<i64>,
    pub messages_read_through: i64,
    pub closed_at: Option<i64>,
    pub spent: i64,
    pub peak_spent: i64,
    /// When the member was last reminded of points expiring.
    pub points_reminded_at: Option<i64>,
    /// When the member agreed to SMS reminders of expiring points; none:
    /// they did not (or took it back).
    pub points_sms_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
