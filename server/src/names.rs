//! Names the API shows beside ids: who did something, which store or
//! region a row belongs to. Each loads only the ids asked for, in one query,
//! and only within the brand.

use crate::entity::{member, region, staff, store};
use crate::error::AppResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared::validate::mask_phone;
use std::collections::HashMap;

/// The ids asked for, each once; none when none are (nothing to read).
fn wanted(mut ids: Vec<i64>) -> Option<Vec<i64>> {
    ids.sort_unstable();
    ids.dedup();
    (!ids.is_empty()).then_some(ids)
}

/// Staff rows of the brand by id (API keys included: their name says so).
pub async fn staff_by_id(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, staff::Model>> {
    let Some(ids) = wanted(ids) else {
        return Ok(HashMap::new());
    };
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
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let Some(ids) = wanted(ids) else {
        return Ok(HashMap::new());
    };
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .filter(store::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Region names of the brand by id.
pub async fn region_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let Some(ids) = wanted(ids) else {
        return Ok(HashMap::new());
    };
    Ok(region::Entity::find()
        .filter(region::Column::BrandId.eq(brand_id))
        .filter(region::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect())
}

/// Members' phones of the brand by id, masked (138****0001).
pub async fn member_phones(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let Some(ids) = wanted(ids) else {
        return Ok(HashMap::new());
    };
    Ok(member::Entity::find()
        .filter(member::Column::BrandId.eq(brand_id))
        .filter(member::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, mask_phone(&m.phone)))
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
