//! A member starts a gateway order: a self top-up, or a split payment (the
//! stored value held at once, the rest paid at the gateway's checkout).
//! Both are idempotent on the `Idempotency-Key`: the same key and body give
//! the same order (created at the gateway if that failed before). The
//! member then follows the order ([`status`]) or gives it up ([`give_up`]).

use super::orders::{close, close_here, refresh};
use super::{ORDER_TTL_MS, PAYMENT, is_open, view};
use crate::auth::digest;
use crate::chain::store_in_brand;
use crate::coupons::redeem;
use crate::db::{WriteTx, begin_write};
use crate::entity::{brand, gateway_order, store};
use crate::error::{AppError, AppResult};
use crate::gateway::CreateOrder;
use crate::idempotency::IdemKey;
use crate::ledger::post_or_fail;
use crate::ledger::{self, Entry, Kind, Line, MemberFunds};
use crate::state::AppState;
use crate::stored_value::settings::{plan_bonus, settings, within_cap};
use axum::http::StatusCode;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::{BuyCard, EntryKind, OrderPurpose};
use shared::dto::{MoneySettings, PaymentRequest, TopUpOrderRequest, TopUpOrderView};
use shared::money::{Bp, Fen};
use shared::plan::{Bill, PaymentPlan, plan};
use shared::plan::{CouponChoice, PointsChoice};

/// A member starting an order under an idempotency key.
struct Start<'a> {
    brand: &'a brand::Model,
    member_id: i64,
    key: &'a IdemKey,
    /// The request's identity (SHA-256 of its JSON).
    hash: String,
}

impl<'a> Start<'a> {
    /// A member starting an order whose identity under the key is
    /// `request` (without anything secret); refused at once when nobody can
    /// pay online (no gateway configured outside demo mode).
    fn new(
        state: &AppState,
        brand: &'a brand::Model,
        member_id: i64,
        key: &'a IdemKey,
        request: &impl serde::Serialize,
    ) -> AppResult<Start<'a>> {
        not_configured(state)?;
        Ok(Start {
            brand,
            member_id,
            key,
            hash: identity(request)?,
        })
    }

    /// The member's order under the key (one at most).
    fn order_by_key(&self) -> sea_orm::Select<gateway_order::Entity> {
        gateway_order::Entity::find()
            .filter(gateway_order::Column::BrandId.eq(self.brand.id))
            .filter(gateway_order::Column::MemberId.eq(self.member_id))
            .filter(gateway_order::Column::IdemKey.eq(&self.key.0))
    }

    /// The order the key already started, or the one `start` writes now
    /// (`what` names it if it then cannot be found); answered with its
    /// checkout.
    async fn once(
        &self,
        state: &AppState,
        what: &str,
        start: impl Future<Output = AppResult<()>>,
    ) -> AppResult<TopUpOrderView> {
        let order = match self.order_by_key().one(&state.db).await? {
            Some(o) => o,
            None => {
                start.await?;
                self.order_by_key()
                    .one(&state.db)
                    .await?
                    .ok_or_else(|| AppError::Internal(anyhow::anyhow!("{what} order vanished")))?
            }
        };
        self.answer(state, order).await
    }

    /// The order's checkout, once the key is known to carry this request.
    async fn answer(
        &self,
        state: &AppState,
        order: gateway_order::Model,
    ) -> AppResult<TopUpOrderView> {
        if order.body_hash != self.hash {
            return Err(AppError::new(
                StatusCode::CONFLICT,
                ErrorCode::IdempotencyKeyReused,
            ));
        }
        let order = ensure_checkout(state, self.brand, order).await?;
        view(&state.db, &order).await
    }
}

/// SHA-256 of a request's JSON: its identity under the key.
fn identity(req: &impl serde::Serialize) -> AppResult<String> {
    Ok(digest(
        &serde_json::to_string(req).map_err(anyhow::Error::from)?,
    ))
}

