//! The chain's structure: regions and stores. HQ admin shapes it; region and
//! store staff see (and partly edit) their own part.

use crate::audit;
use crate::auth::{AnyStaff, ChainReaders, HqAdmin, RoleSet, StaffCaller, StoreEditors};
use crate::chain::{region_in_brand, store_in_brand};
use crate::db::{begin_write, lock_key};
use crate::entity::{region, store};
use crate::error::{AppError, AppJson, AppPath, AppResult, check, unique_as, unknown_as};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use shared::ErrorCode;
use shared::api;
use shared::dto::{RegionInput, RegionView, Role, StoreInput, StoreView};
use shared::validate;
use std::collections::HashMap;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListRegions, list_regions)
        .at(api::CreateRegion, create_region)
        .at(api::RenameRegion, rename_region)
        .at(api::ListStores, list_stores)
        .at(api::CreateStore, create_store)
        .at(api::GetStore, get_store)
        .at(api::UpdateStore, update_store)
        .at(api::MakeDefaultStore, make_default)
}

/// Serialises the writes that decide which store is the default (creating the
/// first store, moving the default, closing a store) within one brand. Without
/// it two PostgreSQL transactions can both see "no stores yet" or both unset
/// the old default, and one fails on the one-default index.
async fn lock_stores(tx: &DatabaseTransaction, brand_id: i64) -> AppResult<()> {
    Ok(lock_key(tx, &format!("stores:{brand_id}")).await?)
}

/// A store the caller's scope covers, or 404 (outside the scope it does not exist for them).
async fn store_in_scope<R: RoleSet>(
    conn: &impl ConnectionTrait,
    caller: &StaffCaller<R>,
    id: i64,
) -> AppResult<store::Model> {
    let s = store_in_brand(conn, caller.brand.id, id).await?;
    if caller.covers_store(s.id, s.region_id) {
        Ok(s)
    } else {
        Err(AppError::not_found())
    }
}

/// HQ and region managers: regions (a region manager sees only theirs).
async fn list_regions(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
) -> AppResult<Json<Vec<RegionView>>> {
    let mut q = region::Entity::find().filter(region::Column::BrandId.eq(caller.brand.id));
    if caller.role == Role::RegionManager {
        q = q.filter(region::Column::Id.eq(caller.staff.region_id.unwrap_or(-1)));
    }
    let regions = q.order_by_asc(region::Column::Id).all(&state.db).await?;
    let mut out = Vec::with_capacity(regions.len());
    for r in regions {
        let store_count = store::Entity::find()
            .filter(store::Column::RegionId.eq(r.id))
            .count(&state.db)
            .await?;
        out.push(RegionView {
            id: r.id,
            name: r.name,
            store_count: store_count as i64,
        });
    }
    Ok(Json(out))
}

/// HQ admin: create a region.
async fn create_region(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<RegionInput>,
) -> AppResult<(StatusCode, Json<RegionView>)> {
    let name = check("name", validate::place_name(&req.name))?;
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let r = region::ActiveModel {
        brand_id: Set(caller.brand.id),
        name: Set(name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(unique_as("name"))?;
    let target = format!("region #{} {}", r.id, r.name);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "region.create",
        target,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(RegionView {
            id: r.id,
            name: r.name,
            store_count: 0,
        }),
    ))
}

/// HQ admin: rename a region.
async fn rename_region(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RegionInput>,
) -> AppResult<Json<RegionView>> {
    let name = check("name", validate::place_name(&req.name))?;
    let tx = begin_write(&state.db).await?;
    let r = region_in_brand(&tx, caller.brand.id, id).await?;
    let old = r.name.clone();
    let mut m = r.into_active_model();
    m.name = Set(name);
    let r = m.update(&tx).await.map_err(unique_as("name"))?;
    let now = state.clock.now_ms();
    let target = format!("region #{} {}", r.id, r.name);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "region.rename",
        target,
        json!({ "from": old }),
    )
    .await?;
    let store_count = store::Entity::find()
        .filter(store::Column::RegionId.eq(r.id))
        .count(&tx)
        .await? as i64;
    tx.commit().await?;
    Ok(Json(RegionView {
        id: r.id,
        name: r.name,
        store_count,
    }))
}

