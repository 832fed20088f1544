//! A member's history (明细): every movement of their stored value, newest
//! first, a page at a time, by kind.

use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::ledger;
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::ConnectionTrait;
use shared::dto::{EntryKind, HistoryItem, HistoryQuery, Page};
use shared::money::Fen;

/// The entry kinds a filter shows: a payment with its split payment's hold,
/// a refund with a hold's release; all of them when none is asked for.
fn kinds(filter: Option<&str>) -> AppResult<Vec<EntryKind>> {
    use EntryKind::*;
    Ok(match filter.filter(|k| !k.is_empty()) {
        Some("payment") => vec![Payment, Hold],
        Some("refund") => vec![Refund, Release],
        Some("topup") => vec![TopUp],
        Some("close") => vec![Close],
        Some(_) => return Err(AppError::invalid("kind", "unknown")),
        None => vec![TopUp, Payment, Refund, Close, Hold, Release],
    })
}

/// A page of the member's movements, newest first.
pub async fn page(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    query: &HistoryQuery,
) -> AppResult<Page<HistoryItem>> {
    let kinds = kinds(query.kind.as_deref())?;
    let rows =
        ledger::member_entries(conn, (brand_id, member_id), &kinds, query.after, PAGE_SIZE).await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let stores = rows.iter().filter_map(|e| e.store_id).collect();
    let names = names::store_names(conn, brand_id, stores).await?;
    let items = rows
        .into_iter()
        .map(|e| {
            Ok(HistoryItem {
                id: e.id,
                store_name: e.store_id.and_then(|id| names.get(&id).cloned()),
                kind: ledger::entry_kind(&e.kind)?,
                amount: Fen(e.member_delta),
                balance_after: Fen(e.member_balance_after.unwrap_or(0)),
                at: rfc3339(e.created_at),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Page { items, next_cursor })
}
