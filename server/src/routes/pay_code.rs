//! Store pay codes (收款码) and the store's payment list: what the counter
//! shows and what a member's phone opens.

use crate::auth::{AnyStaff, Counter, MemberCaller, RoleSet, StaffCaller};
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::entity::{member, pay_request, payment, store};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult};
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::payment::{PAY_REQUEST_TTL_MS, pay_request_state};
use crate::stored_value::settings::settings;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use qrcode::QrCode;
use qrcode::render::svg;
use sea_orm::{ActiveModelTrait, Set};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::ErrorCode;
use shared::api;
use shared::dto::PaymentsQuery;
use shared::dto::WaitQuery;
use shared::dto::{Page, PayCode, PaymentListItem, ReceiptFeed, StorePublic};
use shared::dto::{PayRequestInput, PayRequestPublic, PayRequestState, PayRequestView};
use shared::money::Fen;
use shared::validate::mask_phone;
use std::collections::HashMap;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::MemberStore, store_for_member)
        .at(api::StorePayCode, pay_code)
        .at(api::ListPayments, payments)
        .at(api::WaitReceipts, wait_receipts)
        .at(api::CreatePayRequest, create_pay_request)
        .at(api::GetPayRequest, staff_pay_request)
        .at(api::MemberPayRequest, member_pay_request)
}

/// How far back the live feed repeats receipts (see `wait_receipts`).
const LOOKBACK_MS: i64 = 10_000;

fn qr_svg(url: &str) -> AppResult<String> {
    let code =
        QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!("QR: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

fn pay_request_view(
    r: pay_request::Model,
    public_url: &str,
    slug: &str,
    now: i64,
) -> AppResult<PayRequestView> {
    let url = format!("{public_url}/m/{slug}/pay/{}?r={}", r.store_id, r.token);
    Ok(PayRequestView {
        id: r.id,
        store_id: r.store_id,
        amount: Fen(r.amount),
        state: pay_request_state(&r, now),
        payment_id: r.payment_id,
        svg: qr_svg(&url)?,
        url,
        expires_at: rfc3339(r.expires_at),
    })
}

/// Clerk or store manager: a one-off pay code for a fixed amount at their
/// store, payable once within ten minutes.
async fn create_pay_request(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    AppJson(req): AppJson<PayRequestInput>,
) -> AppResult<(StatusCode, Json<PayRequestView>)> {
    // The counter's roles always belong to a store.
    let store_id = caller.staff.store_id.ok_or_else(AppError::forbidden)?;
    if !req.amount.is_positive() {
        return Err(AppError::invalid("amount", "amount_positive"));
    }
    let rules = settings(&state.db, caller.brand.id).await?;
    if req.amount > rules.max_payment {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::AmountTooLarge)
                .with("max", rules.max_payment.0),
        );
    }
    let shop = store_in_brand(&state.db, caller.brand.id, store_id).await?;
    if !shop.active {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::StoreClosed,
        ));
    }
    let now = state.clock.now_ms();
    let saved = pay_request::ActiveModel {
        brand_id: Set(caller.brand.id),
        store_id: Set(store_id),
        token: Set(uuid::Uuid::new_v4().simple().to_string()),
        amount: Set(req.amount.0),
        state: Set(PayRequestState::Open.as_str().into()),
        payment_id: Set(None),
        created_by: Set(caller.staff.id),
        created_at: Set(now),
        expires_at: Set(now + PAY_REQUEST_TTL_MS),
        ..Default::default()
    }
    .insert(&state.db)
    .await?;
    let view = pay_request_view(saved, &state.public_url, &caller.brand.slug, now)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Staff of that store: a one-off code (the counter polls it until paid).
