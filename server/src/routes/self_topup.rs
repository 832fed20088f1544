//! Member self top-up through the payment gateway, and the gateway's
//! callback. The order logic lives in `topup_orders`.

use crate::auth::{ActiveMember, HqMoney, MemberCaller, StaffCaller, digest};
use crate::chain::store_in_brand;
use crate::db::begin_write;
use crate::entity::{gateway_order, gateway_refund, member};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult};
use crate::gateway::CreateOrder;
use crate::idempotency::IdemKey;
use crate::ledger::{self, Entry, Kind, Line};
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::settings::{plan_bonus, settings, within_cap};
use crate::topup_orders::{self, ORDER_TTL_MS, is_open, view};
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use shared::ErrorCode;
use shared::api;
use shared::dto::AfterQuery;
use shared::dto::{FlaggedOrder, Page, PaymentRequest, TopUpOrderRequest, TopUpOrderView};
use shared::money::Fen;
use shared::plan::{Bill, plan};
use shared::validate::mask_phone;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StartTopUp, start)
        .at(api::TopUpStatus, status)
        .at(api::CloseTopUp, give_up)
        .at(api::StartSplitPayment, start_split)
        .at(api::ListGatewayFlags, flagged)
        .at(api::GatewayNotify, notify)
}

/// A member's order, or 404.
async fn own_order(
    state: &AppState,
    caller: &MemberCaller,
    id: i64,
) -> AppResult<gateway_order::Model> {
    gateway_order::Entity::find_by_id(id)
        .filter(gateway_order::Column::BrandId.eq(caller.brand.id))
        .filter(gateway_order::Column::MemberId.eq(caller.member.id))
        .one(&state.db)
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

/// Member (not frozen): start a top-up; answers the order with its hosted
/// checkout. Idempotent on the `Idempotency-Key`: the same key and body give
/// the same order (and create it at the gateway if that failed before).
async fn start(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppJson(req): AppJson<TopUpOrderRequest>,
) -> AppResult<Response> {
    not_configured(&state)?;
    let hash = digest(&serde_json::to_string(&req).map_err(anyhow::Error::from)?);
    let by_key = || order_by_key(&caller, &key);
    let order = match by_key().one(&state.db).await? {
        Some(o) => o,
        None => {
            let (amount, bonus, plan_id) = validate(&state, &caller, &req).await?;
            let now = state.clock.now_ms();
            let order_no = new_order_no(now);
            insert_order(
                &state.db,
                gateway_order::ActiveModel {
                    brand_id: Set(caller.brand.id),
                    member_id: Set(caller.member.id),
                    purpose: Set("topup".into()),
                    order_no: Set(order_no),
                    amount: Set(amount.0),
                    bonus: Set(bonus.0),
                    plan_id: Set(plan_id),
                    idem_key: Set(key.0.clone()),
                    body_hash: Set(hash.clone()),
                    ..new_order(now)
                },
            )
            .await?;
            by_key()
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("top-up order vanished")))?
        }
    };
    if order.body_hash != hash {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyReused,
        ));
    }
    let order = ensure_checkout(&state, &caller, order).await?;
    Ok((StatusCode::CREATED, Json(view(&state.db, &order).await?)).into_response())
}

/// Amount, bonus and plan of a valid request.
async fn validate(
    state: &AppState,
    caller: &MemberCaller,
    req: &TopUpOrderRequest,
) -> AppResult<(Fen, Fen, Option<i64>)> {
    if !req.amount.is_positive() {
        return Err(AppError::invalid("amount", "amount_positive"));
    }
    let rules = settings(&state.db, caller.brand.id).await?;
    let bonus = plan_bonus(&state.db, caller.brand.id, req.plan_id, req.amount, &rules).await?;
    let (principal, held_bonus) =
        ledger::member_balance(&state.db, caller.brand.id, caller.member.id).await?;
    within_cap(principal + held_bonus, req.amount, bonus, &rules)?;
    Ok((req.amount, bonus, req.plan_id))
}

