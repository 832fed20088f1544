//! A member's history (明细): every movement of their stored value, points,
//! cards' uses and coupons, newest first, a page at a time, by kind and by
//! store. Each movement is one journal entry naming the member; what it
//! moved and what was left after it are read off its lines (each line on a
//! kept account records the balance after it), so a page never sums.

use crate::clock::rfc3339;
use crate::entity::{account, gateway_order, journal_entry, journal_line, member_card, payment};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Kind};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shared::dto::{
    CountMove, EntryKind, HistoryDetail, HistoryItem, HistoryQuery, MoneyParts, Named, Page,
    PaymentDetail, RefundPart,
};
use shared::money::Fen;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The entry kinds that name a member but are not theirs to see as a
/// movement: a points reminder moves nothing (it is a message); a period
/// card's day released to its store moves only the brand's and the
/// store's money (the member used nothing).
const NOT_MOVEMENTS: [EntryKind; 2] = [EntryKind::PointsReminder, EntryKind::CardRelease];

/// The money kinds: those with a detail page (their split over principal,
/// bonus and the payment channel).
const MONEY: [EntryKind; 8] = [
    EntryKind::TopUp,
    EntryKind::Payment,
    EntryKind::Refund,
    EntryKind::Close,
    EntryKind::Hold,
    EntryKind::Release,
    EntryKind::CardSale,
    EntryKind::CardRefund,
];

/// What a kind filter shows.
enum Shown {
    /// Every movement.
    All,
    /// Entries of these kinds.
    Kinds(Vec<EntryKind>),
    /// Entries with a line on the member's points, or on what members owe
    /// (owed points repaid, or owed by a refund).
    Points,
    /// Invite rewards: points, and coupons given for an invite.
    Invites,
}

/// The entries a filter shows: a payment with its split payment's hold, a
/// refund with a hold's release; all of them when none is asked for.
fn shown(filter: Option<&str>) -> AppResult<Shown> {
    use EntryKind::*;
    Ok(Shown::Kinds(match filter.filter(|k| !k.is_empty()) {
        Some("payment") => vec![Payment, Hold, CardSale],
        Some("refund") => vec![Refund, Release, CardRefund, RefundResolved],
        Some("topup") => vec![TopUp],
        Some("close") => vec![Close],
        Some("points") => return Ok(Shown::Points),
        Some("cards") => vec![
            CardSale,
            CardUse,
            CardUseUndo,
            CardRefund,
            CardExpiry,
            CardExtension,
            WriteOffUndo,
        ],
        Some("coupons") => vec![CouponIssued, CouponItemUse, WriteOffUndo],
        Some("sign_in") => vec![SignIn],
        Some("invite") => return Ok(Shown::Invites),
        Some(_) => return Err(AppError::invalid("kind", "unknown")),
        None => return Ok(Shown::All),
    }))
}

