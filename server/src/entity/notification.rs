//! The notification outbox: every message sent to a person (SMS for now),
//! and whether a provider adapter has delivered it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: Option<i64>,
    pub channel: String,
    pub recipient: String,
    pub body: String,
    pub created_at: i64,
    /// Not worth delivering after this (Unix ms).
    pub deliver_by: i64,
    /// When a provider adapter delivered it (never, for the built-in outbox).
    pub sent_at: Option<i64>,
    /// A sender holds it until then (so replicas do not send it twice).
    pub claimed_until: Option<i64>,
    /// Delivery attempts.
    pub tries: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
