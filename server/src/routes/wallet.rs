//! 钱包: a store's wallet and its every movement; HQ's view of every wallet,
//! the stored value owed to members and what bonuses cost. The reads are in
//! [`crate::wallet`].

use crate::auth::{HqMoney, Managers, StaffCaller};
use crate::error::{AppPath, AppQuery, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use crate::wallet;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AfterQuery, BrandMoney, Page, WalletEntry, WalletView};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StoreWallet, store_wallet)
        .at(api::WalletEntries, entries)
        .at(api::ScopeWallets, scope_wallets)
        .at(api::BrandMoneyView, brand_money)
}

/// The wallets of every store in the caller's scope, by store name.
async fn scope_wallets(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
) -> AppResult<Json<Vec<WalletView>>> {
    Ok(Json(
        wallet::scope_wallets(&state.db, &caller.actor()).await?,
    ))
}

/// A store's wallet.
async fn store_wallet(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
) -> AppResult<Json<WalletView>> {
    Ok(Json(
        wallet::wallet(&state.db, &caller.actor(), store_id).await?,
    ))
}

/// Every movement of a store's wallet, newest first, keyset-paged.
async fn entries(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<WalletEntry>>> {
    let page = wallet::entries(&state.db, &caller.actor(), store_id, query.after).await?;
    Ok(Json(page))
}

/// HQ admin and finance: every store's wallet, the stored value owed to
/// members and what bonuses cost the brand.
async fn brand_money(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
) -> AppResult<Json<BrandMoney>> {
    Ok(Json(wallet::brand_money(&state.db, caller.brand.id).await?))
}
