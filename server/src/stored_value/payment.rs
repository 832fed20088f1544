//! Paying a store from stored value (DESIGN.md "The store pay code and
//! payment"): the price plan decides what each source pays; the payment,
//! the one-off code it settles and its ledger entry are one transaction
//! under the request's idempotency key. Payments arriving
//! together are booked in batches ([`super::batch`]) with the same plan.
//! A split payment's row and entry are booked by [`settle_split`] when
//! `crate::gateway_orders` hears its gateway leg was paid.

use super::batch::PayJob;
use super::settings::settings;
use super::{pin, positive, posted, unprocessable};
use crate::auth::{MemberCaller, digest};
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::coupons::redeem;
use crate::db::lock_key;
use crate::entity::{brand, pay_request, payment};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger::post_or_fail;
use crate::ledger::{self, Entry, Kind};
use crate::levels;
use crate::points;
use crate::state::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use shared::ErrorCode;
use shared::dto::EntryKind;
use shared::dto::{MoneySettings, PayRequestState, PaymentReceipt, PaymentRequest};
use shared::money::{Bp, Fen};
use shared::plan::{Bill, PaymentPlan, plan};

/// How long a one-off pay code can be paid.
pub const PAY_REQUEST_TTL_MS: i64 = 10 * 60 * 1000;

/// Where a one-off code stands at `now`.
pub fn pay_request_state(r: &pay_request::Model, now: i64) -> PayRequestState {
    match PayRequestState::parse(&r.state) {
        Some(PayRequestState::Paid) => PayRequestState::Paid,
        _ if now > r.expires_at => PayRequestState::Expired,
        _ => PayRequestState::Open,
    }
}

/// Who pays: the member and their brand.
pub struct Payer {
    /// The brand.
    pub brand: brand::Model,
    /// The member.
    pub member_id: i64,
}

/// Pays a store for the member behind `token`: batched where it can be,
/// else the PIN first where HQ asks for it, then [`book`] under the key.
pub async fn pay(
    state: &AppState,
    token: &str,
    key: IdemKey,
    req: PaymentRequest,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    // An ordinary payment is booked together with the others
    // arriving at the same time (`pay_batch`), which also looks the member
    // up; whatever the batch hands back (a refusal to give, a PIN to check,
    // a one-off code, a key seen before, a session to refuse) goes the
    // ordinary way below. The PIN is not part of the request's identity (nor
    // stored).
    if req.pay_request.is_none()
        && req.coupon_id.is_none()
        && !req.use_points
        && req.amount.is_positive()
        && req.payable_expected.is_none_or(|p| p == req.amount)
    {
        let job = PayJob {
            token_hash: digest(token),
            store_id: req.store_id,
            amount: req.amount,
            key: key.0.clone(),
            body_hash: idempotency::body_hash(&PaymentRequest {
                pin: None,
                ..req.clone()
            })?,
            now,
        };
        // The receipt is sent as recorded, not serialised again.
        if let Some(receipt) = state.pay_batch.pay(job).await {
            let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
            return Ok((StatusCode::CREATED, json, receipt).into_response());
        }
    }
    let caller = MemberCaller::by_token(state, token).await?.active()?;
    let scope = Scope {
        brand_id: caller.brand.id,
        caller: format!("member:{}", caller.member.id),
        route: "payment",
    };
    let brand = caller.brand.clone();
    let member_id = caller.member.id;
    // Above HQ's PIN-free limit the PIN is checked first, in its own
    // transaction, so wrong guesses count even though the payment is then
    // refused. It is asked for only when the payment could go through
    // (a valid amount the member can cover); the payment itself refuses any
    // PIN-less payment above the limit.
    let rules = settings(&state.db, brand.id).await?;
    let mut pin_ok = false;
    if needs_pin(&state.db, (&brand, member_id), &req, &rules, now).await? {
        // A retry of a payment that went through gets its receipt, even
        // with the PIN locked since.
        let body = PaymentRequest {
            pin: None,
            ..req.clone()
        };
        if let Some(answer) = idempotency::recorded(&state.db, &scope, &key, &body).await? {
            return Ok(answer);
        }
        pin::check(
            state,
            member_id,
            req.pin.as_deref(),
            pin::PinFor::PaymentAbove(rules.pin_above),
        )
        .await?;
        pin_ok = true;
    }
    // The PIN is not part of the request's identity (nor stored).
    let req = PaymentRequest { pin: None, ..req };
    let body = req.clone();
    let payer = Payer { brand, member_id };
    idempotency::run(&state.db, scope, key, &body, now, move |tx, _| {
        Box::pin(async move { book(tx, &payer, &req, &rules, pin_ok, now).await })
    })
    .await
}

