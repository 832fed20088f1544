//! API keys for machines: HQ admin creates a key with a role and its scope
//! (shown once, stored as its SHA-256), sees when each was last used, and
//! revokes it. A key acts as a staff row of its own (`staff.api_key`), so it
//! can do exactly what its role can in its scope, never more; every use is
//! in the audit log as the key ([`crate::auth`]). Keys cannot manage keys.

use super::staff_accounts::clean_scope;
use crate::audit::{self, Record};
use crate::auth::{Actor, KEY_PREFIX, digest};
use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::{api_key, staff};
use crate::error::{AppError, AppResult, check};
use crate::state::AppState;
use crate::{names, password};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use shared::dto::{
    ApiKeyCreated, ApiKeyInput, ApiKeyView, AuditAction, AuditField, AuditValue, Role,
};
use shared::validate;
use std::collections::HashMap;

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
    let ids = keys
        .iter()
        .flat_map(|k| [k.staff_id, k.created_by])
        .collect();
    let rows = names::staff_by_id(conn, brand_id, ids).await?;
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

/// The brand's keys, newest first.
pub async fn list(state: &AppState, by: &Actor) -> AppResult<Vec<ApiKeyView>> {
    let keys = api_key::Entity::find()
        .filter(api_key::Column::BrandId.eq(by.brand.id))
        .order_by_desc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    views(&state.db, keys).await
}

/// A new secret and the prefix it is shown by.
fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{KEY_PREFIX}{}", hex::encode(bytes));
    let prefix: String = secret.chars().take(KEY_PREFIX.len() + 6).collect();
    (secret, prefix)
}

/// A password nobody knows for a key's staff row: its account name's part
/// and its hash (made before any write begins: hashing is slow).
async fn unknown_password() -> AppResult<(String, String)> {
    let mut unknown = [0u8; 24];
    rand::rng().fill_bytes(&mut unknown);
    let hash = password::hash(hex::encode(unknown)).await?;
    Ok((hex::encode(&unknown[..8]), hash))
}

/// The key's staff row: a password nobody knows, and `api_key` set, so it
/// never logs in and no staff list shows it.
async fn key_row(
    tx: &DatabaseTransaction,
    by: &Actor,
    req: &ApiKeyInput,
    (label, (account, hash)): (String, (String, String)),
    now: i64,
) -> AppResult<staff::Model> {
    let (region_id, store_id) =
        clean_scope(tx, by.brand.id, req.role, req.region_id, req.store_id).await?;
    Ok(staff::ActiveModel {
        brand_id: Set(by.brand.id),
        account: Set(format!("api-key:{account}")),
        name: Set(label),
        role: Set(req.role.as_str().into()),
        region_id: Set(region_id),
        store_id: Set(store_id),
        password_hash: Set(hash),
        active: Set(true),
        api_key: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?)
}

/// A new key, made by HQ admin in person; its secret is in this answer
/// only.
pub async fn create(state: &AppState, by: &Actor, req: &ApiKeyInput) -> AppResult<ApiKeyCreated> {
    by.in_person()?;
    let name = check("name", validate::place_name(&req.name))?;
    let (secret, prefix) = new_secret();
    let login = unknown_password().await?;
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let label = format!("{name} (API key {prefix}…)");
    let row = key_row(&tx, by, req, (label, login), now).await?;
    let k = api_key::ActiveModel {
        brand_id: Set(by.brand.id),
        staff_id: Set(row.id),
        name: Set(name),
        prefix: Set(prefix),
        secret_hash: Set(digest(&secret)),
        created_by: Set(by.staff_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let rec = Record::new(AuditAction::ApiKeyCreate, key_target(&k))
        .store(row.store_id)
        .set_opt(
            AuditField::Role,
            Role::parse(&row.role).map(AuditValue::Role),
        )
        .extra(json!({ "region_id": row.region_id }));
    audit::by(&tx, by, now, rec).await?;
    let key = view_one(&tx, k).await?;
    tx.commit().await?;
    Ok(ApiKeyCreated { key, secret })
}

/// A key as the audit log names it: id, name and the prefix it shows.
fn key_target(k: &api_key::Model) -> String {
    format!("#{} {} ({}…)", k.id, k.name, k.prefix)
}

/// Revokes a key (HQ admin in person): it stops working at once, and its
/// row too, so a request already past the door is refused where it checks
/// again. Revoking a revoked key changes nothing.
pub async fn revoke(state: &AppState, by: &Actor, id: i64) -> AppResult<ApiKeyView> {
    by.in_person()?;
    let tx = begin_write(&state.db).await?;
    let k = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::BrandId.eq(by.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if k.revoked_at.is_some() {
        let v = view_one(&tx, k).await?;
        tx.commit().await?;
        return Ok(v);
    }
    let now = state.clock.now_ms();
    let staff_id = k.staff_id;
    let mut active = k.into_active_model();
    active.revoked_at = Set(Some(now));
    active.revoked_by = Set(Some(by.staff_id));
    let k = active.update(&tx).await?;
    if let Some(row) = staff::Entity::find_by_id(staff_id).one(&tx).await? {
        let mut row = row.into_active_model();
        row.active = Set(false);
        row.update(&tx).await?;
    }
    let rec = Record::new(AuditAction::ApiKeyRevoke, key_target(&k));
    audit::by(&tx, by, now, rec).await?;
    let v = view_one(&tx, k).await?;
    tx.commit().await?;
    Ok(v)
}
