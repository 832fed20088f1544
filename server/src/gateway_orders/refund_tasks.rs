//! 退款异常: gateway refunds the gateway refused for good (after retries with
//! backoff) wait for HQ finance, who sends the money back one of two ways,
//! each a ledger entry out of gateway clearing, audited: to the member's
//! stored value, or paid outside (a bank transfer, with its reference).

use super::RefundState;
use crate::audit;
use crate::auth::Actor;
use crate::clock::rfc3339;
use crate::db::{begin_write, lock_key};
use crate::entity::{gateway_order, gateway_refund};
use crate::error::{AppError, AppResult, check};
use crate::ledger::post_or_fail;
use crate::ledger::{self, Entry, Kind, Line};
use crate::paging::{PAGE_SIZE, split_page};
use crate::state::AppState;
use crate::stored_value::settings::{settings, within_cap};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use shared::dto::EntryKind;
use shared::dto::{Page, RefundResolution, RefundTask, ResolveRefundInput, StateQuery};
use shared::money::Fen;
use shared::validate;
use std::collections::HashMap;

fn resolution_of(s: Option<&str>) -> Option<RefundResolution> {
    match s {
        Some("stored_value") => Some(RefundResolution::StoredValue),
        Some("paid_outside") => Some(RefundResolution::PaidOutside),
        _ => None,
    }
}

/// How many of the brand's refunds refused for good wait for HQ finance.
pub async fn open_count(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(gateway_refund::Entity::find()
        .filter(gateway_refund::Column::BrandId.eq(brand_id))
        .filter(gateway_refund::Column::State.eq(RefundState::Failed.as_str()))
        .filter(gateway_refund::Column::Resolution.is_null())
        .count(conn)
        .await?)
}

