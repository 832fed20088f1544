//! Identity: who members and staff are and how they prove it. Members log
//! in with a code sent by SMS (and register on their first login) and keep
//! a profile; staff log in with an account and password; HQ admin and
//! store managers keep staff accounts, HQ admin keeps API keys for
//! machines and freezes members. The HTTP routes in `routes::member_auth`,
//! `staff_auth`, `staff_admin`, `api_keys` and `members_admin` are one call
//! each into these services.

pub mod api_keys;
pub mod member_login;
pub mod members;
pub mod profile;
pub mod staff_accounts;
pub mod staff_login;
#[cfg(test)]
mod tests;

use crate::entity::brand;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shared::ErrorCode;
use shared::dto::BrandPublic;

/// The brand with this slug, or `brand_not_found`.
pub async fn find_brand(state: &AppState, slug: &str) -> AppResult<brand::Model> {
    brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, ErrorCode::BrandNotFound))
}

/// A brand as anyone may see it, with the programmes HQ has on, read on
/// `conn` (a caller inside a transaction passes it: a second connection
/// taken while holding SQLite's write lock can wait on a pool the writers
/// queued behind that lock have drained).
pub async fn to_public(
    state: &AppState,
    conn: &impl sea_orm::ConnectionTrait,
    b: &brand::Model,
) -> AppResult<BrandPublic> {
    Ok(BrandPublic {
        online_payments: state.gateway_configured,
        sandbox: state.demo,
        sign_in: crate::sign_in::policy(conn, b.id).await?.enabled,
        invites: crate::invites::policy(conn, b.id).await?.enabled,
        slug: b.slug.clone(),
        name: b.name.clone(),
        time_zone: b.time_zone.clone(),
        theme_color: b.theme_color.clone(),
        logo_url: b.logo_url.clone(),
    })
}