/// A member's order, or 404.
pub async fn own_order(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    id: i64,
) -> AppResult<gateway_order::Model> {
    gateway_order::Entity::find_by_id(id)
        .filter(gateway_order::Column::BrandId.eq(brand_id))
        .filter(gateway_order::Column::MemberId.eq(member_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Outside demo mode with no gateway configured, nobody pays online: the
/// member is told so before anything is written.
fn not_configured(state: &AppState) -> AppResult<()> {
    if state.gateway_configured {
        return Ok(());
    }
    Err(AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::GatewayNotConfigured,
    ))
}

/// The member (not frozen, of `brand`) starts a top-up under the key;
/// answers the order with its hosted checkout.
pub async fn top_up(
    state: &AppState,
    brand: &brand::Model,
    member_id: i64,
    key: &IdemKey,
    req: &TopUpOrderRequest,
) -> AppResult<TopUpOrderView> {
    let start = Start::new(state, brand, member_id, key, req)?;
    let write = async {
        let (amount, bonus, plan_id) = validate(state, brand.id, member_id, req).await?;
        let now = state.clock.now_ms();
        let order = gateway_order::ActiveModel {
            purpose: Set(OrderPurpose::TopUp.as_str().into()),
            amount: Set(amount.0),
            bonus: Set(bonus.0),
            plan_id: Set(plan_id),
            ..new_order(&start, new_order_no(now), now)
        };
        let tx = begin_write(&state.db).await?;
        insert_order(&tx, order).await?;
        Ok(tx.commit().await?)
    };
    start.once(state, "top-up", write).await
}

/// Amount, bonus and plan of a valid top-up request.
async fn validate(
    state: &AppState,
    brand_id: i64,
    member_id: i64,
    req: &TopUpOrderRequest,
) -> AppResult<(Fen, Fen, Option<i64>)> {
    if !req.amount.is_positive() {
        return Err(AppError::invalid("amount", "amount_positive"));
    }
    let rules = settings(&state.db, brand_id).await?;
    let bonus = plan_bonus(&state.db, brand_id, req.plan_id, req.amount, &rules).await?;
    let (principal, held_bonus) = ledger::member_balance(&state.db, brand_id, member_id).await?;
    within_cap(principal + held_bonus, req.amount, bonus, &rules)?;
    Ok((req.amount, bonus, req.plan_id))
}

/// What the gateway is asked to create for `order`.
fn create_request(
    state: &AppState,
    brand: &brand::Model,
    order: &gateway_order::Model,
) -> CreateOrder {
    let base = &state.public_url;
    CreateOrder {
        merchant_id: state.gateway.merchant_id(order.brand_id),
        order_no: order.order_no.clone(),
        amount: order.amount,
        description: match OrderPurpose::parse(&order.purpose) {
            Some(OrderPurpose::Payment) => format!("{} 门店消费", brand.name),
            Some(OrderPurpose::Card) => format!("{} 购卡", brand.name),
            _ => format!("{} 会员充值", brand.name),
        },
        notify_url: format!("{base}/api/gateway/notify"),
        return_url: format!("{base}/m/{}/topup/{}", brand.slug, order.id),
        expires_at: order.expires_at,
    }
}

/// Creates the order at the gateway if that has not happened yet.
async fn ensure_checkout(
    state: &AppState,
    brand: &brand::Model,
    order: gateway_order::Model,
) -> AppResult<gateway_order::Model> {
    if order.checkout_url.is_some() || !is_open(&order) {
        return Ok(order);
    }
    let created = match state
        .gateway
        .create(&create_request(state, brand, &order))
        .await
    {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(order = %order.order_no, "gateway create failed: {e}");
            if super::holds_value(&order) {
                // The member never reached a checkout: give the held stored
                // value back now rather than at expiry. (Should the gateway
                // have taken the order after all, a late payment is refunded.)
                close_here(state, order.id).await?;
            }
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::GatewayUnavailable,
            ));
        }
    };
    let tx = begin_write(&state.db).await?;
    gateway_order::Entity::update_many()
        .col_expr(
            gateway_order::Column::CheckoutUrl,
            Expr::value(created.checkout_url.clone()),
        )
        .filter(gateway_order::Column::Id.eq(order.id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(gateway_order::Model {
        checkout_url: Some(created.checkout_url),
        ..order
    })
}

/// Where the member's order stands. While it is open and no callback has
/// come, this asks the gateway (at most every 3 s), so a lost callback does
/// not leave the member waiting.
pub async fn status(
    state: &AppState,
    brand_id: i64,
    member_id: i64,
    id: i64,
) -> AppResult<TopUpOrderView> {
    let mut order = own_order(&state.db, brand_id, member_id, id).await?;
    let now = state.clock.now_ms();
    let quiet = order.last_query_at.is_none_or(|t| now - t >= 3_000);
    if is_open(&order) && order.checkout_url.is_some() && now - order.created_at >= 2_000 && quiet {
        refresh(state, &order).await?;
        order = own_order(&state.db, brand_id, member_id, id).await?;
    }
    view(&state.db, &order).await
}

/// The member gives up an unpaid order (closed at the gateway first; if it
/// was paid meanwhile, it is credited instead).
pub async fn give_up(
    state: &AppState,
    brand_id: i64,
    member_id: i64,
    id: i64,
) -> AppResult<TopUpOrderView> {
    let order = own_order(&state.db, brand_id, member_id, id).await?;
    if is_open(&order) {
        close(state, &order).await?;
    }
    let order = own_order(&state.db, brand_id, member_id, id).await?;
    view(&state.db, &order).await
}

/// The member (not frozen, of `brand`) pays a store when stored value does
/// not cover the bill, under the key. The stored value is held at once; the
/// rest goes to the gateway's checkout. When the gateway says paid, both
/// legs post and the store sees the receipt; if the order fails or expires,
/// the hold is released.
pub async fn pay_split(
    state: &AppState,
    brand: &brand::Model,
    member_id: i64,
    key: &IdemKey,
    req: &PaymentRequest,
) -> AppResult<TopUpOrderView> {
    // The PIN is not part of the request's identity (nor stored).
    let without_pin = PaymentRequest {
        pin: None,
        ..req.clone()
    };
    let start = Start::new(state, brand, member_id, key, &without_pin)?;
    let now = state.clock.now_ms();
    let rules = settings(&state.db, brand.id).await?;
    split_allowed(req, &rules)?;
    let write = async {
        let pin_ok = split_pin(
            state,
            &start,
            (req.amount, req.pin.as_deref(), req.use_points),
            &rules,
        )
        .await?;
        hold_split(state, &start, req, &rules, pin_ok, now).await
    };
    start.once(state, "payment", write).await
}

/// The member (not frozen, of `brand`) buys a card when stored value does
/// not cover its price, under the key: the stored value is held at once, the
/// rest goes to the gateway's checkout. When the gateway says paid, the card
/// opens funded by both (`crate::cards::sale::settle_online`); if the order
/// fails or expires, the hold is released and no card exists.
pub async fn buy_card(
    state: &AppState,
    brand: &brand::Model,
    member_id: i64,
    key: &IdemKey,
    req: &BuyCard,
) -> AppResult<TopUpOrderView> {
    // The PIN is not part of the request's identity (nor stored).
    let without_pin = BuyCard {
        pin: None,
        ..req.clone()
    };
    let start = Start::new(state, brand, member_id, key, &without_pin)?;
    let now = state.clock.now_ms();
    let rules = settings(&state.db, brand.id).await?;
    let write = async {
        let ty = crate::cards::catalogue::card_type_in_brand(&state.db, brand.id, req.card_type_id)
            .await?;
        let pin_ok = split_pin(
            state,
            &start,
            (Fen(ty.price), req.pin.as_deref(), false),
            &rules,
        )
        .await?;
        hold_card(state, &start, req.card_type_id, &rules, pin_ok, now).await
    };
    start.once(state, "card", write).await
}

/// In one transaction: the card type on sale and honoured somewhere the
/// member can be served, the member's accounts locked, the plan for the
/// price (an online part left, the PIN checked where it needs it), the
/// order inserted under the key and, if it is new, the stored value held.
async fn hold_card(
    state: &AppState,
    start: &Start<'_>,
    card_type_id: i64,
    rules: &MoneySettings,
    pin_ok: bool,
    now: i64,
) -> AppResult<()> {
    let (brand_id, member_id) = (start.brand.id, start.member_id);
    let tx = begin_write(&state.db).await?;
    let ty = crate::cards::catalogue::card_type_in_brand(&tx, brand_id, card_type_id).await?;
    if !ty.on_sale {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::CardOffSale,
        ));
    }
    let m = crate::identity::members::in_brand(&tx, brand_id, member_id).await?;
    let home = crate::cards::sale::home_for(&tx, brand_id, &m, &ty).await?;
    let shop = store_in_brand(&tx, brand_id, home).await?;
    let funds = ledger::lock_member(&tx, brand_id, member_id, now).await?;
    // A card is bought at its price: no level discount.
    let plan = split_plan(&funds, (Fen(ty.price), None, None, Bp::FULL), rules, pin_ok)?;
    let order_no = new_order_no(now);
    let order = gateway_order::ActiveModel {
        purpose: Set(OrderPurpose::Card.as_str().into()),
        card_type_id: Set(Some(ty.id)),
        ..split_order(start, &shop, &plan, &order_no, now)
    };
    insert_and_hold(tx, start, &shop, &funds, &plan, order, order_no, now).await
}

