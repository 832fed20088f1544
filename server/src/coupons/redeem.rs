//! A coupon on a payment: checked for the member, the store and the time,
//! taken by a compare-and-set (`issued → used`) in the payment's
//! transaction, so one coupon pays one bill however many arrive at once,
//! and given back when the payment is refunded in full while it is still
//! within its dates.

use super::templates::stores_of;
use crate::entity::{coupon, coupon_template};
use crate::error::{AppError, AppResult};
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
};
use shared::ErrorCode;
use shared::dto::{CouponKind, CouponState};
use shared::money::{Bp, Fen};
use shared::plan::{CouponChoice, CouponOff};

/// A coupon the member chose, as the price plan takes it.
#[derive(Clone, Debug)]
pub struct Chosen {
    /// The coupon.
    pub id: i64,
    /// What it takes off, and the least the bill must come to.
    pub choice: CouponChoice,
}

/// Why a coupon cannot pay this bill (the `reason` of `coupon_not_usable`).
fn unusable(reason: &str) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::CouponNotUsable)
        .with("reason", reason)
}

/// Whether a refusal means the coupon is gone (used, held by another
/// payment, expired): what a member who asked to pay without it then
/// does.
pub fn is_gone(e: &AppError) -> bool {
    matches!(e, AppError::Api { code: ErrorCode::CouponNotUsable, params, .. }
        if matches!(params.get("reason").map(String::as_str), Some("used" | "in_use" | "expired")))
}

/// Coupon `id` of member `member_id` checked for a bill at `store_id` at
/// `now` (its minimum spend is the plan's to apply).
pub async fn chosen(
    conn: &impl ConnectionTrait,
    (brand_id, member_id): (i64, i64),
    id: i64,
    store_id: i64,
    now: i64,
) -> AppResult<Chosen> {
    let c = coupon::Entity::find_by_id(id)
        .filter(coupon::Column::BrandId.eq(brand_id))
        .filter(coupon::Column::MemberId.eq(member_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::invalid("coupon_id", "unknown"))?;
    match CouponState::parse(&c.state) {
        Some(CouponState::Issued) => {}
        Some(CouponState::Reserved) => return Err(unusable("in_use")),
        Some(CouponState::Used) => return Err(unusable("used")),
        _ => return Err(unusable("expired")),
    }
    if c.ends_at <= now {
        return Err(unusable("expired"));
    }
    if c.starts_at > now {
        return Err(unusable("not_yet"));
    }
    let t = coupon_template::Entity::find_by_id(c.template_id)
        .one(conn)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon {id} has no template")))?;
    if !t.all_stores {
        let stores = stores_of(conn, &[t.id])
            .await?
            .remove(&t.id)
            .unwrap_or_default();
        if !stores.contains(&store_id) {
            return Err(unusable("store"));
        }
    }
    let off = match CouponKind::parse(&t.kind) {
        Some(CouponKind::Cash) => CouponOff::Cash(Fen(t.off_amount)),
        Some(CouponKind::Percent) => CouponOff::Percent {
            rate: Bp(u32::try_from(t.rate_bp).unwrap_or(0)),
            cap: Fen(t.cap),
        },
        _ => return Err(unusable("item_only")),
    };
    Ok(Chosen {
        id: c.id,
        choice: CouponChoice {
            off,
            min_spend: Fen(t.min_spend),
        },
    })
}

/// Takes the coupon for a bill it takes `worth` off: `issued → used`,
/// only if it still is issued and within its dates. Whether it was taken.
pub async fn take(tx: &DatabaseTransaction, id: i64, worth: Fen, now: i64) -> AppResult<bool> {
    let done = coupon::Entity::update_many()
        .col_expr(
            coupon::Column::State,
            Expr::value(CouponState::Used.as_str()),
        )
        .col_expr(coupon::Column::Worth, Expr::value(worth.0))
        .col_expr(coupon::Column::UsedAt, Expr::value(now))
        .filter(coupon::Column::Id.eq(id))
        .filter(coupon::Column::State.eq(CouponState::Issued.as_str()))
        .filter(coupon::Column::StartsAt.lte(now))
        .filter(coupon::Column::EndsAt.gt(now))
        .exec(tx)
        .await?;
    Ok(done.rows_affected == 1)
}

/// One row changed, or the books would disagree with the coupon: the
/// transaction stops rather than booking a coupon it did not move.
fn exactly_one(rows: u64, what: &str) -> AppResult<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(AppError::Internal(anyhow::anyhow!(
            "{what}: {rows} coupons changed, not one"
        )))
    }
}

