//! 日结: a store's daily statement in the brand's time zone, from the
//! ledger: opening balance, payments by channel (stored-value principal, the
//! store's share of bonus, online), refunds, withdrawals, closing balance,
//! and the counter top-ups taken beside the wallet. As JSON for the app and
//! as CSV (UTF-8 with a BOM so Excel opens it), streamed row by row; the
//! wallet's every movement over a range streams as CSV in chunks, never
//! held in memory as a whole.

use crate::auth::{Managers, RequestLang, StaffCaller};
use crate::clock::rfc3339;
use crate::entity::{account, member, store};
use crate::error::{AppError, AppPath, AppQuery, AppResult};
use crate::ledger::{self, Kind};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    Statement as Sql, Value,
};
use shared::Lang;
use shared::api;
use shared::dto::RangeQuery;
use shared::dto::{Statement, StatementDay};
use shared::money::Fen;
use shared::validate::mask_phone;
use std::collections::HashMap;

/// The longest range one statement covers.
pub const MAX_DAYS: i64 = 92;
/// Movements read per chunk of the streamed CSV.
const CHUNK: i64 = 500;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StoreStatement, statement_json)
        .at(api::StoreStatementCsv, statement_csv)
        .at(api::WalletEntriesCsv, entries_csv)
}

/// The range asked for, defaulting to the last 7 days up to today in the
/// brand's time zone; at most [`MAX_DAYS`].
fn range(q: &RangeQuery, time_zone: &str, now: i64) -> AppResult<(NaiveDate, NaiveDate)> {
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
    if from > to {
        return Err(AppError::invalid("from", "date_order"));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(AppError::invalid("to", "range_too_long"));
    }
    Ok((from, to))
}

/// A raw statement with `$n` placeholders, in the backend's dialect
/// (SQLite numbers its parameters `?n`).
fn sql(backend: DbBackend, text: &str, values: Vec<Value>) -> Sql {
    let text = match backend {
        DbBackend::Sqlite => text.replace('$', "?"),
        _ => text.to_string(),
    };
    Sql::from_sql_and_values(backend, text, values)
}

async fn account_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    kind: Kind,
    owner: i64,
) -> AppResult<Option<i64>> {
    Ok(account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Kind.eq(kind.as_str()))
        .filter(account::Column::OwnerId.eq(owner))
        .one(conn)
        .await?
        .map(|a| a.id))
}

/// Sums of an account's lines by business date (and entry kind), within
/// the range.
async fn sums_by_day(
    db: &impl ConnectionTrait,
    account_id: i64,
    kind: Option<&str>,
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
        values.push(k.into());
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
    let text = "SELECT e.business_date AS day, \
         CAST(SUM(p.principal) AS BIGINT) AS principal, \
         CAST(SUM(p.bonus_settled) AS BIGINT) AS bonus, \
         CAST(SUM(p.gateway) AS BIGINT) AS gateway, \
         CAST(COUNT(*) AS BIGINT) AS n \
         FROM journal_entries e JOIN payments p \
           ON CAST(p.id AS TEXT) = e.op_ref AND p.brand_id = e.brand_id AND p.store_id = e.store_id \
         WHERE e.brand_id = $1 AND e.store_id = $2 AND e.kind = 'payment' \
           AND e.business_date >= $3 AND e.business_date <= $4 \
         GROUP BY e.business_date";
    let rows = db
        .query_all_raw(sql(
            backend,
            text,
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
    let db = &crate::db::snapshot(db).await?;
    let (f, t) = (from.to_string(), to.to_string());
    let wallet = account_of(db, brand_id, Kind::StoreWallet, shop.id).await?;
    let counter = account_of(db, brand_id, Kind::CounterClearing, shop.id).await?;
    let mut opening = 0i64;
    let mut moves: HashMap<String, HashMap<String, i64>> = HashMap::new();
    if let Some(w) = wallet {
        opening = sum_before(db, w, &f).await?;
        for (day, kind, total) in sums_by_day(db, w, None, &f, &t).await? {
            *moves.entry(day).or_default().entry(kind).or_default() += total;
        }
    }
    let paid = payments_by_day(db, brand_id, shop.id, &f, &t).await?;
    let mut topups: HashMap<String, i64> = HashMap::new();
    let mut handed_in: HashMap<String, i64> = HashMap::new();
    let mut cash_moves: HashMap<String, i64> = HashMap::new();
    // Cash the store holds for HQ: the counter's clearing account, negated
    // (cash taken debits it; cash paid back and hand-ins credit it).
    let mut cash_before = 0i64;
    if let Some(c) = counter {
        for (day, _, total) in sums_by_day(db, c, Some("topup"), &f, &t).await? {
            // Cash taken is a credit to the member, a debit of clearing.
            *topups.entry(day).or_default() -= total;
        }
        for (day, _, total) in sums_by_day(db, c, Some("cash_handin"), &f, &t).await? {
            *handed_in.entry(day).or_default() += total;
        }
        for (day, _, total) in sums_by_day(db, c, None, &f, &t).await? {
            *cash_moves.entry(day).or_default() -= total;
        }
        cash_before = -sum_before(db, c, &f).await?;
    }
    let mut cash = cash_before;
    let mut days = Vec::new();
    let mut balance = opening;
    for offset in 0..=(to - from).num_days() {
        let key = (from + chrono::Duration::days(offset)).to_string();
        let kinds = moves.remove(&key).unwrap_or_default();
        let of = |k: &str| kinds.get(k).copied().unwrap_or(0);
        let (principal, bonus, gateway, n) = paid.get(&key).copied().unwrap_or_default();
        let refunds = of("refund");
        let withdrawals = of("withdrawal") + of("withdrawal_release");
        let moved: i64 = kinds.values().sum();
        let other = moved - principal - bonus - gateway - refunds - withdrawals;
        let opening_today = balance;
        balance += moved;
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
            counter_topups: Fen(topups.get(&key).copied().unwrap_or(0)),
            cash_handed_in: Fen(handed_in.get(&key).copied().unwrap_or(0)),
            cash_to_hand_in: {
                cash += cash_moves.get(&key).copied().unwrap_or(0);
                Fen(cash)
            },
        });
    }
    Ok(Statement {
        store_id: shop.id,
        store_name: shop.name.clone(),
        from: f,
        to: t,
        days,
    })
}

