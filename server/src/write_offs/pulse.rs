//! The member's pulse: where their ledger, their cards and their code
//! stand, which the member app waits on (long poll) to show a write-off, a
//! payment or a coupon used at once. Every replica reads the same tables,
//! so the pulse moves whichever replica booked it.

use crate::entity::{card_event, journal_entry, member_card, member_code};
use crate::error::AppResult;
use crate::state::AppState;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use shared::dto::{MemberPulse, PulseQuery};
use std::time::Duration;
use tokio::time::Instant;

/// The longest a pulse request waits.
const MAX_WAIT_S: u64 = 25;

/// Where member `member_id`'s things stand now.
pub async fn now_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
) -> AppResult<MemberPulse> {
    let entry: Option<i64> = journal_entry::Entity::find()
        .select_only()
        .expr(Func::max(Expr::col(journal_entry::Column::Id)))
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::MemberId.eq(member_id))
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    let cards: Vec<i64> = member_card::Entity::find()
        .select_only()
        .column(member_card::Column::Id)
        .filter(member_card::Column::BrandId.eq(brand_id))
        .filter(member_card::Column::MemberId.eq(member_id))
        .into_tuple()
        .all(conn)
        .await?;
    let card_event: Option<i64> = if cards.is_empty() {
        None
    } else {
        card_event::Entity::find()
            .select_only()
            .expr(Func::max(Expr::col(card_event::Column::Id)))
            .filter(card_event::Column::CardId.is_in(cards))
            .into_tuple()
            .one(conn)
            .await?
            .flatten()
    };
    let code_step = member_code::Entity::find_by_id(member_id)
        .one(conn)
        .await?
        .filter(|c| c.brand_id == brand_id)
        .map_or(0, |c| c.last_step);
    Ok(MemberPulse {
        entry: entry.unwrap_or(0),
        card_event: card_event.unwrap_or(0),
        code_step,
    })
}

/// Waits until the member's pulse differs from the one in `query` (or the
/// timeout), then answers it; without a pulse, at once.
pub async fn wait(
    state: &AppState,
    brand_id: i64,
    member_id: i64,
    query: &PulseQuery,
) -> AppResult<MemberPulse> {
    let seen = MemberPulse {
        entry: query.entry.unwrap_or(-1),
        card_event: query.card_event.unwrap_or(-1),
        code_step: query.code_step.unwrap_or(-1),
    };
    let wait = Duration::from_secs(query.timeout.unwrap_or(MAX_WAIT_S).min(MAX_WAIT_S));
    let deadline = Instant::now() + wait;
    loop {
        let now = now_of(&state.db, brand_id, member_id).await?;
        if now != seen || Instant::now() >= deadline {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
