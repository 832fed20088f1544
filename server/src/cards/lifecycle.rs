//! What time does to cards, and HQ's extensions (延期).
//!
//! - A period card's money is released to its store day by day: once a
//!   day has passed (in the brand's zone) it releases what is left ÷ the
//!   days left, per funding account, the last day taking the rest; the day
//!   after its last day the card has released everything and expires.
//! - A count card with an end date expires the day after it: what it still
//!   holds goes to the brand's breakage income, its uses lapse.
//! - HQ extends a card with an end date: an expired count card gets its
//!   expiry reversed; a period card spreads what is left over more days.
//!
//! The job ([`run`]) takes each card under its lock and re-reads it there,
//! so two runs (or two replicas) at once book each day and each expiry
//! once; each entry's `op_ref` names the card and the day, the ledger's
//! second guard.

use super::period::{self, days_left, format};
use super::{CardFunds, lock_card, set_state, settle_lines};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::db::begin_write;
use crate::entity::{brand, card_event, member_card};
use crate::error::{AppError, AppResult};
use crate::jobs;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use shared::dto::{
    AuditAction, AuditField, AuditValue, CardEventKind, CardKind, CardState, EntryKind, ExtendCard,
    JobName,
};
use shared::money::{Bp, Fen};

/// The days a period card has yet to release up to `through` (its days
/// that have passed), each with its shares: (day, shares per funding
/// account). Pure arithmetic on the card's balances; booking them
/// ([`release_days`]) and previewing a refund use the same.
pub fn due_days(
    funds: &CardFunds,
    next: NaiveDate,
    through: NaiveDate,
    ends: NaiveDate,
) -> Vec<(NaiveDate, [i64; 4])> {
    let mut balances = funds.funding.map(|(_, b)| b);
    let mut out = Vec::new();
    let mut day = next;
    while day <= through && day <= ends {
        let left = days_left(day, ends);
        let shares = balances.map(|b| super::share(b, left));
        for (b, s) in balances.iter_mut().zip(shares) {
            *b -= s;
        }
        out.push((day, shares));
        day += Duration::days(1);
    }
    out
}

/// The first day a period card has not released yet.
fn next_day(card: &member_card::Model) -> AppResult<NaiveDate> {
    let bad = || AppError::Internal(anyhow::anyhow!("card {} dates", card.id));
    Ok(match card.released_through.as_deref() {
        Some(d) => period::parse(d).ok_or_else(bad)? + Duration::days(1),
        None => period::parse(&card.starts_on).ok_or_else(bad)?,
    })
}

/// Books the days of a locked period card that have passed and are not yet
/// released (to the card's store), and expires it after its last day.
/// Returns the card's funds after.
pub async fn release_days(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    card: &member_card::Model,
    mut funds: CardFunds,
    now: i64,
) -> AppResult<CardFunds> {
    if card.kind != CardKind::Period.as_str() || card.state != CardState::Active.as_str() {
        return Ok(funds);
    }
    let bad = || AppError::Internal(anyhow::anyhow!("card {} dates", card.id));
    let today = period::parse(&ledger::business_date(&brand.time_zone, now)).ok_or_else(bad)?;
    let ends = card
        .ends_on
        .as_deref()
        .and_then(period::parse)
        .ok_or_else(bad)?;
    let days = due_days(&funds, next_day(card)?, today - Duration::days(1), ends);
    let Some((last, _)) = days.last().copied() else {
        return Ok(funds);
    };
    let rules = settings(tx, brand.id).await?;
    let ids = ledger::account_ids(
        tx,
        brand.id,
        &[(Kind::StoreWallet, card.store_id), (Kind::BonusIncome, 0)],
        now,
    )
    .await?;
    for (day, shares) in &days {
        if shares.iter().all(|s| *s == 0) {
            continue;
        }
        let with_accounts = [0, 1, 2, 3].map(|i| (funds.funding[i].0, shares[i]));
        let lines = settle_lines(&with_accounts, ids[0], ids[1], Bp(rules.bonus_settle_bp));
        ledger::post_or_fail(
            tx,
            Entry {
                brand_id: brand.id,
                kind: EntryKind::CardRelease,
                op_ref: format!("release:{}:{}", card.id, format(*day)),
                store_id: Some(card.store_id),
                member_id: Some(card.member_id),
                member_delta: Fen::ZERO,
                member_balance_after: None,
                actor: "system".into(),
                business_date: format(*day),
                at: now,
                lines,
            },
        )
        .await?;
        for ((_, balance), share) in funds.funding.iter_mut().zip(shares) {
            *balance -= share;
        }
    }
    let moved = member_card::Entity::update_many()
        .col_expr(
            member_card::Column::ReleasedThrough,
            Expr::value(format(last)),
        )
        .filter(member_card::Column::Id.eq(card.id))
        .filter(match &card.released_through {
            Some(d) => member_card::Column::ReleasedThrough.eq(d.clone()),
            None => member_card::Column::ReleasedThrough.is_null(),
        })
        .exec(tx)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::state_changed("released"));
    }
    if last == ends {
        expired(tx, brand, card, None, now).await?;
    }
    Ok(funds)
}

