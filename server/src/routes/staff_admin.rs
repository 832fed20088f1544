//! Staff accounts over HTTP: HQ admin manages everyone; a store manager
//! manages the clerks of their own store; region managers and HQ finance
//! read. Each route is one call into [`crate::identity::staff_accounts`].

use crate::auth::{HqAdmin, Managers, StaffAdmins, StaffCaller};
use crate::error::{AppJson, AppPath, AppResult};
use crate::identity::staff_accounts;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{PasswordReset, StaffCreate, StaffUpdate, StaffView};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListStaff, list)
        .at(api::CreateStaff, create)
        .at(api::UpdateStaff, update)
        .at(api::ResetStaffPassword, reset_password)
        .at(api::DeactivateStaff, deactivate)
        .at(api::ActivateStaff, activate)
        .at(api::UnlockStaff, unlock)
}

/// Staff that may read staff: the accounts they may see.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
) -> AppResult<Json<Vec<StaffView>>> {
    Ok(Json(staff_accounts::list(&state, &caller.actor()).await?))
}

/// HQ admin (anyone) or store manager (their clerks): create an account.
async fn create(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppJson(req): AppJson<StaffCreate>,
) -> AppResult<(StatusCode, Json<StaffView>)> {
    let made = staff_accounts::create(&state, &caller.actor(), req).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Change name, role or scope.
async fn update(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<StaffUpdate>,
) -> AppResult<Json<StaffView>> {
    Ok(Json(
        staff_accounts::update(&state, &caller.actor(), id, req).await?,
    ))
}

/// Set a new password; every session of that account ends.
async fn reset_password(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<PasswordReset>,
) -> AppResult<Json<StaffView>> {
    let by = caller.actor();
    Ok(Json(
        staff_accounts::reset_password(&state, &by, id, req).await?,
    ))
}

/// Deactivate: the account's open sessions stop working at once.
async fn deactivate(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StaffView>> {
    Ok(Json(
        staff_accounts::set_active(&state, &caller.actor(), id, false).await?,
    ))
}

/// Reactivate an account.
async fn activate(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StaffView>> {
    Ok(Json(
        staff_accounts::set_active(&state, &caller.actor(), id, true).await?,
    ))
}

/// HQ admin: lift the lock that wrong passwords put on an account (audited,
/// with whether it was locked).
async fn unlock(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StaffView>> {
    Ok(Json(
        staff_accounts::unlock(&state, &caller.actor(), id).await?,
    ))
}
