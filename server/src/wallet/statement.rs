//! 日结: a store's daily statement in the brand's time zone, from the
//! ledger: opening balance, payments by channel (stored-value principal, the
//! store's share of bonus, online), refunds, withdrawals, closing balance,
//! and the counter top-ups taken beside the wallet; and the wallet's
//! movements over a range, read a chunk at a time. The HTTP layer
//! (`routes::statement`) renders them as JSON or streamed CSV.

use crate::db::sql;
use crate::entity::store;
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Kind};
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DatabaseConnection, Value};
use shared::dto::{EntryKind, RangeQuery};
use shared::dto::{Statement, StatementDay};
use shared::money::Fen;
use std::collections::HashMap;

/// The longest range one statement covers.
pub const MAX_DAYS: i64 = 92;

/// The range asked for, defaulting to the last 7 days up to today in the
/// brand's time zone; at most [`MAX_DAYS`].
pub fn range(q: &RangeQuery, time_zone: &str, now: i64) -> AppResult<(NaiveDate, NaiveDate)> {
    let parse = |field: &str, v: &Option<String>| -> AppResult<Option<NaiveDate>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            // Four-digit years only (chrono alone would take `-262144-01-01`).
            Some(v) if shared::validate::parse_date(v).is_some() => {
                NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::invalid(field, "date_format"))
            }
            Some(_) => Err(AppError::invalid(field, "date_format")),
        }
    };
    let today = NaiveDate::parse_from_str(&ledger::business_date(time_zone, now), "%Y-%m-%d")
        .map_err(anyhow::Error::from)?;
    let to = parse("to", &q.to)?.unwrap_or(today);
    let from = match parse("from", &q.from)? {
        Some(f) => f,
        None => to
            .checked_sub_signed(chrono::Duration::days(6))
            .ok_or_else(|| AppError::invalid("to", "date_format"))?,
    };
    // Days not yet begun have no statement.
    if to > today {
        return Err(AppError::invalid("to", "date_future"));
    }
    if from > to {
        return Err(AppError::invalid("from", "date_order"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::invalid("to", "range_too_long"));
    }
    Ok((from, to))
}

/// The brand's account of `kind` owned by `owner`, if opened.
pub async fn account_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    kind: Kind,
    owner: i64,
) -> AppResult<Option<i64>> {
    Ok(ledger::find_account(conn, brand_id, kind, owner)
        .await?
        .map(|a| a.id))
}

/// Sums of an account's lines by business date (and entry kind), within
/// the range.
async fn sums_by_day(
    db: &impl ConnectionTrait,
    account_id: i64,
    kind: Option<EntryKind>,
    from: &str,
    to: &str,
) -> AppResult<Vec<(String, String, i64)>> {
    let backend = db.get_database_backend();
    let mut values: Vec<Value> = vec![account_id.into(), from.into(), to.into()];
    let mut text = "SELECT e.business_date AS day, e.kind AS kind, \
         CAST(SUM(l.amount) AS BIGINT) AS total \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         WHERE l.account_id = $1 AND e.business_date >= $2 AND e.business_date <= $3"
        .to_string();
    if let Some(k) = kind {
        text.push_str(" AND e.kind = $4");
        values.push(k.as_str().into());
    }
    text.push_str(" GROUP BY e.business_date, e.kind");
    let rows = db.query_all_raw(sql(backend, &text, values)).await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.try_get::<String>("", "day")?,
                r.try_get::<String>("", "kind")?,
                r.try_get::<Option<i64>>("", "total")?.unwrap_or(0),
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(AppError::from)
}

/// Payments by day: (principal, bonus share, gateway, count).
async fn payments_by_day(
    db: &impl ConnectionTrait,
    brand_id: i64,
    store_id: i64,
    from: &str,
    to: &str,
) -> AppResult<HashMap<String, (i64, i64, i64, i64)>> {
    let backend = db.get_database_backend();
    let text = format!(
        "SELECT e.business_date AS day, \
         CAST(SUM(p.principal) AS BIGINT) AS principal, \
         CAST(SUM(p.bonus_settled) AS BIGINT) AS bonus, \
         CAST(SUM(p.gateway) AS BIGINT) AS gateway, \
         CAST(COUNT(*) AS BIGINT) AS n \
         FROM journal_entries e JOIN payments p \
           ON CAST(p.id AS TEXT) = e.op_ref AND p.brand_id = e.brand_id AND p.store_id = e.store_id \
         WHERE e.brand_id = $1 AND e.store_id = $2 AND e.kind = '{}' \
           AND e.business_date >= $3 AND e.business_date <= $4 \
         GROUP BY e.business_date",
        EntryKind::Payment.as_str()
    );
    let rows = db
        .query_all_raw(sql(
            backend,
            &text,
            vec![brand_id.into(), store_id.into(), from.into(), to.into()],
        ))
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        let get = |c: &str| r.try_get::<Option<i64>>("", c).map(|v| v.unwrap_or(0));
        out.insert(
            r.try_get::<String>("", "day")?,
            (get("principal")?, get("bonus")?, get("gateway")?, get("n")?),
        );
    }
    Ok(out)
}

