//! Routes anyone may call: health and a brand's public face.

use crate::entity::brand;
use crate::error::{AppError, AppPath, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared::ErrorCode;
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
    Ok(Json(to_public(&state, &find_brand(&state, &slug).await?)))
}

/// The brand with this slug, or `brand_not_found`.
pub async fn find_brand(state: &AppState, slug: &str) -> AppResult<brand::Model> {
    brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(axum::http::StatusCode::NOT_FOUND, ErrorCode::BrandNotFound))
}

/// A brand as anyone may see it.
pub fn to_public(state: &AppState, b: &brand::Model) -> BrandPublic {
    BrandPublic {
        online_payments: state.gateway_configured,
        sandbox: state.demo,
        slug: b.slug.clone(),
        name: b.name.clone(),
        time_zone: b.time_zone.clone(),
        theme_color: b.theme_color.clone(),
        logo_url: b.logo_url.clone(),
    }
}
