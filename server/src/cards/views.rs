//! What members and staff see of cards: the member's wallet, a card in full
//! (where it is honoured, what it covers, its history), the cards on offer,
//! a member's cards for staff.

use super::catalogue::{self, card_type_in_brand};
use super::images::url as image_url;
use super::period;
use super::{CardFunds, FUNDING};
use crate::clock::rfc3339;
use crate::entity::{card_event, card_type, member_card, service_item};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Account, Kind};
use crate::names;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::dto::{
    CardChannel, CardEvent, CardEventKind, CardKind, CardOffer, CardState, MemberCard,
    MemberCardDetail, Named,
};
use shared::money::Fen;
use std::collections::HashMap;

/// A card as the wallet shows it.
pub fn card_view(
    card: &member_card::Model,
    ty: &card_type::Model,
    funds: &CardFunds,
    today_uses: i64,
    time_zone: &str,
    now: i64,
) -> AppResult<MemberCard> {
    let bad = |what: &str| AppError::Internal(anyhow::anyhow!("card {} {what}", card.id));
    let today =
        period::parse(&ledger::business_date(time_zone, now)).ok_or_else(|| bad("today"))?;
    let ends = card.ends_on.as_deref().and_then(period::parse);
    Ok(MemberCard {
        id: card.id,
        card_type_id: card.card_type_id,
        name: card.name.clone(),
        kind: CardKind::parse(&card.kind).ok_or_else(|| bad("kind"))?,
        state: super::state_of(card)?,
        price: Fen(card.price),
        uses_left: funds.uses.map(|(_, n)| n),
        uses_total: card.uses_total,
        starts_on: card.starts_on.clone(),
        ends_on: card.ends_on.clone(),
        days_left: ends.map(|e| period::days_left(today, e)),
        today_uses,
        per_day_limit: card.per_day_limit,
        theme_color: ty.theme_color.clone(),
        image_url: ty.image_hash.as_deref().map(image_url),
        channel: CardChannel::parse(&card.channel).ok_or_else(|| bad("channel"))?,
        bought_at: rfc3339(card.bought_at),
        remaining: funds.remaining(),
    })
}

/// The balances of these cards' accounts, read without a lock (for
/// showing).
pub async fn funds_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    cards: &[i64],
) -> AppResult<HashMap<i64, CardFunds>> {
    let mut ids: HashMap<(Kind, i64), i64> = HashMap::new();
    for kind in FUNDING.iter().chain([Kind::CardUses].iter()) {
        for (owner, id) in ledger::accounts_by_owner(conn, brand_id, *kind, Some(cards)).await? {
            ids.insert((*kind, owner), id);
        }
    }
    let balances = ledger::balances(conn, ids.values().copied()).await?;
    let account = |kind: Kind, card: i64| {
        ids.get(&(kind, card)).map(|id| {
            (
                Account { id: *id, kind },
                balances.get(id).copied().unwrap_or(0),
            )
        })
    };
    Ok(cards
        .iter()
        .map(|c| {
            let funding =
                FUNDING.map(|k| account(k, *c).unwrap_or((Account { id: 0, kind: k }, 0)));
            (
                *c,
                CardFunds {
                    funding,
                    uses: account(Kind::CardUses, *c),
                },
            )
        })
        .collect())
}

/// Uses taken today (and not undone) per card.
pub async fn uses_on(
    conn: &impl ConnectionTrait,
    cards: &[i64],
    date: &str,
) -> AppResult<HashMap<i64, i64>> {
    let mut n: HashMap<i64, i64> = HashMap::new();
    if cards.is_empty() {
        return Ok(n);
    }
    let events = card_event::Entity::find()
        .filter(card_event::Column::CardId.is_in(cards.iter().copied()))
        .filter(card_event::Column::BusinessDate.eq(date))
        .filter(card_event::Column::Kind.eq(CardEventKind::Used.as_str()))
        .all(conn)
        .await?;
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let undone: std::collections::HashSet<i64> = card_event::Entity::find()
        .filter(card_event::Column::Undoes.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|e| e.undoes)
        .collect();
    for e in events.into_iter().filter(|e| !undone.contains(&e.id)) {
        *n.entry(e.card_id).or_default() += 1;
    }
    Ok(n)
}

/// Whether a member's active cards still hold anything (money or uses), and
/// how much money: an account with such cards is not closed (退卡 first).
pub async fn held_on_cards(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
) -> AppResult<Option<Fen>> {
    let active: Vec<i64> = member_card::Entity::find()
        .filter(member_card::Column::BrandId.eq(brand_id))
        .filter(member_card::Column::MemberId.eq(member_id))
        .filter(member_card::Column::State.eq(CardState::Active.as_str()))
        .all(conn)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let funds = funds_of(conn, brand_id, &active).await?;
    let holding: Vec<&CardFunds> = funds
        .values()
        .filter(|f| f.remaining().is_positive() || f.uses.is_some_and(|(_, n)| n > 0))
        .collect();
    Ok((!holding.is_empty()).then(|| holding.iter().map(|f| f.remaining()).sum()))
}

