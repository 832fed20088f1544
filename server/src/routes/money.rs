//! Stored value: counter top-ups, paying a store, refunds, balance and
//! history. Every movement goes through `ledger::post` inside
//! `idempotency::run`.

use crate::audit;
use crate::auth::{AnyStaff, MemberCaller, MemberToken, StaffCaller, digest};
use crate::clock::rfc3339;
use crate::db::lock_key;
use crate::entity::{gateway_order, journal_entry, member, pay_request, payment};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult, unknown_as};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger::{self, Entry, Kind, Line, PostError};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::pay_batch::PayJob;
use crate::routes::Api;
use crate::routes::chain::store_in_brand;
use crate::routes::money_settings::{plan_bonus, settings, within_cap};
use crate::state::AppState;
use crate::topup_orders;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::ErrorCode;
use shared::api;
use shared::dto::HistoryQuery;
use shared::dto::PhoneQuery;
use shared::dto::{
    BalanceView, CloseStoredValue, CounterTopUp, HistoryItem, MemberMoney, Page, PayRequestState,
    PaymentReceipt, PaymentRequest, RefundReceipt, RefundRequest, Role, StoredValueClosed,
    TopUpReceipt,
};
use shared::money::{Bp, Fen};
use shared::plan::{Bill, RefundRefused, plan, refund_plan};
use shared::validate::{self, mask_phone};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::MemberBalance, balance)
        .at(api::Pay, pay)
        .at(api::MemberHistory, history)
        .at(api::TopUpAtCounter, counter_topup)
        .at(api::RefundPayment, refund)
        .at(api::CloseMemberStoredValue, close_stored_value)
        .at(api::MemberMoneyByPhone, member_money)
}

pub(crate) fn positive(amount: Fen) -> AppResult<Fen> {
    if amount.is_positive() {
        Ok(amount)
    } else {
        Err(AppError::invalid("amount", "amount_positive"))
    }
}

fn unprocessable(code: ErrorCode) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
}

fn posted(r: Result<i64, PostError>) -> AppResult<i64> {
    match r {
        Ok(id) => Ok(id),
        // The guard behind the locked read: should never fire, but if it does
        // the member simply does not have the money.
        Err(PostError::Overdrawn) => {
            Err(unprocessable(ErrorCode::InsufficientBalance).with("balance", 0))
        }
        Err(PostError::Db(e)) => Err(e.into()),
    }
}