async fn staff_pay_request(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayRequestView>> {
    let r = pay_request::Entity::find_by_id(id)
        .filter(pay_request::Column::BrandId.eq(caller.brand.id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if caller.staff.store_id.is_some_and(|s| s != r.store_id) {
        return Err(AppError::not_found());
    }
    let now = state.clock.now_ms();
    Ok(Json(pay_request_view(
        r,
        &state.public_url,
        &caller.brand.slug,
        now,
    )?))
}

/// Member: the one-off code they scanned.
async fn member_pay_request(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(token): AppPath<String>,
) -> AppResult<Json<PayRequestPublic>> {
    let r = pay_request::Entity::find()
        .filter(pay_request::Column::BrandId.eq(caller.brand.id))
        .filter(pay_request::Column::Token.eq(&token))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(Json(PayRequestPublic {
        store_id: r.store_id,
        amount: Fen(r.amount),
        state: pay_request_state(&r, state.clock.now_ms()),
    }))
}

/// Member: the store behind a pay code, if it is of their brand.
async fn store_for_member(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StorePublic>> {
    let s = store_in_brand(&state.db, caller.brand.id, id).await?;
    Ok(Json(StorePublic {
        id: s.id,
        name: s.name,
        address: s.address,
        active: s.active,
    }))
}

/// Staff: the pay code of a store in their scope.
async fn pay_code(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<PayCode>> {
    let s = crate::chain::store_in_scope(&state.db, &caller.actor(), id).await?;
    let url = format!("{}/m/{}/pay/{}", state.public_url, caller.brand.slug, s.id);
    let svg = qr_svg(&url)?;
    Ok(Json(PayCode {
        store_id: s.id,
        store_name: s.name,
        url,
        svg,
    }))
}

/// Local midnight today in the brand's time zone, as Unix ms.
fn today_start(state: &AppState, time_zone: &str) -> i64 {
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    let local = state.clock.now().with_timezone(&tz);
    local
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| m.and_local_timezone(tz).earliest())
        .map(|m| m.timestamp_millis())
        .unwrap_or(0)
}

/// Staff: payments at the stores their scope covers, newest first.
async fn payments(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(query): AppQuery<PaymentsQuery>,
) -> AppResult<Json<Page<PaymentListItem>>> {
    let stores = scope_stores(&state, &caller).await?;
    let mut q = payment::Entity::find()
        .filter(payment::Column::BrandId.eq(caller.brand.id))
        .filter(payment::Column::StoreId.is_in(stores.keys().copied().collect::<Vec<_>>()));
    if let Some(after) = query.after {
        q = q.filter(payment::Column::Id.lt(after));
    }
    if query.today {
        q = q.filter(payment::Column::CreatedAt.gte(today_start(&state, &caller.brand.time_zone)));
    }
    let rows = q
        .order_by_desc(payment::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let items = list_items(&state, &stores, rows).await?;
    Ok(Json(Page { items, next_cursor }))
}

/// The stores a caller's scope covers.
async fn scope_stores(
    state: &AppState,
    caller: &StaffCaller<impl RoleSet>,
) -> AppResult<HashMap<i64, store::Model>> {
    crate::chain::stores_in_scope(&state.db, &caller.actor()).await
}

/// Staff: waits until a payment lands at a store in scope (or the timeout),
/// then answers with the new ones and today's total. Every replica reads
/// the same table, so a receipt shows on every open screen whichever
/// replica took the payment.
async fn wait_receipts(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(query): AppQuery<WaitQuery>,
) -> AppResult<Json<ReceiptFeed>> {
    let stores = scope_stores(&state, &caller).await?;
    let ids: Vec<i64> = stores.keys().copied().collect();
    let scoped = || {
        payment::Entity::find()
            .filter(payment::Column::BrandId.eq(caller.brand.id))
            .filter(payment::Column::StoreId.is_in(ids.clone()))
    };
    let deadline = tokio::time::Instant::now()
        + std::time::Duration::from_secs(query.timeout.unwrap_or(25).min(25));
    // When the caller was last checked (revoked key, ended session): once a
    // second is enough, not every poll.
    let mut checked = tokio::time::Instant::now();
    let rows = loop {
        let rows = match query.after {
            Some(after) => {
                scoped()
                    .filter(payment::Column::Id.gt(after))
                    .order_by_asc(payment::Column::Id)
                    .limit(50)
                    .all(&state.db)
                    .await?
            }
            None => Vec::new(),
        };
        if !rows.is_empty() || query.after.is_none() || tokio::time::Instant::now() >= deadline {
            break rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        // A key revoked or a session ended while waiting gets no answer.
        if checked.elapsed() >= std::time::Duration::from_secs(1) {
            caller.still_valid(&state).await?;
            checked = tokio::time::Instant::now();
        }
    };
    let newest = rows.last().map(|p| p.id);
    // On PostgreSQL ids are taken at insert but become visible at commit, so
    // a payment can appear with an id below one already delivered. The last
    // few seconds' receipts are sent again each time; screens skip the ones
    // they have shown.
    let rows = match query.after {
        Some(after) => {
            let mut late = scoped()
                .filter(payment::Column::Id.lte(after))
                .filter(payment::Column::CreatedAt.gte(state.clock.now_ms() - LOOKBACK_MS))
                .order_by_asc(payment::Column::Id)
                .limit(50)
                .all(&state.db)
                .await?;
            late.extend(rows);
            late
        }
        None => rows,
    };
    let last_id = match newest {
        Some(id) => id,
        None => match query.after {
            Some(a) => a,
            None => scoped()
                .order_by_desc(payment::Column::Id)
                .one(&state.db)
                .await?
                .map(|p| p.id)
                .unwrap_or(0),
        },
    };
    let start = today_start(&state, &caller.brand.time_zone);
    let today = scoped()
        .filter(payment::Column::CreatedAt.gte(start))
        .all(&state.db)
        .await?;
    let today_total = Fen(today
        .iter()
        .map(|p| p.amount - p.refunded_principal - p.refunded_bonus - p.refunded_gateway)
        .sum());
    let items = list_items(&state, &stores, rows).await?;
    Ok(Json(ReceiptFeed {
        items,
        last_id,
        today_total,
        today_count: today.len() as i64,
    }))
}

/// Payments as the merchant app lists them: store name and masked phone.
async fn list_items(
    state: &AppState,
    stores: &HashMap<i64, store::Model>,
    rows: Vec<payment::Model>,
) -> AppResult<Vec<PaymentListItem>> {
    let phones: HashMap<i64, String> = member::Entity::find()
        .filter(member::Column::Id.is_in(rows.iter().map(|p| p.member_id).collect::<Vec<_>>()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, mask_phone(&m.phone)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|p| PaymentListItem {
            id: p.id,
            store_name: stores
                .get(&p.store_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            member_phone_masked: phones.get(&p.member_id).cloned().unwrap_or_default(),
            amount: Fen(p.amount),
            refunded: Fen(p.refunded_principal + p.refunded_bonus + p.refunded_gateway),
            at: rfc3339(p.created_at),
        })
        .collect())
}
