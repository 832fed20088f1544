//! Selling a card: a member buys one in the app from stored value, or staff
//! sell one at their counter (cash or card taken by the store, which then
//! holds that money for HQ as counter cash). Either way the price goes into
//! the card's own accounts by how it was paid, the uses are issued to it,
//! and the card row, its first event and its entry are one transaction under
//! the request's idempotency key.

use super::catalogue::{StoreRole, card_type_in_brand};
use super::period::{self, format};
use super::views::card_view;
use super::{card_accounts, type_at_store};
use crate::audit::{self, Record};
use crate::auth::{Actor, MemberCaller};
use crate::chain::{self, store_in_brand};
use crate::db::lock_key;
use crate::entity::{brand, card_event, card_type, gateway_order, member, member_card};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdemKey, Scope};
use crate::identity::members;
use crate::ledger::{self, Account, Entry, Kind, Line};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use crate::stored_value::{pin, posted, unprocessable};
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, Set};
use shared::ErrorCode;
use shared::dto::{
    AuditAction, BuyCard, CardChannel, CardEventKind, CardKind, CardPeriod, CardReceipt, CardState,
    EntryKind, Role, SellCard,
};
use shared::money::Fen;
use shared::plan::{Bill, plan};
use shared::validate::{self, mask_phone};

/// A member buys a card in the app, paid from stored value (principal, then
/// bonus, by the price plan); above HQ's PIN-free limit the PIN first.
pub async fn buy(
    state: &AppState,
    caller: MemberCaller,
    key: IdemKey,
    req: BuyCard,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    let scope = Scope {
        brand_id: caller.brand.id,
        caller: format!("member:{}", caller.member.id),
        route: "card",
    };
    let rules = settings(&state.db, caller.brand.id).await?;
    let body = BuyCard {
        pin: None,
        ..req.clone()
    };
    let ty = card_type_in_brand(&state.db, caller.brand.id, req.card_type_id).await?;
    let mut pin_ok = false;
    if ty.on_sale && Fen(ty.price) > rules.pin_above {
        let (principal, bonus) =
            ledger::member_balance(&state.db, caller.brand.id, caller.member.id).await?;
        if principal + bonus >= Fen(ty.price) {
            // A retry of a purchase that went through gets its receipt, even
            // with the PIN locked since.
            if let Some(answer) = idempotency::recorded(&state.db, &scope, &key, &body).await? {
                return Ok(answer);
            }
            pin::check(
                state,
                caller.member.id,
                req.pin.as_deref(),
                pin::PinFor::PaymentAbove(rules.pin_above),
            )
            .await?;
            pin_ok = true;
        }
    }
    let (brand, m) = (caller.brand, caller.member);
    idempotency::run(&state.db, scope, key, &body, now, move |tx, op_id| {
        Box::pin(async move {
            let pin_ok = pin_ok.then_some(()).ok_or(rules.pin_above);
            book_purchase(tx, &brand, &m, ty.id, pin_ok, (op_id, now)).await
        })
    })
    .await
}