/// The brand's card types by id.
pub async fn brand_card_types(
    conn: &impl ConnectionTrait,
    brand_id: i64,
) -> AppResult<HashMap<i64, card_type::Model>> {
    Ok(card_type::Entity::find()
        .filter(card_type::Column::BrandId.eq(brand_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|t| (t.id, t))
        .collect())
}

/// A member's cards: active first, then the rest, newest first.
pub async fn member_cards(
    conn: &impl ConnectionTrait,
    brand: &crate::entity::brand::Model,
    member_id: i64,
    now: i64,
) -> AppResult<Vec<MemberCard>> {
    let cards = member_card::Entity::find()
        .filter(member_card::Column::BrandId.eq(brand.id))
        .filter(member_card::Column::MemberId.eq(member_id))
        .order_by_desc(member_card::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
    let funds = funds_of(conn, brand.id, &ids).await?;
    let today = ledger::business_date(&brand.time_zone, now);
    let used = uses_on(conn, &ids, &today).await?;
    let types = brand_card_types(conn, brand.id).await?;
    let mut views = cards
        .iter()
        .map(|c| {
            let ty = types
                .get(&c.card_type_id)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} type", c.id)))?;
            let f = funds
                .get(&c.id)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} funds", c.id)))?;
            card_view(
                c,
                ty,
                f,
                used.get(&c.id).copied().unwrap_or(0),
                &brand.time_zone,
                now,
            )
        })
        .collect::<AppResult<Vec<_>>>()?;
    views.sort_by_key(|v| (v.state != CardState::Active, std::cmp::Reverse(v.id)));
    Ok(views)
}

/// One card of the member's (another's is 404), in full.
pub async fn member_card_detail(
    conn: &impl ConnectionTrait,
    brand: &crate::entity::brand::Model,
    member_id: Option<i64>,
    card_id: i64,
    now: i64,
) -> AppResult<MemberCardDetail> {
    let mut q =
        member_card::Entity::find_by_id(card_id).filter(member_card::Column::BrandId.eq(brand.id));
    if let Some(m) = member_id {
        q = q.filter(member_card::Column::MemberId.eq(m));
    }
    let card = q.one(conn).await?.ok_or_else(AppError::not_found)?;
    let ty = card_type_in_brand(conn, brand.id, card.card_type_id).await?;
    let funds = funds_of(conn, brand.id, &[card.id]).await?;
    let today = ledger::business_date(&brand.time_zone, now);
    let used = uses_on(conn, &[card.id], &today).await?;
    let f = funds
        .get(&card.id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} funds", card.id)))?;
    let view = card_view(
        &card,
        &ty,
        f,
        used.get(&card.id).copied().unwrap_or(0),
        &brand.time_zone,
        now,
    )?;
    let terms = catalogue::views_of(conn, vec![ty.clone()])
        .await?
        .remove(0)
        .terms;
    let items = named_items(conn, brand.id, &terms.item_ids).await?;
    let stores = if terms.honoured_everywhere {
        Vec::new()
    } else {
        named_stores(conn, brand.id, &terms.honoured_store_ids).await?
    };
    let events = card_event::Entity::find()
        .filter(card_event::Column::CardId.eq(card.id))
        .order_by_desc(card_event::Column::Id)
        .all(conn)
        .await?;
    let store_ids = events.iter().filter_map(|e| e.store_id).collect();
    let store_names = names::store_names(conn, brand.id, store_ids).await?;
    let item_ids: Vec<i64> = events.iter().filter_map(|e| e.item_id).collect();
    let item_names: HashMap<i64, String> = named_items(conn, brand.id, &item_ids)
        .await?
        .into_iter()
        .map(|n| (n.id, n.name))
        .collect();
    let history = events
        .into_iter()
        .map(|e| {
            Ok(CardEvent {
                id: e.id,
                kind: CardEventKind::parse(&e.kind)
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("event {}", e.kind)))?,
                store_name: e.store_id.and_then(|s| store_names.get(&s).cloned()),
                item_name: e.item_id.and_then(|i| item_names.get(&i).cloned()),
                amount: Fen(e.amount),
                uses: e.uses,
                ends_on: e.ends_on,
                at: rfc3339(e.at),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(MemberCardDetail {
        card: view,
        honoured_everywhere: terms.honoured_everywhere,
        stores,
        items,
        history,
    })
}

/// The items among `ids` by name.
async fn named_items(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: &[i64],
) -> AppResult<Vec<Named>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(service_item::Entity::find()
        .filter(service_item::Column::BrandId.eq(brand_id))
        .filter(service_item::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(service_item::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(|i| Named {
            id: i.id,
            name: i.name,
        })
        .collect())
}

/// The stores among `ids` by name.
async fn named_stores(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: &[i64],
) -> AppResult<Vec<Named>> {
    let names = names::store_names(conn, brand_id, ids.to_vec()).await?;
    Ok(ids
        .iter()
        .filter_map(|id| {
            names.get(id).map(|n| Named {
                id: *id,
                name: n.clone(),
            })
        })
        .collect())
}

/// The cards a member may buy: on sale, with their items and stores.
pub async fn offers(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<Vec<CardOffer>> {
    let mut out = Vec::new();
    for t in catalogue::card_types(conn, brand_id, true).await? {
        let items = named_items(conn, brand_id, &t.terms.item_ids).await?;
        let stores = if t.terms.honoured_everywhere {
            Vec::new()
        } else {
            named_stores(conn, brand_id, &t.terms.honoured_store_ids).await?
        };
        out.push(CardOffer {
            card_type: t,
            items,
            stores,
        });
    }
    Ok(out)
}
