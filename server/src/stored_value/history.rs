//! A member's history (明细): every movement of their stored value, newest
//! first, a page at a time, by kind.

use crate::clock::rfc3339;
use crate::entity::{account, gateway_order, journal_entry, journal_line, payment};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Kind};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::dto::{
    EntryKind, HistoryDetail, HistoryItem, HistoryQuery, MoneyParts, Page, PaymentDetail,
    RefundPart,
};
use shared::money::Fen;
use std::collections::HashMap;

/// The entry kinds a filter shows: a payment with its split payment's hold,
/// a refund with a hold's release; all of them when none is asked for.
fn kinds(filter: Option<&str>) -> AppResult<Vec<EntryKind>> {
    use EntryKind::*;
    Ok(match filter.filter(|k| !k.is_empty()) {
        Some("payment") => vec![Payment, Hold, CardSale],
        Some("refund") => vec![Refund, Release, CardRefund],
        Some("topup") => vec![TopUp],
        Some("close") => vec![Close],
        Some(_) => return Err(AppError::invalid("kind", "unknown")),
        None => vec![
            TopUp, Payment, Refund, Close, Hold, Release, CardSale, CardRefund,
        ],
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
    let rows = ledger::member_entries(
        conn,
        (brand_id, member_id),
        (&kinds, ledger::MemberEntries::MovingStoredValue),
        query.after,
        PAGE_SIZE,
    )
    .await?;
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

/// Where each entry's money came from or went, from its lines on the
/// member's own accounts, the payment channel and counter cash (each part
/// as a positive amount).
pub async fn parts_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    entry_ids: Vec<i64>,
) -> AppResult<HashMap<i64, MoneyParts>> {
    if entry_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let lines = journal_line::Entity::find()
        .filter(journal_line::Column::EntryId.is_in(entry_ids))
        .all(conn)
        .await?;
    let accounts: HashMap<i64, String> = account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Id.is_in(lines.iter().map(|l| l.account_id).collect::<Vec<_>>()))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.kind))
        .collect();
    let mut sums: HashMap<i64, [i64; 4]> = HashMap::new();
    for l in lines {
        let slot = match accounts.get(&l.account_id).map(String::as_str) {
            Some(k) if k == Kind::MemberPrincipal.as_str() => 0,
            Some(k) if k == Kind::MemberBonus.as_str() => 1,
            Some(k) if k == Kind::GatewayClearing.as_str() => 2,
            Some(k) if k == Kind::CounterClearing.as_str() => 3,
            _ => continue,
        };
        sums.entry(l.entry_id).or_default()[slot] += l.amount;
    }
    Ok(sums
        .into_iter()
        .map(|(id, [p, b, o, c])| {
            let parts = MoneyParts {
                principal: Fen(p.abs()),
                bonus: Fen(b.abs()),
                online: Fen(o.abs()),
                cash: Fen(c.abs()),
            };
            (id, parts)
        })
        .collect())
}

/// The payment a payment or refund entry belongs to (its `op_ref` starts
/// with the payment's id).
fn payment_id_of(e: &journal_entry::Model) -> Option<i64> {
    e.op_ref.split(':').next()?.parse().ok()
}

/// A payment of the member in full, with its refunds.
async fn payment_detail(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    payment_id: i64,
) -> AppResult<Option<PaymentDetail>> {
    let Some(p) = payment::Entity::find_by_id(payment_id)
        .filter(payment::Column::BrandId.eq(brand_id))
        .filter(payment::Column::MemberId.eq(member_id))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let refunds = journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::MemberId.eq(member_id))
        .filter(journal_entry::Column::Kind.eq(EntryKind::Refund.as_str()))
        .filter(journal_entry::Column::OpRef.starts_with(format!("{payment_id}:")))
        .order_by_asc(journal_entry::Column::Id)
        .all(conn)
        .await?;
    let parts = parts_of(conn, brand_id, refunds.iter().map(|r| r.id).collect()).await?;
    let refunds: Vec<RefundPart> = refunds
        .into_iter()
        .map(|r| {
            let parts = parts.get(&r.id).cloned().unwrap_or_default();
            RefundPart {
                entry_id: r.id,
                at: rfc3339(r.created_at),
                total: parts.principal + parts.bonus + parts.online,
                parts,
            }
        })
        .collect();
    Ok(Some(PaymentDetail {
        payment_id: p.id,
        at: rfc3339(p.created_at),
        total: Fen(p.amount),
        parts: MoneyParts {
            principal: Fen(p.principal),
            bonus: Fen(p.bonus),
            online: Fen(p.gateway),
            cash: Fen::ZERO,
        },
        refunded: Fen(p.refunded_principal + p.refunded_bonus + p.refunded_gateway),
        refunds,
    }))
}

/// One of the member's movements in full; another member's is not found.
pub async fn detail(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    id: i64,
) -> AppResult<HistoryDetail> {
    let e = journal_entry::Entity::find_by_id(id)
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::MemberId.eq(member_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)?;
    let kind = ledger::entry_kind(&e.kind)?;
    if !kinds(None)?.contains(&kind) {
        return Err(AppError::not_found());
    }
    let paid_as = match kind {
        EntryKind::Payment | EntryKind::Refund => payment_id_of(&e),
        // A split payment's hold: the payment its order settled, if it did.
        EntryKind::Hold => gateway_order::Entity::find()
            .filter(gateway_order::Column::BrandId.eq(brand_id))
            .filter(gateway_order::Column::OrderNo.eq(&e.op_ref))
            .one(conn)
            .await?
            .and_then(|o| o.payment_id),
        _ => None,
    };
    let payment = match paid_as {
        Some(pid) => payment_detail(conn, brand_id, member_id, pid).await?,
        None => None,
    };
    let parts = match (&payment, kind) {
        (Some(p), EntryKind::Payment) => p.parts.clone(),
        _ => parts_of(conn, brand_id, vec![e.id])
            .await?
            .remove(&e.id)
            .unwrap_or_default(),
    };
    let store_name = match e.store_id {
        Some(s) => names::store_names(conn, brand_id, vec![s])
            .await?
            .remove(&s),
        None => None,
    };
    Ok(HistoryDetail {
        id: e.id,
        kind,
        at: rfc3339(e.created_at),
        store_name,
        amount: Fen(e.member_delta),
        balance_after: e.member_balance_after.map(Fen),
        parts,
        payment,
    })
}
