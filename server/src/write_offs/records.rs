//! 核销记录: write-offs at the stores a staff member's scope covers, a page
//! at a time, newest first, each with its lines named and whether (and
//! until when) it may be undone.

use crate::auth::Actor;
use crate::chain::stores_in_scope;
use crate::clock::rfc3339;
use crate::entity::{card_type, member_card, service_item, write_off, write_off_line};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::stored_value::settings::settings;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::dto::{Page, WriteOffItem, WriteOffListItem, WriteOffsQuery};
use shared::money::Fen;
use std::collections::HashMap;

/// One hour in milliseconds.
const HOUR_MS: i64 = 3_600_000;

/// The moment write-off `w` may no longer be undone, by HQ's window.
pub fn undo_until(w: &write_off::Model, window_hours: i64) -> i64 {
    w.created_at + window_hours * HOUR_MS
}

/// A page of 核销记录 for `by`.
pub async fn list(
    conn: &impl ConnectionTrait,
    by: &Actor,
    query: &WriteOffsQuery,
) -> AppResult<Page<WriteOffListItem>> {
    let stores = stores_in_scope(conn, by).await?;
    let ids: Vec<i64> = match query.store_id {
        Some(id) if stores.contains_key(&id) => vec![id],
        Some(_) => return Err(AppError::invalid("store_id", "unknown")),
        None => stores.keys().copied().collect(),
    };
    let mut q = write_off::Entity::find()
        .filter(write_off::Column::BrandId.eq(by.brand.id))
        .filter(write_off::Column::StoreId.is_in(ids));
    if let Some(after) = query.after {
        q = q.filter(write_off::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(write_off::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let items = views(conn, by.brand.id, rows).await?;
    Ok(Page { items, next_cursor })
}

/// Write-offs as 核销记录 shows them: names of the store, the member, the
/// staff, and each line's card type or coupon and item.
pub async fn views(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: Vec<write_off::Model>,
) -> AppResult<Vec<WriteOffListItem>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let window = settings(conn, brand_id).await?.write_off_undo_hours;
    let lines = write_off_line::Entity::find()
        .filter(write_off_line::Column::WriteOffId.is_in(rows.iter().map(|w| w.id)))
        .order_by_asc(write_off_line::Column::Id)
        .all(conn)
        .await?;
    let stores =
        names::store_names(conn, brand_id, rows.iter().map(|w| w.store_id).collect()).await?;
    let phones =
        names::member_phones(conn, brand_id, rows.iter().map(|w| w.member_id).collect()).await?;
    let staff_ids = rows
        .iter()
        .flat_map(|w| [Some(w.staff_id), w.undone_by])
        .flatten()
        .collect();
    let staff = names::staff_names(conn, brand_id, staff_ids).await?;
    let sources = line_sources(conn, brand_id, &lines).await?;
    let items: HashMap<i64, String> = service_item::Entity::find()
        .filter(service_item::Column::BrandId.eq(brand_id))
        .filter(service_item::Column::Id.is_in(lines.iter().map(|l| l.item_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect();
    let mut by_write_off: HashMap<i64, Vec<WriteOffItem>> = HashMap::new();
    for l in &lines {
        by_write_off
            .entry(l.write_off_id)
            .or_default()
            .push(WriteOffItem {
                source: sources.get(&l.id).cloned().unwrap_or_default(),
                coupon: l.coupon_id.is_some(),
                item_name: items.get(&l.item_id).cloned().unwrap_or_default(),
                amount: Fen(l.amount),
            });
    }
    Ok(rows
        .into_iter()
        .map(|w| WriteOffListItem {
            id: w.id,
            store_id: w.store_id,
            store_name: stores.get(&w.store_id).cloned().unwrap_or_default(),
            member_phone_masked: phones.get(&w.member_id).cloned().unwrap_or_default(),
            staff_name: staff.get(&w.staff_id).cloned().unwrap_or_default(),
            lines: by_write_off.remove(&w.id).unwrap_or_default(),
            amount: Fen(w.amount),
            at: rfc3339(w.created_at),
            undo_until: rfc3339(undo_until(&w, window)),
            undone_at: w.undone_at.map(rfc3339),
            undone_by: w.undone_by.and_then(|s| staff.get(&s).cloned()),
        })
        .collect())
}

/// Each line's source by line id: its card's type name, or its coupon's
/// template name.
async fn line_sources(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    lines: &[write_off_line::Model],
) -> AppResult<HashMap<i64, String>> {
    let cards: HashMap<i64, i64> = member_card::Entity::find()
        .filter(member_card::Column::BrandId.eq(brand_id))
        .filter(member_card::Column::Id.is_in(lines.iter().filter_map(|l| l.card_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| (c.id, c.card_type_id))
        .collect();
    let types: HashMap<i64, String> = card_type::Entity::find()
        .filter(card_type::Column::BrandId.eq(brand_id))
        .filter(card_type::Column::Id.is_in(cards.values().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let coupons = names::coupon_names(
        conn,
        brand_id,
        lines.iter().filter_map(|l| l.coupon_id).collect(),
    )
    .await?;
    Ok(lines
        .iter()
        .filter_map(|l| {
            let name = match (l.card_id, l.coupon_id) {
                (Some(card), _) => types.get(cards.get(&card)?)?,
                (None, Some(c)) => coupons.get(&c)?,
                (None, None) => return None,
            };
            Some((l.id, name.clone()))
        })
        .collect())
}