/// Creates the order at the gateway if that has not happened yet.
async fn ensure_checkout(
    state: &AppState,
    caller: &MemberCaller,
    order: gateway_order::Model,
) -> AppResult<gateway_order::Model> {
    if order.checkout_url.is_some() || !is_open(&order) {
        return Ok(order);
    }
    let base = &state.public_url;
    let create = CreateOrder {
        merchant_id: state.gateway.merchant_id(order.brand_id),
        order_no: order.order_no.clone(),
        amount: order.amount,
        description: if order.purpose == topup_orders::PAYMENT {
            format!("{} 门店消费", caller.brand.name)
        } else {
            format!("{} 会员充值", caller.brand.name)
        },
        notify_url: format!("{base}/api/gateway/notify"),
        return_url: format!("{base}/m/{}/topup/{}", caller.brand.slug, order.id),
        expires_at: order.expires_at,
    };
    let created = match state.gateway.create(&create).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(order = %order.order_no, "gateway create failed: {e}");
            if order.purpose == topup_orders::PAYMENT {
                // The member never reached a checkout: give the held stored
                // value back now rather than at expiry. (Should the gateway
                // have taken the order after all, a late payment is refunded.)
                topup_orders::close_here(state, order.id).await?;
            }
            return Err(AppError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::GatewayUnavailable,
            ));
        }
    };
    gateway_order::Entity::update_many()
        .col_expr(
            gateway_order::Column::CheckoutUrl,
            Expr::value(created.checkout_url.clone()),
        )
        .filter(gateway_order::Column::Id.eq(order.id))
        .exec(&state.db)
        .await?;
    Ok(gateway_order::Model {
        checkout_url: Some(created.checkout_url),
        ..order
    })
}

/// Member: where their order stands. While it is open and no callback has
/// come, this asks the gateway (at most every 3 s), so a lost callback does
/// not leave the member waiting.
async fn status(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<TopUpOrderView>> {
    let mut order = own_order(&state, &caller, id).await?;
    let now = state.clock.now_ms();
    let quiet = order.last_query_at.is_none_or(|t| now - t >= 3_000);
    if is_open(&order) && order.checkout_url.is_some() && now - order.created_at >= 2_000 && quiet {
        topup_orders::refresh(&state, &order).await?;
        order = own_order(&state, &caller, id).await?;
    }
    Ok(Json(view(&state.db, &order).await?))
}

/// Member: give up an unpaid order (closed at the gateway first; if it was
/// paid meanwhile, it is credited instead).
async fn give_up(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<TopUpOrderView>> {
    let order = own_order(&state, &caller, id).await?;
    if is_open(&order) {
        topup_orders::close(&state, &order).await?;
    }
    let order = own_order(&state, &caller, id).await?;
    Ok(Json(view(&state.db, &order).await?))
}

/// The gateway's own answer format: `{"code": "SUCCESS" | "FAIL", …}`.
fn gateway_answer(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (status, Json(json!({ "code": code, "message": message }))).into_response();
    r.extensions_mut().insert(crate::error::RawBody);
    r
}

/// The gateway's signed callback. Checked for signature (constant time),
/// timestamp and nonce, then for amount, order and merchant against our
/// record; applying it is idempotent, so duplicates and retries are safe.
async fn notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let now = state.clock.now_ms();
    let (n, nonce) = match state.gateway.verify_callback(&headers, &body, now) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!("gateway callback refused: {e:?}");
            return gateway_answer(StatusCode::UNAUTHORIZED, "FAIL", "signature check failed");
        }
    };
    match topup_orders::apply_callback(&state, &n.trade, &nonce).await {
        Ok(()) => gateway_answer(StatusCode::OK, "SUCCESS", "OK"),
        Err(AppError::Api { params, .. })
            if params.get("reason").map(String::as_str) == Some(topup_orders::REPLAYED) =>
        {
            tracing::warn!("gateway callback replayed (nonce seen before)");
            gateway_answer(StatusCode::CONFLICT, "FAIL", "nonce already used")
        }
        Err(AppError::Api { status, code, .. }) => {
            tracing::warn!(order = %n.trade.order_no, ?code, "gateway callback not applied");
            gateway_answer(status, "FAIL", "order not found or does not match")
        }
        Err(e) => {
            tracing::error!(order = %n.trade.order_no, "gateway callback failed: {e:?}");
            gateway_answer(StatusCode::INTERNAL_SERVER_ERROR, "FAIL", "try again")
        }
    }
}

