//! Store pay codes (收款码) and the store's payment list: what the counter
//! shows and what a member's phone opens.

use crate::auth::{AnyStaff, MemberCaller, StaffCaller};
use crate::clock::rfc3339;
use crate::entity::{member, payment, store};
use crate::error::{AppError, AppPath, AppQuery, AppResult};
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::chain::store_in_brand;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use qrcode::QrCode;
use qrcode::render::svg;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use shared::dto::{Page, PayCode, PaymentListItem, ReceiptFeed, StorePublic};
use shared::money::Fen;
use shared::validate::mask_phone;
use std::collections::HashMap;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/member/stores/{id}", get(store_for_member))
        .route("/staff/stores/{id}/pay-code", get(pay_code))
        .route("/staff/payments", get(payments))
        .route("/staff/receipts/wait", get(wait_receipts))
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

/// The public origin the member app is reached at, from the request.
fn origin(headers: &HeaderMap) -> String {
    let host = headers
        .get("x-forwarded-host")
        .or_else(|| headers.get("host"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let proto = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("http");
    format!("{proto}://{host}")
}

/// Staff: the pay code of a store in their scope.
async fn pay_code(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
    headers: HeaderMap,
) -> AppResult<Json<PayCode>> {
    let s = store_in_brand(&state.db, caller.brand.id, id).await?;
    if !caller.covers_store(s.id, s.region_id) {
        return Err(AppError::not_found());
    }
    let url = format!("{}/m/{}/pay/{}", origin(&headers), caller.brand.slug, s.id);
    let code =
        QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!("QR: {e}")))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(Json(PayCode {
        store_id: s.id,
        store_name: s.name,
        url,
        svg,
    }))
}

#[derive(Deserialize)]
struct PaymentsQuery {
    after: Option<i64>,
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
    let rows = q
        .order_by_desc(payment::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let items = list_items(&state, &stores, rows).await?;
    Ok(Json(Page { items, next_cursor }))
}

#[derive(Deserialize)]
struct WaitQuery {
    after: Option<i64>,
    /// Seconds to hold the request open when nothing is new (≤ 25).
    timeout: Option<u64>,
}

/// The stores a caller's scope covers.
async fn scope_stores(
    state: &AppState,
    caller: &StaffCaller<AnyStaff>,
) -> AppResult<HashMap<i64, store::Model>> {
    Ok(store::Entity::find()
        .filter(store::Column::BrandId.eq(caller.brand.id))
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|s| caller.covers_store(s.id, s.region_id))
        .map(|s| (s.id, s))
        .collect())
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
    };
    let last_id = match rows.last() {
        Some(p) => p.id,
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
    // Today in the brand's time zone.
    let tz: chrono_tz::Tz = caller
        .brand
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let local = state.clock.now().with_timezone(&tz);
    let midnight = local
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|m| m.and_local_timezone(tz).earliest());
    let start = midnight.map(|m| m.timestamp_millis()).unwrap_or(0);
    let today = scoped()
        .filter(payment::Column::CreatedAt.gte(start))
        .all(&state.db)
        .await?;
    let today_total = Fen(today
        .iter()
        .map(|p| p.amount - p.refunded_principal - p.refunded_bonus)
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
            refunded: Fen(p.refunded_principal + p.refunded_bonus),
            at: rfc3339(p.created_at),
        })
        .collect())
}
