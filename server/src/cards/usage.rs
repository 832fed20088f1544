//! A card's uses: one use written off at a store (a count card settles its
//! share to that store; a period card counts against its daily limit, its
//! money being released day by day), and the undo of a use. The scan that
//! writes uses off comes with the member code (issue 17); these services are
//! what it will call.

use super::catalogue::{StoreRole, card_type_in_brand};
use super::{lock_card, must_be_active, settle_lines, type_at_store, views};
use crate::chain::store_in_brand;
use crate::db::{begin_write, lock_key};
use crate::entity::{brand, card_event, card_type_item, member_card};
use crate::error::{AppError, AppResult};
use crate::identity::members;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use crate::stored_value::unprocessable;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::{CardEventKind, CardKind, CardState, EntryKind};
use shared::money::{Bp, Fen};

/// A use asked for: the card, the store and the item.
#[derive(Clone, Copy, Debug)]
pub struct UseAt {
    /// The card.
    pub card_id: i64,
    /// The store writing it off.
    pub store_id: i64,
    /// The service item.
    pub item_id: i64,
}

/// A use written off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Used {
    /// Its event (what an undo names).
    pub event_id: i64,
    /// What it settled to the store (a period card's use settles nothing).
    pub settled: Fen,
    /// Uses left on a count card.
    pub uses_left: Option<i64>,
}

/// Writes off one use of a card at a store, for `actor`, in one write
/// transaction under the card's lock.
pub async fn take_use(
    state: &AppState,
    brand: &brand::Model,
    at: UseAt,
    actor: &str,
) -> AppResult<Used> {
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let used = take_use_in(&tx, brand, at, actor, now).await?;
    tx.commit().await?;
    Ok(used)
}

/// Writes off one use in `tx` (a write-off of several uses and coupons
/// takes them all in one transaction), under the card's lock.
pub async fn take_use_in(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    at: UseAt,
    actor: &str,
    now: i64,
) -> AppResult<Used> {
    let (card, funds) = lock_card(tx, brand.id, at.card_id, now).await?;
    must_be_active(&card)?;
    // A frozen (or closed) member's cards are not written off.
    let m = members::in_brand(tx, brand.id, card.member_id).await?;
    if m.frozen {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::MemberFrozen,
        ));
    }
    let today = ledger::business_date(&brand.time_zone, now);
    if card
        .ends_on
        .as_deref()
        .is_some_and(|end| today.as_str() > end)
    {
        return Err(super::closed(CardState::Expired));
    }
    if today < card.starts_on {
        return Err(super::closed(CardState::Expired));
    }
    let shop = store_in_brand(tx, brand.id, at.store_id).await?;
    if !shop.active {
        return Err(unprocessable(ErrorCode::StoreClosed));
    }
    let ty = card_type_in_brand(tx, brand.id, card.card_type_id).await?;
    if !type_at_store(tx, &ty, shop.id, StoreRole::Honoured).await? {
        return Err(unprocessable(ErrorCode::CardNotHonouredHere));
    }
    let covered = card_type_item::Entity::find()
        .filter(card_type_item::Column::CardTypeId.eq(ty.id))
        .filter(card_type_item::Column::ItemId.eq(at.item_id))
        .one(tx)
        .await?
        .is_some();
    if !covered {
        return Err(unprocessable(ErrorCode::ItemNotOnCard));
    }
    let kind = CardKind::parse(&card.kind)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} kind", card.id)))?;
    let (settled, entry_id, uses_left) = match (kind, funds.uses) {
        (CardKind::Count, Some((uses, left))) => {
            if left <= 0 {
                return Err(unprocessable(ErrorCode::NoUsesLeft));
            }
            let shares = funds.shares(left);
            let rules = settings(tx, brand.id).await?;
            let ids = ledger::account_ids(
                tx,
                brand.id,
                &[
                    (Kind::StoreWallet, shop.id),
                    (Kind::BonusIncome, 0),
                    (Kind::UsesConsumed, 0),
                ],
                now,
            )
            .await?;
            let mut lines = settle_lines(&shares, ids[0], ids[1], Bp(rules.bonus_settle_bp));
            lines.push(Line::count(uses, -1));
            lines.push(Line::count(ids[2], 1));
            let total = Fen(shares.iter().map(|(_, s)| s).sum());
            let op = uuid::Uuid::new_v4().simple().to_string();
            let entry = ledger::post_or_fail(
                tx,
                Entry {
                    brand_id: brand.id,
                    kind: EntryKind::CardUse,
                    op_ref: format!("use:{op}"),
                    store_id: Some(shop.id),
                    member_id: Some(card.member_id),
                    member_delta: Fen::ZERO,
                    member_balance_after: None,
                    actor: actor.to_string(),
                    business_date: today.clone(),
                    at: now,
                    lines,
                },
            )
            .await?;
            (total, Some(entry), Some(left - 1))
        }
        (CardKind::Period, None) => {
            if let Some(limit) = card.per_day_limit {
                let used = views::uses_on(tx, &[card.id], &today).await?;
                if used.get(&card.id).copied().unwrap_or(0) >= limit {
                    return Err(unprocessable(ErrorCode::DailyLimitReached).with("limit", limit));
                }
            }
            (Fen::ZERO, None, None)
        }
        _ => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "card {} accounts",
                card.id
            )));
        }
    };
    let event = card_event::ActiveModel {
        brand_id: Set(brand.id),
        card_id: Set(card.id),
        kind: Set(CardEventKind::Used.as_str().into()),
        store_id: Set(Some(shop.id)),
        item_id: Set(Some(at.item_id)),
        amount: Set(settled.0),
        uses: Set(-1),
        ends_on: Set(None),
        entry_id: Set(entry_id),
        undoes: Set(None),
        business_date: Set(today),
        actor: Set(actor.to_string()),
        at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(Used {
        event_id: event.id,
        settled,
        uses_left,
    })
}