async fn statement_json(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
    AppQuery(query): AppQuery<RangeQuery>,
) -> AppResult<Json<Statement>> {
    let shop = caller.actor().store_in_scope(&state.db, store_id).await?;
    let (from, to) = range(&query, &caller.brand.time_zone, state.clock.now_ms())?;
    Ok(Json(
        statement(&state.db, caller.brand.id, &shop, from, to).await?,
    ))
}

/// Fen as plain yuan for spreadsheets: `-12.30`.
fn yuan(f: Fen) -> String {
    let sign = if f.0 < 0 { "-" } else { "" };
    let a = f.0.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// One CSV record as bytes.
fn record<I, S>(fields: I) -> Bytes
where
    I: IntoIterator<Item = S>,
    S: AsRef<[u8]>,
{
    let mut w = csv::Writer::from_writer(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_record(fields);
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// A CSV download: UTF-8 with a BOM, streamed from `rows`.
fn csv_response(
    filename: &str,
    rows: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
) -> Response {
    use futures_util::StreamExt;
    let bom = futures_util::stream::once(async { Ok(Bytes::from_static(b"\xEF\xBB\xBF")) });
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(bom.chain(rows)),
    )
        .into_response()
}

fn statement_header(lang: Lang) -> [&'static str; 13] {
    match lang {
        Lang::Zh => [
            "日期",
            "期初余额",
            "储值本金收款",
            "赠送金结算",
            "在线支付",
            "收款笔数",
            "退款",
            "提现",
            "其他",
            "期末余额",
            "柜台充值（不计入钱包）",
            "现金上缴",
            "待上缴现金",
        ],
        Lang::En => [
            "Date",
            "Opening",
            "Stored value principal",
            "Bonus share",
            "Online",
            "Payments",
            "Refunds",
            "Withdrawals",
            "Other",
            "Closing",
            "Counter top-ups (not in the wallet)",
            "Cash handed in",
            "Cash to hand in",
        ],
    }
}

async fn statement_csv(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    RequestLang(lang): RequestLang,
    AppPath(store_id): AppPath<i64>,
    AppQuery(query): AppQuery<RangeQuery>,
) -> AppResult<Response> {
    let shop = caller.actor().store_in_scope(&state.db, store_id).await?;
    let (from, to) = range(&query, &caller.brand.time_zone, state.clock.now_ms())?;
    let s = statement(&state.db, caller.brand.id, &shop, from, to).await?;
    let header = record(statement_header(lang));
    let rows = s.days.into_iter().map(|d| {
        Ok(record([
            d.date,
            yuan(d.opening),
            yuan(d.principal),
            yuan(d.bonus),
            yuan(d.gateway),
            d.payments.to_string(),
            yuan(d.refunds),
            yuan(d.withdrawals),
            yuan(d.other),
            yuan(d.closing),
            yuan(d.counter_topups),
            yuan(d.cash_handed_in),
            yuan(d.cash_to_hand_in),
        ]))
    });
    let body = futures_util::stream::iter(std::iter::once(Ok(header)).chain(rows));
    Ok(csv_response(
        &format!("statement-{}-{from}-{to}.csv", shop.id),
        body,
    ))
}

/// The name of a wallet movement's kind.
fn kind_name(kind: &str, lang: Lang) -> &str {
    let (zh, en) = match kind {
        "payment" => ("收款", "Payment"),
        "refund" => ("退款", "Refund"),
        "withdrawal" => ("提现冻结", "Frozen for a withdrawal"),
        "withdrawal_release" => ("提现退回", "Withdrawal returned"),
        _ => return kind,
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// Where the movements stream is.
struct Cursor {
    db: DatabaseConnection,
    brand_id: i64,
    wallet: Option<i64>,
    from: String,
    to: String,
    after: i64,
    lang: Lang,
}

/// The next chunk of movements as CSV, or `None` at the end.
async fn next_chunk(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    let wallet = c.wallet?;
    let backend = c.db.get_database_backend();
    let rows =
        c.db.query_all_raw(sql(
            backend,
            "SELECT l.id AS id, l.amount AS amount, e.kind AS kind, e.op_ref AS op_ref, \
             e.member_id AS member_id, e.business_date AS day, e.created_at AS at \
             FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
             WHERE l.account_id = $1 AND e.business_date >= $2 AND e.business_date <= $3 \
               AND l.id > $4 ORDER BY l.id LIMIT $5",
            vec![
                wallet.into(),
                c.from.clone().into(),
                c.to.clone().into(),
                c.after.into(),
                CHUNK.into(),
            ],
        ))
        .await;
    let rows = match rows {
        Ok(r) if r.is_empty() => return None,
        Ok(r) => r,
        Err(e) => {
            tracing::error!("statement export failed: {e}");
            return Some((
                Err(std::io::Error::other("export failed")),
                Cursor { wallet: None, ..c },
            ));
        }
    };
    type Row = (i64, i64, String, String, Option<i64>, String, i64);
    let parsed: Result<Vec<Row>, sea_orm::DbErr> = rows
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
        .collect();
    let Ok(parsed) = parsed else {
        return Some((
            Err(std::io::Error::other("export failed")),
            Cursor { wallet: None, ..c },
        ));
    };
    let member_ids: Vec<i64> = parsed.iter().filter_map(|r| r.4).collect();
    let phones = match member::Entity::find()
        .filter(member::Column::BrandId.eq(c.brand_id))
        .filter(member::Column::Id.is_in(member_ids))
        .all(&c.db)
        .await
    {
        Ok(found) => found,
        Err(e) => {
            tracing::error!("statement export failed: {e}");
            return Some((
                Err(std::io::Error::other("export failed")),
                Cursor { wallet: None, ..c },
            ));
        }
    };
    let phones: HashMap<i64, String> = phones
        .into_iter()
        .map(|m| (m.id, mask_phone(&m.phone)))
        .collect();
    let mut out = Vec::new();
    for (id, amount, kind, op_ref, member_id, day, at) in &parsed {
        out.extend_from_slice(&record([
            rfc3339(*at),
            day.clone(),
            kind_name(kind, c.lang).to_string(),
            op_ref.clone(),
            member_id
                .and_then(|m| phones.get(&m).cloned())
                .unwrap_or_default(),
            yuan(Fen(*amount)),
        ]));
        c.after = *id;
    }
    if (parsed.len() as i64) < CHUNK {
        // The last chunk: stop after it.
        let done = Cursor { wallet: None, ..c };
        return Some((Ok(Bytes::from(out)), done));
    }
    Some((Ok(Bytes::from(out)), c))
}

/// Every movement of the wallet over the range, oldest first, as CSV.
async fn entries_csv(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    RequestLang(lang): RequestLang,
    AppPath(store_id): AppPath<i64>,
    AppQuery(query): AppQuery<RangeQuery>,
) -> AppResult<Response> {
    use futures_util::StreamExt;
    let shop = caller.actor().store_in_scope(&state.db, store_id).await?;
    let (from, to) = range(&query, &caller.brand.time_zone, state.clock.now_ms())?;
    let wallet = account_of(&state.db, caller.brand.id, Kind::StoreWallet, shop.id).await?;
    let header = record(match lang {
        Lang::Zh => ["时间", "营业日", "类型", "单号", "会员", "金额"],
        Lang::En => [
            "Time",
            "Business date",
            "Kind",
            "Reference",
            "Member",
            "Amount",
        ],
    });
    let cursor = Cursor {
        db: state.db.clone(),
        brand_id: caller.brand.id,
        wallet,
        from: from.to_string(),
        to: to.to_string(),
        after: 0,
        lang,
    };
    let rows = futures_util::stream::unfold(cursor, next_chunk);
    let body = futures_util::stream::once(async move { Ok(header) }).chain(rows);
    Ok(csv_response(
        &format!("wallet-{}-{from}-{to}.csv", shop.id),
        body,
    ))
}