/// Whether HQ's PIN rule asks for the member's PIN before `req` is booked:
/// what stored value would pay (the coupon and the points, as they stand
/// now, counted off: the plan [`book`] makes) is above the PIN-free limit, and the payment could go through (a valid
/// amount the member's stored value covers). The payment itself refuses
/// any PIN-less payment above the limit.
pub async fn needs_pin(
    conn: &impl sea_orm::ConnectionTrait,
    (brand, member_id): (&crate::entity::brand::Model, i64),
    req: &PaymentRequest,
    rules: &MoneySettings,
    now: i64,
) -> AppResult<bool> {
    let brand_id = brand.id;
    let coupon = match req.coupon_id {
        Some(id) => redeem::chosen(conn, (brand_id, member_id), id, req.store_id, now)
            .await
            .ok()
            .map(|c| c.choice),
        None => None,
    };
    let points = if req.use_points {
        let policy = points::policy(conn, brand_id).await?;
        points::choice(
            &policy,
            points::usable(conn, brand_id, member_id, now).await?,
        )
    } else {
        None
    };
    let levels = levels::policy(conn, brand_id).await?;
    let level_rate = levels::standing(conn, brand, member_id, &levels, now)
        .await?
        .pay_rate();
    let bill = |principal, bonus| Bill {
        level_rate,
        coupon,
        points,
        ..Bill::plain(req.amount, principal, bonus)
    };
    let payable = plan(&bill(Fen::ZERO, Fen::ZERO)).payable();
    if !(req.amount.is_positive() && req.amount <= rules.max_payment && payable > rules.pin_above) {
        return Ok(false);
    }
    let (principal, bonus) = ledger::member_balance(conn, brand_id, member_id).await?;
    Ok(!plan(&bill(principal, bonus)).online.is_positive())
}

