//! Gateway orders that need HQ's look: paid after we closed them, refunded
//! because they could not be credited, or with a refund the gateway refused.

use super::{RefundState, state_of};
use crate::entity::{gateway_order, gateway_refund};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shared::dto::{FlaggedOrder, OrderState, Page};
use shared::money::Fen;
use std::collections::HashMap;

/// The brand's flagged orders, newest first, keyset-paged (`after`: the
/// last id of the page before).
pub async fn list(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    after: Option<i64>,
) -> AppResult<Page<FlaggedOrder>> {
    let failed: Vec<gateway_refund::Model> = gateway_refund::Entity::find()
        .filter(gateway_refund::Column::BrandId.eq(brand_id))
        .filter(gateway_refund::Column::State.eq(RefundState::Failed.as_str()))
        .all(conn)
        .await?;
    let failed_ids: Vec<i64> = failed.iter().map(|r| r.order_id).collect();
    let mut find = gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(brand_id))
        .filter(
            Condition::any()
                .add(gateway_order::Column::Late.eq(true))
                .add(gateway_order::Column::State.eq(OrderState::Refunded.as_str()))
                .add(gateway_order::Column::Id.is_in(failed_ids)),
        );
    if let Some(after) = after {
        find = find.filter(gateway_order::Column::Id.lt(after));
    }
    let rows = find
        .order_by_desc(gateway_order::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |o| o.id);
    let phones =
        names::member_phones(conn, brand_id, rows.iter().map(|o| o.member_id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|o| flagged(o, &failed, &phones))
        .collect::<AppResult<_>>()?;
    Ok(Page { items, next_cursor })
}

/// One flagged order as HQ sees it, with what the gateway refused of it.
fn flagged(
    o: gateway_order::Model,
    failed: &[gateway_refund::Model],
    phones: &HashMap<i64, String>,
) -> AppResult<FlaggedOrder> {
    let failed_refunds = Fen::checked_sum(
        failed
            .iter()
            .filter(|r| r.order_id == o.id)
            .map(|r| Fen(r.amount)),
    )
    .ok_or_else(|| AppError::overflow("refused refunds"))?;
    Ok(FlaggedOrder {
        id: o.id,
        member_phone_masked: phones.get(&o.member_id).cloned().unwrap_or_default(),
        purpose: super::purpose_of(&o)?,
        amount: Fen(o.amount),
        state: state_of(&o),
        late: o.late,
        failed_refunds,
        refunded: Fen(o.refunded),
        created_at: crate::clock::rfc3339(o.created_at),
        order_no: o.order_no,
    })
}