/// Member: their stored value.
async fn balance(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<BalanceView>> {
    let (principal, bonus) =
        ledger::member_balance(&state.db, caller.brand.id, caller.member.id).await?;
    let rules = settings(&state.db, caller.brand.id).await?;
    Ok(Json(BalanceView {
        principal,
        bonus,
        total: principal + bonus,
        max_balance: rules.max_balance,
        pin_set: super::pin::is_set(&state.db, caller.member.id).await?,
        pin_above: rules.pin_above,
    }))
}

/// Member (not frozen): pay a store of their brand from stored value,
/// principal first, then bonus.
async fn pay(
    State(state): State<AppState>,
    token: MemberToken,
    key: IdemKey,
    AppJson(req): AppJson<PaymentRequest>,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    // On PostgreSQL an ordinary payment is booked together with the others
    // arriving at the same time (`pay_batch`), which also looks the member
    // up; whatever the batch hands back (a refusal to give, a PIN to check,
    // a one-off code, a key seen before, a session to refuse) goes the
    // ordinary way below. The PIN is not part of the request's identity (nor
    // stored).
    if let Some(batch) = &state.pay_batch
        && req.pay_request.is_none()
        && req.amount.is_positive()
    {
        let job = PayJob {
            token_hash: digest(&token.0),
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
        if let Some(receipt) = batch.pay(job).await {
            let json = [(axum::http::header::CONTENT_TYPE, "application/json")];
            return Ok((StatusCode::CREATED, json, receipt).into_response());
        }
    }
    let caller = MemberCaller::by_token(&state, &token.0).await?.active()?;
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
    let payable = plan(&Bill::plain(req.amount, Fen::ZERO, Fen::ZERO)).payable();
    if req.amount.is_positive() && req.amount <= rules.max_payment && payable > rules.pin_above {
        let (principal, bonus) = ledger::member_balance(&state.db, brand.id, member_id).await?;
        if !plan(&Bill::plain(req.amount, principal, bonus))
            .online
            .is_positive()
        {
            // A retry of a payment that went through gets its receipt, even
            // with the PIN locked since.
            let body = PaymentRequest {
                pin: None,
                ..req.clone()
            };
            if let Some(answer) = idempotency::recorded(&state.db, &scope, &key, &body).await? {
                return Ok(answer);
            }
            super::pin::check(&state, member_id, req.pin.as_deref(), rules.pin_above).await?;
            pin_ok = true;
        }
    }
    // The PIN is not part of the request's identity (nor stored).
    let req = PaymentRequest { pin: None, ..req };
    let body = req.clone();
    idempotency::run(&state.db, scope, key, &body, now, move |tx, _| {
        Box::pin(async move {
            let amount = positive(req.amount)?;
            // Read just before the transaction (one statement fewer inside it).
            if amount > rules.max_payment {
                return Err(
                    unprocessable(ErrorCode::AmountTooLarge).with("max", rules.max_payment.0)
                );
            }
            let shop = store_in_brand(tx, brand.id, req.store_id).await?;
            if !shop.active {
                return Err(unprocessable(ErrorCode::StoreClosed));
            }
            // A one-off pay code fixes the store and amount and is paid once.
            let one_off = match &req.pay_request {
                Some(token) => {
                    lock_key(tx, &format!("pay-request:{token}")).await?;
                    let r = pay_request::Entity::find()
                        .filter(pay_request::Column::BrandId.eq(brand.id))
                        .filter(pay_request::Column::Token.eq(token))
                        .one(tx)
                        .await?
                        .ok_or_else(|| AppError::invalid("pay_request", "unknown"))?;
                    if super::pay_code::pay_request_state(&r, now) != PayRequestState::Open {
                        return Err(unprocessable(ErrorCode::PayCodeUsed));
                    }
                    if r.store_id != shop.id || r.amount != amount.0 {
                        return Err(AppError::invalid("amount", "pay_code_amount"));
                    }
                    Some(r.id)
                }
                None => None,
            };
            let funds = ledger::lock_member(tx, brand.id, member_id, now).await?;
            let plan = plan(&Bill::plain(amount, funds.principal, funds.bonus));
            if plan.online.is_positive() {
                return Err(
                    unprocessable(ErrorCode::InsufficientBalance).with("balance", funds.total().0)
                );
            }
            if plan.stored_value() > rules.pin_above && !pin_ok {
                return Err(unprocessable(ErrorCode::PinRequired).with("above", rules.pin_above.0));
            }
            // The store is credited the bonus part at HQ's settlement rate;
            // the brand keeps the rest.
            let settled = plan.bonus_settled(Bp(rules.bonus_settle_bp));
            let p = payment::ActiveModel::booked(
                [brand.id, shop.id, member_id],
                &plan,
                settled,
                None,
                now,
            )
            .insert(tx)
            .await?;
            if let Some(id) = one_off {
                let used = pay_request::Entity::update_many()
                    .col_expr(
                        pay_request::Column::State,
                        Expr::value(shared::dto::PayRequestState::Paid.as_str()),
                    )
                    .col_expr(pay_request::Column::PaymentId, Expr::value(p.id))
                    .filter(pay_request::Column::Id.eq(id))
                    .filter(
                        pay_request::Column::State.eq(shared::dto::PayRequestState::Open.as_str()),
                    )
                    .exec(tx)
                    .await?;
                if used.rows_affected != 1 {
                    return Err(unprocessable(ErrorCode::PayCodeUsed));
                }
            }
            let ids = ledger::account_ids(
                tx,
                brand.id,
                &[(Kind::StoreWallet, shop.id), (Kind::BonusIncome, 0)],
                now,
            )
            .await?;
            let (wallet, income) = (ids[0], ids[1]);
            let after = funds.total() - plan.stored_value();
            let accounts = ledger::PaymentAccounts {
                stored: ledger::StoredFrom::Accounts {
                    principal: funds.principal_account,
                    bonus: funds.bonus_account,
                },
                wallet,
                income,
                gateway: None,
                promotion: None,
                points: None,
            };
            let lines = ledger::payment_lines(&accounts, &plan, settled)
                .map_err(|m| AppError::Internal(anyhow::anyhow!("payment needs {m:?}")))?;
            posted(
                ledger::post(
                    tx,
                    Entry {
                        brand_id: brand.id,
                        kind: "payment",
                        op_ref: p.id.to_string(),
                        store_id: Some(shop.id),
                        member_id: Some(member_id),
                        member_delta: -plan.stored_value(),
                        member_balance_after: Some(after),
                        actor: format!("member:{member_id}"),
                        business_date: ledger::business_date(&brand.time_zone, now),
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
                principal: plan.principal,
                bonus: plan.bonus,
                balance_after: after,
                at: rfc3339(now),
                channel_url: rules.channel_url,
            })
        })
    })
    .await
}

/// Clerk or store manager: top a member up at the counter (cash or card
/// taken by the store); counts toward that store.
async fn counter_topup(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    key: IdemKey,
    AppJson(req): AppJson<CounterTopUp>,
) -> AppResult<Response> {
    let store_id = match (caller.role, caller.staff.store_id) {
        (Role::Clerk | Role::StoreManager, Some(id)) => id,
        _ => return Err(AppError::forbidden()),
    };
    let now = state.clock.now_ms();
    let scope = Scope {
        brand_id: caller.brand.id,
        caller: format!("staff:{}", caller.staff.id),
        route: "topup",
    };
    let brand = caller.brand.clone();
    let staff_id = caller.staff.id;
    let body = req.clone();
    idempotency::run(&state.db, scope, key, &body, now, move |tx, op_id| {
        Box::pin(async move {
            let phone = validate::phone(&req.member_phone)
                .map_err(|r| AppError::invalid("member_phone", r))?;
            let amount = positive(req.amount)?;
            let rules = settings(tx, brand.id).await?;
            // A plan fixes the price and adds its bonus; without one the
            // amount is custom, if HQ allows that.
            let bonus = plan_bonus(tx, brand.id, req.plan_id, amount, &rules).await?;
            let shop = store_in_brand(tx, brand.id, store_id).await?;
            if !shop.active {
                return Err(unprocessable(ErrorCode::StoreClosed));
            }
            let m = member::Entity::find()
                .filter(member::Column::BrandId.eq(brand.id))
                .filter(member::Column::Phone.eq(&phone))
                .one(tx)
                .await?
                .ok_or_else(AppError::not_found)?;
            if m.frozen {
                return Err(AppError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::MemberFrozen,
                ));
            }
            // The cash taken counts against what the store may withdraw:
            // the wallet's lock (before the member's, as refunds take them).
            lock_key(tx, &format!("wallet:{}", shop.id)).await?;
            let funds = ledger::lock_member(tx, brand.id, m.id, now).await?;
            let after = within_cap(funds.total(), amount, bonus, &rules)?;
            let expense = ledger::account_id(tx, brand.id, Kind::PromotionExpense, 0, now).await?;
            let clearing =
                ledger::account_id(tx, brand.id, Kind::CounterClearing, shop.id, now).await?;
            let entry_id = posted(
                ledger::post(
                    tx,
                    Entry {
                        brand_id: brand.id,
                        kind: "topup",
                        op_ref: format!("counter:{op_id}"),
                        store_id: Some(shop.id),
                        member_id: Some(m.id),
                        member_delta: amount + bonus,
                        member_balance_after: Some(after),
                        actor: format!("staff:{staff_id}"),
                        business_date: ledger::business_date(&brand.time_zone, now),
                        at: now,
                        lines: vec![
                            Line::fen(clearing, -amount),
                            Line::fen(funds.principal_account, amount),
                            Line::fen(expense, -bonus),
                            Line::fen(funds.bonus_account, bonus),
                        ],
                    },
                )
                .await,
            )?;
            Ok(TopUpReceipt {
                entry_id,
                member_id: m.id,
                member_phone_masked: mask_phone(&m.phone),
                amount,
                bonus,
                balance_after: after,
                at: rfc3339(now),
            })
        })
    })
    .await
}

/// The payment's store manager, HQ admin or HQ finance: refund part or all
/// of a payment, split over principal and bonus by largest remainder.
async fn refund(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(payment_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<RefundRequest>,
) -> AppResult<Response> {
    if !matches!(
        caller.role,
        Role::StoreManager | Role::HqAdmin | Role::HqFinance
    ) {
        return Err(AppError::forbidden());
    }
    let now = state.clock.now_ms();
    let scope = Scope {
        brand_id: caller.brand.id,
        caller: format!("staff:{}", caller.staff.id),
        route: "refund",
    };
    let brand = caller.brand.clone();
    let (role, staff_id, own_store) = (caller.role, caller.staff.id, caller.staff.store_id);
    idempotency::run(
        &state.db,
        scope,
        key,
        &(payment_id, &req),
        now,
        move |tx, _| {
            Box::pin(async move {
                let amount = positive(req.amount)?;
                lock_key(tx, &format!("payment:{payment_id}")).await?;
                let p = payment::Entity::find_by_id(payment_id)
                    .filter(payment::Column::BrandId.eq(brand.id))
                    .one(tx)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                if role == Role::StoreManager && own_store != Some(p.store_id) {
                    return Err(AppError::not_found());
                }
                // Principal and bonus back to stored value, the gateway part
                // back the way it came; the store gives back what it was
                // credited, cumulatively, so a full refund takes back exactly
                // what the payment gave it.
                let back = refund_plan(&p.plan(), Fen(p.bonus_settled), &p.refunded(), amount)
                    .map_err(|refused| match refused {
                        RefundRefused::TooLarge(refundable) => {
                            unprocessable(ErrorCode::RefundTooLarge)
                                .with("refundable", refundable.0)
                        }
                        RefundRefused::NotPositive => {
                            AppError::invalid("amount", "amount_positive")
                        }
                    })?;
                let (to_principal, to_bonus, to_gateway) =
                    (back.principal, back.bonus, back.online);
                let from_store = back.from_store();
                let wallet =
                    ledger::account_id(tx, brand.id, Kind::StoreWallet, p.store_id, now).await?;
                let income = ledger::account_id(tx, brand.id, Kind::BonusIncome, 0, now).await?;
                lock_key(tx, &format!("wallet:{}", p.store_id)).await?;
                let available = ledger::summed_balance(tx, wallet).await?;
                if role == Role::StoreManager && available < from_store {
                    return Err(
                        AppError::new(StatusCode::CONFLICT, ErrorCode::WalletShortfall)
                            .with("available", available.0),
                    );
                }
                let moved = payment::Entity::update_many()
                    .col_expr(
                        payment::Column::RefundedPrincipal,
                        Expr::value(p.refunded_principal + to_principal.0),
                    )
                    .col_expr(
                        payment::Column::RefundedBonus,
                        Expr::value(p.refunded_bonus + to_bonus.0),
                    )
                    .col_expr(
                        payment::Column::RefundedGateway,
                        Expr::value(p.refunded_gateway + to_gateway.0),
                    )
                    .col_expr(
                        payment::Column::RefundedPoints,
                        Expr::value(p.refunded_points + back.points),
                    )
                    .filter(payment::Column::Id.eq(p.id))
                    .filter(payment::Column::RefundedGateway.eq(p.refunded_gateway))
                    .filter(payment::Column::RefundedPrincipal.eq(p.refunded_principal))
                    .filter(payment::Column::RefundedBonus.eq(p.refunded_bonus))
                    .exec(tx)
                    .await?;
                if moved.rows_affected != 1 {
                    return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict));
                }
                let funds = ledger::lock_member(tx, brand.id, p.member_id, now).await?;
                let back_to_member = to_principal + to_bonus;
                let after = funds.total() + back_to_member;
                let refunded_total = back.refunded_total;
                if to_gateway.is_positive() {
                    let order_id = p.gateway_order_id.ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!(
                            "payment {} has a gateway part but no order",
                            p.id
                        ))
                    })?;
                    let order = gateway_order::Entity::find_by_id(order_id)
                        .one(tx)
                        .await?
                        .ok_or_else(|| {
                            AppError::Internal(anyhow::anyhow!("gateway order {order_id} missing"))
                        })?;
                    topup_orders::queue_refund(tx, &order, to_gateway.0, "payment_refund", now)
                        .await?;
                }
                let gateway =
                    ledger::account_id(tx, brand.id, Kind::GatewayClearing, 0, now).await?;
                let accounts = ledger::PaymentAccounts {
                    stored: ledger::StoredFrom::Accounts {
                        principal: funds.principal_account,
                        bonus: funds.bonus_account,
                    },
                    wallet,
                    income,
                    gateway: Some(gateway),
                    promotion: None,
                    points: None,
                };
                let lines = ledger::refund_lines(&accounts, &back)
                    .map_err(|m| AppError::Internal(anyhow::anyhow!("refund needs {m:?}")))?;
                let entry_id = posted(
                    ledger::post(
                        tx,
                        Entry {
                            brand_id: brand.id,
                            kind: "refund",
                            op_ref: format!("{}:{}", p.id, refunded_total.0),
                            store_id: Some(p.store_id),
                            member_id: Some(p.member_id),
                            member_delta: back_to_member,
                            member_balance_after: Some(after),
                            actor: format!("staff:{staff_id}"),
                            business_date: ledger::business_date(&brand.time_zone, now),
                            at: now,
                            lines,
                        },
                    )
                    .await,
                )?;
                Ok(RefundReceipt {
                    entry_id,
                    payment_id: p.id,
                    amount,
                    principal: to_principal,
                    gateway: to_gateway,
                    bonus: to_bonus,
                    refunded_total,
                    at: rfc3339(now),
                })
            })
        },
    )
    .await
}

