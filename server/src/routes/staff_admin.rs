//! Staff accounts: HQ admin manages everyone; a store manager manages the
//! clerks of their own store; region managers and HQ finance read.

use crate::auth::{self, HqAdmin, Managers, RoleSet, StaffAdmins, StaffCaller};
use crate::chain::{region_in_brand, store_in_brand};
use crate::db::begin_write;
use crate::entity::{staff, store};
use crate::error::{AppError, AppJson, AppPath, AppResult, check, unique_as, unknown_as};
use crate::routes::Api;
use crate::routes::staff_auth::view;
use crate::state::AppState;
use crate::{audit, guess_limit, password};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use shared::api;
use shared::dto::{PasswordReset, Role, ScopeKind, StaffCreate, StaffUpdate, StaffView};
use shared::validate;

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

/// Whether the caller may manage an account with this role and store.
fn may_manage(caller: &StaffCaller<impl RoleSet>, role: Role, store_id: Option<i64>) -> bool {
    match caller.role {
        Role::HqAdmin => true,
        Role::StoreManager => {
            role == Role::Clerk && store_id.is_some() && store_id == caller.staff.store_id
        }
        _ => false,
    }
}

/// Whether the caller may see this account.
async fn may_see(
    conn: &impl ConnectionTrait,
    caller: &StaffCaller<impl RoleSet>,
    s: &staff::Model,
) -> AppResult<bool> {
    if s.api_key {
        return Ok(false); // an API key's row: managed on the keys page
    }
    Ok(match caller.role {
        Role::HqAdmin | Role::HqFinance => true,
        Role::RegionManager => {
            let region = caller.staff.region_id;
            match s.store_id {
                Some(id) => store::Entity::find_by_id(id)
                    .one(conn)
                    .await?
                    .is_some_and(|st| Some(st.region_id) == region),
                None => s.region_id.is_some() && s.region_id == region,
            }
        }
        Role::StoreManager => s.store_id.is_some() && s.store_id == caller.staff.store_id,
        Role::Clerk => false,
    })
}

/// The region and store a role's scope needs, checked against the brand.
pub(crate) async fn clean_scope(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    role: Role,
    region_id: Option<i64>,
    store_id: Option<i64>,
) -> AppResult<(Option<i64>, Option<i64>)> {
    match role.scope_kind() {
        ScopeKind::Brand => Ok((None, None)),
        ScopeKind::Region => {
            let id = region_id.ok_or_else(|| AppError::invalid("region_id", "required"))?;
            region_in_brand(conn, brand_id, id)
                .await
                .map_err(unknown_as("region_id"))?;
            Ok((Some(id), None))
        }
        ScopeKind::Store => {
            let id = store_id.ok_or_else(|| AppError::invalid("store_id", "required"))?;
            store_in_brand(conn, brand_id, id)
                .await
                .map_err(unknown_as("store_id"))?;
            Ok((None, Some(id)))
        }
    }
}

/// Staff that may read staff: the accounts they may see.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
) -> AppResult<Json<Vec<StaffView>>> {
    let all = staff::Entity::find()
        .filter(staff::Column::BrandId.eq(caller.brand.id))
        .order_by_asc(staff::Column::Id)
        .all(&state.db)
        .await?;
    let mut out = Vec::new();
    for s in all {
        if may_see(&state.db, &caller, &s).await? {
            out.push(view(&state.db, state.clock.now_ms(), s).await?);
        }
    }
    Ok(Json(out))
}

