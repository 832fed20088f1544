//! Staff identity: account + password login scoped to a brand, the current
//! staff member, logout and password change.

use crate::auth::{self, StaffCaller};
use crate::db::begin_write;
use crate::entity::{region, staff, store};
use crate::error::{AppError, AppJson, AppPath, AppResult, check};
use crate::routes::public::{find_brand, to_public};
use crate::state::AppState;
use crate::{audit, password};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};
use serde_json::json;
use shared::ErrorCode;
use shared::dto::{PasswordChange, Role, StaffLoginRequest, StaffSession, StaffView};
use shared::validate;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/brands/{slug}/staff/login", post(login))
        .route("/staff/me", get(me))
        .route("/staff/logout", post(logout))
        .route("/staff/password", post(change_password))
}

/// A staff row as the API shows it, with its scope's name.
pub async fn view(conn: &impl ConnectionTrait, s: staff::Model) -> AppResult<StaffView> {
    let scope_name = match (s.region_id, s.store_id) {
        (_, Some(id)) => store::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|x| x.name),
        (Some(id), None) => region::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|x| x.name),
        (None, None) => None,
    };
    Ok(StaffView {
        id: s.id,
        account: s.account,
        name: s.name,
        role: Role::parse(&s.role).unwrap_or(Role::Clerk),
        region_id: s.region_id,
        store_id: s.store_id,
        scope_name,
        active: s.active,
    })
}

/// Public: log in to the brand of the URL.
async fn login(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    AppJson(req): AppJson<StaffLoginRequest>,
) -> AppResult<Json<StaffSession>> {
    let brand = find_brand(&state, &slug).await?;
    let wrong = || AppError::new(StatusCode::UNAUTHORIZED, ErrorCode::WrongCredentials);
    let account = validate::account(&req.account).map_err(|_| wrong())?;
    let found = staff::Entity::find()
        .filter(staff::Column::BrandId.eq(brand.id))
        .filter(staff::Column::Account.eq(&account))
        .one(&state.db)
        .await?;
    let ok = password::verify(
        req.password,
        found.as_ref().map(|s| s.password_hash.clone()),
    )
    .await?;
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
    let now = state.clock.now_ms();
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
    let staff = view(&tx, staff).await?;
    tx.commit().await?;
    Ok(Json(StaffSession {
        token,
        staff,
        brand: to_public(&brand),
    }))
}

/// Any staff: who am I.
async fn me(State(state): State<AppState>, caller: StaffCaller) -> AppResult<Json<StaffSession>> {
    let brand = to_public(&caller.brand);
    Ok(Json(StaffSession {
        token: String::new(),
        staff: view(&state.db, caller.staff).await?,
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
    let staff = view(&tx, updated).await?;
    tx.commit().await?;
    Ok(Json(StaffSession {
        token,
        staff,
        brand: to_public(&caller.brand),
    }))
}
