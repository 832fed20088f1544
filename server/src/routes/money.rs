//! Stored value: counter top-ups, paying a store, refunds, balance and
//! history. Every movement goes through `ledger::post` inside
//! `idempotency::run`.

use crate::audit;
use crate::auth::{Counter, MemberCaller, MemberToken, MoneyBack, StaffCaller};
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::db::lock_key;
use crate::entity::{gateway_order, journal_entry, member};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult, unknown_as};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger::{self, Entry, Kind, Line};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::refund::{self, Refunder};
use crate::stored_value::settings::{plan_bonus, settings, within_cap};
use crate::stored_value::{self, positive, posted, unprocessable};
use crate::topup_orders;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::ErrorCode;
use shared::api;
use shared::dto::HistoryQuery;
use shared::dto::PhoneQuery;
use shared::dto::{
    BalanceView, CloseStoredValue, CounterTopUp, HistoryItem, MemberMoney, Page, PaymentRequest,
    RefundRequest, Role, StoredValueClosed, TopUpReceipt,
};
use shared::money::Fen;
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
        pin_set: crate::stored_value::pin::is_set(&state.db, caller.member.id).await?,
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
    stored_value::payment::pay(&state, &token.0, key, req).await
}

/// Clerk or store manager: top a member up at the counter (cash or card
/// taken by the store); counts toward that store.
async fn counter_topup(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
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
    caller: StaffCaller<MoneyBack>,
    AppPath(payment_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<RefundRequest>,
) -> AppResult<Response> {
    let by = Refunder {
        brand: caller.brand,
        staff_id: caller.staff.id,
        role: caller.role,
        store_id: caller.staff.store_id,
    };
    refund::refund(&state, by, payment_id, key, req).await
}

/// Store manager (their store) or HQ (naming the store): close a member's
/// stored value (退卡). The principal goes back the way counter top-ups came
/// (cash at that store); the unspent bonus is clawed back.
async fn close_stored_value(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
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
    caller: StaffCaller<MoneyBack>,
    AppQuery(q): AppQuery<PhoneQuery>,
) -> AppResult<Json<MemberMoney>> {
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
