//! Write-off (核销, DESIGN.md "The member code and write-off"): a clerk
//! scans a member's code, which opens a short ticket for that clerk at that
//! store; with it the clerk writes off card uses and free-item coupons, all
//! in one transaction through the ledger.

pub mod charge;
pub mod code;
pub mod pulse;
pub mod records;
pub mod undo;

use crate::auth::Actor;
use crate::cards::usage::{UseAt, take_use_in};
use crate::cards::views as card_views;
use crate::clock::rfc3339;
use crate::coupons::redeem::write_off_item_in;
use crate::coupons::views as coupon_views;
use crate::entity::{
    brand, card_type_item, card_type_store, coupon, coupon_template, coupon_template_store,
    member_card, service_item, write_off, write_off_line, write_off_ticket,
};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdemKey, Scope};
use crate::identity::members;
use crate::ledger;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set,
};
use shared::ErrorCode;
use shared::dto::{
    CardKind, CardState, CouponKind, CouponState, Named, TicketCard, WriteOffLine, WriteOffReceipt,
    WriteOffRequest, WriteOffTicket,
};
use shared::money::Fen;
use shared::validate::mask_phone;
use std::collections::{HashMap, HashSet};

/// How long a ticket lasts.
pub const TICKET_MS: i64 = 120_000;
/// The most uses of one line.
const MAX_USES: i64 = 20;

/// The ticket as the clerk sees it: the member, their balance and what is
/// usable at the ticket's store now.
pub async fn ticket_view(
    conn: &impl ConnectionTrait,
    brand: &brand::Model,
    t: &write_off_ticket::Model,
    now: i64,
) -> AppResult<WriteOffTicket> {
    let m = members::in_brand(conn, brand.id, t.member_id).await?;
    let (principal, bonus) = ledger::member_balance(conn, brand.id, m.id).await?;
    let (coupons, pay_coupons) = usable_coupons(conn, brand, m.id, t.store_id, now)
        .await?
        .into_iter()
        .partition(|c| c.rule.kind == CouponKind::Item);
    let levels = crate::levels::policy(conn, brand.id).await?;
    let standing = crate::levels::standing(conn, brand, m.id, &levels, now).await?;
    Ok(WriteOffTicket {
        level: standing.level.as_ref().map(shared::dto::Level::badge),
        points: crate::points::usable(conn, brand.id, m.id, now).await?,
        pay_rate_bp: standing.pay_rate().0,
        ticket: t.token.clone(),
        expires_at: rfc3339(t.expires_at),
        store_id: t.store_id,
        member_phone_masked: mask_phone(&m.phone),
        member_name: Some(m.name.clone()).filter(|n| !n.trim().is_empty()),
        balance: principal + bonus,
        cards: usable_cards(conn, brand, m.id, t.store_id, now).await?,
        coupons,
        pay_coupons,
    })
}

/// The member's active cards honoured at `store_id` with a use to give
/// today, each with its items.
async fn usable_cards(
    conn: &impl ConnectionTrait,
    brand: &brand::Model,
    member_id: i64,
    store_id: i64,
    now: i64,
) -> AppResult<Vec<TicketCard>> {
    let today = ledger::business_date(&brand.time_zone, now);
    let cards = card_views::member_cards(conn, brand, member_id, now).await?;
    let types = card_views::brand_card_types(conn, brand.id).await?;
    let type_ids: HashSet<i64> = cards.iter().map(|c| c.card_type_id).collect();
    let honoured_here: HashSet<i64> = card_type_store::Entity::find()
        .filter(card_type_store::Column::StoreId.eq(store_id))
        .filter(card_type_store::Column::Honoured.eq(true))
        .filter(card_type_store::Column::CardTypeId.is_in(type_ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.card_type_id)
        .collect();
    let mut bound: HashMap<i64, Vec<i64>> = HashMap::new();
    for b in card_type_item::Entity::find()
        .filter(card_type_item::Column::CardTypeId.is_in(type_ids.iter().copied()))
        .all(conn)
        .await?
    {
        bound.entry(b.card_type_id).or_default().push(b.item_id);
    }
    let items: HashMap<i64, service_item::Model> = service_item::Entity::find()
        .filter(service_item::Column::BrandId.eq(brand.id))
        .all(conn)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let mut out = Vec::new();
    for card in cards {
        let Some(ty) = types.get(&card.card_type_id) else {
            continue;
        };
        let in_dates = card.starts_on <= today
            && card
                .ends_on
                .as_deref()
                .is_none_or(|end| today.as_str() <= end);
        let honoured = ty.honoured_everywhere || honoured_here.contains(&ty.id);
        if card.state != CardState::Active || !in_dates || !honoured {
            continue;
        }
        let usable = match card.kind {
            CardKind::Count => card.uses_left,
            CardKind::Period => card.per_day_limit.map(|l| (l - card.today_uses).max(0)),
        };
        if usable == Some(0) {
            continue;
        }
        let covered = bound
            .get(&ty.id)
            .into_iter()
            .flatten()
            .filter_map(|id| items.get(id))
            .map(|i| Named {
                id: i.id,
                name: i.name.clone(),
            })
            .collect();
        out.push(TicketCard {
            card,
            items: covered,
            usable,
        });
    }
    Ok(out)
}

/// The member's coupons usable at `store_id` now.
async fn usable_coupons(
    conn: &impl ConnectionTrait,
    brand: &brand::Model,
    member_id: i64,
    store_id: i64,
    now: i64,
) -> AppResult<Vec<shared::dto::MemberCoupon>> {
    use coupon::Column as C;
    let held = coupon::Entity::find()
        .filter(C::BrandId.eq(brand.id))
        .filter(C::MemberId.eq(member_id))
        .filter(C::State.eq(CouponState::Issued.as_str()))
        .filter(C::StartsAt.lte(now))
        .filter(C::EndsAt.gt(now))
        .all(conn)
        .await?;
    let ids: HashSet<i64> = held.iter().map(|c| c.template_id).collect();
    let here: HashSet<i64> = coupon_template_store::Entity::find()
        .filter(coupon_template_store::Column::StoreId.eq(store_id))
        .filter(coupon_template_store::Column::TemplateId.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.template_id)
        .collect();
    let templates: Vec<coupon_template::Model> = coupon_template::Entity::find()
        .filter(coupon_template::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .filter(|t| t.all_stores || here.contains(&t.id))
        .collect();
    let rules = coupon_views::rules_of(conn, brand.id, templates).await?;
    held.into_iter()
        .filter_map(|c| rules.get(&c.template_id).cloned().map(|r| (c, r)))
        .map(|(c, rule)| coupon_views::coupon_view(c, rule, &brand.time_zone))
        .collect()
}

/// Writes off card uses and free-item coupons with a ticket, under the
/// request's idempotency key.
pub async fn write_off(
    state: &AppState,
    by: Actor,
    key: IdemKey,
    req: WriteOffRequest,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "write-off");
    let identity = req.clone();
    idempotency::run(&state.db, scope, key, &identity, now, move |tx, _| {
        Box::pin(async move { book(tx, &by, &req, now).await })
    })
    .await
}

/// The ticket named, if it is this clerk's at their store and still open.
async fn open_ticket(
    tx: &impl ConnectionTrait,
    by: &Actor,
    token: &str,
    now: i64,
) -> AppResult<write_off_ticket::Model> {
    write_off_ticket::Entity::find()
        .filter(write_off_ticket::Column::BrandId.eq(by.brand.id))
        .filter(write_off_ticket::Column::Token.eq(token))
        .one(tx)
        .await?
        .filter(|t| {
            t.staff_id == by.staff_id && Some(t.store_id) == by.store_id && t.expires_at > now
        })
        .ok_or_else(|| AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::TicketExpired))
}

