//! Staff identity: account + password login scoped to a brand, the current
//! staff member, logout and password change.

use crate::auth::{self, ClientIp, StaffCaller};
use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::staff;
use crate::error::{AppError, AppJson, AppPath, AppResult, check};
use crate::guess_limit;
use crate::names;
use crate::routes::Api;
use crate::routes::public::{find_brand, to_public};
use crate::state::AppState;
use crate::{audit, password};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;
use shared::ErrorCode;
use shared::api;
use shared::dto::{PasswordChange, Role, StaffLoginRequest, StaffSession, StaffView};
use shared::validate;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StaffLogin, login)
        .at(api::StaffMe, me)
        .at(api::StaffLogout, logout)
        .at(api::ChangePassword, change_password)
}

/// A staff row as the API shows it, with its scope's name.
pub async fn view(conn: &impl ConnectionTrait, now: i64, s: staff::Model) -> AppResult<StaffView> {
    let key = guess_limit::staff_account_key(s.brand_id, &s.account);
    let locked_until = guess_limit::locked_until(conn, &key, now)
        .await?
        .map(rfc3339);
    let scope_name = names::scope_name(conn, s.region_id, s.store_id).await?;
    Ok(StaffView {
        id: s.id,
        account: s.account,
        name: s.name,
        role: Role::parse(&s.role).unwrap_or(Role::Clerk),
        region_id: s.region_id,
        store_id: s.store_id,
        scope_name,
        active: s.active,
        locked_until,
    })
}

/// Public: log in to the brand of the URL. Guesses are limited per account
/// (growing lockout, HQ admin unlocks) and per client address (slowed, never
/// locking anyone's account); an unknown account is checked against a dummy
/// hash and counted under its name, so it answers exactly like a known one.
async fn login(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    ClientIp(ip): ClientIp,
    AppJson(req): AppJson<StaffLoginRequest>,
) -> AppResult<Json<StaffSession>> {
    let brand = find_brand(&state, &slug).await?;
    let wrong = || AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::WrongCredentials);
    let typed: String = req.account.trim().to_lowercase().chars().take(64).collect();
    let account = validate::account(&req.account).ok();
    let account_key =
        guess_limit::staff_account_key(brand.id, account.as_deref().unwrap_or(&typed));
    let address_key = guess_limit::staff_address_key(&ip);
    let (account_policy, address_policy) = (guess_limit::STAFF_ACCOUNT, guess_limit::STAFF_ADDRESS);

    let now = state.clock.now_ms();
    guess_limit::claim(&state.db, &address_key, address_policy, now)
        .await
        .map_err(|r| refused(r, ErrorCode::TooManyAttempts))?;
    if let Err(r) = guess_limit::claim(&state.db, &account_key, account_policy, now).await {
        // Not a guess at this address after all: give its slot back.
        let _ = guess_limit::settle(&state.db, &address_key, address_policy, true, now).await;
        return Err(refused(r, ErrorCode::AccountLocked));
    }
    let found = match &account {
        Some(account) => {
            staff::Entity::find()
                .filter(staff::Column::BrandId.eq(brand.id))
                .filter(staff::Column::Account.eq(account))
                .filter(staff::Column::ApiKey.eq(false))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let ok = password::verify(
        req.password,
        found.as_ref().map(|s| s.password_hash.clone()),
    )
    .await?
        && found.is_some();

    let now = state.clock.now_ms();
    let by_account = guess_limit::settle(&state.db, &account_key, account_policy, ok, now).await;
    let by_address = guess_limit::settle(&state.db, &address_key, address_policy, ok, now).await;
    if let Err(r) = by_account {
        if let (false, Some(staff), guess_limit::Refused::Locked(_)) = (ok, &found, &r) {
            audit::record(
                &state.db,
                now,
                brand.id,
                None,
                "staff.login_locked",
                format!("staff #{} {}", staff.id, staff.account),
                json!({ "ip": ip }),
            )
            .await?;
        }
        return Err(refused(r, ErrorCode::AccountLocked));
    }
    if let Err(r) = by_address {
        return Err(refused(r, ErrorCode::TooManyAttempts));
    }
    let Some(staff) = found.filter(|_| ok) else {
        return Err(wrong());
    };
    if !staff.active {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AccountDeactivated,
        ));
    }
    let tx = begin_write(&state.db).await?;
    let token = auth::open_session(
        &tx,
        &state.clock,
        state.limits.session_hours,
        auth::STAFF,
        staff.id,
        brand.id,
    )
    .await?;
    audit::record(
        &tx,
        now,
        brand.id,
        Some(staff.id),
        "staff.login",
        format!("staff #{}", staff.id),
        json!({}),
    )
    .await?;
    let staff = view(&tx, state.clock.now_ms(), staff).await?;
    tx.commit().await?;
    Ok(Json(StaffSession {
        token,
        staff,
        brand: to_public(&state, &brand),
    }))
}

/// A guess refused by `guess_limit`: `code` with the wait, or an internal
/// error.
fn refused(r: guess_limit::Refused, code: ErrorCode) -> AppError {
    match r {
        guess_limit::Refused::Locked(l) => AppError::new(StatusCode::TOO_MANY_REQUESTS, code)
            .with("retry_after", (l.retry_after_ms + 999) / 1000),
        guess_limit::Refused::Db(e) => e.into(),
    }
}

/// Any staff: who am I.
async fn me(State(state): State<AppState>, caller: StaffCaller) -> AppResult<Json<StaffSession>> {
    let brand = to_public(&state, &caller.brand);
    Ok(Json(StaffSession {
        token: String::new(),
        staff: view(&state.db, state.clock.now_ms(), caller.staff).await?,
        brand,
    }))
}

/// Any staff: end this session.
async fn logout(State(state): State<AppState>, caller: StaffCaller) -> AppResult<StatusCode> {
    auth::revoke(&state.db, state.clock.now_ms(), caller.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Any staff: change one's own password. Every session ends, this one too;
/// a fresh session is returned so the caller stays logged in here.
async fn change_password(
    State(state): State<AppState>,
    caller: StaffCaller,
    AppJson(req): AppJson<PasswordChange>,
) -> AppResult<Json<StaffSession>> {
    if caller.key.is_some() {
        return Err(AppError::forbidden()); // an API key has no password
    }
    let new = check("password", validate::password(&req.new))?;
    if !password::verify(req.current, Some(caller.staff.password_hash.clone())).await? {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongCurrentPassword,
        ));
    }
    let hash = password::hash(new).await?;
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let mut m = caller.staff.clone().into_active_model();
    m.password_hash = Set(hash);
    let updated = m.update(&tx).await?;
    auth::revoke_all(&tx, now, auth::STAFF, updated.id).await?;
    let token = auth::open_session(
        &tx,
        &state.clock,
        state.limits.session_hours,
        auth::STAFF,
        updated.id,
        updated.brand_id,
    )
    .await?;
    let target = format!("staff #{}", updated.id);
    audit::record(
        &tx,
        now,
        updated.brand_id,
        Some(updated.id),
        "staff.password_change",
        target,
        json!({}),
    )
    .await?;
    let staff = view(&tx, state.clock.now_ms(), updated).await?;
    tx.commit().await?;
    Ok(Json(StaffSession {
        token,
        staff,
        brand: to_public(&state, &caller.brand),
    }))
}