/// Marks a card expired with its event.
async fn expired(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    card: &member_card::Model,
    entry: Option<(i64, Fen, i64)>,
    now: i64,
) -> AppResult<()> {
    if !set_state(
        tx,
        card.id,
        CardState::Active,
        CardState::Expired,
        Some(now),
    )
    .await?
    {
        return Err(AppError::state_changed("expired"));
    }
    let (entry_id, amount, uses) = match entry {
        Some((id, amount, uses)) => (Some(id), amount.0, -uses),
        None => (None, 0, 0),
    };
    card_event::ActiveModel {
        brand_id: Set(brand.id),
        card_id: Set(card.id),
        kind: Set(CardEventKind::Expired.as_str().into()),
        store_id: Set(None),
        item_id: Set(None),
        amount: Set(amount),
        uses: Set(uses),
        ends_on: Set(card.ends_on.clone()),
        entry_id: Set(entry_id),
        undoes: Set(None),
        business_date: Set(ledger::business_date(&brand.time_zone, now)),
        actor: Set("system".into()),
        at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(())
}

/// Expires a locked count card past its end date: what it holds goes to
/// the brand's breakage income, its uses lapse.
async fn expire_count_card(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    card: &member_card::Model,
    funds: &CardFunds,
    now: i64,
) -> AppResult<()> {
    let ends = card.ends_on.clone().unwrap_or_default();
    let mut lines = Vec::new();
    let remaining = funds.remaining();
    for (account, b) in funds.funding {
        if b != 0 {
            lines.push(Line::fen(account, Fen(-b)));
        }
    }
    if remaining.0 != 0 {
        let breakage = ledger::account_id(tx, brand.id, Kind::BreakageIncome, 0, now).await?;
        lines.push(Line::fen(breakage, remaining));
    }
    let uses = funds.uses.map_or(0, |(_, n)| n);
    if let Some((account, n)) = funds.uses.filter(|(_, n)| *n > 0) {
        let lapsed = ledger::account_id(tx, brand.id, Kind::UsesExpired, 0, now).await?;
        lines.push(Line::count(account, -n));
        lines.push(Line::count(lapsed, n));
    }
    let entry_id = ledger::post_or_fail(
        tx,
        Entry {
            brand_id: brand.id,
            kind: EntryKind::CardExpiry,
            op_ref: format!("expiry:{}:{ends}", card.id),
            store_id: None,
            member_id: Some(card.member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: "system".into(),
            business_date: ledger::business_date(&brand.time_zone, now),
            at: now,
            lines,
        },
    )
    .await?;
    expired(tx, brand, card, Some((entry_id, remaining, uses)), now).await
}

/// Brings one card up to date: days released, expired if past its end.
/// Safe to run twice and at once (the card's lock, then a fresh read).
pub async fn bring_up_to_date(
    state: &AppState,
    brand: &brand::Model,
    card_id: i64,
) -> AppResult<()> {
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let (card, funds) = lock_card(&tx, brand.id, card_id, now).await?;
    if card.state != CardState::Active.as_str() {
        return Ok(());
    }
    catch_up(&tx, brand, &card, funds, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Books what time owes a locked card: a period card's passed days, a
/// count card's expiry past its end date. Returns its funds after (the
/// caller re-reads its state).
pub async fn catch_up(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    card: &member_card::Model,
    funds: CardFunds,
    now: i64,
) -> AppResult<CardFunds> {
    if card.state != CardState::Active.as_str() {
        return Ok(funds);
    }
    let today = ledger::business_date(&brand.time_zone, now);
    if card.kind == CardKind::Period.as_str() {
        return release_days(tx, brand, card, funds, now).await;
    }
    if card
        .ends_on
        .as_deref()
        .is_some_and(|end| end < today.as_str())
    {
        expire_count_card(tx, brand, card, &funds, now).await?;
        let mut f = funds;
        for (_, b) in f.funding.iter_mut() {
            *b = 0;
        }
        if let Some((_, n)) = f.uses.as_mut() {
            *n = 0;
        }
        return Ok(f);
    }
    Ok(funds)
}

/// The job: every brand's active cards that have days to release or are
/// past their end date, each brought up to date in its own transaction; a
/// card that fails is recorded for the brand and tried on the next run.
pub async fn run(state: &AppState) -> AppResult<()> {
    let now = state.clock.now_ms();
    for b in brand::Entity::find().all(&state.db).await? {
        let today = ledger::business_date(&b.time_zone, now);
        let due = member_card::Entity::find()
            .filter(member_card::Column::BrandId.eq(b.id))
            .filter(member_card::Column::State.eq(CardState::Active.as_str()))
            .filter(
                sea_orm::Condition::any()
                    // Period cards with a day that has passed unreleased.
                    .add(
                        sea_orm::Condition::all()
                            .add(member_card::Column::Kind.eq(CardKind::Period.as_str()))
                            .add(member_card::Column::StartsOn.lt(today.clone()))
                            .add(
                                sea_orm::Condition::any()
                                    .add(member_card::Column::ReleasedThrough.is_null())
                                    .add(member_card::Column::ReleasedThrough.lt(format(
                                        period::parse(&today).unwrap_or_default()
                                            - Duration::days(1),
                                    ))),
                            ),
                    )
                    // Count cards past their end date.
                    .add(
                        sea_orm::Condition::all()
                            .add(member_card::Column::Kind.eq(CardKind::Count.as_str()))
                            .add(member_card::Column::EndsOn.lt(today.clone())),
                    ),
            )
            .order_by_asc(member_card::Column::Id)
            .all(&state.db)
            .await?;
        for card in due {
            let item = format!("card:{}", card.id);
            match bring_up_to_date(state, &b, card.id).await {
                Ok(()) => jobs::item_done(&state.db, JobName::Cards, &item).await,
                Err(e) => {
                    jobs::item_failed(&state.db, JobName::Cards, b.id, &item, &e.detail(), now)
                        .await;
                }
            }
        }
    }
    Ok(())
}

/// HQ moves a card's last day later (延期), audited. An expired count card
/// gets back what its expiry took (the expiry's exact reverse); a period
/// card spreads what it holds over the longer run.
pub async fn extend(
    state: &AppState,
    by: &Actor,
    card_id: i64,
    req: &ExtendCard,
) -> AppResult<shared::dto::MemberCard> {
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let (card, funds) = lock_card(&tx, by.brand.id, card_id, now).await?;
    // What time owes the card first (days passed are the store's; a card
    // past its end has expired), as the job would have booked it.
    catch_up(&tx, &by.brand, &card, funds, now).await?;
    let card = member_card::Entity::find_by_id(card.id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let state_now = super::state_of(&card)?;
    if state_now == CardState::Refunded {
        return Err(super::closed(state_now));
    }
    let Some(old_end) = card.ends_on.clone() else {
        return Err(AppError::invalid("ends_on", "no_end_date"));
    };
    let new_end = period::parse(req.ends_on.trim())
        .ok_or_else(|| AppError::invalid("ends_on", "date_format"))?;
    let today = ledger::business_date(&by.brand.time_zone, now);
    let new_text = format(new_end);
    if new_text <= old_end || new_text < today {
        return Err(AppError::invalid("ends_on", "ends_on_later"));
    }
    if state_now == CardState::Expired {
        if card.kind == CardKind::Count.as_str() {
            let expiry = ledger::entry_of(
                &tx,
                by.brand.id,
                EntryKind::CardExpiry,
                &format!("expiry:{}:{old_end}", card.id),
            )
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} expiry", card.id)))?;
            let lines = ledger::entry_lines(&tx, expiry.id)
                .await?
                .into_iter()
                .map(|l| Line {
                    account: l.account,
                    amount: -l.amount,
                })
                .collect();
            ledger::post_or_fail(
                &tx,
                Entry {
                    brand_id: by.brand.id,
                    kind: EntryKind::CardExtension,
                    op_ref: format!("extend:{}:{old_end}", card.id),
                    store_id: None,
                    member_id: Some(card.member_id),
                    member_delta: Fen::ZERO,
                    member_balance_after: None,
                    actor: by.name(),
                    business_date: today.clone(),
                    at: now,
                    lines,
                },
            )
            .await?;
        }
        if !set_state(&tx, card.id, CardState::Expired, CardState::Active, None).await? {
            return Err(AppError::state_changed("active"));
        }
    }
    member_card::Entity::update_many()
        .col_expr(member_card::Column::EndsOn, Expr::value(new_text.clone()))
        .filter(member_card::Column::Id.eq(card.id))
        .exec(&tx)
        .await?;
    card_event::ActiveModel {
        brand_id: Set(by.brand.id),
        card_id: Set(card.id),
        kind: Set(CardEventKind::Extended.as_str().into()),
        store_id: Set(None),
        item_id: Set(None),
        amount: Set(0),
        uses: Set(0),
        ends_on: Set(Some(new_text.clone())),
        entry_id: Set(None),
        undoes: Set(None),
        business_date: Set(today),
        actor: Set(by.name()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let m = crate::identity::members::in_brand(&tx, by.brand.id, card.member_id).await?;
    let rec = Record::new(
        AuditAction::CardExtend,
        format!(
            "#{} {} {}",
            card.id,
            card.name,
            shared::validate::mask_phone(&m.phone)
        ),
    )
    .change(
        AuditField::EndsOn,
        AuditValue::Text(old_end),
        AuditValue::Text(new_text),
    );
    audit::by(&tx, by, now, rec).await?;
    let card = member_card::Entity::find_by_id(card.id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (_, funds) = lock_card(&tx, by.brand.id, card.id, now).await?;
    let ty = super::catalogue::card_type_in_brand(&tx, by.brand.id, card.card_type_id).await?;
    let used = super::views::uses_on(
        &tx,
        &[card.id],
        &ledger::business_date(&by.brand.time_zone, now),
    )
    .await?;
    let view = super::views::card_view(
        &card,
        &ty,
        &funds,
        used.get(&card.id).copied().unwrap_or(0),
        &by.brand.time_zone,
        now,
    )?;
    tx.commit().await?;
    Ok(view)
}
