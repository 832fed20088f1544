//! 日结: a store's daily statement ([`crate::wallet::statement`]) as JSON for
//! the app and as CSV (UTF-8 with a BOM so Excel opens it), streamed row by row; the
//! wallet's every movement over a range streams as CSV in chunks, never
//! held in memory as a whole.

use crate::auth::{Managers, RequestLang, StaffCaller};
use crate::clock::local_time;
use crate::error::{AppPath, AppQuery, AppResult};
use crate::ledger::Kind;
use crate::routes::Api;
use crate::state::AppState;
use crate::wallet::statement::{self, account_of, range};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use shared::Lang;
use shared::api;
use shared::dto::Statement;
use shared::dto::{EntryKind, RangeQuery};
use shared::money::Fen;

/// Movements read per chunk of the streamed CSV.
const CHUNK: i64 = 500;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StoreStatement, statement_json)
        .at(api::StoreStatementCsv, statement_csv)
        .at(api::WalletEntriesCsv, entries_csv)
}

async fn statement_json(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
    AppQuery(query): AppQuery<RangeQuery>,
) -> AppResult<Json<Statement>> {
    let shop = crate::chain::store_in_scope(&state.db, &caller.actor(), store_id).await?;
    let (from, to) = range(&query, &caller.brand.time_zone, state.clock.now_ms())?;
    Ok(Json(
        statement::statement(&state.db, caller.brand.id, &shop, from, to).await?,
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
    let shop = crate::chain::store_in_scope(&state.db, &caller.actor(), store_id).await?;
    let (from, to) = range(&query, &caller.brand.time_zone, state.clock.now_ms())?;
    let s = statement::statement(&state.db, caller.brand.id, &shop, from, to).await?;
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
    let (zh, en) = match EntryKind::parse(kind) {
        Some(EntryKind::Payment) => ("收款", "Payment"),
        Some(EntryKind::Refund) => ("退款", "Refund"),
        Some(EntryKind::Withdrawal) => ("提现冻结", "Frozen for a withdrawal"),
        Some(EntryKind::WithdrawalRelease) => ("提现退回", "Withdrawal returned"),
        _ => return kind,
    };
    match lang {
        Lang::Zh => zh,
        Lang::En => en,
    }
}

/// A movement's number as the store knows it: the payment a payment or a
/// refund belongs to, the withdrawal a freeze or its return belongs to
/// (never the ledger's internal `2:5000`).
fn reference(op_ref: &str) -> String {
    op_ref.split(':').next().unwrap_or(op_ref).to_string()
}

/// Where the movements stream is.
struct Cursor {
    db: DatabaseConnection,
    brand_id: i64,
    wallet: Option<i64>,
    /// The brand's zone: times are written as its wall clock.
    time_zone: String,
    from: String,
    to: String,
    after: i64,
    lang: Lang,
}

/// The next chunk of movements as CSV, or `None` at the end.
async fn next_chunk(mut c: Cursor) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
    let wallet = c.wallet?;
    let span = (c.from.as_str(), c.to.as_str());
    let rows = match statement::movements(&c.db, c.brand_id, wallet, span, c.after, CHUNK).await {
        Ok(rows) if rows.is_empty() => return None,
        Ok(rows) => rows,
        Err(e) => {
            tracing::error!("statement export failed: {e:?}");
            let failed = Err(std::io::Error::other("export failed"));
            return Some((failed, Cursor { wallet: None, ..c }));
        }
    };
    let mut out = Vec::new();
    for m in &rows {
        out.extend_from_slice(&record([
            local_time(m.at, &c.time_zone),
            m.day.clone(),
            kind_name(&m.kind, c.lang).to_string(),
            reference(&m.op_ref),
            m.member.clone().unwrap_or_default(),
            yuan(Fen(m.amount)),
        ]));
        c.after = m.id;
    }
    if (rows.len() as i64) < CHUNK {
        // The last chunk: stop after it.
        c.wallet = None;
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
    let shop = crate::chain::store_in_scope(&state.db, &caller.actor(), store_id).await?;
    let (from, to) = range(&query, &caller.brand.time_zone, state.clock.now_ms())?;
    let wallet = account_of(&state.db, caller.brand.id, Kind::StoreWallet, shop.id).await?;
    let zone = &caller.brand.time_zone;
    let (time_zh, time_en) = (format!("时间（{zone}）"), format!("Time ({zone})"));
    let header = record(match lang {
        Lang::Zh => [time_zh.as_str(), "营业日", "类型", "单号", "会员", "金额"],
        Lang::En => [
            time_en.as_str(),
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
        time_zone: caller.brand.time_zone.clone(),
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