/// Books a write-off in `tx`: every line or none.
async fn book(
    tx: &DatabaseTransaction,
    by: &Actor,
    req: &WriteOffRequest,
    now: i64,
) -> AppResult<WriteOffReceipt> {
    let t = open_ticket(tx, by, &req.ticket, now).await?;
    if req.uses.is_empty() && req.coupon_ids.is_empty() {
        return Err(AppError::invalid("uses", "write_off_empty"));
    }
    if req.uses.iter().any(|u| !(1..=MAX_USES).contains(&u.count)) {
        return Err(AppError::invalid("count", "write_off_count_range"));
    }
    // Cards in id order, so two write-offs lock them in the same order.
    let mut uses = req.uses.clone();
    uses.sort_by_key(|u| (u.card_id, u.item_id));
    let card_ids: HashSet<i64> = uses.iter().map(|u| u.card_id).collect();
    let theirs = member_card::Entity::find()
        .filter(member_card::Column::BrandId.eq(by.brand.id))
        .filter(member_card::Column::MemberId.eq(t.member_id))
        .filter(member_card::Column::Id.is_in(card_ids.iter().copied()))
        .all(tx)
        .await?;
    if theirs.len() != card_ids.len() {
        return Err(AppError::invalid("card_id", "unknown"));
    }
    let actor = by.name();
    let mut lines = Vec::new();
    for u in &uses {
        for _ in 0..u.count {
            let at = UseAt {
                card_id: u.card_id,
                store_id: t.store_id,
                item_id: u.item_id,
            };
            let used = take_use_in(tx, &by.brand, at, &actor, now).await?;
            lines.push((
                WriteOffLine {
                    card_id: Some(u.card_id),
                    coupon_id: None,
                    item_id: u.item_id,
                    amount: used.settled,
                    uses_left: used.uses_left,
                },
                Some(used.event_id),
            ));
        }
    }
    let mut coupons = req.coupon_ids.clone();
    coupons.sort_unstable();
    coupons.dedup();
    for id in coupons {
        let (item_id, paid) = write_off_item_in(
            tx,
            &by.brand,
            (id, t.store_id),
            Some(t.member_id),
            &actor,
            now,
        )
        .await?;
        lines.push((
            WriteOffLine {
                card_id: None,
                coupon_id: Some(id),
                item_id,
                amount: paid,
                uses_left: None,
            },
            None,
        ));
    }
    let amount = Fen(lines.iter().map(|(l, _)| l.amount.0).sum());
    let w = write_off::ActiveModel {
        brand_id: Set(by.brand.id),
        store_id: Set(t.store_id),
        member_id: Set(t.member_id),
        staff_id: Set(by.staff_id),
        ticket_id: Set(t.id),
        amount: Set(amount.0),
        created_at: Set(now),
        undone_at: Set(None),
        undone_by: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    for (l, event) in &lines {
        write_off_line::ActiveModel {
            write_off_id: Set(w.id),
            kind: Set(if l.card_id.is_some() {
                "card_use"
            } else {
                "coupon"
            }
            .into()),
            card_id: Set(l.card_id),
            card_event_id: Set(*event),
            coupon_id: Set(l.coupon_id),
            item_id: Set(l.item_id),
            amount: Set(l.amount.0),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    let m = members::in_brand(tx, by.brand.id, t.member_id).await?;
    Ok(WriteOffReceipt {
        id: w.id,
        store_id: t.store_id,
        member_phone_masked: mask_phone(&m.phone),
        lines: lines.into_iter().map(|(l, _)| l).collect(),
        amount,
        at: rfc3339(now),
    })
}
