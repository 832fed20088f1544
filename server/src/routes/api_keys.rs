//! API keys for machines: HQ admin creates a key with a role and its scope
//! (shown once, stored as its SHA-256), sees when each was last used, and
//! revokes it. A key acts as a staff row of its own (`staff.api_key`), so it
//! can do exactly what its role can in its scope, never more; every use is
//! in the audit log as the key ([`crate::auth`]). Keys cannot manage keys.

use crate::audit;
use crate::auth::{HqAdmin, KEY_PREFIX, StaffCaller, digest};
use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::{api_key, staff};
use crate::error::{AppError, AppJson, AppPath, AppResult, check};
use crate::names;
use crate::password;
use crate::routes::Api;
use crate::routes::staff_admin::clean_scope;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use shared::api;
use shared::dto::{ApiKeyCreated, ApiKeyInput, ApiKeyView, Role};
use shared::validate;
use std::collections::HashMap;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListApiKeys, list)
        .at(api::CreateApiKey, create)
        .at(api::RevokeApiKey, revoke)
}

/// HQ admin in person: a key may not make or end keys.
fn in_person(caller: &StaffCaller<HqAdmin>) -> AppResult<()> {
    if caller.key.is_some() {
        return Err(AppError::forbidden());
    }
    Ok(())
}

/// A key as the API shows it: `row` is its staff row, `names` has its
/// creator's name.
async fn view(
    conn: &impl ConnectionTrait,
    k: api_key::Model,
    row: &staff::Model,
    names: &HashMap<i64, String>,
) -> AppResult<ApiKeyView> {
    let scope_name = names::scope_name(conn, row.region_id, row.store_id).await?;
    Ok(ApiKeyView {
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        role: Role::parse(&row.role).unwrap_or(Role::Clerk),
        region_id: row.region_id,
        store_id: row.store_id,
        scope_name,
        created_by: names.get(&k.created_by).cloned().unwrap_or_default(),
        created_at: rfc3339(k.created_at),
        last_used_at: k.last_used_at.map(rfc3339),
        revoked_at: k.revoked_at.map(rfc3339),
    })
}

/// Keys as the API shows them, their staff rows and creators read at once.
async fn views(
    conn: &impl ConnectionTrait,
    keys: Vec<api_key::Model>,
) -> AppResult<Vec<ApiKeyView>> {
    let Some(brand_id) = keys.first().map(|k| k.brand_id) else {
        return Ok(Vec::new());
    };
    let rows = names::staff_by_id(
        conn,
        brand_id,
        keys.iter()
            .flat_map(|k| [k.staff_id, k.created_by])
            .collect(),
    )
    .await?;
    let names: HashMap<i64, String> = rows.values().map(|s| (s.id, s.name.clone())).collect();
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let row = rows
            .get(&k.staff_id)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("key {} has no staff row", k.id)))?;
        out.push(view(conn, k, row, &names).await?);
    }
    Ok(out)
}

/// [`views`] of one key.
async fn view_one(conn: &impl ConnectionTrait, k: api_key::Model) -> AppResult<ApiKeyView> {
    views(conn, vec![k])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a key has no view")))
}

/// HQ admin: the brand's keys, newest first.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
) -> AppResult<Json<Vec<ApiKeyView>>> {
    let keys = api_key::Entity::find()
        .filter(api_key::Column::BrandId.eq(caller.brand.id))
        .order_by_desc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    Ok(Json(views(&state.db, keys).await?))
}

/// HQ admin in person: a new key; its secret is in this answer only.
async fn create(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<ApiKeyInput>,
) -> AppResult<(StatusCode, Json<ApiKeyCreated>)> {
    in_person(&caller)?;
    let name = check("name", validate::place_name(&req.name))?;
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    let prefix: String = secret.chars().take(KEY_PREFIX.len() + 6).collect();
    // The key's row has a password nobody knows, and `api_key` set: it
    // never logs in and no staff list shows it.
    let mut unknown = [0u8; 24];
    rand::rng().fill_bytes(&mut unknown);
    let hash = password::hash(hex::encode(unknown)).await?;
    let tx = begin_write(&state.db).await?;
    let (region_id, store_id) =
        clean_scope(&tx, caller.brand.id, req.role, req.region_id, req.store_id).await?;
    let now = state.clock.now_ms();
    let row = staff::ActiveModel {
        brand_id: Set(caller.brand.id),
        account: Set(format!("api-key:{}", hex::encode(&unknown[..8]))),
        name: Set(format!("{name} (API key {prefix}…)")),
        role: Set(req.role.as_str().into()),
        region_id: Set(region_id),
        store_id: Set(store_id),
        password_hash: Set(hash),
        active: Set(true),
        api_key: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let k = api_key::ActiveModel {
        brand_id: Set(caller.brand.id),
        staff_id: Set(row.id),
        name: Set(name),
        prefix: Set(prefix),
        secret_hash: Set(digest(&secret)),
        created_by: Set(caller.staff.id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "api_key.create",
        format!("api key #{} {}", k.id, k.prefix),
        json!({ "name": k.name, "role": row.role, "region_id": region_id, "store_id": store_id }),
    )
    .await?;
    let key = view_one(&tx, k).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(ApiKeyCreated { key, secret })))
}

/// HQ admin in person: the key stops working at once (its row too, so a
/// request already past the door is refused where it checks again).
async fn revoke(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<ApiKeyView>> {
    in_person(&caller)?;
    let tx = begin_write(&state.db).await?;
    let k = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::BrandId.eq(caller.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.clock.now_ms();
    let k = if k.revoked_at.is_some() {
        k
    } else {
        let staff_id = k.staff_id;
        let mut active = k.into_active_model();
        active.revoked_at = Set(Some(now));
        active.revoked_by = Set(Some(caller.staff.id));
        let k = active.update(&tx).await?;
        if let Some(row) = staff::Entity::find_by_id(staff_id).one(&tx).await? {
            let mut row = row.into_active_model();
            row.active = Set(false);
            row.update(&tx).await?;
        }
        audit::record(
            &tx,
            now,
            caller.brand.id,
            Some(caller.staff.id),
            "api_key.revoke",
            format!("api key #{} {}", k.id, k.prefix),
            json!({ "name": k.name }),
        )
        .await?;
        k
    };
    let v = view_one(&tx, k).await?;
    tx.commit().await?;
    Ok(Json(v))
}
