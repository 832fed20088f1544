//! Names the API shows beside ids: who did something, which store or
//! region a row belongs to. Each loads only the ids asked for, in one query,
//! and only within the brand.

use crate::entity::{region, staff, store};
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// Staff rows of the brand by id (API keys included: their name says so).
pub async fn staff_by_id(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    mut ids: Vec<i64>,
) -> AppResult<HashMap<i64, staff::Model>> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(staff::Entity::find()
        .filter(staff::Column::BrandId.eq(brand_id))
        .filter(staff::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}

/// Staff names of the brand by id.
pub async fn staff_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    Ok(staff_by_id(conn, brand_id, ids)
        .await?
        .into_iter()
        .map(|(id, s)| (id, s.name))
        .collect())
}

/// Store names of the brand by id.
pub async fn store_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    mut ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .filter(store::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// The name of a staff scope: its store's, else its region's, else none
/// (the whole brand).
pub async fn scope_name(
    conn: &impl ConnectionTrait,
    region_id: Option<i64>,
    store_id: Option<i64>,
) -> AppResult<Option<String>> {
    Ok(match (region_id, store_id) {
        (_, Some(id)) => store::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|x| x.name),
        (Some(id), None) => region::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|x| x.name),
        (None, None) => None,
    })
}
