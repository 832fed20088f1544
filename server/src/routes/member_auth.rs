//! Member identity over HTTP: SMS code login (registering on first login),
//! profile, logout. Each route is one call into [`crate::identity`].

use crate::auth::{self, ActiveMember, ClientIp, MemberCaller};
use crate::error::{AppJson, AppPath, AppResult};
use crate::identity::{member_login, profile};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{
    MemberLoginRequest, MemberProfile, MemberProfileUpdate, MemberSession, SmsCodeRequest,
    SmsCodeSent,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::SendSmsCode, send_code)
        .at(api::MemberLogin, login)
        .at(api::MemberMe, me)
        .at(api::UpdateMemberMe, update_me)
        .at(api::MemberLogout, logout)
        .at(api::CloseMemberAccount, close_account)
}

/// Public: send a login code to a phone. Rate limited per phone across the
/// deployment (1/min, 5/h, 10/day by default) and per client address.
async fn send_code(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    ClientIp(ip): ClientIp,
    AppJson(req): AppJson<SmsCodeRequest>,
) -> AppResult<Json<SmsCodeSent>> {
    Ok(Json(
        member_login::send_code(&state, &slug, ip, &req).await?,
    ))
}

/// Public: log in with phone + code; registers the member on first login
/// (with consent) in the brand of the URL.
async fn login(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    AppJson(req): AppJson<MemberLoginRequest>,
) -> AppResult<Json<MemberSession>> {
    Ok(Json(member_login::login(&state, &slug, &req).await?))
}

/// Member: their own profile.
async fn me(State(state): State<AppState>, caller: MemberCaller) -> AppResult<Json<MemberProfile>> {
    Ok(Json(profile::of(&state.db, caller.member).await?))
}

/// Member (not frozen): change name, birthday, gender.
async fn update_me(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    AppJson(req): AppJson<MemberProfileUpdate>,
) -> AppResult<Json<MemberProfile>> {
    let updated = profile::update(&state, &caller.brand, &caller.member, &req).await?;
    Ok(Json(updated))
}

/// Member: end this session.
async fn logout(State(state): State<AppState>, caller: MemberCaller) -> AppResult<StatusCode> {
    let tx = crate::db::begin_write(&state.db).await?;
    auth::revoke(&tx, state.clock.now_ms(), caller.session_id).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Member: close the account (注销).
async fn close_account(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<StatusCode> {
    crate::identity::members::close_account(&state, &caller.member).await?;
    Ok(StatusCode::NO_CONTENT)
}