/// Store manager (their store) or HQ (naming the store): close a member's
/// stored value (退卡). The principal goes back the way counter top-ups came
/// (cash at that store); the unspent bonus is clawed back.
async fn close_stored_value(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(member_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<CloseStoredValue>,
) -> AppResult<Response> {
    let store_id = match (caller.role, caller.staff.store_id, req.store_id) {
        (Role::StoreManager, Some(own), None) => own,
        (Role::StoreManager, Some(own), Some(asked)) if asked == own => own,
        (Role::HqAdmin | Role::HqFinance, _, Some(asked)) => asked,
        (Role::HqAdmin | Role::HqFinance, _, None) => {
            return Err(AppError::invalid("store_id", "required"));
        }
        _ => return Err(AppError::forbidden()),
    };
    let now = state.clock.now_ms();
    let scope = Scope {
        brand_id: caller.brand.id,
        caller: format!("staff:{}", caller.staff.id),
        route: "close",
    };
    let brand = caller.brand.clone();
    let staff_id = caller.staff.id;
    let sender = state.clone();
    let answer = idempotency::run(&state.db, scope, key, &(member_id, &req), now, move |tx, op_id| {
        Box::pin(async move {
            let shop = store_in_brand(tx, brand.id, store_id).await.map_err(unknown_as("store_id"))?;
            let m = member::Entity::find_by_id(member_id)
                .filter(member::Column::BrandId.eq(brand.id))
                .one(tx)
                .await?
                .ok_or_else(AppError::not_found)?;
            // Cash paid back at the counter changes what the store holds for
            // HQ: the wallet's lock first, as counter top-ups and refunds.
            lock_key(tx, &format!("wallet:{}", shop.id)).await?;
            let funds = ledger::lock_member(tx, brand.id, m.id, now).await?;
            if !funds.total().is_positive() {
                return Err(unprocessable(ErrorCode::NothingToRefund));
            }
            // Principal goes back the way it came: online top-ups through
            // the gateway (newest first), the rest in cash at the counter.
            let mut left = funds.principal.0;
            let mut via_gateway = 0;
            for (order, share) in gateway_shares(tx, brand.id, m.id, left).await? {
                topup_orders::queue_refund(tx, &order, share, "close", now).await?;
                via_gateway += share;
                left -= share;
            }
            let cash = Fen(left);
            let gateway = ledger::account_id(tx, brand.id, Kind::GatewayClearing, 0, now).await?;
            let clearing = ledger::account_id(tx, brand.id, Kind::CounterClearing, shop.id, now).await?;
            let expense = ledger::account_id(tx, brand.id, Kind::PromotionExpense, 0, now).await?;
            let entry_id = posted(
                ledger::post(
                    tx,
                    Entry {
                        brand_id: brand.id,
                        kind: "close",
                        op_ref: format!("close:{op_id}"),
                        store_id: Some(shop.id),
                        member_id: Some(m.id),
                        member_delta: -funds.total(),
                        member_balance_after: Some(Fen::ZERO),
                        actor: format!("staff:{staff_id}"),
                        business_date: ledger::business_date(&brand.time_zone, now),
                        at: now,
                        lines: vec![
                            Line::fen(funds.principal_account, -funds.principal),
                            Line::fen(gateway, Fen(via_gateway)),
                            Line::fen(clearing, cash),
                            Line::fen(funds.bonus_account, -funds.bonus),
                            Line::fen(expense, funds.bonus),
                        ],
                    },
                )
                .await,
            )?;
            audit::record(
                tx,
                now,
                brand.id,
                Some(staff_id),
                "member.close_stored_value",
                format!("member #{} {}", m.id, mask_phone(&m.phone)),
                serde_json::json!({ "principal": funds.principal.0, "via_gateway": via_gateway, "cash": cash.0, "bonus": funds.bonus.0, "store_id": shop.id }),
            )
            .await?;
            Ok(StoredValueClosed {
                entry_id,
                principal_refunded: funds.principal,
                via_gateway: Fen(via_gateway),
                cash,
                bonus_clawed_back: funds.bonus,
                at: rfc3339(now),
            })
        })
    })
    .await;
    // Send the gateway refunds now rather than at the next sweep.
    tokio::spawn(async move {
        if let Err(e) = topup_orders::send_refunds(&sender).await {
            tracing::warn!("sending gateway refunds: {e:?}");
        }
    });
    answer
}

/// How `principal` would go back through the gateway: the member's paid
/// online top-ups, newest first, each up to what is left to refund of it.
async fn gateway_shares(
    conn: &impl sea_orm::ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    principal: i64,
) -> AppResult<Vec<(gateway_order::Model, i64)>> {
    let orders = gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(brand_id))
        .filter(gateway_order::Column::MemberId.eq(member_id))
        .filter(gateway_order::Column::State.eq(shared::dto::OrderState::Paid.as_str()))
        // Only top-ups became stored value; a split payment's online part
        // paid the store.
        .filter(gateway_order::Column::Purpose.eq("topup"))
        .order_by_desc(gateway_order::Column::Id)
        .all(conn)
        .await?;
    let mut left = principal;
    let mut shares = Vec::new();
    for o in orders {
        let share = (o.amount - o.refunded).min(left);
        if share > 0 {
            left -= share;
            shares.push((o, share));
        }
    }
    Ok(shares)
}

