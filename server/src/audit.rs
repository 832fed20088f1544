//! The audit log: every staff action, written in the action's transaction,
//! and read by HQ a page at a time.

use crate::clock::rfc3339;
use crate::entity::audit_log;
use crate::error::AppResult;
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use shared::dto::{AuditEntry, Page};
use std::collections::HashMap;

/// Records one action by a staff member, as the services see them.
pub async fn by(
    conn: &impl ConnectionTrait,
    by: &crate::auth::Actor,
    at: i64,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    record(
        conn,
        at,
        by.brand.id,
        Some(by.staff_id),
        action,
        target,
        detail,
    )
    .await
}

/// Records one action by `staff_id` (none for system actions).
pub async fn record(
    conn: &impl ConnectionTrait,
    at: i64,
    brand_id: i64,
    staff_id: Option<i64>,
    action: &str,
    target: String,
    detail: serde_json::Value,
) -> Result<(), DbErr> {
    audit_log::ActiveModel {
        brand_id: Set(brand_id),
        staff_id: Set(staff_id),
        action: Set(action.into()),
        target: Set(target),
        detail: Set(detail.to_string()),
        at: Set(at),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// Who did what, by id: a person by name and account; a key by its name
/// alone (its account is an internal one nobody types).
async fn actors(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: &[audit_log::Model],
) -> AppResult<HashMap<i64, String>> {
    let ids = rows.iter().filter_map(|r| r.staff_id).collect();
    let staff = names::staff_by_id(conn, brand_id, ids).await?;
    Ok(staff
        .into_values()
        .map(|s| {
            let shown = if s.api_key {
                s.name
            } else {
                format!("{} ({})", s.name, s.account)
            };
            (s.id, shown)
        })
        .collect())
}

/// A page of the brand's audit log, newest first.
pub async fn page(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    after: Option<i64>,
) -> AppResult<Page<AuditEntry>> {
    let mut q = audit_log::Entity::find().filter(audit_log::Column::BrandId.eq(brand_id));
    if let Some(after) = after {
        q = q.filter(audit_log::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let names = actors(conn, brand_id, &rows).await?;
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: rfc3339(r.at),
            actor: r
                .staff_id
                .and_then(|id| names.get(&id).cloned())
                .unwrap_or_else(|| "system".into()),
            action: r.action,
            target: r.target,
        })
        .collect();
    Ok(Page { items, next_cursor })
}
