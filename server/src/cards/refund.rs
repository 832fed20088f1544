//! 退卡 of a count or period card, by a store manager at their store or HQ
//! naming the store: what the card still holds goes back the way it was
//! paid (principal to the member's stored principal, bonus back to the
//! brand, cash back at the counter of the store doing it), its uses lapse,
//! and the card is closed. The preview says exactly that first.
//!
//! Locks, in order: the store's wallet (cash paid back changes what it
//! holds for HQ), the card, the member's money.

use super::{CardFunds, lifecycle, lock_card, must_be_active, set_state, views};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::db::lock_key;
use crate::entity::{card_event, member_card};
use crate::error::{AppError, AppResult, unknown_as};
use crate::idempotency::{self, IdemKey, Scope};
use crate::identity::members;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use axum::response::Response;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use shared::dto::{
    AuditAction, CardEventKind, CardKind, CardRefundParts, CardRefunded, CardState, EntryKind,
    RefundCard,
};
use shared::money::Fen;
use shared::validate::mask_phone;

/// What 退卡 of a card with these balances gives back.
pub fn parts(funds: &CardFunds) -> CardRefundParts {
    CardRefundParts {
        principal: Fen(funds.of(Kind::CardPrincipal)),
        bonus_clawed_back: Fen(funds.of(Kind::CardBonus)),
        online: Fen(funds.of(Kind::CardOnline)),
        cash: Fen(funds.of(Kind::CardCash)),
        uses: funds.uses.map_or(0, |(_, n)| n),
    }
}