/// Names the payment a taken coupon paid.
pub async fn link(tx: &DatabaseTransaction, id: i64, payment_id: i64) -> AppResult<()> {
    let done = coupon::Entity::update_many()
        .col_expr(coupon::Column::PaymentId, Expr::value(payment_id))
        .filter(coupon::Column::Id.eq(id))
        .filter(coupon::Column::State.eq(CouponState::Used.as_str()))
        .exec(tx)
        .await?;
    exactly_one(done.rows_affected, "coupon used by a payment")
}

/// A payment refunded in full gives its coupon back: usable again if it is
/// still within its dates, else expired. Answers the state it went back to.
pub async fn give_back(
    tx: &DatabaseTransaction,
    payment_id: i64,
    now: i64,
) -> AppResult<Option<CouponState>> {
    let Some(c) = coupon::Entity::find()
        .filter(coupon::Column::PaymentId.eq(payment_id))
        .filter(coupon::Column::State.eq(CouponState::Used.as_str()))
        .one(tx)
        .await?
    else {
        return Ok(None);
    };
    put_back(tx, &c, Condition::all(), now).await
}

/// Puts a used coupon back in the member's hands: issued while within its
/// dates, else expired, by compare-and-set on `used` (and `only`); the state
/// it went to, or none if it was no longer used.
async fn put_back(
    tx: &DatabaseTransaction,
    c: &coupon::Model,
    only: Condition,
    now: i64,
) -> AppResult<Option<CouponState>> {
    let back = if c.ends_at > now {
        CouponState::Issued
    } else {
        CouponState::Expired
    };
    let done = coupon::Entity::update_many()
        .col_expr(coupon::Column::State, Expr::value(back.as_str()))
        .col_expr(coupon::Column::Worth, Expr::value(0i64))
        .col_expr(coupon::Column::UsedAt, Expr::value(Option::<i64>::None))
        .col_expr(coupon::Column::PaymentId, Expr::value(Option::<i64>::None))
        .col_expr(
            coupon::Column::GatewayOrderId,
            Expr::value(Option::<i64>::None),
        )
        .filter(coupon::Column::Id.eq(c.id))
        .filter(coupon::Column::State.eq(CouponState::Used.as_str()))
        .filter(only)
        .exec(tx)
        .await?;
    Ok((done.rows_affected == 1).then_some(back))
}

