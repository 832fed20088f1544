//! The audit log: every staff action, written in the action's transaction
//! as one typed [`Record`] (what, on what, which store, how much, what
//! changed), and read by HQ a page at a time, filtered by who, what, store
//! and date.

use crate::auth::Actor;
use crate::clock::rfc3339;
use crate::entity::{audit_log, staff};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use shared::dto::{AuditAction, AuditChange, AuditEntry, AuditField, AuditQuery, AuditValue, Page};
use shared::money::Fen;
use std::collections::HashMap;

/// One action as the audit log keeps it.
#[derive(Debug)]
pub struct Record {
    action: AuditAction,
    target: String,
    store_id: Option<i64>,
    detail: Detail,
}

/// What an entry keeps besides its columns (stored as JSON).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Detail {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    changes: Vec<AuditChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// Ids and figures kept for whoever investigates (not shown).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    extra: serde_json::Value,
}

impl Record {
    /// `action` on `target` (`#3 南京西路店`: an id and what a person
    /// recognises, no words of any language).
    pub fn new(action: AuditAction, target: impl Into<String>) -> Record {
        Record {
            action,
            target: target.into(),
            store_id: None,
            detail: Detail::default(),
        }
    }

    /// The store the action concerns.
    pub fn store(mut self, id: impl Into<Option<i64>>) -> Record {
        self.store_id = id.into();
        self
    }

    /// The money it moved.
    pub fn amount(mut self, amount: Fen) -> Record {
        self.detail.amount = Some(amount.0);
        self
    }

    /// A field's change; nothing when it did not change.
    pub fn change(
        mut self,
        field: AuditField,
        before: impl Into<Option<AuditValue>>,
        after: impl Into<Option<AuditValue>>,
    ) -> Record {
        let (before, after) = (before.into(), after.into());
        if before != after {
            self.detail.changes.push(AuditChange {
                field,
                before,
                after,
            });
        }
        self
    }

    /// A field set for the first time (a new plan's price).
    pub fn set(self, field: AuditField, value: AuditValue) -> Record {
        self.change(field, None, value)
    }

    /// A field set for the first time, when there is a value.
    pub fn set_opt(self, field: AuditField, value: Option<AuditValue>) -> Record {
        self.change(field, None, value)
    }

    /// A reason, a reference or an address.
    pub fn note(mut self, note: impl Into<Option<String>>) -> Record {
        self.detail.note = note.into().filter(|n| !n.is_empty());
        self
    }

    /// Ids and figures for an investigation, not shown on screen.
    pub fn extra(mut self, extra: serde_json::Value) -> Record {
        self.detail.extra = extra;
        self
    }
}

/// Text as typed, for a change.
pub fn text(s: impl Into<String>) -> Option<AuditValue> {
    let s = s.into();
    (!s.is_empty()).then_some(AuditValue::Text(s))
}

/// Records one action by a staff member, as the services see them.
pub async fn by(
    conn: &impl ConnectionTrait,
    by: &Actor,
    at: i64,
    rec: Record,
) -> Result<(), DbErr> {
    record(conn, at, by.brand.id, Some(by.staff_id), rec).await
}

/// Records one action by `staff_id` (none for the system, or when nobody
/// is known yet, as for a failed login).
pub async fn record(
    conn: &impl ConnectionTrait,
    at: i64,
    brand_id: i64,
    staff_id: Option<i64>,
    rec: Record,
) -> Result<(), DbErr> {
    let detail = serde_json::to_string(&rec.detail).map_err(|e| DbErr::Custom(e.to_string()))?;
    audit_log::ActiveModel {
        brand_id: Set(brand_id),
        staff_id: Set(staff_id),
        action: Set(rec.action.as_str().into()),
        target: Set(rec.target),
        detail: Set(detail),
        at: Set(at),
        store_id: Set(rec.store_id),
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

/// A date filter: none when empty, a clear error when not a date.
fn date(field: &str, value: Option<&str>) -> AppResult<Option<NaiveDate>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => shared::validate::parse_date(v)
            .and_then(|_| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok())
            .map(Some)
            .ok_or_else(|| AppError::invalid(field, "date_format")),
    }
}

/// The brand's staff whose name or account contains `who`.
async fn staff_matching(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    who: &str,
) -> AppResult<Vec<i64>> {
    let like = format!("%{}%", who.replace(['%', '_'], ""));
    Ok(staff::Entity::find()
        .select_only()
        .column(staff::Column::Id)
        .filter(staff::Column::BrandId.eq(brand_id))
        .filter(
            Condition::any()
                .add(staff::Column::Name.like(&like))
                .add(staff::Column::Account.like(&like)),
        )
        .into_tuple()
        .all(conn)
        .await?)
}

/// A page of the brand's audit log, newest first, filtered as `q` asks
/// (dates in the brand's time zone `zone`).
pub async fn page(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    zone: &str,
    q: &AuditQuery,
) -> AppResult<Page<AuditEntry>> {
    let mut find = audit_log::Entity::find().filter(audit_log::Column::BrandId.eq(brand_id));
    if let Some(who) = q.who.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        let ids = staff_matching(conn, brand_id, who).await?;
        find = find.filter(audit_log::Column::StaffId.is_in(ids));
    }
    if let Some(action) = q.action.as_deref().filter(|a| !a.is_empty()) {
        let action =
            AuditAction::parse(action).ok_or_else(|| AppError::invalid("action", "unknown"))?;
        find = find.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    if let Some(store) = q.store_id {
        find = find.filter(audit_log::Column::StoreId.eq(store));
    }
    let (from, to) = (
        date("from", q.from.as_deref())?,
        date("to", q.to.as_deref())?,
    );
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(AppError::invalid("from", "date_order"));
    }
    if let Some(f) = from {
        find = find.filter(audit_log::Column::At.gte(crate::clock::day_start(f, zone)));
    }
    if let Some(t) = to.and_then(|t| t.succ_opt()) {
        find = find.filter(audit_log::Column::At.lt(crate::clock::day_start(t, zone)));
    }
    if let Some(after) = q.after {
        find = find.filter(audit_log::Column::Id.lt(after));
    }
    let rows = find
        .order_by_desc(audit_log::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let names = actors(conn, brand_id, &rows).await?;
    let stores = names::store_names(
        conn,
        brand_id,
        rows.iter().filter_map(|r| r.store_id).collect(),
    )
    .await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(action) = AuditAction::parse(&r.action) else {
            return Err(AppError::Internal(anyhow::anyhow!(
                "audit entry {} has an unknown action {:?}",
                r.id,
                r.action
            )));
        };
        let detail: Detail = serde_json::from_str(&r.detail).unwrap_or_default();
        items.push(AuditEntry {
            id: r.id,
            at: rfc3339(r.at),
            actor: r.staff_id.and_then(|id| names.get(&id).cloned()),
            action,
            target: r.target,
            store: r.store_id.and_then(|id| stores.get(&id).cloned()),
            amount: detail.amount.map(Fen),
            changes: detail.changes,
            note: detail.note,
        });
    }
    Ok(Page { items, next_cursor })
}
