//! The audit log: every staff action, written in the action's transaction.

use crate::entity::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

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