/// Member (not frozen): pay a store when stored value does not cover the
/// bill. The stored value is held at once; the rest goes to the gateway's
/// checkout. When the gateway says paid, both legs post and the store sees
/// the receipt; if the order fails or expires, the hold is released.
/// Idempotent on the `Idempotency-Key` like a top-up.
async fn start_split(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppJson(req): AppJson<PaymentRequest>,
) -> AppResult<Response> {
    not_configured(&state)?;
    let identity = PaymentRequest {
        pin: None,
        ..req.clone()
    };
    let hash = digest(&serde_json::to_string(&identity).map_err(anyhow::Error::from)?);
    let (brand_id, member_id) = (caller.brand.id, caller.member.id);
    let now = state.clock.now_ms();
    let rules = settings(&state.db, brand_id).await?;
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
    let by_key = || order_by_key(&caller, &key);
    let existing = by_key().one(&state.db).await?;
    let order = match existing {
        Some(o) => o,
        None => {
            // The PIN guards the stored-value part, as for any payment.
            let (principal, bonus) = ledger::member_balance(&state.db, brand_id, member_id).await?;
            let pin_ok =
                plan(&Bill::plain(req.amount, principal, bonus)).stored_value() > rules.pin_above;
            if pin_ok {
                crate::stored_value::pin::check(
                    &state,
                    member_id,
                    req.pin.as_deref(),
                    rules.pin_above,
                )
                .await?;
            }
            let tx = begin_write(&state.db).await?;
            let shop = store_in_brand(&tx, brand_id, req.store_id).await?;
            if !shop.active {
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::StoreClosed,
                ));
            }
            let funds = ledger::lock_member(&tx, brand_id, member_id, now).await?;
            let plan = plan(&Bill::plain(req.amount, funds.principal, funds.bonus));
            if !plan.online.is_positive() {
                // Nothing for the gateway to do: pay from stored value.
                return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict)
                    .with("reason", "balance_covers"));
            }
            if plan.stored_value() > rules.pin_above && !pin_ok {
                // The balance grew past the PIN-free limit since the check.
                return Err(AppError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorCode::PinRequired,
                )
                .with("above", rules.pin_above.0));
            }
            let held = plan.stored_value();
            let order_no = new_order_no(now);
            let inserted = insert_order(
                &tx,
                gateway_order::ActiveModel {
                    brand_id: Set(brand_id),
                    member_id: Set(member_id),
                    purpose: Set(topup_orders::PAYMENT.into()),
                    order_no: Set(order_no.clone()),
                    amount: Set(plan.online.0),
                    idem_key: Set(key.0.clone()),
                    body_hash: Set(hash.clone()),
                    store_id: Set(Some(shop.id)),
                    original: Set(plan.original.0),
                    level_discount: Set(plan.level_discount.0),
                    coupon: Set(plan.coupon.0),
                    points: Set(plan.points.0),
                    points_used: Set(plan.points_used),
                    sv_principal: Set(plan.principal.0),
                    sv_bonus: Set(plan.bonus.0),
                    ..new_order(now)
                },
            )
            .await?;
            if inserted == 1 && held.is_positive() {
                let hold =
                    ledger::account_id(&tx, brand_id, Kind::MemberHold, member_id, now).await?;
                topup_orders::post_or_fail(
                    &tx,
                    Entry {
                        brand_id,
                        kind: "hold",
                        op_ref: order_no,
                        store_id: Some(shop.id),
                        member_id: Some(member_id),
                        member_delta: -held,
                        member_balance_after: Some(Fen::ZERO),
                        actor: format!("member:{member_id}"),
                        business_date: ledger::business_date(&caller.brand.time_zone, now),
                        at: now,
                        lines: vec![
                            Line::fen(funds.principal_account, -plan.principal),
                            Line::fen(funds.bonus_account, -plan.bonus),
                            Line::fen(hold, held),
                        ],
                    },
                )
                .await?;
            }
            tx.commit().await?;
            by_key()
                .one(&state.db)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("payment order vanished")))?
        }
    };
    if order.body_hash != hash {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyReused,
        ));
    }
    let order = ensure_checkout(&state, &caller, order).await?;
    Ok((StatusCode::CREATED, Json(view(&state.db, &order).await?)).into_response())
}

