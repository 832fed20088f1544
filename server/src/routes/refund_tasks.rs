//! 退款异常: gateway refunds the gateway refused for good (after retries with
//! backoff) wait for HQ finance, who sends the money back one of two ways,
//! each a ledger entry out of gateway clearing, audited: to the member's
//! stored value, or paid outside (a bank transfer, with its reference).

use crate::audit;
use crate::auth::{HqFinance, HqMoney, StaffCaller};
use crate::clock::rfc3339;
use crate::db::{begin_write, lock_key};
use crate::entity::{gateway_order, gateway_refund, member};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult, check};
use crate::ledger::{self, Entry, Kind, Line};
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::settings::{settings, within_cap};
use crate::topup_orders::post_or_fail;
use crate::wallet::withdrawals::state_changed;
use axum::Json;
use axum::extract::State;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::api;
use shared::dto::StateQuery;
use shared::dto::{Page, RefundResolution, RefundTask, ResolveRefundInput};
use shared::money::Fen;
use shared::validate::{self, mask_phone};
use std::collections::HashMap;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListRefundTasks, list)
        .at(api::ResolveRefundTask, resolve)
}

fn resolution_of(s: Option<&str>) -> Option<RefundResolution> {
    match s {
        Some("stored_value") => Some(RefundResolution::StoredValue),
        Some("paid_outside") => Some(RefundResolution::PaidOutside),
        _ => None,
    }
}

/// HQ admin or finance: refunds refused for good, open or settled, newest
/// first, keyset-paged.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppQuery(q): AppQuery<StateQuery>,
) -> AppResult<Json<Page<RefundTask>>> {
    let mut find = gateway_refund::Entity::find()
        .filter(gateway_refund::Column::BrandId.eq(caller.brand.id))
        .filter(
            gateway_refund::Column::State.eq(crate::topup_orders::RefundState::Failed.as_str()),
        );
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
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let orders: HashMap<i64, gateway_order::Model> = gateway_order::Entity::find()
        .filter(
            gateway_order::Column::Id.is_in(rows.iter().map(|r| r.order_id).collect::<Vec<_>>()),
        )
        .all(&state.db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let phones: HashMap<i64, String> = member::Entity::find()
        .filter(member::Column::Id.is_in(orders.values().map(|o| o.member_id).collect::<Vec<_>>()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, mask_phone(&m.phone)))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| {
            let order = orders.get(&r.order_id);
            RefundTask {
                id: r.id,
                refund_no: r.refund_no,
                order_no: order.map(|o| o.order_no.clone()).unwrap_or_default(),
                member_phone_masked: order
                    .and_then(|o| phones.get(&o.member_id).cloned())
                    .unwrap_or_default(),
                amount: Fen(r.amount),
                reason: r.reason,
                failure: r.failure,
                attempts: r.attempts,
                created_at: rfc3339(r.created_at),
                resolution: resolution_of(r.resolution.as_deref()),
                resolution_ref: r.resolution_ref,
            }
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// HQ finance: send a refused refund's money back one way or the other.
async fn resolve(
    State(state): State<AppState>,
    caller: StaffCaller<HqFinance>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<ResolveRefundInput>,
) -> AppResult<Json<RefundTask>> {
    let reference = match req.way {
        RefundResolution::PaidOutside => Some(check(
            "reference",
            validate::transfer_reference(req.reference.as_deref().unwrap_or("")),
        )?),
        RefundResolution::StoredValue => None,
    };
    let brand = &caller.brand;
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    lock_key(&tx, &format!("gateway-refund:{id}")).await?;
    let r = gateway_refund::Entity::find_by_id(id)
        .filter(gateway_refund::Column::BrandId.eq(brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if r.state != crate::topup_orders::RefundState::Failed.as_str() || r.resolution.is_some() {
        return Err(state_changed(r.resolution.as_deref().unwrap_or(&r.state)));
    }
    let o = gateway_order::Entity::find_by_id(r.order_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let amount = Fen(r.amount);
    let clearing = ledger::account_id(&tx, brand.id, Kind::GatewayClearing, 0, now).await?;
    let way = match req.way {
        RefundResolution::StoredValue => "stored_value",
        RefundResolution::PaidOutside => "paid_outside",
    };
    let (lines, member_delta, balance_after, member_id) = match req.way {
        RefundResolution::StoredValue => {
            let rules = settings(&tx, brand.id).await?;
            let funds = ledger::lock_member(&tx, brand.id, o.member_id, now).await?;
            let after = within_cap(funds.total(), amount, Fen::ZERO, &rules)?;
            (
                vec![
                    Line::fen(clearing, -amount),
                    Line::fen(funds.principal_account, amount),
                ],
                amount,
                Some(after),
                Some(o.member_id),
            )
        }
        RefundResolution::PaidOutside => {
            let bank = ledger::account_id(&tx, brand.id, Kind::HqBankClearing, 0, now).await?;
            (
                vec![Line::fen(clearing, -amount), Line::fen(bank, amount)],
                Fen::ZERO,
                None,
                None,
            )
        }
    };
    post_or_fail(
        &tx,
        Entry {
            brand_id: brand.id,
            kind: "refund_resolved",
            op_ref: r.refund_no.clone(),
            store_id: o.store_id,
            member_id,
            member_delta,
            member_balance_after: balance_after,
            actor: format!("staff:{}", caller.staff.id),
            business_date: ledger::business_date(&brand.time_zone, now),
            at: now,
            lines,
        },
    )
    .await?;
    let moved = gateway_refund::Entity::update_many()
        .col_expr(gateway_refund::Column::Resolution, Expr::value(way))
        .col_expr(
            gateway_refund::Column::ResolutionRef,
            Expr::value(reference.clone()),
        )
        .col_expr(
            gateway_refund::Column::ResolvedBy,
            Expr::value(caller.staff.id),
        )
        .col_expr(gateway_refund::Column::ResolvedAt, Expr::value(now))
        .filter(gateway_refund::Column::Id.eq(r.id))
        .filter(gateway_refund::Column::Resolution.is_null())
        .exec(&tx)
        .await?;
    if moved.rows_affected != 1 {
        return Err(state_changed("resolved"));
    }
    audit::record(
        &tx,
        now,
        brand.id,
        Some(caller.staff.id),
        "gateway_refund.resolve",
        format!("refund {}", r.refund_no),
        serde_json::json!({"way": way, "amount": r.amount, "reference": reference, "order": o.order_no}),
    )
    .await?;
    tx.commit().await?;
    let phone = member::Entity::find_by_id(o.member_id)
        .one(&state.db)
        .await?
        .map(|m| mask_phone(&m.phone))
        .unwrap_or_default();
    Ok(Json(RefundTask {
        id: r.id,
        refund_no: r.refund_no,
        order_no: o.order_no,
        member_phone_masked: phone,
        amount,
        reason: r.reason,
        failure: r.failure,
        attempts: r.attempts,
        created_at: rfc3339(r.created_at),
        resolution: Some(req.way),
        resolution_ref: reference,
    }))
}
