//! API keys over HTTP (HQ admin; a key may not make or end keys). Each
//! route is one call into [`crate::identity::api_keys`].

use crate::auth::{HqAdmin, StaffCaller};
use crate::error::{AppJson, AppPath, AppResult};
use crate::identity::api_keys;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{ApiKeyCreated, ApiKeyInput, ApiKeyView};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListApiKeys, list)
        .at(api::CreateApiKey, create)
        .at(api::RevokeApiKey, revoke)
}

/// HQ admin: the brand's keys, newest first.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
) -> AppResult<Json<Vec<ApiKeyView>>> {
    Ok(Json(api_keys::list(&state, &caller.actor()).await?))
}

/// HQ admin in person: a new key; its secret is in this answer only.
async fn create(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<ApiKeyInput>,
) -> AppResult<(StatusCode, Json<ApiKeyCreated>)> {
    let made = api_keys::create(&state, &caller.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// HQ admin in person: the key stops working at once.
async fn revoke(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<ApiKeyView>> {
    Ok(Json(api_keys::revoke(&state, &caller.actor(), id).await?))
}
