//! A brand's stores: HQ admin opens them, moves them between regions, opens
//! and closes them and picks the default; a region or store manager edits
//! the details of a store in their scope; every staff member sees the
//! stores their scope covers.
//!
//! Locks: `stores:BRAND` for every write that can decide which store is the
//! default (see [`lock_stores`]).

use super::{Reach, reach, region_in_brand, store_in_brand, store_in_scope};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::db::{begin_write, lock_key};
use crate::entity::{region, store};
use crate::error::{AppError, AppResult, check, unique_as, unknown_as};
use crate::names;
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use shared::ErrorCode;
use shared::dto::{AuditAction, AuditField, AuditValue, Role, StoreInput, StoreView};
use shared::validate;
use std::collections::HashMap;

/// Serialises the writes that decide which store is the default (creating the
/// first store, moving the default, closing a store) within one brand. Without
/// it two PostgreSQL transactions can both see "no stores yet" or both unset
/// the old default, and one fails on the one-default index.
pub(crate) async fn lock_stores(tx: &DatabaseTransaction, brand_id: i64) -> AppResult<()> {
    Ok(lock_key(tx, &format!("stores:{brand_id}")).await?)
}

/// Stores as the merchant app shows them, with their region's name.
pub async fn views(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    stores: Vec<store::Model>,
) -> AppResult<Vec<StoreView>> {
    let names: HashMap<i64, String> = region::Entity::find()
        .filter(region::Column::BrandId.eq(brand_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    Ok(stores
        .into_iter()
        .map(|s| StoreView {
            region_name: names.get(&s.region_id).cloned().unwrap_or_default(),
            id: s.id,
            name: s.name,
            region_id: s.region_id,
            address: s.address,
            phone: s.phone,
            hours: s.hours,
            is_default: s.is_default,
            active: s.active,
        })
        .collect())
}

/// One store as the merchant app shows it.
async fn view(conn: &impl ConnectionTrait, brand_id: i64, s: store::Model) -> AppResult<StoreView> {
    views(conn, brand_id, vec![s])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)
}

/// The stores `by`'s scope covers.
pub async fn list(state: &AppState, by: &Actor) -> AppResult<Vec<StoreView>> {
    let mut q = store::Entity::find().filter(store::Column::BrandId.eq(by.brand.id));
    q = match reach(by) {
        Reach::Brand => q,
        Reach::Region(own) => q.filter(store::Column::RegionId.eq(own)),
        Reach::Store(own) => q.filter(store::Column::Id.eq(own)),
    };
    let stores = q.order_by_asc(store::Column::Id).all(&state.db).await?;
    views(&state.db, by.brand.id, stores).await
}

/// Store `id`, if `by`'s scope covers it (404 otherwise).
pub async fn get(state: &AppState, by: &Actor, id: i64) -> AppResult<StoreView> {
    let s = store_in_scope(&state.db, by, id).await?;
    view(&state.db, by.brand.id, s).await
}

struct CleanStore {
    name: String,
    address: String,
    phone: String,
    hours: String,
}

fn clean_store(req: &StoreInput) -> AppResult<CleanStore> {
    Ok(CleanStore {
        name: check("name", validate::place_name(&req.name))?,
        address: check("address", validate::address(&req.address))?,
        phone: validate::store_phone(&req.phone)
            .map_err(|reason| AppError::invalid("phone", reason).with("label", "store_phone"))?,
        hours: check("hours", validate::hours(&req.hours))?,
    })
}

/// Records `action` on store `s` by `by` in the audit log.
async fn audit_store(
    tx: &DatabaseTransaction,
    by: &Actor,
    now: i64,
    action: AuditAction,
    s: &store::Model,
    more: impl FnOnce(Record) -> Record,
) -> AppResult<()> {
    let rec = more(Record::new(action, format!("#{} {}", s.id, s.name)).store(s.id));
    audit::by(tx, by, now, rec).await?;
    Ok(())
}

/// Opens a store. The brand's first store becomes its default (and is open
/// whatever was asked).
pub async fn create(state: &AppState, by: &Actor, req: StoreInput) -> AppResult<StoreView> {
    let c = clean_store(&req)?;
    let tx = begin_write(&state.db).await?;
    lock_stores(&tx, by.brand.id).await?;
    region_in_brand(&tx, by.brand.id, req.region_id)
        .await
        .map_err(unknown_as("region_id"))?;
    let first = store::Entity::find()
        .filter(store::Column::BrandId.eq(by.brand.id))
        .count(&tx)
        .await?
        == 0;
    let now = state.clock.now_ms();
    let s = store::ActiveModel {
        brand_id: Set(by.brand.id),
        region_id: Set(req.region_id),
        name: Set(c.name),
        address: Set(c.address),
        phone: Set(c.phone),
        hours: Set(c.hours),
        is_default: Set(first),
        active: Set(req.active || first),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(unique_as("name"))?;
    audit_store(&tx, by, now, AuditAction::StoreCreate, &s, |r| r).await?;
    let view = view(&tx, by.brand.id, s).await?;
    tx.commit().await?;
    Ok(view)
}

/// Edits store `id` in `by`'s scope. Only HQ admin moves a store to another
/// region or opens / closes it; the default store stays open.
pub async fn update(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: StoreInput,
) -> AppResult<StoreView> {
    let c = clean_store(&req)?;
    let tx = begin_write(&state.db).await?;
    lock_stores(&tx, by.brand.id).await?;
    let s = store_in_scope(&tx, by, id).await?;
    allowed_change(&tx, by, &s, &req).await?;
    let before = s.clone();
    let mut m = s.into_active_model();
    m.name = Set(c.name);
    m.address = Set(c.address);
    m.phone = Set(c.phone);
    m.hours = Set(c.hours);
    m.region_id = Set(req.region_id);
    m.active = Set(req.active);
    let s = m.update(&tx).await.map_err(unique_as("name"))?;
    let now = state.clock.now_ms();
    let regions =
        names::region_names(&tx, by.brand.id, vec![before.region_id, s.region_id]).await?;
    let region = |id: i64| regions.get(&id).and_then(audit::text);
    let changes = |r: Record| {
        use AuditField as F;
        r.change(F::Name, audit::text(&before.name), audit::text(&s.name))
            .change(
                F::Address,
                audit::text(&before.address),
                audit::text(&s.address),
            )
            .change(F::Phone, audit::text(&before.phone), audit::text(&s.phone))
            .change(F::Hours, audit::text(&before.hours), audit::text(&s.hours))
            .change(F::Region, region(before.region_id), region(s.region_id))
            .change(
                F::Active,
                AuditValue::Flag(before.active),
                AuditValue::Flag(s.active),
            )
    };
    audit_store(&tx, by, now, AuditAction::StoreUpdate, &s, changes).await?;
    let view = view(&tx, by.brand.id, s).await?;
    tx.commit().await?;
    Ok(view)
}

/// Whether `by` may change store `s` as `req` asks: a move or an opening /
/// closing is HQ admin's (403), to a region of the brand, and the default
/// store cannot close (409).
async fn allowed_change(
    tx: &DatabaseTransaction,
    by: &Actor,
    s: &store::Model,
    req: &StoreInput,
) -> AppResult<()> {
    let structural = s.region_id != req.region_id || s.active != req.active;
    if structural && by.role != Role::HqAdmin {
        return Err(AppError::forbidden());
    }
    if s.region_id != req.region_id {
        region_in_brand(tx, by.brand.id, req.region_id)
            .await
            .map_err(unknown_as("region_id"))?;
    }
    if s.is_default && !req.active {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::DefaultStoreClosed,
        ));
    }
    Ok(())
}

/// Makes store `id` (open) the brand's one default store.
pub async fn make_default(state: &AppState, by: &Actor, id: i64) -> AppResult<StoreView> {
    let tx = begin_write(&state.db).await?;
    lock_stores(&tx, by.brand.id).await?;
    let s = store_in_brand(&tx, by.brand.id, id).await?;
    if !s.active {
        return Err(AppError::invalid("store_id", "store_closed"));
    }
    // Unset first, then set, inside one transaction: the partial unique index
    // allows at most one default at every moment.
    store::Entity::update_many()
        .col_expr(store::Column::IsDefault, Expr::value(false))
        .filter(store::Column::BrandId.eq(by.brand.id))
        .filter(store::Column::IsDefault.eq(true))
        .exec(&tx)
        .await?;
    let mut m = s.into_active_model();
    m.is_default = Set(true);
    let s = m.update(&tx).await?;
    let now = state.clock.now_ms();
    audit_store(&tx, by, now, AuditAction::StoreMakeDefault, &s, |r| r).await?;
    let view = view(&tx, by.brand.id, s).await?;
    tx.commit().await?;
    Ok(view)
}
