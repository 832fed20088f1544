//! Staff identity over HTTP: account + password login scoped to a brand,
//! the current staff member, logout and password change. Each route is one
//! call into [`crate::identity::staff_login`].

use crate::auth::{self, ClientIp, StaffCaller};
use crate::error::{AppJson, AppPath, AppResult};
use crate::identity::staff_login;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{PasswordChange, StaffLoginRequest, StaffSession};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StaffLogin, login)
        .at(api::StaffMe, me)
        .at(api::StaffLogout, logout)
        .at(api::ChangePassword, change_password)
}

/// Public: log in to the brand of the URL (guesses limited per account and
/// per client address).
async fn login(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    ClientIp(ip): ClientIp,
    AppJson(req): AppJson<StaffLoginRequest>,
) -> AppResult<Json<StaffSession>> {
    Ok(Json(staff_login::login(&state, &slug, &ip, req).await?))
}

/// Any staff: who am I.
async fn me(State(state): State<AppState>, caller: StaffCaller) -> AppResult<Json<StaffSession>> {
    Ok(Json(
        staff_login::me(&state, &caller.brand, caller.staff).await?,
    ))
}

/// Any staff: end this session.
async fn logout(State(state): State<AppState>, caller: StaffCaller) -> AppResult<StatusCode> {
    let tx = crate::db::begin_write(&state.db).await?;
    auth::revoke(&tx, state.clock.now_ms(), caller.session_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any staff in person: change one's own password; every session ends and
/// a fresh one is returned.
async fn change_password(
    State(state): State<AppState>,
    caller: StaffCaller,
    AppJson(req): AppJson<PasswordChange>,
) -> AppResult<Json<StaffSession>> {
    let session = staff_login::change_password(&state, &caller.actor(), req).await?;
    Ok(Json(session))
}
