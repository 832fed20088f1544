//! An API key: a secret (stored as its SHA-256) that acts as its own staff
//! row (`staff.api_key`), with its role and scope.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    /// The staff row the key acts as.
    pub staff_id: i64,
    pub name: String,
    /// The key's first characters, to tell keys apart.
    pub prefix: String,
    /// SHA-256 of the whole key, hex.
    pub secret_hash: String,
    pub created_by: i64,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub revoked_by: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