/// Books a purchase from stored value in `tx` (`pin`: checked, or the
/// PIN-free limit).
async fn book_purchase(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    m: &member::Model,
    card_type_id: i64,
    pin: Result<(), Fen>,
    (op_id, now): (String, i64),
) -> AppResult<CardReceipt> {
    let ty = card_type_in_brand(tx, brand.id, card_type_id).await?;
    if !ty.on_sale {
        return Err(unprocessable(ErrorCode::CardOffSale));
    }
    let store_id = home_for(tx, brand.id, m, &ty).await?;
    let funds = ledger::lock_member(tx, brand.id, m.id, now).await?;
    let price = Fen(ty.price);
    let paid = plan(&Bill::plain(price, funds.principal, funds.bonus));
    if paid.online.is_positive() {
        return Err(unprocessable(ErrorCode::InsufficientBalance).with("balance", funds.total().0));
    }
    // `pin`: checked, or the PIN-free limit it was not checked against.
    if let Err(above) = pin
        && paid.stored_value() > above
    {
        return Err(unprocessable(ErrorCode::PinRequired).with("above", above.0));
    }
    let opened = open_card(
        tx,
        brand,
        m.id,
        &ty,
        CardChannel::StoredValue,
        store_id,
        (&op_id, format!("member:{}", m.id)),
        now,
    )
    .await?;
    let [principal, bonus, ..] = opened.funding;
    let after = funds.total() - paid.stored_value();
    let mut lines = vec![
        Line::fen(funds.principal_account, -paid.principal),
        Line::fen(principal, paid.principal),
        Line::fen(funds.bonus_account, -paid.bonus),
        Line::fen(bonus, paid.bonus),
    ];
    lines.extend(opened.uses_lines());
    let entry_id = posted(
        ledger::post(
            tx,
            Entry {
                brand_id: brand.id,
                kind: EntryKind::CardSale,
                op_ref: format!("card:{op_id}"),
                store_id: Some(store_id),
                member_id: Some(m.id),
                member_delta: -paid.stored_value(),
                member_balance_after: Some(after),
                actor: format!("member:{}", m.id),
                business_date: ledger::business_date(&brand.time_zone, now),
                at: now,
                lines,
            },
        )
        .await,
    )?;
    opened.bought(tx, entry_id, None, now).await?;
    Ok(CardReceipt {
        card: opened.view(tx, brand, now).await?,
        principal: paid.principal,
        bonus: paid.bonus,
        cash: Fen::ZERO,
        balance_after: Some(after),
        entry_id,
    })
}

/// A card bought online is paid (in `tx`, under its order's lock): the card
/// opens at the order's store, funded by the stored value held when the
/// order started (principal and bonus) and the gateway's part (online), at
/// the price the member was shown then. Answers the card's id.
pub(crate) async fn settle_online(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    o: &gateway_order::Model,
    now: i64,
) -> AppResult<i64> {
    let missing =
        |what: &str| AppError::Internal(anyhow::anyhow!("card order {} has no {what}", o.order_no));
    let type_id = o.card_type_id.ok_or_else(|| missing("card type"))?;
    let store_id = o.store_id.ok_or_else(|| missing("store"))?;
    // Taken off sale since, it is still what the member paid for.
    let ty = card_type::Entity::find_by_id(type_id)
        .one(tx)
        .await?
        .ok_or_else(|| missing("card type row"))?;
    let ty = card_type::Model {
        price: o.original,
        ..ty
    };
    let op_ref = crate::gateway_orders::op_ref(o);
    let actor = format!("member:{}", o.member_id);
    let opened = open_card(
        tx,
        brand,
        o.member_id,
        &ty,
        CardChannel::Online,
        store_id,
        (&op_ref, actor.clone()),
        now,
    )
    .await?;
    let [principal, bonus, online, _] = opened.funding;
    let hold = ledger::account_id(tx, brand.id, Kind::MemberHold, o.member_id, now).await?;
    let clearing = ledger::account_id(tx, brand.id, Kind::GatewayClearing, 0, now).await?;
    let mut lines = vec![
        Line::fen(hold, Fen(-(o.sv_principal + o.sv_bonus))),
        Line::fen(principal, Fen(o.sv_principal)),
        Line::fen(bonus, Fen(o.sv_bonus)),
        Line::fen(clearing, Fen(-o.amount)),
        Line::fen(online, Fen(o.amount)),
    ];
    lines.extend(opened.uses_lines());
    let entry_id = ledger::post_or_fail(
        tx,
        Entry {
            brand_id: brand.id,
            kind: EntryKind::CardSale,
            op_ref: format!("card:{op_ref}"),
            store_id: Some(store_id),
            // The member's purchase, though their stored value moved at
            // the hold.
            member_id: Some(o.member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor,
            business_date: ledger::business_date(&brand.time_zone, now),
            at: now,
            lines,
        },
    )
    .await?;
    opened.bought(tx, entry_id, None, now).await?;
    Ok(opened.card.id)
}

/// The store an app purchase belongs to (a period card's days are released
/// to it): the member's home store where the card is honoured, else the
/// first store honouring it.
pub(crate) async fn home_for(
    tx: &DatabaseTransaction,
    brand_id: i64,
    m: &member::Model,
    ty: &card_type::Model,
) -> AppResult<i64> {
    if let Some(home) = m.home_store_id
        && chain::find_store(tx, brand_id, home)
            .await?
            .is_some_and(|s| s.active)
        && type_at_store(tx, ty, home, StoreRole::Honoured).await?
    {
        return Ok(home);
    }
    for s in chain::brand_stores(tx, brand_id).await? {
        if s.active && type_at_store(tx, ty, s.id, StoreRole::Honoured).await? {
            return Ok(s.id);
        }
    }
    Err(unprocessable(ErrorCode::CardNotHonouredHere))
}

/// A clerk or store manager sells a card at their store's counter, under
/// the key.
pub async fn sell(state: &AppState, by: Actor, key: IdemKey, req: SellCard) -> AppResult<Response> {
    let store_id = match (by.role, by.store_id) {
        (Role::Clerk | Role::StoreManager, Some(id)) => id,
        _ => return Err(AppError::forbidden()),
    };
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "card-sale");
    let body = req.clone();
    idempotency::run(&state.db, scope, key, &body, now, move |tx, op_id| {
        Box::pin(async move { book_sale(tx, &by, store_id, &req, op_id, now).await })
    })
    .await
}