/// The brand's refunds refused for good, open or settled (`q.state`),
/// newest first, keyset-paged.
pub async fn list(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    q: &StateQuery,
) -> AppResult<Page<RefundTask>> {
    let mut find = gateway_refund::Entity::find()
        .filter(gateway_refund::Column::BrandId.eq(brand_id))
        .filter(gateway_refund::Column::State.eq(RefundState::Failed.as_str()));
    find = match q.state.as_deref() {
        None | Some("open") => find.filter(gateway_refund::Column::Resolution.is_null()),
        Some("resolved") => find.filter(gateway_refund::Column::Resolution.is_not_null()),
        Some(_) => return Err(AppError::invalid("state", "unknown")),
    };
    if let Some(after) = q.after {
        find = find.filter(gateway_refund::Column::Id.lt(after));
    }
    let rows = find
        .order_by_desc(gateway_refund::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let orders: HashMap<i64, gateway_order::Model> = gateway_order::Entity::find()
        .filter(
            gateway_order::Column::Id.is_in(rows.iter().map(|r| r.order_id).collect::<Vec<_>>()),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let phones = crate::names::member_phones(
        conn,
        brand_id,
        orders.values().map(|o| o.member_id).collect(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|r| {
            let order = orders.get(&r.order_id);
            let phone = order.and_then(|o| phones.get(&o.member_id).cloned());
            let resolution = resolution_of(r.resolution.as_deref());
            task(r, order.map(|o| o.order_no.clone()), phone, resolution)
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// A refund task as HQ sees it.
fn task(
    r: gateway_refund::Model,
    order_no: Option<String>,
    member_phone_masked: Option<String>,
    resolution: Option<RefundResolution>,
) -> RefundTask {
    RefundTask {
        id: r.id,
        refund_no: r.refund_no,
        order_no: order_no.unwrap_or_default(),
        member_phone_masked: member_phone_masked.unwrap_or_default(),
        amount: Fen(r.amount),
        reason: r.reason,
        failure: r.failure,
        attempts: r.attempts,
        created_at: rfc3339(r.created_at),
        resolution,
        resolution_ref: r.resolution_ref,
    }
}

/// HQ finance (`by`) sends a refused refund's money back one way or the
/// other: under the refund's lock, an entry out of gateway clearing, the
/// task marked resolved by compare-and-set, and the audit record.
pub async fn resolve(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: &ResolveRefundInput,
) -> AppResult<RefundTask> {
    let reference = match req.way {
        RefundResolution::PaidOutside => Some(check(
            "reference",
            validate::transfer_reference(req.reference.as_deref().unwrap_or("")),
        )?),
        RefundResolution::StoredValue => None,
    };
    let brand = &by.brand;
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let (r, o) = open_task(&tx, brand.id, id).await?;
    let way = match req.way {
        RefundResolution::StoredValue => "stored_value",
        RefundResolution::PaidOutside => "paid_outside",
    };
    post_resolution(&tx, by, &r, &o, req.way, now).await?;
    mark_resolved(&tx, by, &r, way, reference.clone(), now).await?;
    let rec = audit::Record::new(
        shared::dto::AuditAction::GatewayRefundResolve,
        r.refund_no.clone(),
    )
    .store(o.store_id)
    .amount(Fen(r.amount))
    .note(reference.clone())
    .extra(serde_json::json!({"way": way, "order": o.order_no}));
    audit::record(&tx, now, brand.id, Some(by.staff_id), rec).await?;
    tx.commit().await?;
    let phone = crate::names::member_phones(&state.db, o.brand_id, vec![o.member_id])
        .await?
        .remove(&o.member_id);
    let r = gateway_refund::Model {
        resolution_ref: reference,
        ..r
    };
    Ok(task(r, Some(o.order_no), phone, Some(req.way)))
}

/// The brand's refund `id` under its lock (`gateway-refund:ID`), still
/// refused and unresolved, and its order.
async fn open_task(
    tx: &DatabaseTransaction,
    brand_id: i64,
    id: i64,
) -> AppResult<(gateway_refund::Model, gateway_order::Model)> {
    lock_key(tx, &format!("gateway-refund:{id}")).await?;
    let r = gateway_refund::Entity::find_by_id(id)
        .filter(gateway_refund::Column::BrandId.eq(brand_id))
        .one(tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if r.state != RefundState::Failed.as_str() || r.resolution.is_some() {
        return Err(AppError::state_changed(
            r.resolution.as_deref().unwrap_or(&r.state),
        ));
    }
    let o = gateway_order::Entity::find_by_id(r.order_id)
        .one(tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((r, o))
}

/// The entry that sends a refused refund's money back `way`: out of
/// gateway clearing to the member's principal (within the balance cap), or
/// to HQ's bank clearing when paid outside.
async fn post_resolution(
    tx: &DatabaseTransaction,
    by: &Actor,
    r: &gateway_refund::Model,
    o: &gateway_order::Model,
    way: RefundResolution,
    now: i64,
) -> AppResult<()> {
    let brand = &by.brand;
    let amount = Fen(r.amount);
    let clearing = ledger::account_id(tx, brand.id, Kind::GatewayClearing, 0, now).await?;
    let (lines, member_delta, balance_after, member_id) = match way {
        RefundResolution::StoredValue => {
            let rules = settings(tx, brand.id).await?;
            let funds = ledger::lock_member(tx, brand.id, o.member_id, now).await?;
            let after = within_cap(funds.total(), amount, Fen::ZERO, &rules)?;
            let lines = vec![
                Line::fen(clearing, -amount),
                Line::fen(funds.principal_account, amount),
            ];
            (lines, amount, Some(after), Some(o.member_id))
        }
        RefundResolution::PaidOutside => {
            let bank = ledger::account_id(tx, brand.id, Kind::HqBankClearing, 0, now).await?;
            let lines = vec![Line::fen(clearing, -amount), Line::fen(bank, amount)];
            (lines, Fen::ZERO, None, None)
        }
    };
    post_or_fail(
        tx,
        Entry {
            brand_id: brand.id,
            kind: EntryKind::RefundResolved,
            op_ref: r.refund_no.clone(),
            store_id: o.store_id,
            member_id,
            member_delta,
            member_balance_after: balance_after,
            actor: format!("staff:{}", by.staff_id),
            business_date: ledger::business_date(&brand.time_zone, now),
            at: now,
            lines,
        },
    )
    .await?;
    Ok(())
}

/// Marks the task resolved `way` by `by`, once (compare-and-set).
async fn mark_resolved(
    tx: &DatabaseTransaction,
    by: &Actor,
    r: &gateway_refund::Model,
    way: &str,
    reference: Option<String>,
    now: i64,
) -> AppResult<()> {
    let moved = gateway_refund::Entity::update_many()
        .col_expr(gateway_refund::Column::Resolution, Expr::value(way))
        .col_expr(
            gateway_refund::Column::ResolutionRef,
            Expr::value(reference),
        )
        .col_expr(gateway_refund::Column::ResolvedBy, Expr::value(by.staff_id))
        .col_expr(gateway_refund::Column::ResolvedAt, Expr::value(now))
        .filter(gateway_refund::Column::Id.eq(r.id))
        .filter(gateway_refund::Column::Resolution.is_null())
        .exec(tx)
        .await?;
    if moved.rows_affected != 1 {
        return Err(AppError::state_changed("resolved"));
    }
    Ok(())
}
