//! Names the API shows beside ids: who did something, which store or
//! region a row belongs to. Each loads only the ids asked for, in one query,
//! and only within the brand.

use crate::entity::{coupon, coupon_template, member, region, staff, store};
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

/// Rows of entity `E` of the brand among `ids` (read by its brand and id
/// columns, `cols`), each turned by `shown` into its id and what is shown.
async fn of_brand<E, V>(
    conn: &impl ConnectionTrait,
    cols: (E::Column, E::Column),
    brand_id: i64,
    ids: Vec<i64>,
    shown: impl Fn(E::Model) -> (i64, V),
) -> AppResult<HashMap<i64, V>>
where
    E: EntityTrait,
{
    let Some(ids) = wanted(ids) else {
        return Ok(HashMap::new());
    };
    let (brand, id) = cols;
    Ok(E::find()
        .filter(brand.eq(brand_id))
        .filter(id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(shown)
        .collect())
}

/// Staff rows of the brand by id (API keys included: their name says so).
pub async fn staff_by_id(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, staff::Model>> {
    let cols = (staff::Column::BrandId, staff::Column::Id);
    of_brand::<staff::Entity, _>(conn, cols, brand_id, ids, |s| (s.id, s)).await
}

/// Staff names of the brand by id.
pub async fn staff_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let cols = (staff::Column::BrandId, staff::Column::Id);
    of_brand::<staff::Entity, _>(conn, cols, brand_id, ids, |s| (s.id, s.name)).await
}

/// Store names of the brand by id.
pub async fn store_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let cols = (store::Column::BrandId, store::Column::Id);
    of_brand::<store::Entity, _>(conn, cols, brand_id, ids, |s| (s.id, s.name)).await
}

/// Coupons of the brand by id, each named by its template.
pub async fn coupon_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let cols = (coupon::Column::BrandId, coupon::Column::Id);
    let template_of =
        of_brand::<coupon::Entity, _>(conn, cols, brand_id, ids, |c| (c.id, c.template_id)).await?;
    let cols = (
        coupon_template::Column::BrandId,
        coupon_template::Column::Id,
    );
    let templates = template_of.values().copied().collect();
    let names =
        of_brand::<coupon_template::Entity, _>(conn, cols, brand_id, templates, |t| (t.id, t.name))
            .await?;
    Ok(template_of
        .into_iter()
        .filter_map(|(c, t)| Some((c, names.get(&t)?.clone())))
        .collect())
}

/// Region names of the brand by id.
pub async fn region_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let cols = (region::Column::BrandId, region::Column::Id);
    of_brand::<region::Entity, _>(conn, cols, brand_id, ids, |r| (r.id, r.name)).await
}

/// Members' phones of the brand by id, masked (138****0001).
pub async fn member_phones(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> AppResult<HashMap<i64, String>> {
    let cols = (member::Column::BrandId, member::Column::Id);
    of_brand::<member::Entity, _>(conn, cols, brand_id, ids, |m| (m.id, mask_phone(&m.phone))).await
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