/// Books a counter sale at `store_id` in `tx`.
async fn book_sale(
    tx: &DatabaseTransaction,
    by: &Actor,
    store_id: i64,
    req: &SellCard,
    op_id: String,
    now: i64,
) -> AppResult<CardReceipt> {
    let phone =
        validate::phone(&req.member_phone).map_err(|r| AppError::invalid("member_phone", r))?;
    let ty = card_type_in_brand(tx, by.brand.id, req.card_type_id)
        .await
        .map_err(crate::error::unknown_as("card_type_id"))?;
    if !ty.on_sale {
        return Err(unprocessable(ErrorCode::CardOffSale));
    }
    let shop = store_in_brand(tx, by.brand.id, store_id).await?;
    if !shop.active {
        return Err(unprocessable(ErrorCode::StoreClosed));
    }
    if !type_at_store(tx, &ty, shop.id, StoreRole::Sold).await? {
        return Err(unprocessable(ErrorCode::CardNotSoldHere));
    }
    let m = members::by_phone(tx, by.brand.id, &phone).await?;
    if m.frozen {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::MemberFrozen,
        ));
    }
    // The money taken is counter cash the store holds for HQ: the wallet's
    // lock, as counter top-ups take it.
    lock_key(tx, &format!("wallet:{}", shop.id)).await?;
    let clearing = ledger::account_id(tx, by.brand.id, Kind::CounterClearing, shop.id, now).await?;
    let opened = open_card(
        tx,
        &by.brand,
        m.id,
        &ty,
        CardChannel::Counter,
        shop.id,
        (&op_id, by.name()),
        now,
    )
    .await?;
    let price = Fen(ty.price);
    let mut lines = vec![
        Line::fen(clearing, -price),
        Line::fen(opened.funding[3], price),
    ];
    lines.extend(opened.uses_lines());
    let entry_id = posted(
        ledger::post(
            tx,
            Entry {
                brand_id: by.brand.id,
                kind: EntryKind::CardSale,
                op_ref: format!("card:{op_id}"),
                store_id: Some(shop.id),
                member_id: Some(m.id),
                member_delta: Fen::ZERO,
                member_balance_after: None,
                actor: by.name(),
                business_date: ledger::business_date(&by.brand.time_zone, now),
                at: now,
                lines,
            },
        )
        .await,
    )?;
    opened.bought(tx, entry_id, Some(shop.id), now).await?;
    let rec = Record::new(
        AuditAction::CardSell,
        format!(
            "#{} {} {}",
            opened.card.id,
            opened.card.name,
            mask_phone(&m.phone)
        ),
    )
    .store(shop.id)
    .amount(price)
    .extra(serde_json::json!({ "entry": entry_id, "card": opened.card.id }));
    audit::by(tx, by, now, rec).await?;
    Ok(CardReceipt {
        card: opened.view(tx, &by.brand, now).await?,
        principal: Fen::ZERO,
        bonus: Fen::ZERO,
        cash: price,
        balance_after: None,
        entry_id,
    })
}

