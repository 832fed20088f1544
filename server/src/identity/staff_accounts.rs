//! Staff accounts: HQ admin manages everyone; a store manager manages the
//! clerks of their own store; region managers and HQ finance read. Every
//! change is in the audit log; a change of role or scope, a new password
//! and a deactivation end the account's sessions at once.

use crate::audit::{self, Record};
use crate::auth::{self, Actor};
use crate::chain::{find_store, region_in_brand, store_in_brand};
use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::staff;
use crate::error::{AppError, AppResult, check, unique_as, unknown_as};
use crate::state::AppState;
use crate::{guess_limit, names, password};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use shared::dto::{
    AuditAction, AuditField, AuditValue, PasswordReset, Role, ScopeKind, StaffCreate, StaffUpdate,
    StaffView,
};
use shared::validate;

/// A staff row as the API shows it, with its scope's name and whether
/// wrong passwords have locked it.
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

/// The active managers (people, not keys) of a store.
pub async fn store_managers(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    store_id: i64,
) -> AppResult<Vec<staff::Model>> {
    Ok(staff::Entity::find()
        .filter(staff::Column::BrandId.eq(brand_id))
        .filter(staff::Column::StoreId.eq(store_id))
        .filter(staff::Column::Role.eq(Role::StoreManager.as_str()))
        .filter(staff::Column::Active.eq(true))
        .filter(staff::Column::ApiKey.eq(false))
        .all(conn)
        .await?)
}

/// Whether `by` may manage an account with this role and store.
fn may_manage(by: &Actor, role: Role, store_id: Option<i64>) -> bool {
    match by.role {
        Role::HqAdmin => true,
        Role::StoreManager => role == Role::Clerk && store_id.is_some() && store_id == by.store_id,
        _ => false,
    }
}

/// Whether `by` may see this account.
async fn may_see(conn: &impl ConnectionTrait, by: &Actor, s: &staff::Model) -> AppResult<bool> {
    if s.api_key {
        return Ok(false); // an API key's row: managed on the keys page
    }
    Ok(match by.role {
        Role::HqAdmin | Role::HqFinance => true,
        Role::RegionManager => match s.store_id {
            Some(id) => find_store(conn, by.brand.id, id)
                .await?
                .is_some_and(|st| Some(st.region_id) == by.region_id),
            None => s.region_id.is_some() && s.region_id == by.region_id,
        },
        Role::StoreManager => s.store_id.is_some() && s.store_id == by.store_id,
        Role::Clerk => false,
    })
}