/// Books a payment in `tx`: the store open and the brand's, a one-off code
/// still open and for this amount, the plan covered by stored value, the
/// PIN checked where the plan needs it (`pin_ok`); then the payment row,
/// the code marked paid and the ledger entry.
pub async fn book(
    tx: &DatabaseTransaction,
    payer: &Payer,
    req: &PaymentRequest,
    rules: &MoneySettings,
    pin_ok: bool,
    now: i64,
) -> AppResult<PaymentReceipt> {
    let amount = positive(req.amount)?;
    // Read just before the transaction (one statement fewer inside it).
    if amount > rules.max_payment {
        return Err(unprocessable(ErrorCode::AmountTooLarge).with("max", rules.max_payment.0));
    }
    let shop = store_in_brand(tx, payer.brand.id, req.store_id).await?;
    if !shop.active {
        return Err(unprocessable(ErrorCode::StoreClosed));
    }
    // A one-off pay code fixes the store and amount and is paid once.
    let one_off = match &req.pay_request {
        Some(token) => {
            lock_key(tx, &format!("pay-request:{token}")).await?;
            let r = pay_request::Entity::find()
                .filter(pay_request::Column::BrandId.eq(payer.brand.id))
                .filter(pay_request::Column::Token.eq(token))
                .one(tx)
                .await?
                .ok_or_else(|| AppError::invalid("pay_request", "unknown"))?;
            if pay_request_state(&r, now) != PayRequestState::Open {
                return Err(unprocessable(ErrorCode::PayCodeUsed));
            }
            if r.store_id != shop.id || r.amount != amount.0 {
                return Err(AppError::invalid("amount", "pay_code_amount"));
            }
            Some(r.id)
        }
        None => None,
    };
    let funds = ledger::lock_member(tx, payer.brand.id, payer.member_id, now).await?;
    let who = (payer.brand.id, payer.member_id);
    // Points read under the member's lock: what they may pay of the bill.
    let policy = points::policy(tx, payer.brand.id).await?;
    // The member's level, under the same lock: the plan's first step and
    // the points multiplier; the payment's money then counts toward it.
    let levels = levels::policy(tx, payer.brand.id).await?;
    let standing = levels::standing(tx, &payer.brand, payer.member_id, &levels, now).await?;
    let points_choice = points::asked(tx, &policy, who, req.use_points, now).await?;
    // The coupon chosen, unless it is gone and the member said to pay
    // without it then.
    let mut chosen = match req.coupon_id {
        Some(id) => {
            match redeem::chosen(tx, (payer.brand.id, payer.member_id), id, shop.id, now).await {
                Ok(c) => Some(c),
                Err(e) if req.without_coupon_if_gone && redeem::is_gone(&e) => None,
                Err(e) => return Err(e),
            }
        }
        None => None,
    };
    let bill = |coupon: Option<&redeem::Chosen>| Bill {
        level_rate: standing.pay_rate(),
        coupon: coupon.map(|c| c.choice),
        points: points_choice,
        ..Bill::plain(amount, funds.principal, funds.bonus)
    };
    let mut plan = plan(&bill(chosen.as_ref()));
    if let Some(c) = &chosen {
        if !plan.coupon.is_positive() {
            return Err(unprocessable(ErrorCode::CouponNotUsable)
                .with("reason", "min_spend")
                .with("min", c.choice.min_spend.0));
        }
        // One payment takes it: the compare-and-set decides.
        if !redeem::take(tx, c.id, plan.coupon, now).await? {
            if !req.without_coupon_if_gone {
                return Err(unprocessable(ErrorCode::CouponNotUsable).with("reason", "used"));
            }
            chosen = None;
            plan = shared::plan::plan(&bill(None));
        }
    }
    // What the member was shown, or nothing moves (the app shows the new
    // figure and asks again).
    points::as_shown(req, &plan, req.coupon_id.is_some() && chosen.is_none())?;
    if plan.online.is_positive() {
        return Err(unprocessable(ErrorCode::InsufficientBalance).with("balance", funds.total().0));
    }
    if plan.stored_value() > rules.pin_above && !pin_ok {
        return Err(unprocessable(ErrorCode::PinRequired).with("above", rules.pin_above.0));
    }
    // The store is credited the bonus part at HQ's settlement rate;
    // the brand keeps the rest.
    let settled = plan.bonus_settled(Bp(rules.bonus_settle_bp));
    let earned = points::earned_by(&policy, &plan, &standing);
    let level_up = levels::add_spend(tx, who, plan.payable(), &levels, &standing).await?;
    let p = payment::ActiveModel {
        points_earned: Set(earned),
        ..payment::ActiveModel::booked(
            [payer.brand.id, shop.id, payer.member_id],
            &plan,
            settled,
            None,
            now,
        )
    }
    .insert(tx)
    .await?;
    crate::invites::paid(tx, &p, now).await?;
    if let Some(c) = &chosen {
        redeem::link(tx, c.id, p.id).await?;
    }
    if plan.points_used > 0 {
        points::spend(tx, who, p.id, plan.points_used, now).await?;
    }
    let expires = points::expires_at(&policy, &payer.brand.time_zone, now);
    let earn_lines = points::earn(tx, who, Some(p.id), earned, expires, now).await?;
    let points_accounts = if plan.points_used > 0 {
        Some(points::payment_accounts(tx, who.0, who.1, now).await?)
    } else {
        None
    };
    if let Some(id) = one_off {
        let used = pay_request::Entity::update_many()
            .col_expr(
                pay_request::Column::State,
                Expr::value(shared::dto::PayRequestState::Paid.as_str()),
            )
            .col_expr(pay_request::Column::PaymentId, Expr::value(p.id))
            .filter(pay_request::Column::Id.eq(id))
            .filter(pay_request::Column::State.eq(shared::dto::PayRequestState::Open.as_str()))
            .exec(tx)
            .await?;
        if used.rows_affected != 1 {
            return Err(unprocessable(ErrorCode::PayCodeUsed));
        }
    }
    let ids = ledger::account_ids(
        tx,
        payer.brand.id,
        &[
            (Kind::StoreWallet, shop.id),
            (Kind::BonusIncome, 0),
            (Kind::PromotionExpense, 0),
        ],
        now,
    )
    .await?;
    let (wallet, income, promotion) = (ids[0], ids[1], ids[2]);
    let after = funds.total() - plan.stored_value();
    let accounts = ledger::PaymentAccounts {
        stored: ledger::StoredFrom::Accounts {
            principal: funds.principal_account,
            bonus: funds.bonus_account,
        },
        wallet,
        income,
        gateway: None,
        promotion: Some(promotion),
        points: points_accounts,
    };
    let mut lines = ledger::payment_lines(&accounts, &plan, settled)
        .map_err(|m| AppError::Internal(anyhow::anyhow!("payment needs {m:?}")))?;
    lines.extend(earn_lines);
    let lines = ledger::merged(lines);
    posted(
        ledger::post(
            tx,
            Entry {
                brand_id: payer.brand.id,
                kind: EntryKind::Payment,
                op_ref: p.id.to_string(),
                store_id: Some(shop.id),
                member_id: Some(payer.member_id),
                member_delta: -plan.stored_value(),
                member_balance_after: Some(after),
                actor: format!("member:{}", payer.member_id),
                business_date: ledger::business_date(&payer.brand.time_zone, now),
                at: now,
                lines,
            },
        )
        .await,
    )?;
    Ok(PaymentReceipt {
        payment_id: p.id,
        store_id: shop.id,
        store_name: shop.name,
        quote: plan.quote(),
        coupon: plan.coupon,
        points_off: plan.points,
        points_used: plan.points_used,
        points_earned: earned,
        level_up,
        principal: plan.principal,
        bonus: plan.bonus,
        balance_after: after,
        at: rfc3339(now),
        channel_url: rules.channel_url.clone(),
    })
}