/// The account with this id, if the caller may manage it; 404 if not even visible.
async fn managed(
    conn: &impl ConnectionTrait,
    caller: &StaffCaller<impl RoleSet>,
    id: i64,
) -> AppResult<staff::Model> {
    let s = staff::Entity::find_by_id(id)
        .filter(staff::Column::BrandId.eq(caller.brand.id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !may_see(conn, caller, &s).await? {
        return Err(AppError::not_found());
    }
    let role = Role::parse(&s.role).unwrap_or(Role::Clerk);
    if !may_manage(caller, role, s.store_id) || s.id == caller.staff.id {
        return Err(AppError::forbidden());
    }
    Ok(s)
}

/// HQ admin (anyone) or store manager (their clerks): create an account.
async fn create(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppJson(req): AppJson<StaffCreate>,
) -> AppResult<(StatusCode, Json<StaffView>)> {
    let account = check("account", validate::account(&req.account))?;
    let name = check("name", validate::person_name(&req.name))?;
    let pw = check("password", validate::password(&req.password))?;
    if !may_manage(&caller, req.role, req.store_id) {
        return Err(AppError::forbidden());
    }
    let hash = password::hash(pw).await?;
    let tx = begin_write(&state.db).await?;
    let (region_id, store_id) =
        clean_scope(&tx, caller.brand.id, req.role, req.region_id, req.store_id).await?;
    let now = state.clock.now_ms();
    let s = staff::ActiveModel {
        brand_id: Set(caller.brand.id),
        account: Set(account),
        name: Set(name),
        role: Set(req.role.as_str().into()),
        region_id: Set(region_id),
        store_id: Set(store_id),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(unique_as("account"))?;
    let target = format!("staff #{} {}", s.id, s.account);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "staff.create",
        target,
        json!({ "role": s.role }),
    )
    .await?;
    let v = view(&tx, state.clock.now_ms(), s).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Change name, role or scope.
async fn update(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<StaffUpdate>,
) -> AppResult<Json<StaffView>> {
    let name = check("name", validate::person_name(&req.name))?;
    if !may_manage(&caller, req.role, req.store_id) {
        return Err(AppError::forbidden());
    }
    let tx = begin_write(&state.db).await?;
    let s = managed(&tx, &caller, id).await?;
    let (region_id, store_id) =
        clean_scope(&tx, caller.brand.id, req.role, req.region_id, req.store_id).await?;
    let scope_changed =
        s.role != req.role.as_str() || s.region_id != region_id || s.store_id != store_id;
    let mut m = s.into_active_model();
    m.name = Set(name);
    m.role = Set(req.role.as_str().into());
    m.region_id = Set(region_id);
    m.store_id = Set(store_id);
    let s = m.update(&tx).await?;
    let now = state.clock.now_ms();
    // A new role or scope takes effect at once: old sessions carry old rights.
    if scope_changed {
        auth::revoke_all(&tx, now, auth::STAFF, s.id).await?;
    }
    let target = format!("staff #{} {}", s.id, s.account);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "staff.update",
        target,
        json!({ "role": s.role }),
    )
    .await?;
    let v = view(&tx, state.clock.now_ms(), s).await?;
    tx.commit().await?;
    Ok(Json(v))
}

/// Set a new password; every session of that account ends.
async fn reset_password(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<PasswordReset>,
) -> AppResult<Json<StaffView>> {
    let pw = check("password", validate::password(&req.password))?;
    managed(&state.db, &caller, id).await?;
    let hash = password::hash(pw).await?;
    let tx = begin_write(&state.db).await?;
    let s = managed(&tx, &caller, id).await?;
    let mut m = s.into_active_model();
    m.password_hash = Set(hash);
    let s = m.update(&tx).await?;
    let now = state.clock.now_ms();
    auth::revoke_all(&tx, now, auth::STAFF, s.id).await?;
    let target = format!("staff #{} {}", s.id, s.account);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "staff.reset_password",
        target,
        json!({}),
    )
    .await?;
    let v = view(&tx, state.clock.now_ms(), s).await?;
    tx.commit().await?;
    Ok(Json(v))
}

async fn set_active(
    state: AppState,
    caller: StaffCaller<impl RoleSet>,
    id: i64,
    active: bool,
) -> AppResult<Json<StaffView>> {
    let tx = begin_write(&state.db).await?;
    let s = managed(&tx, &caller, id).await?;
    let mut m = s.into_active_model();
    m.active = Set(active);
    let s = m.update(&tx).await?;
    let now = state.clock.now_ms();
    if !active {
        auth::revoke_all(&tx, now, auth::STAFF, s.id).await?;
    }
    let action = if active {
        "staff.activate"
    } else {
        "staff.deactivate"
    };
    let target = format!("staff #{} {}", s.id, s.account);
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        action,
        target,
        json!({}),
    )
    .await?;
    let v = view(&tx, state.clock.now_ms(), s).await?;
    tx.commit().await?;
    Ok(Json(v))
}

/// Deactivate: the account's open sessions stop working at once.
async fn deactivate(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StaffView>> {
    set_active(state, caller, id, false).await
}

/// Reactivate an account.
async fn activate(
    State(state): State<AppState>,
    caller: StaffCaller<StaffAdmins>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StaffView>> {
    set_active(state, caller, id, true).await
}

/// HQ admin: lift the lock that wrong passwords put on an account (audited,
/// with whether it was locked).
async fn unlock(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<StaffView>> {
    let tx = begin_write(&state.db).await?;
    let s = managed(&tx, &caller, id).await?;
    let now = state.clock.now_ms();
    let key = guess_limit::staff_account_key(s.brand_id, &s.account);
    let was_locked = guess_limit::unlock(&tx, &key, now).await?;
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "staff.unlock",
        format!("staff #{} {}", s.id, s.account),
        json!({ "was_locked": was_locked }),
    )
    .await?;
    let v = view(&tx, now, s).await?;
    tx.commit().await?;
    Ok(Json(v))
}