/// A split payment's request as such: an amount above zero and within
/// HQ's limit, no one-off code.
fn split_allowed(req: &PaymentRequest, rules: &MoneySettings) -> AppResult<()> {
    if !req.amount.is_positive() {
        return Err(AppError::invalid("amount", "amount_positive"));
    }
    if req.amount > rules.max_payment {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::AmountTooLarge)
                .with("max", rules.max_payment.0),
        );
    }
    if req.pay_request.is_some() {
        // One-off codes are paid from stored value only, for now.
        return Err(AppError::invalid("pay_request", "unknown"));
    }
    Ok(())
}

/// The PIN guards the stored-value part, as for any payment: checked (in
/// its own transaction) when the plan for the member's balance takes more
/// than the PIN-free limit. Whether it was checked.
async fn split_pin(
    state: &AppState,
    start: &Start<'_>,
    (amount, pin, use_points): (Fen, Option<&str>, bool),
    rules: &MoneySettings,
) -> AppResult<bool> {
    let (brand_id, member_id) = (start.brand.id, start.member_id);
    let (principal, bonus) = ledger::member_balance(&state.db, brand_id, member_id).await?;
    // Points paying part of the bill leave less for stored value.
    let policy = crate::points::policy(&state.db, brand_id).await?;
    let now = state.clock.now_ms();
    let points =
        crate::points::asked(&state.db, &policy, (brand_id, member_id), use_points, now).await?;
    let bill = Bill {
        points,
        ..Bill::plain(amount, principal, bonus)
    };
    let pin_ok = plan(&bill).stored_value() > rules.pin_above;
    if pin_ok {
        crate::stored_value::pin::check(
            state,
            member_id,
            pin,
            crate::stored_value::pin::PinFor::PaymentAbove(rules.pin_above),
        )
        .await?;
    }
    Ok(pin_ok)
}