/// A card row written, its accounts opened, before its entry is posted.
struct Opened {
    card: member_card::Model,
    funding: [Account; 4],
    uses: Option<(Account, Account, i64)>,
    actor: String,
}

impl Opened {
    /// The uses issued to a count card.
    fn uses_lines(&self) -> Vec<Line> {
        match self.uses {
            Some((card, issued, n)) => vec![Line::count(issued, -n), Line::count(card, n)],
            None => Vec::new(),
        }
    }

    /// The card's first event.
    async fn bought(
        &self,
        tx: &DatabaseTransaction,
        entry_id: i64,
        store_id: Option<i64>,
        now: i64,
    ) -> AppResult<()> {
        card_event::ActiveModel {
            brand_id: Set(self.card.brand_id),
            card_id: Set(self.card.id),
            kind: Set(CardEventKind::Bought.as_str().into()),
            store_id: Set(store_id),
            item_id: Set(None),
            amount: Set(self.card.price),
            uses: Set(self.uses.map_or(0, |(_, _, n)| n)),
            ends_on: Set(self.card.ends_on.clone()),
            entry_id: Set(Some(entry_id)),
            undoes: Set(None),
            business_date: Set(self.card.starts_on.clone()),
            actor: Set(self.actor.clone()),
            at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        Ok(())
    }

    async fn view(
        &self,
        tx: &DatabaseTransaction,
        brand: &brand::Model,
        now: i64,
    ) -> AppResult<shared::dto::MemberCard> {
        let (_, funds) = super::lock_card(tx, brand.id, self.card.id, now).await?;
        let ty = card_type_in_brand(tx, brand.id, self.card.card_type_id).await?;
        card_view(&self.card, &ty, &funds, 0, &brand.time_zone, now)
    }
}

/// Writes the card row (its dates from the type and today) and opens its
/// accounts.
#[allow(clippy::too_many_arguments)] // the card's every fact, each named
async fn open_card(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    member_id: i64,
    ty: &card_type::Model,
    channel: CardChannel,
    store_id: i64,
    (op_id, actor): (&str, String),
    now: i64,
) -> AppResult<Opened> {
    let today = ledger::business_date(&brand.time_zone, now);
    let start = period::parse(&today)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("business date {today}")))?;
    let kind = CardKind::parse(&ty.kind)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card type kind {}", ty.kind)))?;
    let ends_on = match kind {
        CardKind::Count => ty.valid_days.map(|d| period::valid_end(start, d)),
        CardKind::Period => {
            let p = ty
                .period
                .as_deref()
                .and_then(CardPeriod::parse)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card type {} period", ty.id)))?;
            Some(period::period_end(start, p.months()))
        }
    };
    let card = member_card::ActiveModel {
        brand_id: Set(brand.id),
        member_id: Set(member_id),
        card_type_id: Set(ty.id),
        kind: Set(kind.as_str().into()),
        name: Set(ty.name.clone()),
        price: Set(ty.price),
        uses_total: Set(ty.uses.filter(|_| kind == CardKind::Count)),
        per_day_limit: Set(ty.per_day_limit.filter(|_| kind == CardKind::Period)),
        starts_on: Set(today.clone()),
        ends_on: Set(ends_on.map(format)),
        released_through: Set(None),
        state: Set(CardState::Active.as_str().into()),
        channel: Set(channel.as_str().into()),
        store_id: Set(store_id),
        op_ref: Set(op_id.to_string()),
        bought_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let (funding, uses) = card_accounts(tx, &card, now).await?;
    let uses = match (uses, card.uses_total) {
        (Some(account), Some(n)) => {
            let issued = ledger::account_id(tx, brand.id, Kind::UsesIssued, 0, now).await?;
            Some((account, issued, n))
        }
        _ => None,
    };
    Ok(Opened {
        funding: [funding[0], funding[1], funding[2], funding[3]],
        uses,
        actor,
        card,
    })
}