/// What 退卡 of the card would give back now (an active card of the brand).
pub async fn preview(state: &AppState, by: &Actor, card_id: i64) -> AppResult<CardRefundParts> {
    let card = member_card::Entity::find_by_id(card_id)
        .filter(member_card::Column::BrandId.eq(by.brand.id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    must_be_active(&card)?;
    let funds = views::funds_of(&state.db, by.brand.id, &[card.id]).await?;
    let mut f = *funds
        .get(&card.id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} funds", card.id)))?;
    let bad = || AppError::Internal(anyhow::anyhow!("card {} dates", card.id));
    let today = super::period::parse(&ledger::business_date(
        &by.brand.time_zone,
        state.clock.now_ms(),
    ))
    .ok_or_else(bad)?;
    let ends = card.ends_on.as_deref().and_then(super::period::parse);
    match (card.kind == CardKind::Period.as_str(), ends) {
        // What the days that have passed release is the store's.
        (true, Some(ends)) => {
            let next = match card.released_through.as_deref() {
                Some(d) => super::period::parse(d).ok_or_else(bad)? + chrono::Duration::days(1),
                None => super::period::parse(&card.starts_on).ok_or_else(bad)?,
            };
            for (_, shares) in
                lifecycle::due_days(&f, next, today - chrono::Duration::days(1), ends)
            {
                for (i, s) in shares.into_iter().enumerate() {
                    f.funding[i].1 -= s;
                }
            }
            if today > ends {
                return Err(super::closed(CardState::Expired));
            }
        }
        // A count card past its end date has expired.
        (false, Some(ends)) if today > ends => return Err(super::closed(CardState::Expired)),
        _ => {}
    }
    Ok(parts(&f))
}

/// 退卡 of a card under the key.
pub async fn refund(
    state: &AppState,
    by: Actor,
    card_id: i64,
    key: IdemKey,
    req: RefundCard,
) -> AppResult<Response> {
    let store_id = crate::stored_value::paying_back_at(&by, req.store_id)?;
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "card-refund");
    let identity = (card_id, &req);
    idempotency::run(&state.db, scope, key, &identity, now, move |tx, op_id| {
        Box::pin(async move { book(tx, &by, store_id, card_id, op_id, now).await })
    })
    .await
}

async fn book(
    tx: &DatabaseTransaction,
    by: &Actor,
    store_id: i64,
    card_id: i64,
    _op_id: String,
    now: i64,
) -> AppResult<CardRefunded> {
    let shop = store_in_brand(tx, by.brand.id, store_id)
        .await
        .map_err(unknown_as("store_id"))?;
    if !shop.active {
        return Err(crate::stored_value::unprocessable(
            shared::ErrorCode::StoreClosed,
        ));
    }
    lock_key(tx, &format!("wallet:{}", shop.id)).await?;
    let (card, funds) = lock_card(tx, by.brand.id, card_id, now).await?;
    must_be_active(&card)?;
    // Days that have passed are the store's, and a card past its end date
    // has expired: that first (a refusal rolls it back; the job books it).
    let funds = lifecycle::catch_up(tx, &by.brand, &card, funds, now).await?;
    let card = member_card::Entity::find_by_id(card.id)
        .one(tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    must_be_active(&card)?;
    let back = parts(&funds);
    if back == CardRefundParts::default() {
        // Every use taken (or every day passed): nothing is left to give.
        return Err(crate::stored_value::unprocessable(
            shared::ErrorCode::NothingToRefund,
        ));
    }
    let m = members::in_brand(tx, by.brand.id, card.member_id).await?;
    let mut lines: Vec<Line> = Vec::new();
    let [(principal, p), (bonus, b), (online, o), (cash, c)] = funds.funding;
    let mut member_delta = Fen::ZERO;
    let mut balance_after = None;
    if p > 0 {
        let m_funds = ledger::lock_member(tx, by.brand.id, m.id, now).await?;
        lines.push(Line::fen(principal, Fen(-p)));
        lines.push(Line::fen(m_funds.principal_account, Fen(p)));
        member_delta = Fen(p);
        balance_after = Some(m_funds.total() + Fen(p));
    }
    if b > 0 {
        let expense = ledger::account_id(tx, by.brand.id, Kind::PromotionExpense, 0, now).await?;
        lines.push(Line::fen(bonus, Fen(-b)));
        lines.push(Line::fen(expense, Fen(b)));
    }
    if o > 0 {
        // The online part goes back through the order that paid it.
        let order = crate::gateway_orders::card_order(tx, by.brand.id, &card.op_ref)
            .await?
            .ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!(
                    "card {} holds online money but has no order",
                    card.id
                ))
            })?;
        crate::gateway_orders::queue_refund(tx, &order, o, "card_refund", now).await?;
        let clearing = ledger::account_id(tx, by.brand.id, Kind::GatewayClearing, 0, now).await?;
        lines.push(Line::fen(online, Fen(-o)));
        lines.push(Line::fen(clearing, Fen(o)));
    }
    if c > 0 {
        let clearing =
            ledger::account_id(tx, by.brand.id, Kind::CounterClearing, shop.id, now).await?;
        lines.push(Line::fen(cash, Fen(-c)));
        lines.push(Line::fen(clearing, Fen(c)));
    }
    if let Some((uses, n)) = funds.uses.filter(|(_, n)| *n > 0) {
        let expired = ledger::account_id(tx, by.brand.id, Kind::UsesExpired, 0, now).await?;
        lines.push(Line::count(uses, -n));
        lines.push(Line::count(expired, n));
    }
    let today = ledger::business_date(&by.brand.time_zone, now);
    let entry_id = ledger::post_or_fail(
        tx,
        Entry {
            brand_id: by.brand.id,
            kind: EntryKind::CardRefund,
            // Once per card: the ledger's own guard behind the state's.
            op_ref: format!("card-refund:{}", card.id),
            store_id: Some(shop.id),
            member_id: Some(m.id),
            member_delta,
            member_balance_after: balance_after,
            actor: by.name(),
            business_date: today.clone(),
            at: now,
            lines,
        },
    )
    .await?;
    if !set_state(
        tx,
        card.id,
        CardState::Active,
        CardState::Refunded,
        Some(now),
    )
    .await?
    {
        return Err(AppError::state_changed("refunded"));
    }
    let total = back.principal + back.bonus_clawed_back + back.online + back.cash;
    card_event::ActiveModel {
        brand_id: Set(by.brand.id),
        card_id: Set(card.id),
        kind: Set(CardEventKind::Refunded.as_str().into()),
        store_id: Set(Some(shop.id)),
        item_id: Set(None),
        amount: Set(total.0),
        uses: Set(-back.uses),
        ends_on: Set(None),
        entry_id: Set(Some(entry_id)),
        undoes: Set(None),
        business_date: Set(today),
        actor: Set(by.name()),
        at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let rec = Record::new(
        AuditAction::CardRefund,
        format!("#{} {} {}", card.id, card.name, mask_phone(&m.phone)),
    )
    .store(shop.id)
    .amount(total)
    .extra(serde_json::json!({
        "entry": entry_id,
        "principal": back.principal.0,
        "bonus": back.bonus_clawed_back.0,
        "online": back.online.0,
        "cash": back.cash.0,
        "uses": back.uses,
    }));
    audit::by(tx, by, now, rec).await?;
    Ok(CardRefunded {
        parts: back,
        entry_id,
        at: rfc3339(now),
    })
}
