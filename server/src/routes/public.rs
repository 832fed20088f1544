//! Routes anyone may call: health and a brand's public face.

use crate::error::{AppPath, AppResult};
use crate::identity::{find_brand, to_public};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::ConnectionTrait;
use shared::api;
use shared::dto::{BrandPublic, Health};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::HealthCheck, health)
        .at(api::BrandInfo, brand_public)
        .at(api::OpenApiDocument, openapi_document)
}

/// Public: the OpenAPI 3.1 document of this API.
async fn openapi_document() -> Json<&'static serde_json::Value> {
    Json(crate::openapi::document())
}

/// Public: `ok` when the database answers.
async fn health(State(state): State<AppState>) -> AppResult<Json<Health>> {
    state.db.execute_unprepared("SELECT 1").await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

/// Public: the brand a login screen belongs to.
async fn brand_public(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
) -> AppResult<Json<BrandPublic>> {
    let b = find_brand(&state, &slug).await?;
    Ok(Json(to_public(&state, &state.db, &b).await?))
}