/// The region and store a role's scope needs, checked against the brand.
/// A region is checked under the brand's chain lock, the one deleting a
/// region takes: a region deleted at the same moment either is gone here
/// or sees this account and stays.
pub async fn clean_scope(
    conn: &DatabaseTransaction,
    brand_id: i64,
    role: Role,
    region_id: Option<i64>,
    store_id: Option<i64>,
) -> AppResult<(Option<i64>, Option<i64>)> {
    match role.scope_kind() {
        ScopeKind::Brand => Ok((None, None)),
        ScopeKind::Region => {
            let id = region_id.ok_or_else(|| AppError::invalid("region_id", "required"))?;
            crate::chain::stores::lock_stores(conn, brand_id).await?;
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

/// The accounts of the brand `by` may see.
pub async fn list(state: &AppState, by: &Actor) -> AppResult<Vec<StaffView>> {
    let all = staff::Entity::find()
        .filter(staff::Column::BrandId.eq(by.brand.id))
        .order_by_asc(staff::Column::Id)
        .all(&state.db)
        .await?;
    let mut out = Vec::new();
    for s in all {
        if may_see(&state.db, by, &s).await? {
            out.push(view(&state.db, state.clock.now_ms(), s).await?);
        }
    }
    Ok(out)
}

/// The account with this id, if `by` may manage it; 404 if they may not
/// even see it.
async fn managed(conn: &impl ConnectionTrait, by: &Actor, id: i64) -> AppResult<staff::Model> {
    let s = staff::Entity::find_by_id(id)
        .filter(staff::Column::BrandId.eq(by.brand.id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !may_see(conn, by, &s).await? {
        return Err(AppError::not_found());
    }
    let role = Role::parse(&s.role).unwrap_or(Role::Clerk);
    if !may_manage(by, role, s.store_id) || s.id == by.staff_id {
        return Err(AppError::forbidden());
    }
    Ok(s)
}

/// Records `action` on account `s` by `by` in the audit log and answers
/// with the account's view.
async fn done(
    tx: &DatabaseTransaction,
    state: &AppState,
    by: &Actor,
    action: AuditAction,
    s: staff::Model,
    more: impl FnOnce(Record) -> Record,
) -> AppResult<StaffView> {
    let now = state.clock.now_ms();
    let rec = more(Record::new(action, super::staff_login::target(&s)).store(s.store_id));
    audit::by(tx, by, now, rec).await?;
    view(tx, now, s).await
}

/// Creates an account: HQ admin anyone, a store manager their clerks.
pub async fn create(state: &AppState, by: &Actor, req: StaffCreate) -> AppResult<StaffView> {
    let account = check("account", validate::account(&req.account))?;
    let name = check("name", validate::person_name(&req.name))?;
    let pw = check("password", validate::password(&req.password))?;
    if !may_manage(by, req.role, req.store_id) {
        return Err(AppError::forbidden());
    }
    let hash = password::hash(pw).await?;
    let tx = begin_write(&state.db).await?;
    let (region_id, store_id) =
        clean_scope(&tx, by.brand.id, req.role, req.region_id, req.store_id).await?;
    let s = staff::ActiveModel {
        brand_id: Set(by.brand.id),
        account: Set(account),
        name: Set(name),
        role: Set(req.role.as_str().into()),
        region_id: Set(region_id),
        store_id: Set(store_id),
        password_hash: Set(hash),
        active: Set(true),
        created_at: Set(state.clock.now_ms()),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(unique_as("account"))?;
    let role = Role::parse(&s.role).map(AuditValue::Role);
    let v = done(&tx, state, by, AuditAction::StaffCreate, s, |r| {
        r.set_opt(AuditField::Role, role)
    })
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// Changes an account's name, role or scope; a new role or scope takes
/// effect at once (its old sessions end: they carry old rights).
pub async fn update(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: StaffUpdate,
) -> AppResult<StaffView> {
    let name = check("name", validate::person_name(&req.name))?;
    if !may_manage(by, req.role, req.store_id) {
        return Err(AppError::forbidden());
    }
    let tx = begin_write(&state.db).await?;
    let s = managed(&tx, by, id).await?;
    let (region_id, store_id) =
        clean_scope(&tx, by.brand.id, req.role, req.region_id, req.store_id).await?;
    let scope_before = names::scope_name(&tx, s.region_id, s.store_id).await?;
    let scope_after = names::scope_name(&tx, region_id, store_id).await?;
    let (name_before, role_before) = (s.name.clone(), Role::parse(&s.role));
    let scope_changed =
        s.role != req.role.as_str() || s.region_id != region_id || s.store_id != store_id;
    let mut m = s.into_active_model();
    m.name = Set(name);
    m.role = Set(req.role.as_str().into());
    m.region_id = Set(region_id);
    m.store_id = Set(store_id);
    let s = m.update(&tx).await?;
    if scope_changed {
        auth::revoke_all(&tx, state.clock.now_ms(), auth::Subject::Staff, s.id).await?;
    }
    let (name_after, role_after) = (s.name.clone(), Role::parse(&s.role));
    let v = done(&tx, state, by, AuditAction::StaffUpdate, s, |r| {
        r.change(
            AuditField::Name,
            audit::text(name_before),
            audit::text(name_after),
        )
        .change(
            AuditField::Role,
            role_before.map(AuditValue::Role),
            role_after.map(AuditValue::Role),
        )
        .change(
            AuditField::Scope,
            scope_before.and_then(audit::text),
            scope_after.and_then(audit::text),
        )
    })
    .await?;
    tx.commit().await?;
    Ok(v)
}

/// Sets a new password; every session of that account ends.
pub async fn reset_password(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: PasswordReset,
) -> AppResult<StaffView> {
    let pw = check("password", validate::password(&req.password))?;
    managed(&state.db, by, id).await?;
    let hash = password::hash(pw).await?;
    let tx = begin_write(&state.db).await?;
    let mut m = managed(&tx, by, id).await?.into_active_model();
    m.password_hash = Set(hash);
    let s = m.update(&tx).await?;
    auth::revoke_all(&tx, state.clock.now_ms(), auth::Subject::Staff, s.id).await?;
    let v = done(&tx, state, by, AuditAction::StaffResetPassword, s, |r| r).await?;
    tx.commit().await?;
    Ok(v)
}

/// Deactivates (its open sessions stop working at once) or reactivates an
/// account.
pub async fn set_active(
    state: &AppState,
    by: &Actor,
    id: i64,
    active: bool,
) -> AppResult<StaffView> {
    let tx = begin_write(&state.db).await?;
    let mut m = managed(&tx, by, id).await?.into_active_model();
    m.active = Set(active);
    let s = m.update(&tx).await?;
    if !active {
        auth::revoke_all(&tx, state.clock.now_ms(), auth::Subject::Staff, s.id).await?;
    }
    let action = if active {
        AuditAction::StaffActivate
    } else {
        AuditAction::StaffDeactivate
    };
    let v = done(&tx, state, by, action, s, |r| r).await?;
    tx.commit().await?;
    Ok(v)
}

/// Lifts the lock that wrong passwords put on an account (audited, with
/// whether it was locked).
pub async fn unlock(state: &AppState, by: &Actor, id: i64) -> AppResult<StaffView> {
    let tx = begin_write(&state.db).await?;
    let s = managed(&tx, by, id).await?;
    let key = guess_limit::staff_account_key(s.brand_id, &s.account);
    let was_locked = guess_limit::unlock(&tx, &key, state.clock.now_ms()).await?;
    let v = done(&tx, state, by, AuditAction::StaffUnlock, s, |r| {
        r.extra(json!({ "was_locked": was_locked }))
    })
    .await?;
    tx.commit().await?;
    Ok(v)
}