/// A page of the member's movements, newest first.
pub async fn page(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    query: &HistoryQuery,
) -> AppResult<Page<HistoryItem>> {
    let shown = shown(query.kind.as_deref())?;
    let points = ledger::find_account(conn, brand_id, Kind::MemberPoints, member_id).await?;
    // An entry with a line on one of these accounts.
    let moved = |accounts: Vec<i64>| {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(journal_line::Entity)
                .and_where(
                    Expr::col((journal_line::Entity, journal_line::Column::EntryId))
                        .equals((journal_entry::Entity, journal_entry::Column::Id)),
                )
                .and_where(journal_line::Column::AccountId.is_in(accounts))
                .take(),
        )
    };
    if let Some(store) = query.store
        && names::store_names(conn, brand_id, vec![store])
            .await?
            .is_empty()
    {
        return Err(AppError::invalid("store", "unknown"));
    }
    // The member's entries (at the store, before the cursor).
    let base = || {
        let mut q = journal_entry::Entity::find()
            .filter(journal_entry::Column::BrandId.eq(brand_id))
            .filter(journal_entry::Column::MemberId.eq(member_id));
        if let Some(store) = query.store {
            q = q.filter(journal_entry::Column::StoreId.eq(store));
        }
        if let Some(after) = query.after {
            q = q.filter(journal_entry::Column::Id.lt(after));
        }
        q
    };
    // A split payment's own entry moved none of the member's stored value
    // (that moved at its hold, which the list shows); it is shown only when
    // it moved their points.
    let theirs = || {
        let mut c = Condition::any()
            .add(journal_entry::Column::Kind.ne(EntryKind::Payment.as_str()))
            .add(journal_entry::Column::MemberBalanceAfter.is_not_null());
        if let Some(points) = points {
            c = c.add(moved(vec![points.id]));
        }
        c
    };
    let of_kind = |k: EntryKind| base().filter(journal_entry::Column::Kind.eq(k.as_str()));
    // Each arm is read newest first off an index; a filter of several
    // kinds reads one arm per kind (member, kind, id) and merges them, so a
    // kind rare among many entries costs no scan.
    let arms = match shown {
        Shown::All => {
            let kinds = EntryKind::ALL
                .into_iter()
                .filter(|k| !NOT_MOVEMENTS.contains(k))
                .map(|k| k.as_str());
            vec![
                base()
                    .filter(journal_entry::Column::Kind.is_in(kinds))
                    .filter(theirs()),
            ]
        }
        Shown::Kinds(kinds) => kinds
            .into_iter()
            .map(|k| match k {
                EntryKind::Payment => of_kind(k).filter(theirs()),
                _ => of_kind(k),
            })
            .collect(),
        Shown::Points => {
            // Entries are the member's already: the brand's owed account
            // only tells which of them repaid or left points owed.
            let owed = ledger::find_account(conn, brand_id, Kind::PointsOwed, 0).await?;
            let accounts: Vec<i64> = points.into_iter().chain(owed).map(|a| a.id).collect();
            if accounts.is_empty() {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            vec![base().filter(moved(accounts))]
        }
        Shown::Invites => vec![
            of_kind(EntryKind::InviteReward),
            of_kind(EntryKind::CouponIssued)
                .filter(journal_entry::Column::Actor.eq(crate::coupons::give::INVITE_ACTOR)),
        ],
    };
    let mut rows = Vec::new();
    for arm in arms {
        rows.extend(
            arm.order_by_desc(journal_entry::Column::Id)
                .limit(PAGE_SIZE + 1)
                .all(conn)
                .await?,
        );
    }
    rows.sort_by_key(|e| std::cmp::Reverse(e.id));
    rows.truncate(PAGE_SIZE as usize + 1);
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let stores = rows.iter().filter_map(|e| e.store_id).collect();
    let names = names::store_names(conn, brand_id, stores).await?;
    let mut moved = counts(conn, brand_id, member_id, &rows).await?;
    let coupons = coupon_names(conn, brand_id, &rows).await?;
    let items = rows
        .into_iter()
        .map(|e| {
            let m = moved.remove(&e.id).unwrap_or_default();
            Ok(HistoryItem {
                id: e.id,
                store_name: e.store_id.and_then(|id| names.get(&id).cloned()),
                kind: ledger::entry_kind(&e.kind)?,
                amount: Fen(e.member_delta),
                balance_after: e.member_balance_after.map(Fen),
                points: m.points,
                points_owed: m.owed,
                uses: m.uses,
                subject: m.card.or_else(|| coupons.get(&e.id).cloned()),
                at: rfc3339(e.created_at),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Page { items, next_cursor })
}

/// What one entry moved besides stored value.
#[derive(Default)]
struct Moved {
    points: Option<CountMove>,
    owed: i64,
    uses: Option<CountMove>,
    card: Option<String>,
}

/// The entries' points, points owed, cards' uses and the card named, from
/// their lines: two reads for the page, whatever its size.
async fn counts(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    rows: &[journal_entry::Model],
) -> AppResult<HashMap<i64, Moved>> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let lines = journal_line::Entity::find()
        .filter(journal_line::Column::EntryId.is_in(rows.iter().map(|e| e.id)))
        .order_by_asc(journal_line::Column::Id)
        .all(conn)
        .await?;
    let accounts: HashMap<i64, (Kind, i64)> = account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Id.is_in(lines.iter().map(|l| l.account_id)))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.id, (Kind::parse(&a.kind)?, a.owner_id))))
        .collect();
    let mut moved: HashMap<i64, Moved> = HashMap::new();
    // The cards each entry names (a write-off's undo may name several).
    let mut card_of: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for l in &lines {
        let Some(&(kind, owner)) = accounts.get(&l.account_id) else {
            continue;
        };
        let m = moved.entry(l.entry_id).or_default();
        let add = |slot: &mut Option<CountMove>| {
            let before = slot.map_or(0, |c| c.delta);
            *slot = Some(CountMove {
                delta: before + l.amount,
                after: l.balance_after.unwrap_or_default(),
            });
        };
        match kind {
            Kind::MemberPoints if owner == member_id => add(&mut m.points),
            Kind::PointsOwed => m.owed -= l.amount,
            Kind::CardUses => {
                add(&mut m.uses);
                card_of.entry(l.entry_id).or_default().insert(owner);
            }
            Kind::CardPrincipal | Kind::CardBonus | Kind::CardOnline | Kind::CardCash => {
                card_of.entry(l.entry_id).or_default().insert(owner);
            }
            _ => {}
        }
    }
    // Uses and a name belong to one card: an entry naming several (an
    // undone write-off of two cards) shows neither rather than a sum.
    card_of.retain(|entry, cards| {
        if cards.len() > 1
            && let Some(m) = moved.get_mut(entry)
        {
            m.uses = None;
        }
        cards.len() == 1
    });
    if !card_of.is_empty() {
        let cards: HashMap<i64, String> = member_card::Entity::find()
            .filter(member_card::Column::BrandId.eq(brand_id))
            .filter(member_card::Column::MemberId.eq(member_id))
            .filter(member_card::Column::Id.is_in(card_of.values().flatten().copied()))
            .all(conn)
            .await?
            .into_iter()
            .map(|c| (c.id, c.name))
            .collect();
        for (entry, card) in card_of {
            let name = card.first().and_then(|c| cards.get(c));
            if let (Some(m), Some(name)) = (moved.get_mut(&entry), name) {
                m.card = Some(name.clone());
            }
        }
    }
    Ok(moved)
}