/// Undoes a use: the exact reverse of its lines (the store gives back what
/// it was settled), under the card's lock and the store wallet's; a use is
/// undone once (the undo names it, uniquely). The card must still be active.
/// `hq`: HQ may take the store's wallet below what it holds (the shortfall
/// shows as owed); a store may not.
pub async fn undo_use(
    state: &AppState,
    brand: &brand::Model,
    event_id: i64,
    actor: &str,
    hq: bool,
) -> AppResult<()> {
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let used = card_event::Entity::find_by_id(event_id)
        .filter(card_event::Column::BrandId.eq(brand.id))
        .filter(card_event::Column::Kind.eq(CardEventKind::Used.as_str()))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if let Some(store) = used.store_id {
        lock_key(&tx, &format!("wallet:{store}")).await?;
    }
    let (card, reversed) = reversal_of(&tx, brand, &used, now).await?;
    if !hq && let Some(store) = used.store_id {
        wallet_covers(&tx, brand.id, store, &reversed, now).await?;
    }
    let mut entry_id = None;
    if !reversed.is_empty() {
        entry_id = Some(
            ledger::post_or_fail(
                &tx,
                Entry {
                    brand_id: brand.id,
                    kind: EntryKind::CardUseUndo,
                    op_ref: format!("undo:{}", used.id),
                    store_id: used.store_id,
                    member_id: Some(card.member_id),
                    member_delta: Fen::ZERO,
                    member_balance_after: None,
                    actor: actor.to_string(),
                    business_date: ledger::business_date(&brand.time_zone, now),
                    at: now,
                    lines: reversed,
                },
            )
            .await?,
        );
    }
    record_undone(&tx, brand.id, &used, entry_id, actor, now).await?;
    tx.commit().await?;
    Ok(())
}

/// The lines that reverse use `used` (none for a period card's), checked
/// in `tx` under the card's lock: the card still active and within its
/// dates, the use not undone before. Answers the card too.
pub async fn reversal_of(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    used: &card_event::Model,
    now: i64,
) -> AppResult<(member_card::Model, Vec<Line>)> {
    let (card, _) = lock_card(tx, brand.id, used.card_id, now).await?;
    must_be_active(&card)?;
    // Not once the card is past its end (the job may not have expired it
    // yet).
    let today = ledger::business_date(&brand.time_zone, now);
    if card
        .ends_on
        .as_deref()
        .is_some_and(|end| today.as_str() > end)
    {
        return Err(super::closed(CardState::Expired));
    }
    let undone = card_event::Entity::find()
        .filter(card_event::Column::Undoes.eq(used.id))
        .one(tx)
        .await?;
    if undone.is_some() {
        return Err(AppError::state_changed("undone"));
    }
    let mut reversed = Vec::new();
    if let Some(original) = used.entry_id {
        reversed = ledger::entry_lines(tx, original)
            .await?
            .iter()
            .map(|l| Line {
                account: l.account,
                amount: -l.amount,
            })
            .collect();
    }
    Ok((card, reversed))
}

/// Refuses when the lines `reversed` would take store `store_id`'s wallet
/// below what it holds (only HQ may).
pub async fn wallet_covers(
    tx: &DatabaseTransaction,
    brand_id: i64,
    store_id: i64,
    reversed: &[Line],
    now: i64,
) -> AppResult<()> {
    let wallet = ledger::account_id(tx, brand_id, Kind::StoreWallet, store_id, now).await?;
    let taken: i64 = -reversed
        .iter()
        .filter(|l| l.account.id == wallet.id)
        .map(|l| l.amount)
        .sum::<i64>();
    if taken <= 0 {
        return Ok(());
    }
    let available = ledger::summed_balance(tx, wallet).await?;
    if available.0 < taken {
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::WalletShortfall)
                .with("available", available.0),
        );
    }
    Ok(())
}

/// Records use `used` undone (by the entry `entry_id` reversing it): the
/// use comes back to the day it was taken.
pub async fn record_undone(
    tx: &DatabaseTransaction,
    brand_id: i64,
    used: &card_event::Model,
    entry_id: Option<i64>,
    actor: &str,
    now: i64,
) -> AppResult<()> {
    card_event::ActiveModel {
        brand_id: Set(brand_id),
        card_id: Set(used.card_id),
        kind: Set(CardEventKind::UseUndone.as_str().into()),
        store_id: Set(used.store_id),
        item_id: Set(used.item_id),
        amount: Set(-used.amount),
        uses: Set(1),
        ends_on: Set(None),
        entry_id: Set(entry_id),
        undoes: Set(Some(used.id)),
        business_date: Set(used.business_date.clone()),
        actor: Set(actor.to_string()),
        at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}