/// The plan for `amount` with the member's funds locked: an online part
/// must be left (else there is nothing for the gateway to do), and a
/// stored-value part above the PIN-free limit needs the PIN checked
/// (`pin_ok`; the balance may have grown past the limit since the check).
fn split_plan(
    funds: &MemberFunds,
    (amount, coupon, points, level_rate): (Fen, Option<CouponChoice>, Option<PointsChoice>, Bp),
    rules: &MoneySettings,
    pin_ok: bool,
) -> AppResult<PaymentPlan> {
    let plan = plan(&Bill {
        level_rate,
        coupon,
        points,
        ..Bill::plain(amount, funds.principal, funds.bonus)
    });
    if !plan.online.is_positive() {
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict)
            .with("reason", "balance_covers"));
    }
    if plan.stored_value() > rules.pin_above && !pin_ok {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PinRequired)
                .with("above", rules.pin_above.0),
        );
    }
    Ok(plan)
}

/// Inserts `order` under the key and, if it is new, holds the plan's
/// stored-value part; then commits.
#[allow(clippy::too_many_arguments)] // the order and everything it holds, each named
async fn insert_and_hold(
    tx: WriteTx,
    start: &Start<'_>,
    shop: &store::Model,
    funds: &MemberFunds,
    plan: &PaymentPlan,
    order: gateway_order::ActiveModel,
    order_no: String,
    now: i64,
) -> AppResult<()> {
    let coupon_id = match &order.coupon_id {
        sea_orm::ActiveValue::Set(id) | sea_orm::ActiveValue::Unchanged(id) => *id,
        sea_orm::ActiveValue::NotSet => None,
    };
    if insert_order(&tx, order).await? == 0 {
        // The key's order exists: it holds what it held.
        tx.commit().await?;
        return Ok(());
    }
    let order_id = gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(start.brand.id))
        .filter(gateway_order::Column::OrderNo.eq(&order_no))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("order {order_no} not found")))?
        .id;
    if let Some(id) = coupon_id {
        // One payment takes it: the compare-and-set decides (nothing of
        // this order is kept if another payment took it first).
        if !redeem::reserve(&tx, id, order_id, plan.coupon, now).await? {
            return Err(AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::CouponNotUsable,
            )
            .with("reason", "used"));
        }
    }
    let who = (start.brand.id, start.member_id);
    let points = crate::points::hold(&tx, who, order_id, plan.points_used, now).await?;
    if plan.stored_value().is_positive() || !points.is_empty() {
        hold(&tx, start, (shop, funds, plan), points, order_no, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// In one transaction: the store open, the member's accounts locked, the
/// plan for their balance (an online part left, the PIN checked where it
/// needs it), the order inserted under the key and, if it is new, the
/// stored-value part held.
async fn hold_split(
    state: &AppState,
    start: &Start<'_>,
    req: &PaymentRequest,
    rules: &MoneySettings,
    pin_ok: bool,
    now: i64,
) -> AppResult<()> {
    let (brand_id, member_id) = (start.brand.id, start.member_id);
    let tx = begin_write(&state.db).await?;
    let shop = store_in_brand(&tx, brand_id, req.store_id).await?;
    if !shop.active {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::StoreClosed,
        ));
    }
    let funds = ledger::lock_member(&tx, brand_id, member_id, now).await?;
    // The coupon chosen, unless it is gone and the member said to pay
    // without it then; held with the stored value while the gateway leg
    // runs.
    let chosen = match req.coupon_id {
        Some(id) => match redeem::chosen(&tx, (brand_id, member_id), id, shop.id, now).await {
            Ok(c) => Some(c),
            Err(e) if req.without_coupon_if_gone && redeem::is_gone(&e) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let choice = chosen.as_ref().map(|c| c.choice);
    // The member's level: the plan's first step (their spend moves when
    // the payment settles).
    let levels = crate::levels::policy(&tx, brand_id).await?;
    let level_rate = crate::levels::standing(&tx, start.brand, member_id, &levels, now)
        .await?
        .pay_rate();
    // The points the member asked to use, read under their lock: held with
    // the stored value while the gateway leg runs.
    let policy = crate::points::policy(&tx, brand_id).await?;
    let points =
        crate::points::asked(&tx, &policy, (brand_id, member_id), req.use_points, now).await?;
    let plan = split_plan(
        &funds,
        (req.amount, choice, points, level_rate),
        rules,
        pin_ok,
    )?;
    crate::points::as_shown(req, &plan, req.coupon_id.is_some() && chosen.is_none())?;
    if let Some(c) = &chosen
        && !plan.coupon.is_positive()
    {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CouponNotUsable)
                .with("reason", "min_spend")
                .with("min", c.choice.min_spend.0),
        );
    }
    let order_no = new_order_no(now);
    let order = gateway_order::ActiveModel {
        coupon_id: Set(chosen.as_ref().map(|c| c.id)),
        ..split_order(start, &shop, &plan, &order_no, now)
    };
    insert_and_hold(tx, start, &shop, &funds, &plan, order, order_no, now).await
}