/// The coupon each coupon entry names (`coupon:{id}` when issued,
/// `coupon-use:{id}:…` when a free item was written off), by its template's
/// name.
async fn coupon_names(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: &[journal_entry::Model],
) -> AppResult<HashMap<i64, String>> {
    let of: HashMap<i64, i64> = rows
        .iter()
        .filter_map(|e| {
            let rest = e
                .op_ref
                .strip_prefix("coupon:")
                .or_else(|| e.op_ref.strip_prefix("coupon-use:"))?;
            let id = rest.split(':').next()?.parse().ok()?;
            Some((e.id, id))
        })
        .collect();
    // The entries are the member's, so their coupons are too.
    let names = names::coupon_names(conn, brand_id, of.values().copied().collect()).await?;
    Ok(of
        .into_iter()
        .filter_map(|(entry, c)| Some((entry, names.get(&c)?.clone())))
        .collect())
}

/// The stores the member's history names, by name.
pub async fn stores(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
) -> AppResult<Vec<Named>> {
    let ids: Vec<i64> = journal_entry::Entity::find()
        .select_only()
        .column(journal_entry::Column::StoreId)
        .distinct()
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::MemberId.eq(member_id))
        .filter(journal_entry::Column::StoreId.is_not_null())
        .into_tuple::<Option<i64>>()
        .all(conn)
        .await?
        .into_iter()
        .flatten()
        .collect();
    let mut named: Vec<Named> = names::store_names(conn, brand_id, ids)
        .await?
        .into_iter()
        .map(|(id, name)| Named { id, name })
        .collect();
    named.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(named)
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
    if !MONEY.contains(&kind) {
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