/// Store manager or HQ: a member's stored value by phone, and how 退卡 would
/// pay it back.
async fn member_money(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(q): AppQuery<PhoneQuery>,
) -> AppResult<Json<MemberMoney>> {
    if !matches!(
        caller.role,
        Role::StoreManager | Role::HqAdmin | Role::HqFinance
    ) {
        return Err(AppError::forbidden());
    }
    let phone = validate::phone(&q.phone).map_err(|r| AppError::invalid("member_phone", r))?;
    let m = member::Entity::find()
        .filter(member::Column::BrandId.eq(caller.brand.id))
        .filter(member::Column::Phone.eq(&phone))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (principal, bonus) = ledger::member_balance(&state.db, caller.brand.id, m.id).await?;
    let via_gateway = gateway_shares(&state.db, caller.brand.id, m.id, principal.0)
        .await?
        .iter()
        .map(|(_, s)| s)
        .sum();
    Ok(Json(MemberMoney {
        member_id: m.id,
        phone_masked: mask_phone(&m.phone),
        name: m.name,
        frozen: m.frozen,
        principal,
        bonus,
        via_gateway: Fen(via_gateway),
    }))
}

/// Member: every movement of their money, newest first.
async fn history(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppQuery(query): AppQuery<HistoryQuery>,
) -> AppResult<Json<Page<HistoryItem>>> {
    let kinds: Vec<&str> = match query.kind.as_deref().filter(|k| !k.is_empty()) {
        Some("payment") => vec!["payment", "hold"],
        Some("refund") => vec!["refund", "release"],
        Some(k @ ("topup" | "close")) => vec![k],
        Some(_) => return Err(AppError::invalid("kind", "unknown")),
        None => vec!["topup", "payment", "refund", "close", "hold", "release"],
    };
    let mut q = journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(caller.brand.id))
        .filter(journal_entry::Column::MemberId.eq(caller.member.id))
        .filter(journal_entry::Column::Kind.is_in(kinds));
    if let Some(after) = query.after {
        q = q.filter(journal_entry::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(journal_entry::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let names = names::store_names(
        &state.db,
        caller.brand.id,
        rows.iter().filter_map(|e| e.store_id).collect(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|e| HistoryItem {
            id: e.id,
            store_name: e.store_id.and_then(|id| names.get(&id).cloned()),
            kind: e.kind,
            amount: Fen(e.member_delta),
            balance_after: Fen(e.member_balance_after.unwrap_or(0)),
            at: rfc3339(e.created_at),
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}
