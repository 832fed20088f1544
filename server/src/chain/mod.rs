//! The chain (连锁): a brand's regions and stores. `regions` and `stores`
//! are the services behind HQ's screens that shape them (and the parts
//! region and store staff see and edit); the lookups below are how other
//! areas reach a store or region, and which stores a staff member's scope
//! covers.

pub mod regions;
pub mod stores;
#[cfg(test)]
mod tests;

use crate::auth::Actor;
use crate::entity::{region, store};
use crate::error::{AppError, AppResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared::dto::Role;
use std::collections::HashMap;

/// A region of the caller's brand, or 404.
pub async fn region_in_brand(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    id: i64,
) -> AppResult<region::Model> {
    region::Entity::find_by_id(id)
        .filter(region::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

/// A store of the caller's brand, or 404.
pub async fn store_in_brand(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    id: i64,
) -> AppResult<store::Model> {
    store::Entity::find_by_id(id)
        .filter(store::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The brand's default store (where a new member is at home), if it has
/// one.
pub async fn default_store(
    conn: &impl ConnectionTrait,
    brand_id: i64,
) -> AppResult<Option<store::Model>> {
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .filter(store::Column::IsDefault.eq(true))
        .one(conn)
        .await?)
}

/// A store of the brand, if there is one with this id.
pub async fn find_store(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    id: i64,
) -> AppResult<Option<store::Model>> {
    Ok(store::Entity::find_by_id(id)
        .filter(store::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?)
}

/// Every store of the brand, by name.
pub async fn brand_stores(
    conn: &impl ConnectionTrait,
    brand_id: i64,
) -> AppResult<Vec<store::Model>> {
    use sea_orm::QueryOrder;
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .order_by_asc(store::Column::Name)
        .all(conn)
        .await?)
}

/// The ids of a region's stores now.
pub async fn stores_of_region(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    region_id: i64,
) -> AppResult<Vec<i64>> {
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .filter(store::Column::RegionId.eq(region_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect())
}

/// The ids of a region's stores, as a subquery.
pub fn region_store_ids(brand_id: i64, region_id: i64) -> sea_orm::sea_query::SelectStatement {
    use sea_orm::{QuerySelect, QueryTrait};
    store::Entity::find()
        .select_only()
        .column(store::Column::Id)
        .filter(store::Column::BrandId.eq(brand_id))
        .filter(store::Column::RegionId.eq(region_id))
        .into_query()
}

/// What a staff member's scope covers: the whole brand (HQ), one region
/// (region manager) or one store (store staff).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// HQ: every store of the brand.
    Brand,
    /// A region manager: the stores of their region (-1 when they have none).
    Region(i64),
    /// A store manager or clerk: their store (-1 when they have none).
    Store(i64),
}

impl Reach {
    /// Whether this scope covers the store.
    pub fn covers(self, store_id: i64, store_region_id: i64) -> bool {
        match self {
            Reach::Brand => true,
            Reach::Region(r) => r == store_region_id,
            Reach::Store(s) => s == store_id,
        }
    }
}

/// The scope of `by`.
pub fn reach(by: &Actor) -> Reach {
    match by.role {
        Role::HqAdmin | Role::HqFinance => Reach::Brand,
        Role::RegionManager => Reach::Region(by.region_id.unwrap_or(-1)),
        Role::StoreManager | Role::Clerk => Reach::Store(by.store_id.unwrap_or(-1)),
    }
}

/// A store `by`'s scope covers, or 404 (outside the scope it does not
/// exist for them).
pub async fn store_in_scope(
    conn: &impl ConnectionTrait,
    by: &Actor,
    id: i64,
) -> AppResult<store::Model> {
    let s = store_in_brand(conn, by.brand.id, id).await?;
    if reach(by).covers(s.id, s.region_id) {
        Ok(s)
    } else {
        Err(AppError::not_found())
    }
}

/// Every store of the brand `by`'s scope covers, by id.
pub async fn stores_in_scope(
    conn: &impl ConnectionTrait,
    by: &Actor,
) -> AppResult<HashMap<i64, store::Model>> {
    let reach = reach(by);
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(by.brand.id))
        .all(conn)
        .await?
        .into_iter()
        .filter(|s| reach.covers(s.id, s.region_id))
        .map(|s| (s.id, s))
        .collect())
}
