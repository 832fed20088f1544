//! Staff's in-app messages: a store's managers hear of every decision on
//! their withdrawals and payee changes ([`super::withdrawals::notify_store`]).

use crate::auth::Actor;
use crate::clock::rfc3339;
use crate::entity::staff_message;
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use shared::dto::{MessageTopic, Page, StaffInbox, StaffMessage};
use shared::money::Fen;

/// How many of `by`'s messages are unread.
pub async fn unread(conn: &impl ConnectionTrait, by: &Actor) -> AppResult<StaffInbox> {
    let unread = staff_message::Entity::find()
        .filter(staff_message::Column::StaffId.eq(by.staff_id))
        .filter(staff_message::Column::ReadAt.is_null())
        .count(conn)
        .await?;
    Ok(StaffInbox {
        unread: i64::try_from(unread).unwrap_or(i64::MAX),
    })
}
/// `by`'s messages, newest first.
pub async fn inbox(
    conn: &impl ConnectionTrait,
    by: &Actor,
    after: Option<i64>,
) -> AppResult<Page<StaffMessage>> {
    let mut q =
        staff_message::Entity::find().filter(staff_message::Column::StaffId.eq(by.staff_id));
    if let Some(after) = after {
        q = q.filter(staff_message::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(staff_message::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |m| m.id);
    let shops =
        names::store_names(conn, by.brand.id, rows.iter().map(|m| m.store_id).collect()).await?;
    let items = rows
        .into_iter()
        .map(|m| {
            let topic = MessageTopic::parse(&m.topic).ok_or_else(|| {
                AppError::Internal(anyhow::anyhow!("message {} has topic {}", m.id, m.topic))
            })?;
            Ok(StaffMessage {
                id: m.id,
                topic,
                subject_id: m.subject_id,
                state: m.state,
                amount: m.amount.map(Fen),
                store_name: shops.get(&m.store_id).cloned().unwrap_or_default(),
                store_id: m.store_id,
                at: rfc3339(m.created_at),
                read: m.read_at.is_some(),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Page { items, next_cursor })
}

/// Whether `by` has a message not yet read: read before a write is opened,
/// so opening an inbox with nothing new costs no write.
pub async fn any_unread(conn: &impl ConnectionTrait, by: &Actor) -> AppResult<bool> {
    let one: Option<i64> = staff_message::Entity::find()
        .select_only()
        .column(staff_message::Column::Id)
        .filter(staff_message::Column::StaffId.eq(by.staff_id))
        .filter(staff_message::Column::ReadAt.is_null())
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    Ok(one.is_some())
}

/// Marks every message of `by` read (at `now`).
pub async fn read_all(conn: &impl ConnectionTrait, by: &Actor, now: i64) -> AppResult<()> {
    staff_message::Entity::update_many()
        .col_expr(staff_message::Column::ReadAt, Expr::value(now))
        .filter(staff_message::Column::StaffId.eq(by.staff_id))
        .filter(staff_message::Column::ReadAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}