/// The member's order under an idempotency key (one at most).
fn order_by_key(caller: &MemberCaller, key: &IdemKey) -> sea_orm::Select<gateway_order::Entity> {
    gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(caller.brand.id))
        .filter(gateway_order::Column::MemberId.eq(caller.member.id))
        .filter(gateway_order::Column::IdemKey.eq(&key.0))
}

/// A fresh order's defaults: created now, expiring after [`ORDER_TTL_MS`],
/// nothing paid, refunded or held.
fn new_order(now: i64) -> gateway_order::ActiveModel {
    gateway_order::ActiveModel {
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
        ..Default::default()
    }
}

/// Inserts an order unless the member already has one under its
/// idempotency key; 1 if inserted.
async fn insert_order(
    conn: &impl sea_orm::ConnectionTrait,
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

/// HQ admin or finance: gateway orders that need a look: paid after we
/// closed them, refunded because they could not be credited, or with a
/// refund the gateway refused. Newest first, keyset-paged.
async fn flagged(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(q): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<FlaggedOrder>>> {
    use sea_orm::{Condition, QueryOrder, QuerySelect};
    let failed: Vec<gateway_refund::Model> = gateway_refund::Entity::find()
        .filter(gateway_refund::Column::BrandId.eq(caller.brand.id))
        .filter(gateway_refund::Column::State.eq(crate::topup_orders::RefundState::Failed.as_str()))
        .all(&state.db)
        .await?;
    let failed_ids: Vec<i64> = failed.iter().map(|r| r.order_id).collect();
    let mut find = gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(caller.brand.id))
        .filter(
            Condition::any()
                .add(gateway_order::Column::Late.eq(true))
                .add(gateway_order::Column::State.eq(shared::dto::OrderState::Refunded.as_str()))
                .add(gateway_order::Column::Id.is_in(failed_ids)),
        );
    if let Some(after) = q.after {
        find = find.filter(gateway_order::Column::Id.lt(after));
    }
    let rows = find
        .order_by_desc(gateway_order::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |o| o.id);
    let phones: std::collections::HashMap<i64, String> = member::Entity::find()
        .filter(member::Column::Id.is_in(rows.iter().map(|o| o.member_id).collect::<Vec<_>>()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, mask_phone(&m.phone)))
        .collect();
    let mut items = Vec::with_capacity(rows.len());
    for o in rows {
        let failed_refunds = failed
            .iter()
            .filter(|r| r.order_id == o.id)
            .map(|r| r.amount)
            .sum();
        items.push(FlaggedOrder {
            id: o.id,
            member_phone_masked: phones.get(&o.member_id).cloned().unwrap_or_default(),
            purpose: o.purpose.clone(),
            amount: Fen(o.amount),
            state: topup_orders::state_of(&o),
            late: o.late,
            failed_refunds: Fen(failed_refunds),
            refunded: Fen(o.refunded),
            created_at: crate::clock::rfc3339(o.created_at),
            order_no: o.order_no,
        });
    }
    Ok(Json(Page { items, next_cursor }))
}