/// A split payment's order: the gateway's part as its amount, every other
/// source of the plan recorded.
fn split_order(
    start: &Start<'_>,
    shop: &store::Model,
    plan: &PaymentPlan,
    order_no: &str,
    now: i64,
) -> gateway_order::ActiveModel {
    gateway_order::ActiveModel {
        purpose: Set(PAYMENT.into()),
        amount: Set(plan.online.0),
        store_id: Set(Some(shop.id)),
        original: Set(plan.original.0),
        level_discount: Set(plan.level_discount.0),
        coupon: Set(plan.coupon.0),
        points: Set(plan.points.0),
        points_used: Set(plan.points_used),
        sv_principal: Set(plan.principal.0),
        sv_bonus: Set(plan.bonus.0),
        ..new_order(start, order_no.to_string(), now)
    }
}

/// Holds a split payment's stored-value part (principal and bonus to the
/// member's hold account) and its points (`points`' lines) under the
/// order's number.
async fn hold(
    tx: &DatabaseTransaction,
    start: &Start<'_>,
    (shop, funds, plan): (&store::Model, &MemberFunds, &PaymentPlan),
    points: Vec<Line>,
    order_no: String,
    now: i64,
) -> AppResult<()> {
    let (brand_id, member_id) = (start.brand.id, start.member_id);
    let held = plan.stored_value();
    let hold = ledger::account_id(tx, brand_id, Kind::MemberHold, member_id, now).await?;
    post_or_fail(
        tx,
        Entry {
            brand_id,
            kind: EntryKind::Hold,
            op_ref: order_no,
            store_id: Some(shop.id),
            member_id: Some(member_id),
            member_delta: -held,
            member_balance_after: Some(Fen::ZERO),
            actor: format!("member:{member_id}"),
            business_date: ledger::business_date(&start.brand.time_zone, now),
            at: now,
            lines: [
                Line::fen(funds.principal_account, -plan.principal),
                Line::fen(funds.bonus_account, -plan.bonus),
                Line::fen(hold, held),
            ]
            .into_iter()
            .chain(points)
            .collect(),
        },
    )
    .await?;
    Ok(())
}