/// Holds the coupon for a split payment's gateway order `order_id`
/// (`issued → reserved`), taking `worth` off; whether it was held.
pub async fn reserve(
    tx: &DatabaseTransaction,
    id: i64,
    order_id: i64,
    worth: Fen,
    now: i64,
) -> AppResult<bool> {
    let done = coupon::Entity::update_many()
        .col_expr(
            coupon::Column::State,
            Expr::value(CouponState::Reserved.as_str()),
        )
        .col_expr(coupon::Column::Worth, Expr::value(worth.0))
        .col_expr(coupon::Column::GatewayOrderId, Expr::value(order_id))
        .filter(coupon::Column::Id.eq(id))
        .filter(coupon::Column::State.eq(CouponState::Issued.as_str()))
        .filter(coupon::Column::StartsAt.lte(now))
        .filter(coupon::Column::EndsAt.gt(now))
        .exec(tx)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The gateway leg of order `order_id` was paid: its held coupon is used
/// by payment `payment_id` (`reserved → used`).
pub async fn settle_reserved(
    tx: &DatabaseTransaction,
    order_id: i64,
    payment_id: i64,
    now: i64,
) -> AppResult<()> {
    let done = coupon::Entity::update_many()
        .col_expr(
            coupon::Column::State,
            Expr::value(CouponState::Used.as_str()),
        )
        .col_expr(coupon::Column::PaymentId, Expr::value(payment_id))
        .col_expr(coupon::Column::UsedAt, Expr::value(now))
        .filter(coupon::Column::GatewayOrderId.eq(order_id))
        .filter(coupon::Column::State.eq(CouponState::Reserved.as_str()))
        .exec(tx)
        .await?;
    exactly_one(done.rows_affected, "coupon held by a split payment")
}

/// The gateway leg of order `order_id` failed or was given up: its held
/// coupon goes back to the member (`reserved → issued`; one past its end
/// shows as expired).
pub async fn release_reserved(tx: &DatabaseTransaction, order_id: i64) -> AppResult<()> {
    coupon::Entity::update_many()
        .col_expr(
            coupon::Column::State,
            Expr::value(CouponState::Issued.as_str()),
        )
        .col_expr(coupon::Column::Worth, Expr::value(0i64))
        .col_expr(
            coupon::Column::GatewayOrderId,
            Expr::value(Option::<i64>::None),
        )
        .filter(coupon::Column::GatewayOrderId.eq(order_id))
        .filter(coupon::Column::State.eq(CouponState::Reserved.as_str()))
        .exec(tx)
        .await?;
    Ok(())
}

/// Writes off a free-item coupon at store `store_id` for `actor`: taken
/// `issued → used` by compare-and-set, worth the item's price, which the
/// brand pays the store from promotion expense. The scan that calls it
/// comes with the member code (issue 17). Answers what the store is paid.
pub async fn write_off_item(
    state: &crate::state::AppState,
    brand: &crate::entity::brand::Model,
    (coupon_id, store_id): (i64, i64),
    actor: &str,
) -> AppResult<Fen> {
    let now = state.clock.now_ms();
    let tx = crate::db::begin_write(&state.db).await?;
    let taken = write_off_item_in(&tx, brand, (coupon_id, store_id), None, actor, now).await?;
    tx.commit().await?;
    Ok(taken.1)
}

/// Writes off a free-item coupon in `tx` (one of a write-off's lines); if
/// `member_id` is named, the coupon must be theirs. Answers its item and
/// what the store is paid.
pub async fn write_off_item_in(
    tx: &DatabaseTransaction,
    brand: &crate::entity::brand::Model,
    (coupon_id, store_id): (i64, i64),
    member_id: Option<i64>,
    actor: &str,
    now: i64,
) -> AppResult<(i64, Fen)> {
    use crate::ledger::{self, Entry, Kind, Line};
    let shop = crate::chain::store_in_brand(tx, brand.id, store_id).await?;
    if !shop.active {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::StoreClosed,
        ));
    }
    let c = coupon::Entity::find_by_id(coupon_id)
        .filter(coupon::Column::BrandId.eq(brand.id))
        .one(tx)
        .await?
        .filter(|c| member_id.is_none_or(|m| m == c.member_id))
        .ok_or_else(|| AppError::invalid("coupon_id", "unknown"))?;
    let t = coupon_template::Entity::find_by_id(c.template_id)
        .one(tx)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon {coupon_id} has no template")))?;
    let Some(item_id) = t.item_id.filter(|_| t.kind == CouponKind::Item.as_str()) else {
        return Err(unusable("not_item"));
    };
    match CouponState::parse(&c.state) {
        Some(CouponState::Issued) if c.ends_at <= now => return Err(unusable("expired")),
        Some(CouponState::Issued) if c.starts_at > now => return Err(unusable("not_yet")),
        Some(CouponState::Issued) => {}
        Some(CouponState::Reserved) => return Err(unusable("in_use")),
        Some(CouponState::Used) => return Err(unusable("used")),
        _ => return Err(unusable("expired")),
    }
    if !t.all_stores
        && !stores_of(tx, &[t.id])
            .await?
            .remove(&t.id)
            .unwrap_or_default()
            .contains(&shop.id)
    {
        return Err(unusable("store"));
    }
    let price = crate::entity::service_item::Entity::find_by_id(item_id)
        .one(tx)
        .await?
        .map(|i| Fen(i.price))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon item {item_id} is gone")))?;
    // Two scans at once: one takes it.
    if !take(tx, c.id, price, now).await? {
        return Err(unusable("used"));
    }
    let ids = ledger::account_ids(
        tx,
        brand.id,
        &[(Kind::PromotionExpense, 0), (Kind::StoreWallet, shop.id)],
        now,
    )
    .await?;
    ledger::post_or_fail(
        tx,
        Entry {
            brand_id: brand.id,
            kind: shared::dto::EntryKind::CouponItemUse,
            op_ref: format!("coupon-use:{}:{now}", c.id),
            store_id: Some(shop.id),
            member_id: Some(c.member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: actor.to_string(),
            business_date: ledger::business_date(&brand.time_zone, now),
            at: now,
            lines: vec![Line::fen(ids[0], -price), Line::fen(ids[1], price)],
        },
    )
    .await?;
    Ok((item_id, price))
}

/// A written-off free-item coupon given back when its write-off is undone:
/// usable again if still within its dates, else expired (compare-and-set
/// from `used`, or the transaction stops).
pub async fn give_back_item(tx: &DatabaseTransaction, id: i64, now: i64) -> AppResult<CouponState> {
    let c = coupon::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon {id} is gone")))?;
    // A free-item coupon written off: never one that paid a bill.
    let only = Condition::all().add(coupon::Column::PaymentId.is_null());
    put_back(tx, &c, only, now).await?.ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "coupon {id} given back by an undone write-off was no longer used"
        ))
    })
}
