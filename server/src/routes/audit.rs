//! Reading the audit log (HQ).

use crate::auth::{HqMoney, StaffCaller};
use crate::clock::rfc3339;
use crate::entity::audit_log;
use crate::error::{AppQuery, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::api;
use shared::dto::AfterQuery;
use shared::dto::{AuditEntry, Page};
use std::collections::HashMap;

/// Routes.
pub fn router() -> Api {
    Api::new().at(api::ListAudit, list)
}

/// HQ: every staff action, newest first.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<AuditEntry>>> {
    let mut q = audit_log::Entity::find().filter(audit_log::Column::BrandId.eq(caller.brand.id));
    if let Some(after) = query.after {
        q = q.filter(audit_log::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(audit_log::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    // A person by name and account; a key by its name alone (its account
    // is an internal one nobody types).
    let names: HashMap<i64, String> = names::staff_by_id(
        &state.db,
        caller.brand.id,
        rows.iter().filter_map(|r| r.staff_id).collect(),
    )
    .await?
    .into_values()
    .map(|s| {
        let shown = if s.api_key {
            s.name
        } else {
            format!("{} ({})", s.name, s.account)
        };
        (s.id, shown)
    })
    .collect();
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
    Ok(Json(Page { items, next_cursor }))
}
