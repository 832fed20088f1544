//! The chain (连锁): a brand's regions and stores, as other areas look them
//! up. The HQ screens that change them are `routes::chain`.

use crate::entity::{region, store};
use crate::error::{AppError, AppResult};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

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