/// A fresh order of the member under the key: created now, expiring after
/// [`ORDER_TTL_MS`], nothing paid, refunded or held.
fn new_order(start: &Start<'_>, order_no: String, now: i64) -> gateway_order::ActiveModel {
    gateway_order::ActiveModel {
        brand_id: Set(start.brand.id),
        member_id: Set(start.member_id),
        order_no: Set(order_no),
        idem_key: Set(start.key.0.clone()),
        body_hash: Set(start.hash.clone()),
        bonus: Set(0),
        plan_id: Set(None),
        state: Set(shared::dto::OrderState::Created.as_str().into()),
        txn_id: Set(None),
        checkout_url: Set(None),
        created_at: Set(now),
        expires_at: Set(now + ORDER_TTL_MS),
        paid_at: Set(None),
        closed_at: Set(None),
        last_query_at: Set(None),
        late: Set(false),
        refunded: Set(0),
        store_id: Set(None),
        original: Set(0),
        sv_principal: Set(0),
        sv_bonus: Set(0),
        payment_id: Set(None),
        level_discount: Set(0),
        coupon: Set(0),
        points: Set(0),
        points_used: Set(0),
        card_type_id: Set(None),
        coupon_id: Set(None),
        ..Default::default()
    }
}

/// Inserts an order unless the member already has one under its
/// idempotency key; 1 if inserted.
async fn insert_order(
    conn: &impl ConnectionTrait,
    order: gateway_order::ActiveModel,
) -> AppResult<u64> {
    Ok(gateway_order::Entity::insert(order)
        .on_conflict(
            OnConflict::columns([
                gateway_order::Column::BrandId,
                gateway_order::Column::MemberId,
                gateway_order::Column::IdemKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?)
}

fn new_order_no(now: i64) -> String {
    format!(
        "TK{}{}",
        crate::clock::to_utc(now).format("%Y%m%d"),
        &uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase()
    )
}
