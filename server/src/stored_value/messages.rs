//! The member's message centre (消息): their ledger entries that tell them
//! something (a top-up, a payment, a refund, 退卡), each told once, unread
//! past the mark they last read through. A message is the entry itself, so
//! it exists exactly when the money moved.

use crate::clock::rfc3339;
use crate::entity::{coupon, coupon_template, journal_entry, member, payment, points_reminder};
use crate::error::AppResult;
use crate::history::parts_of;
use crate::ledger;
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::dto::{EntryKind, MemberMessage, MemberUnread, Page};
use shared::money::Fen;
use std::collections::HashMap;

/// The entry kinds a member is told of (a split payment given up: its
/// release).
const TOLD: [EntryKind; 8] = [
    EntryKind::TopUp,
    EntryKind::Payment,
    EntryKind::Refund,
    EntryKind::Close,
    EntryKind::Release,
    EntryKind::CouponIssued,
    EntryKind::WriteOffUndo,
    EntryKind::PointsReminder,
];

/// Unread counts stop here (a badge shows 99+).
const UNREAD_CAP: u64 = 99;

fn told() -> Vec<&'static str> {
    TOLD.iter().map(|k| k.as_str()).collect()
}

/// A page of the member's messages, newest first.
pub async fn page(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    m: &member::Model,
    after: Option<i64>,
) -> AppResult<Page<MemberMessage>> {
    let rows = ledger::member_entries(conn, (brand_id, m.id), &TOLD, after, PAGE_SIZE).await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let stores = names::store_names(
        conn,
        brand_id,
        rows.iter().filter_map(|e| e.store_id).collect(),
    )
    .await?;
    let parts = parts_of(conn, brand_id, rows.iter().map(|e| e.id).collect()).await?;
    let paid = payments(conn, brand_id, m.id, &rows).await?;
    let coupons = coupon_names(conn, brand_id, &rows).await?;
    let reminders = reminders(conn, brand_id, &rows).await?;
    let mut items = Vec::with_capacity(rows.len());
    for e in rows {
        let kind = ledger::entry_kind(&e.kind)?;
        let p = parts.get(&e.id).cloned().unwrap_or_default();
        let (amount, bonus) = match kind {
            EntryKind::Payment => (
                paid.get(&e.op_ref).copied().unwrap_or(Fen(-e.member_delta)),
                Fen::ZERO,
            ),
            EntryKind::Refund => (p.principal + p.bonus + p.online, Fen::ZERO),
            EntryKind::Close => (p.principal, p.bonus),
            EntryKind::Release => (Fen(e.member_delta), Fen::ZERO),
            _ => (p.principal + p.bonus, p.bonus),
        };
        let (points, until) = match reminders.get(&e.op_ref) {
            Some(r) => (r.points, Some(rfc3339(r.expires_at))),
            None => (0, None),
        };
        items.push(MemberMessage {
            points,
            until,
            id: e.id,
            kind,
            store_name: e.store_id.and_then(|s| stores.get(&s).cloned()),
            amount,
            bonus,
            note: coupons.get(&e.op_ref).cloned(),
            at: rfc3339(e.created_at),
            unread: e.id > m.messages_read_through,
        });
    }
    Ok(Page { items, next_cursor })
}

/// The points reminder each reminder entry told of, by its `op_ref`
/// (`points-reminder:ID`).
async fn reminders(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: &[journal_entry::Model],
) -> AppResult<HashMap<String, points_reminder::Model>> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|e| e.kind == EntryKind::PointsReminder.as_str())
        .filter_map(|e| e.op_ref.strip_prefix("points-reminder:")?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(points_reminder::Entity::find()
        .filter(points_reminder::Column::BrandId.eq(brand_id))
        .filter(points_reminder::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (format!("points-reminder:{}", r.id), r))
        .collect())
}

/// The coupon each issue entry told of, by its `op_ref` (`coupon:ID`).
async fn coupon_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: &[journal_entry::Model],
) -> AppResult<HashMap<String, String>> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|e| e.kind == EntryKind::CouponIssued.as_str())
        .filter_map(|e| e.op_ref.strip_prefix("coupon:")?.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let held = coupon::Entity::find()
        .filter(coupon::Column::BrandId.eq(brand_id))
        .filter(coupon::Column::Id.is_in(ids))
        .all(conn)
        .await?;
    let names: HashMap<i64, String> = coupon_template::Entity::find()
        .filter(coupon_template::Column::Id.is_in(held.iter().map(|c| c.template_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok(held
        .into_iter()
        .filter_map(|c| {
            Some((
                format!("coupon:{}", c.id),
                names.get(&c.template_id)?.clone(),
            ))
        })
        .collect())
}

/// What each payment entry's payment came to in all, by its `op_ref`.
async fn payments(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    rows: &[journal_entry::Model],
) -> AppResult<HashMap<String, Fen>> {
    let ids: Vec<i64> = rows
        .iter()
        .filter(|e| e.kind == EntryKind::Payment.as_str())
        .filter_map(|e| e.op_ref.parse().ok())
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(payment::Entity::find()
        .filter(payment::Column::BrandId.eq(brand_id))
        .filter(payment::Column::MemberId.eq(member_id))
        .filter(payment::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|p| (p.id.to_string(), Fen(p.amount)))
        .collect())
}

/// How many messages the member has not read (up to [`UNREAD_CAP`]).
pub async fn unread(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    m: &member::Model,
) -> AppResult<MemberUnread> {
    let ids: Vec<i64> = journal_entry::Entity::find()
        .select_only()
        .column(journal_entry::Column::Id)
        .filter(journal_entry::Column::MemberId.eq(m.id))
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::Id.gt(m.messages_read_through))
        .filter(journal_entry::Column::Kind.is_in(told()))
        .limit(UNREAD_CAP)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(MemberUnread {
        unread: u32::try_from(ids.len()).unwrap_or(u32::MAX),
    })
}

/// The newest message the member has not marked read yet, if any: read
/// before a write is opened, so a member with nothing new costs no write.
pub async fn newest_unread(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    m: &member::Model,
) -> AppResult<Option<i64>> {
    let newest: Option<i64> = journal_entry::Entity::find()
        .select_only()
        .column(journal_entry::Column::Id)
        .filter(journal_entry::Column::MemberId.eq(m.id))
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::Kind.is_in(told()))
        .order_by_desc(journal_entry::Column::Id)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(newest.filter(|&n| n > m.messages_read_through))
}

/// Marks every message up to `newest` read: the mark moves up, never back
/// (two phones reading at once leave the later mark).
pub async fn read_through(
    conn: &impl ConnectionTrait,
    m: &member::Model,
    newest: i64,
) -> AppResult<()> {
    member::Entity::update_many()
        .col_expr(member::Column::MessagesReadThrough, Expr::value(newest))
        .filter(member::Column::Id.eq(m.id))
        .filter(member::Column::MessagesReadThrough.lt(newest))
        .exec(conn)
        .await?;
    Ok(())
}
