//! The chain's structure over HTTP: regions and stores. HQ admin shapes it;
//! region and store staff see (and partly edit) their own part. Each route
//! is one call into [`crate::chain`].

use crate::auth::{AnyStaff, ChainReaders, HqAdmin, StaffCaller, StoreEditors};
use crate::chain::{regions, stores};
use crate::error::{AppJson, AppPath, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{RegionInput, RegionView, StoreInput, StoreView};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListRegions, list_regions)
        .at(api::CreateRegion, create_region)
        .at(api::RenameRegion, rename_region)
        .at(api::DeleteRegion, delete_region)
        .at(api::ListStores, list_stores)
        .at(api::CreateStore, create_store)
        .at(api::GetStore, get_store)
        .at(api::UpdateStore, update_store)
        .at(api::MakeDefaultStore, make_default)
}

/// HQ and region managers: regions (a region manager sees only theirs).
async fn list_regions(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
) -> AppResult<Json<Vec<RegionView>>> {
    Ok(Json(regions::list(&state, &caller.actor()).await?))
}

/// HQ admin: create a region.
async fn create_region(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<RegionInput>,
) -> AppResult<(StatusCode, Json<RegionView>)> {
    let region = regions::create(&state, &caller.actor(), req).await?;
    Ok((StatusCode::CREATED, Json(region)))
}

/// HQ admin: rename a region.
async fn rename_region(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<RegionInput>,
) -> AppResult<Json<RegionView>> {
    Ok(Json(
        regions::rename(&state, &caller.actor(), id, req).await?,
    ))
}

/// HQ admin: delete an empty region.
async fn delete_region(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<StatusCode> {
    regions::delete(&state, &caller.actor(), id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any staff: the stores their scope covers.
async fn list_stores(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<StoreView>>> {
    Ok(Json(stores::list(&state, &caller.actor()).await?))
}

/// Any staff: one store in their scope.
async fn get_store(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StoreView>> {
    Ok(Json(stores::get(&state, &caller.actor(), id).await?))
}

/// HQ admin: open a store. The brand's first store becomes its default.
async fn create_store(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<StoreInput>,
) -> AppResult<(StatusCode, Json<StoreView>)> {
    let store = stores::create(&state, &caller.actor(), req).await?;
    Ok((StatusCode::CREATED, Json(store)))
}

/// HQ admin, or a region or store manager for a store in their scope. Only HQ
/// moves a store to another region or opens / closes it.
async fn update_store(
    State(state): State<AppState>,
    caller: StaffCaller<StoreEditors>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<StoreInput>,
) -> AppResult<Json<StoreView>> {
    Ok(Json(
        stores::update(&state, &caller.actor(), id, req).await?,
    ))
}

/// HQ admin: make this (open) store the brand's one default store.
async fn make_default(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StoreView>> {
    Ok(Json(
        stores::make_default(&state, &caller.actor(), id).await?,
    ))
}