async fn store_views(
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

/// Any staff: the stores their scope covers.
async fn list_stores(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<StoreView>>> {
    let mut q = store::Entity::find().filter(store::Column::BrandId.eq(caller.brand.id));
    q = match caller.role {
        Role::HqAdmin | Role::HqFinance => q,
        Role::RegionManager => {
            q.filter(store::Column::RegionId.eq(caller.staff.region_id.unwrap_or(-1)))
        }
        Role::StoreManager | Role::Clerk => {
            q.filter(store::Column::Id.eq(caller.staff.store_id.unwrap_or(-1)))
        }
    };
    let stores = q.order_by_asc(store::Column::Id).all(&state.db).await?;
    Ok(Json(store_views(&state.db, caller.brand.id, stores).await?))
}

/// Any staff: one store in their scope.
async fn get_store(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StoreView>> {
    let s = store_in_scope(&state.db, &caller, id).await?;
    let mut views = store_views(&state.db, caller.brand.id, vec![s]).await?;
    views.pop().map(Json).ok_or_else(AppError::not_found)
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

/// HQ admin: open a store. The brand's first store becomes its default.
async fn create_store(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<StoreInput>,
) -> AppResult<(StatusCode, Json<StoreView>)> {
    let c = clean_store(&req)?;
    let tx = begin_write(&state.db).await?;
    lock_stores(&tx, caller.brand.id).await?;
    region_in_brand(&tx, caller.brand.id, req.region_id)
        .await
        .map_err(unknown_as("region_id"))?;
    let first = store::Entity::find()
        .filter(store::Column::BrandId.eq(caller.brand.id))
        .count(&tx)
        .await?
        == 0;
    let now = state.clock.now_ms();
    let s = store::ActiveModel {
        brand_id: Set(caller.brand.id),
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
    let target = format!("store #{} {}", s.id, s.name);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "store.create",
        target,
        json!({}),
    )
    .await?;
    let view = store_views(&tx, caller.brand.id, vec![s])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// HQ admin, or a region or store manager for a store in their scope. Only HQ
/// moves a store to another region or opens / closes it.
async fn update_store(
    State(state): State<AppState>,
    caller: StaffCaller<StoreEditors>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<StoreInput>,
) -> AppResult<Json<StoreView>> {
    let c = clean_store(&req)?;
    let tx = begin_write(&state.db).await?;
    lock_stores(&tx, caller.brand.id).await?;
    let s = store_in_scope(&tx, &caller, id).await?;
    let structural = s.region_id != req.region_id || s.active != req.active;
    if structural && caller.role != Role::HqAdmin {
        return Err(AppError::forbidden());
    }
    if s.region_id != req.region_id {
        region_in_brand(&tx, caller.brand.id, req.region_id)
            .await
            .map_err(unknown_as("region_id"))?;
    }
    if s.is_default && !req.active {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::DefaultStoreClosed,
        ));
    }
    let mut m = s.into_active_model();
    m.name = Set(c.name);
    m.address = Set(c.address);
    m.phone = Set(c.phone);
    m.hours = Set(c.hours);
    m.region_id = Set(req.region_id);
    m.active = Set(req.active);
    let s = m.update(&tx).await.map_err(unique_as("name"))?;
    let now = state.clock.now_ms();
    let target = format!("store #{} {}", s.id, s.name);
    let detail = json!({ "active": s.active, "region_id": s.region_id });
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "store.update",
        target,
        detail,
    )
    .await?;
    let view = store_views(&tx, caller.brand.id, vec![s])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(Json(view))
}

/// HQ admin: make this (open) store the brand's one default store.
async fn make_default(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StoreView>> {
    let tx = begin_write(&state.db).await?;
    lock_stores(&tx, caller.brand.id).await?;
    let s = store_in_brand(&tx, caller.brand.id, id).await?;
    if !s.active {
        return Err(AppError::invalid("store_id", "store_closed"));
    }
    // Unset first, then set, inside one transaction: the partial unique index
    // allows at most one default at every moment.
    store::Entity::update_many()
        .col_expr(store::Column::IsDefault, Expr::value(false))
        .filter(store::Column::BrandId.eq(caller.brand.id))
        .filter(store::Column::IsDefault.eq(true))
        .exec(&tx)
        .await?;
    let mut m = s.into_active_model();
    m.is_default = Set(true);
    let s = m.update(&tx).await?;
    let now = state.clock.now_ms();
    let target = format!("store #{} {}", s.id, s.name);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "store.make_default",
        target,
        json!({}),
    )
    .await?;
    let view = store_views(&tx, caller.brand.id, vec![s])
        .await?
        .pop()
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(Json(view))
}
