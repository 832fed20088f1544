//! Store pay codes (收款码): a store's standing code, which a member's
//! phone opens to pay any amount, and the one-off code the counter makes
//! for a fixed amount, payable once within ten minutes.

use super::payment::{PAY_REQUEST_TTL_MS, pay_request_state};
use super::settings::settings;
use crate::auth::Actor;
use crate::chain::{store_in_brand, store_in_scope};
use crate::clock::rfc3339;
use crate::entity::{brand, pay_request};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::http::StatusCode;
use qrcode::QrCode;
use qrcode::render::svg;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::{
    PayCode, PayRequestInput, PayRequestPublic, PayRequestState, PayRequestView, StorePublic,
};
use shared::money::Fen;

/// A QR code of `url` as SVG.
fn qr_svg(url: &str) -> AppResult<String> {
    let code =
        QrCode::new(url.as_bytes()).map_err(|e| AppError::Internal(anyhow::anyhow!("QR: {e}")))?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build())
}

fn view(
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

/// A one-off code for a fixed amount at `by`'s store (a counter role: they
/// always belong to a store), within the brand's payment maximum.
pub async fn open_request(
    state: &AppState,
    by: &Actor,
    req: &PayRequestInput,
) -> AppResult<PayRequestView> {
    let store_id = by.store_id.ok_or_else(AppError::forbidden)?;
    if !req.amount.is_positive() {
        return Err(AppError::invalid("amount", "amount_positive"));
    }
    let rules = settings(&state.db, by.brand.id).await?;
    if req.amount > rules.max_payment {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::AmountTooLarge)
                .with("max", rules.max_payment.0),
        );
    }
    let shop = store_in_brand(&state.db, by.brand.id, store_id).await?;
    if !shop.active {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::StoreClosed,
        ));
    }
    let now = state.clock.now_ms();
    let tx = crate::db::begin_write(&state.db).await?;
    let saved = pay_request::ActiveModel {
        brand_id: Set(by.brand.id),
        store_id: Set(store_id),
        token: Set(uuid::Uuid::new_v4().simple().to_string()),
        amount: Set(req.amount.0),
        state: Set(PayRequestState::Open.as_str().into()),
        payment_id: Set(None),
        created_by: Set(by.staff_id),
        created_at: Set(now),
        expires_at: Set(now + PAY_REQUEST_TTL_MS),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    tx.commit().await?;
    view(saved, &state.public_url, &by.brand.slug, now)
}

/// A one-off code as its store's staff see it (the counter polls it until
/// paid); another store's is 404.
pub async fn request_for_staff(state: &AppState, by: &Actor, id: i64) -> AppResult<PayRequestView> {
    let r = pay_request::Entity::find_by_id(id)
        .filter(pay_request::Column::BrandId.eq(by.brand.id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    if by.store_id.is_some_and(|s| s != r.store_id) {
        return Err(AppError::not_found());
    }
    view(r, &state.public_url, &by.brand.slug, state.clock.now_ms())
}

/// A one-off code as the member who scanned it sees it.
pub async fn request_for_member(
    state: &AppState,
    brand: &brand::Model,
    token: &str,
) -> AppResult<PayRequestPublic> {
    let r = pay_request::Entity::find()
        .filter(pay_request::Column::BrandId.eq(brand.id))
        .filter(pay_request::Column::Token.eq(token))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok(PayRequestPublic {
        store_id: r.store_id,
        amount: Fen(r.amount),
        state: pay_request_state(&r, state.clock.now_ms()),
    })
}

/// The store behind a pay code, if it is of the member's brand.
pub async fn store_for_member(
    state: &AppState,
    brand: &brand::Model,
    id: i64,
) -> AppResult<StorePublic> {
    let s = store_in_brand(&state.db, brand.id, id).await?;
    Ok(StorePublic {
        id: s.id,
        name: s.name,
        address: s.address,
        active: s.active,
    })
}

/// The open stores `member_id` paid at, most recent first, at most `limit`.
pub async fn recent_stores(
    state: &AppState,
    brand: &brand::Model,
    member_id: i64,
    limit: usize,
) -> AppResult<Vec<StorePublic>> {
    use crate::entity::{payment, store};
    use sea_orm::{QueryOrder, QuerySelect};
    // The member's last payments (by the payments_member index) name the
    // stores; a few dozen cover the last few stores of anyone.
    let store_ids: Vec<i64> = payment::Entity::find()
        .select_only()
        .column(payment::Column::StoreId)
        .filter(payment::Column::MemberId.eq(member_id))
        .filter(payment::Column::BrandId.eq(brand.id))
        .order_by_desc(payment::Column::Id)
        .limit(50)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut recent: Vec<i64> = Vec::new();
    for id in store_ids {
        if !recent.contains(&id) {
            recent.push(id);
        }
    }
    let stores = store::Entity::find()
        .filter(store::Column::BrandId.eq(brand.id))
        .filter(store::Column::Id.is_in(recent.clone()))
        .filter(store::Column::Active.eq(true))
        .all(&state.db)
        .await?;
    Ok(recent
        .iter()
        .filter_map(|id| stores.iter().find(|s| s.id == *id))
        .take(limit)
        .map(|s| StorePublic {
            id: s.id,
            name: s.name.clone(),
            address: s.address.clone(),
            active: s.active,
        })
        .collect())
}

/// The standing pay code of a store in `by`'s scope.
pub async fn store_code(state: &AppState, by: &Actor, id: i64) -> AppResult<PayCode> {
    let s = store_in_scope(&state.db, by, id).await?;
    let url = format!("{}/m/{}/pay/{}", state.public_url, by.brand.slug, s.id);
    let svg = qr_svg(&url)?;
    Ok(PayCode {
        store_id: s.id,
        store_name: s.name,
        url,
        svg,
    })
}