/// Settles a split payment in `tx` once the gateway says its online part
/// (gateway order `order_id`, under that order's lock) was paid: the
/// payment row with every source of `plan`, and its ledger entry from
/// `ledger::payment_lines`: the held stored value and the gateway's money
/// to the store's wallet, the bonus part at HQ's settlement rate. The
/// member's balance went down when the value was held, so the entry moves
/// no member balance; the hold's debit is guarded like any other. Answers
/// the payment's id.
pub async fn settle_split(
    tx: &DatabaseTransaction,
    payer: &Payer,
    store_id: i64,
    plan: &PaymentPlan,
    order_id: i64,
    now: i64,
) -> AppResult<i64> {
    let (brand_id, member_id) = (payer.brand.id, payer.member_id);
    let rules = settings(tx, brand_id).await?;
    let settled = plan.bonus_settled(Bp(rules.bonus_settle_bp));
    // Earned on the whole of the member's own money, online part included,
    // under the member's lock (their spend moves, what they owe may be
    // repaid).
    ledger::lock_member(tx, brand_id, member_id, now).await?;
    let policy = points::policy(tx, brand_id).await?;
    let levels = levels::policy(tx, brand_id).await?;
    let standing = levels::standing(tx, &payer.brand, member_id, &levels, now).await?;
    let earned = points::earned_by(&policy, plan, &standing);
    levels::add_spend(
        tx,
        (brand_id, member_id),
        plan.payable(),
        &levels,
        &standing,
    )
    .await?;
    let p = payment::ActiveModel {
        points_earned: Set(earned),
        ..payment::ActiveModel::booked(
            [brand_id, store_id, member_id],
            plan,
            settled,
            Some(order_id),
            now,
        )
    }
    .insert(tx)
    .await?;
    crate::invites::paid(tx, &p, now).await?;
    let expires = points::expires_at(&policy, &payer.brand.time_zone, now);
    let earn_lines =
        points::earn(tx, (brand_id, member_id), Some(p.id), earned, expires, now).await?;
    // The points the order held are the payment's spends: from the
    // member's points held to the brand's points redeemed.
    let points_accounts = if plan.points_used > 0 {
        points::settle_hold(tx, order_id, p.id, plan.points_used, now).await?;
        let [_, redeemed] = points::payment_accounts(tx, brand_id, member_id, now).await?;
        let held = ledger::account_id(tx, brand_id, Kind::MemberPointsHold, member_id, now).await?;
        Some([held, redeemed])
    } else {
        None
    };
    let hold = ledger::account_id(tx, brand_id, Kind::MemberHold, member_id, now).await?;
    let clearing = ledger::account_id(tx, brand_id, Kind::GatewayClearing, 0, now).await?;
    let wallet = ledger::account_id(tx, brand_id, Kind::StoreWallet, store_id, now).await?;
    let income = ledger::account_id(tx, brand_id, Kind::BonusIncome, 0, now).await?;
    let promotion = ledger::account_id(tx, brand_id, Kind::PromotionExpense, 0, now).await?;
    let accounts = ledger::PaymentAccounts {
        stored: ledger::StoredFrom::Hold(hold),
        wallet,
        income,
        gateway: Some(clearing),
        promotion: Some(promotion),
        points: points_accounts,
    };
    let mut lines = ledger::payment_lines(&accounts, plan, settled)
        .map_err(|m| AppError::Internal(anyhow::anyhow!("split payment needs {m:?}")))?;
    lines.extend(earn_lines);
    post_or_fail(
        tx,
        Entry {
            brand_id,
            kind: EntryKind::Payment,
            op_ref: p.id.to_string(),
            store_id: Some(store_id),
            // The member's payment (their message, the 日结 CSV's member),
            // though their stored value moved at the hold.
            member_id: Some(member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: format!("member:{member_id}"),
            business_date: ledger::business_date(&payer.brand.time_zone, now),
            at: now,
            lines,
        },
    )
    .await?;
    Ok(p.id)
}
