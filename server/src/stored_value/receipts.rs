//! Payments as the merchant app lists them: a page of the payments at the
//! stores a staff member's scope covers, and the live receipt feed the
//! counter waits on.

use crate::auth::Actor;
use crate::chain::stores_in_scope;
use crate::clock::rfc3339;
use crate::entity::{member, payment, store};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::state::AppState;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use shared::dto::{Page, PaymentListItem, PaymentsQuery, ReceiptFeed, WaitQuery};
use shared::money::Fen;
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;

/// How far back the live feed repeats receipts (see [`feed`]).
const LOOKBACK_MS: i64 = 10_000;
/// The longest a feed request waits.
const MAX_WAIT_S: u64 = 25;

/// Local midnight today in the brand's time zone, as Unix ms.
fn today_start(state: &AppState, time_zone: &str) -> i64 {
    let today = crate::clock::local(state.clock.now_ms(), time_zone).date_naive();
    crate::clock::day_start(today, time_zone)
}

/// The stores `by`'s scope covers and a query of their payments.
struct Scope {
    brand_id: i64,
    stores: HashMap<i64, store::Model>,
}

impl Scope {
    async fn of(state: &AppState, by: &Actor) -> AppResult<Scope> {
        Ok(Scope {
            brand_id: by.brand.id,
            stores: stores_in_scope(&state.db, by).await?,
        })
    }

    fn payments(&self) -> Select<payment::Entity> {
        payment::Entity::find()
            .filter(payment::Column::BrandId.eq(self.brand_id))
            .filter(payment::Column::StoreId.is_in(self.stores.keys().copied().collect::<Vec<_>>()))
    }

    /// Payments as the merchant app lists them: store name and masked phone.
    async fn items(
        &self,
        conn: &impl ConnectionTrait,
        rows: Vec<payment::Model>,
    ) -> AppResult<Vec<PaymentListItem>> {
        let ids: Vec<i64> = rows.iter().map(|p| p.member_id).collect();
        let phones = names::member_phones(conn, self.brand_id, ids).await?;
        Ok(rows
            .into_iter()
            .map(|p| PaymentListItem {
                id: p.id,
                store_name: self
                    .stores
                    .get(&p.store_id)
                    .map(|s| s.name.clone())
                    .unwrap_or_default(),
                member_phone_masked: phones.get(&p.member_id).cloned().unwrap_or_default(),
                amount: Fen(p.amount),
                refunded: p.refunded().total(),
                at: rfc3339(p.created_at),
                online: Fen(p.gateway),
                coupon: Fen(p.coupon),
                refunded_in_full: p.refunded().all_of(&p.plan()),
            })
            .collect())
    }
}

/// What a search matches: payments of the amount typed, or by members whose
/// phone ends in the digits typed (4 or more); anything else is a clear
/// error on `q`.
async fn search(conn: &impl ConnectionTrait, brand_id: i64, text: &str) -> AppResult<Condition> {
    let mut any = Condition::any();
    let amount = Fen::parse_yuan(text.trim_start_matches(['¥', '￥']));
    if let Ok(fen) = amount {
        any = any.add(payment::Column::Amount.eq(fen.0));
    }
    let digits = text.len() >= 4 && text.len() <= 11 && text.bytes().all(|b| b.is_ascii_digit());
    if digits {
        let members: Vec<i64> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::BrandId.eq(brand_id))
            .filter(member::Column::Phone.like(format!("%{text}")))
            .limit(1_000)
            .into_tuple()
            .all(conn)
            .await?;
        any = any.add(payment::Column::MemberId.is_in(members));
    }
    if amount.is_err() && !digits {
        return Err(AppError::invalid("q", "search_format"));
    }
    Ok(any)
}

/// A page of the payments at the stores `by`'s scope covers, newest first
/// (today's only, if asked).
pub async fn list(
    state: &AppState,
    by: &Actor,
    query: &PaymentsQuery,
) -> AppResult<Page<PaymentListItem>> {
    let scope = Scope::of(state, by).await?;
    let mut q = scope.payments();
    if let Some(after) = query.after {
        q = q.filter(payment::Column::Id.lt(after));
    }
    if query.today {
        q = q.filter(payment::Column::CreatedAt.gte(today_start(state, &by.brand.time_zone)));
    }
    if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = q.filter(search(&state.db, scope.brand_id, text).await?);
    }
    let rows = q
        .order_by_desc(payment::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let items = scope.items(&state.db, rows).await?;
    Ok(Page { items, next_cursor })
}

/// Waits until payments after `after` land in the scope or `deadline`
/// passes, checking once a second that the caller may still be answered
/// (`still_valid`: a revoked key or an ended session gets no answer).
async fn wait_new<V: Future<Output = AppResult<()>>>(
    state: &AppState,
    scope: &Scope,
    after: i64,
    deadline: Instant,
    still_valid: impl Fn() -> V,
) -> AppResult<Vec<payment::Model>> {
    let mut checked = Instant::now();
    loop {
        let rows = scope
            .payments()
            .filter(payment::Column::Id.gt(after))
            .order_by_asc(payment::Column::Id)
            .limit(50)
            .all(&state.db)
            .await?;
        if !rows.is_empty() || Instant::now() >= deadline {
            return Ok(rows);
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        if checked.elapsed() >= Duration::from_secs(1) {
            still_valid().await?;
            checked = Instant::now();
        }
    }
}

/// The receipt feed: waits (up to 25 s) until a payment lands at a store
/// in `by`'s scope after `query.after`, then answers with the new ones and
/// today's total. Every replica reads the same table, so a receipt shows on
/// every open screen whichever replica took the payment. Without `after`
/// it answers at once with where the feed stands.
pub async fn feed<V: Future<Output = AppResult<()>>>(
    state: &AppState,
    by: &Actor,
    query: &WaitQuery,
    still_valid: impl Fn() -> V,
) -> AppResult<ReceiptFeed> {
    let scope = Scope::of(state, by).await?;
    let wait = Duration::from_secs(query.timeout.unwrap_or(MAX_WAIT_S).min(MAX_WAIT_S));
    let (rows, last_id) = match query.after {
        Some(after) => {
            let rows = wait_new(state, &scope, after, Instant::now() + wait, still_valid).await?;
            let last_id = rows.last().map_or(after, |p| p.id);
            // On PostgreSQL ids are taken at insert but become visible at
            // commit, so a payment can appear with an id below one already
            // delivered. The last few seconds' receipts are sent again each
            // time; screens skip the ones they have shown.
            let mut late = scope
                .payments()
                .filter(payment::Column::Id.lte(after))
                .filter(payment::Column::CreatedAt.gte(state.clock.now_ms() - LOOKBACK_MS))
                .order_by_asc(payment::Column::Id)
                .limit(50)
                .all(&state.db)
                .await?;
            late.extend(rows);
            (late, last_id)
        }
        None => {
            let newest = scope
                .payments()
                .order_by_desc(payment::Column::Id)
                .one(&state.db)
                .await?;
            (Vec::new(), newest.map_or(0, |p| p.id))
        }
    };
    let start = today_start(state, &by.brand.time_zone);
    let today = scope
        .payments()
        .filter(payment::Column::CreatedAt.gte(start))
        .all(&state.db)
        .await?;
    let today_total = Fen::checked_sum(today.iter().map(|p| Fen(p.amount) - p.refunded().total()))
        .ok_or_else(|| AppError::overflow("today's payments"))?;
    Ok(ReceiptFeed {
        items: scope.items(&state.db, rows).await?,
        last_id,
        today_total,
        today_count: today.len() as i64,
    })
}