/// The balance of an append-only account before the business date `day`.
async fn sum_before(db: &impl ConnectionTrait, account: i64, day: &str) -> AppResult<i64> {
    let row = db
        .query_one_raw(sql(
            db.get_database_backend(),
            "SELECT CAST(SUM(l.amount) AS BIGINT) AS total \
             FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
             WHERE l.account_id = $1 AND e.business_date < $2",
            vec![account.into(), day.to_string().into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<Option<i64>>("", "total")?.unwrap_or(0),
        None => 0,
    })
}

/// `a + b` of stored amounts, or an error if it does not fit.
fn plus(a: i64, b: i64) -> AppResult<i64> {
    a.checked_add(b)
        .ok_or_else(|| AppError::overflow("a statement's amounts"))
}

/// `a - b` of stored amounts, or an error if it does not fit.
fn minus(a: i64, b: i64) -> AppResult<i64> {
    a.checked_sub(b)
        .ok_or_else(|| AppError::overflow("a statement's amounts"))
}

/// What a statement adds up, by business date.
#[derive(Default)]
struct Sums {
    /// The wallet before the first day.
    opening: i64,
    /// The wallet's movements by day and entry kind.
    moves: HashMap<String, HashMap<String, i64>>,
    /// Payments by day: (principal, bonus share, gateway, count).
    paid: HashMap<String, (i64, i64, i64, i64)>,
    /// Counter top-ups (cash taken) by day.
    topups: HashMap<String, i64>,
    /// Cash handed in by day.
    handed_in: HashMap<String, i64>,
    /// Change of the cash held for HQ by day.
    cash_moves: HashMap<String, i64>,
    /// The cash held for HQ before the first day.
    cash_before: i64,
}

/// Adds `total` to the day's entry of `map` (negated if `negate`).
fn add_to(map: &mut HashMap<String, i64>, day: String, total: i64, negate: bool) -> AppResult<()> {
    let slot = map.entry(day).or_default();
    *slot = if negate {
        minus(*slot, total)?
    } else {
        plus(*slot, total)?
    };
    Ok(())
}

/// The statement's sums for `shop` over `f..=t`, all read in `db` (one
/// snapshot).
async fn sums(
    db: &impl ConnectionTrait,
    brand_id: i64,
    shop: &store::Model,
    f: &str,
    t: &str,
) -> AppResult<Sums> {
    let mut s = Sums {
        paid: payments_by_day(db, brand_id, shop.id, f, t).await?,
        ..Sums::default()
    };
    if let Some(w) = account_of(db, brand_id, Kind::StoreWallet, shop.id).await? {
        s.opening = sum_before(db, w, f).await?;
        for (day, kind, total) in sums_by_day(db, w, None, f, t).await? {
            let slot = s.moves.entry(day).or_default().entry(kind).or_default();
            *slot = plus(*slot, total)?;
        }
    }
    // Cash the store holds for HQ: the counter's clearing account, negated
    // (cash taken debits it; cash paid back and hand-ins credit it).
    if let Some(c) = account_of(db, brand_id, Kind::CounterClearing, shop.id).await? {
        for (day, _, total) in sums_by_day(db, c, Some(EntryKind::TopUp), f, t).await? {
            // Cash taken is a credit to the member, a debit of clearing.
            add_to(&mut s.topups, day, total, true)?;
        }
        for (day, _, total) in sums_by_day(db, c, Some(EntryKind::CashHandIn), f, t).await? {
            add_to(&mut s.handed_in, day, total, false)?;
        }
        for (day, _, total) in sums_by_day(db, c, None, f, t).await? {
            add_to(&mut s.cash_moves, day, total, true)?;
        }
        s.cash_before = minus(0, sum_before(db, c, f).await?)?;
    }
    Ok(s)
}

/// The days of `from..=to`, each from the day before's closing.
fn days(from: NaiveDate, to: NaiveDate, mut s: Sums) -> AppResult<Vec<StatementDay>> {
    let mut cash = s.cash_before;
    let mut balance = s.opening;
    let mut days = Vec::new();
    for offset in 0..=(to - from).num_days() {
        let key = (from + chrono::Duration::days(offset)).to_string();
        let kinds = s.moves.remove(&key).unwrap_or_default();
        let of = |k: EntryKind| kinds.get(k.as_str()).copied().unwrap_or(0);
        let (principal, bonus, gateway, n) = s.paid.get(&key).copied().unwrap_or_default();
        let refunds = of(EntryKind::Refund);
        let withdrawals = plus(of(EntryKind::Withdrawal), of(EntryKind::WithdrawalRelease))?;
        let moved = kinds.values().try_fold(0, |a, b| plus(a, *b))?;
        let other = [principal, bonus, gateway, refunds, withdrawals]
            .into_iter()
            .try_fold(moved, minus)?;
        let opening_today = balance;
        balance = plus(balance, moved)?;
        cash = plus(cash, s.cash_moves.get(&key).copied().unwrap_or(0))?;
        days.push(StatementDay {
            date: key.clone(),
            opening: Fen(opening_today),
            principal: Fen(principal),
            bonus: Fen(bonus),
            gateway: Fen(gateway),
            payments: n,
            refunds: Fen(refunds),
            withdrawals: Fen(withdrawals),
            other: Fen(other),
            closing: Fen(balance),
            counter_topups: Fen(s.topups.get(&key).copied().unwrap_or(0)),
            cash_handed_in: Fen(s.handed_in.get(&key).copied().unwrap_or(0)),
            cash_to_hand_in: Fen(cash),
        });
    }
    Ok(days)
}

/// The statement of `shop` over `from..=to`.
pub async fn statement(
    db: &DatabaseConnection,
    brand_id: i64,
    shop: &store::Model,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Statement> {
    // Every read from one snapshot: a payment committing meanwhile cannot
    // show up in one sum and not another.
    let snapshot = crate::db::snapshot(db).await?;
    let (f, t) = (from.to_string(), to.to_string());
    let sums = sums(&snapshot, brand_id, shop, &f, &t).await?;
    Ok(Statement {
        store_id: shop.id,
        store_name: shop.name.clone(),
        from: f,
        to: t,
        days: days(from, to, sums)?,
    })
}

/// One movement of a wallet, for the CSV export.
pub struct Movement {
    /// The line's id (the next chunk starts after it).
    pub id: i64,
    /// Fen, signed as the wallet sees it.
    pub amount: i64,
    /// The entry's kind.
    pub kind: String,
    /// The entry's reference.
    pub op_ref: String,
    /// The member's phone, masked, if a member was involved.
    pub member: Option<String>,
    /// The business date.
    pub day: String,
    /// When it was booked (ms).
    pub at: i64,
}

/// Up to `limit` movements of the wallet account over `from..=to`, after the
/// line `after`, oldest first.
pub async fn movements(
    db: &DatabaseConnection,
    brand_id: i64,
    wallet: i64,
    (from, to): (&str, &str),
    after: i64,
    limit: i64,
) -> AppResult<Vec<Movement>> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(sql(
            backend,
            "SELECT l.id AS id, l.amount AS amount, e.kind AS kind, e.op_ref AS op_ref, \
             e.member_id AS member_id, e.business_date AS day, e.created_at AS at \
             FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
             WHERE l.account_id = $1 AND e.business_date >= $2 AND e.business_date <= $3 \
               AND l.id > $4 ORDER BY l.id LIMIT $5",
            vec![
                wallet.into(),
                from.into(),
                to.into(),
                after.into(),
                limit.into(),
            ],
        ))
        .await?;
    type Row = (i64, i64, String, String, Option<i64>, String, i64);
    let parsed: Vec<Row> = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                r.try_get("", "amount")?,
                r.try_get("", "kind")?,
                r.try_get("", "op_ref")?,
                r.try_get("", "member_id")?,
                r.try_get("", "day")?,
                r.try_get("", "at")?,
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let member_ids: Vec<i64> = parsed.iter().filter_map(|r| r.4).collect();
    let phones = crate::names::member_phones(db, brand_id, member_ids).await?;
    Ok(parsed
        .into_iter()
        .map(|(id, amount, kind, op_ref, member_id, day, at)| Movement {
            id,
            amount,
            kind,
            op_ref,
            member: member_id.and_then(|m| phones.get(&m).cloned()),
            day,
            at,
        })
        .collect())
}
