//! The sandbox payment gateway: a stand-in for a real provider, served by
//! this same binary under `/sandbox/gateway`, clearly marked as a sandbox.
//! No real money moves.
//!
//! It keeps its own books (`sandbox_trades`, `sandbox_refunds`), answers the
//! signed server-to-server calls of [`super::HttpGateway`] (create, query,
//! close, refund), shows a hosted checkout page where the payer presses pay,
//! fail or cancel, and delivers signed callbacks over real HTTP with retries
//! (immediately, then after 0.3 s, 1 s, 3 s, 10 s, 30 s, 1 min, 5 min).
//!
//! It runs in demo mode only. Switches (HQ admin, audited:
//! `GET`/`PUT /api/hq/sandbox/gateway-switches`) make it misbehave the
//! way real gateways do: `duplicate` (each callback twice), `reorder_hold_ms`
//! (an order's first callback is held that long, so a later one overtakes
//! it), `delay_ms`, `drop` (no callbacks at all: only a query finds out),
//! `fail_attempts` (the first N delivery attempts of each callback are lost
//! in transit, so the retries are exercised), `accept_after_close` (the
//! checkout still takes a payment after the merchant closed the order, as
//! when a payment and a close cross), `refuse_refunds` (every refund is
//! refused, as for a payer's closed account).

use super::{
    CreateOrder, Created, GatewayErrorBody, NONCE, Notification, RefundDone, RefundOrder,
    SIGNATURE, TIMESTAMP, Trade, TradeState, nonce, sign, verify,
};
use crate::clock::Clock;
use crate::db::begin_write;
use crate::entity::{sandbox_refund, sandbox_trade};
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use shared::dto::GatewaySwitches as Switches;

/// The sandbox service.
pub struct Sandbox {
    db: DatabaseConnection,
    clock: Clock,
    key: Vec<u8>,
    public_base: String,
    http: reqwest::Client,
    switches: Mutex<Switches>,
    notified: Mutex<HashSet<String>>,
}

const RETRY_AFTER_MS: [u64; 8] = [0, 300, 1_000, 3_000, 10_000, 30_000, 60_000, 300_000];

impl Sandbox {
    /// A sandbox signing with `key`, whose checkout pages live under
    /// `public_base` (e.g. `http://host:8080/sandbox/gateway`).
    pub fn new(
        db: DatabaseConnection,
        clock: Clock,
        key: &[u8],
        public_base: &str,
    ) -> anyhow::Result<Sandbox> {
        Ok(Sandbox {
            db,
            clock,
            key: key.to_vec(),
            public_base: public_base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .no_proxy()
                .build()?,
            switches: Mutex::new(Switches::default()),
            notified: Mutex::new(HashSet::new()),
        })
    }

    /// The switches now in force.
    pub fn switches(&self) -> Switches {
        self.switches.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Sets the switches.
    pub fn set_switches(&self, s: Switches) {
        if let Ok(mut cur) = self.switches.lock() {
            *cur = s;
        }
    }
}

/// The sandbox's routes, to nest under `/sandbox/gateway`.
pub fn router(sandbox: Arc<Sandbox>) -> Router {
    Router::new()
        .route("/v1/orders", post(create))
        .route("/v1/orders/{mch}/{no}", get(query))
        .route("/v1/orders/{mch}/{no}/close", post(close))
        .route("/v1/refunds", post(refund))
        .route("/checkout/{mch}/{no}", get(checkout))
        .route("/checkout/{mch}/{no}/{action}", post(checkout_action))
        .route("/inspect/{mch}/{no}", get(inspect))
        .with_state(sandbox)
}

type Sb = State<Arc<Sandbox>>;

fn refuse(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(GatewayErrorBody {
            code: code.into(),
            message: message.into(),
        }),
    )
        .into_response()
}

fn db_error(e: DbErr) -> Response {
    tracing::error!("sandbox gateway: {e}");
    refuse(
        StatusCode::INTERNAL_SERVER_ERROR,
        "SYSTEM_ERROR",
        "sandbox database error",
    )
}

/// Checks a merchant request's signature.
fn authentic(
    sb: &Sandbox,
    headers: &HeaderMap,
    method: &Method,
    uri: &OriginalUri,
    body: &[u8],
) -> Option<Response> {
    let target = format!("{method} {}", uri.0.path());
    match verify(&sb.key, headers, &target, body, sb.clock.now_ms()) {
        Ok(_) => None,
        Err(e) => Some(refuse(
            StatusCode::UNAUTHORIZED,
            "SIGN_ERROR",
            &format!("signature check failed: {e:?}"),
        )),
    }
}

fn trade_of(t: &sandbox_trade::Model) -> Trade {
    Trade {
        merchant_id: t.merchant_id.clone(),
        order_no: t.order_no.clone(),
        amount: t.amount,
        state: TradeState::parse(&t.state).unwrap_or(TradeState::Notpay),
        txn_id: t.txn_id.clone(),
        paid_at: t.paid_at,
        refunded: t.refunded,
    }
}

async fn find(
    db: &DatabaseConnection,
    mch: &str,
    no: &str,
) -> Result<Option<sandbox_trade::Model>, DbErr> {
    sandbox_trade::Entity::find()
        .filter(sandbox_trade::Column::MerchantId.eq(mch))
        .filter(sandbox_trade::Column::OrderNo.eq(no))
        .one(db)
        .await
}

/// A trade, or the gateway's answer when there is none (or the store failed).
async fn trade_or_refusal(
    db: &DatabaseConnection,
    mch: &str,
    no: &str,
) -> Result<sandbox_trade::Model, Response> {
    match find(db, mch, no).await {
        Ok(Some(t)) => Ok(t),
        Ok(None) => Err(refuse(
            StatusCode::NOT_FOUND,
            "ORDER_NOT_FOUND",
            "no such order",
        )),
        Err(e) => Err(db_error(e)),
    }
}

async fn create(
    State(sb): Sb,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authentic(&sb, &headers, &method, &uri, &body) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<CreateOrder>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", "malformed order");
    };
    if req.amount <= 0 || req.order_no.is_empty() || req.order_no.len() > 64 {
        return refuse(
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR",
            "amount or order number invalid",
        );
    }
    let row = sandbox_trade::ActiveModel {
        merchant_id: Set(req.merchant_id.clone()),
        order_no: Set(req.order_no.clone()),
        amount: Set(req.amount),
        description: Set(req.description.clone()),
        notify_url: Set(req.notify_url.clone()),
        return_url: Set(req.return_url.clone()),
        state: Set(TradeState::Notpay.as_str().into()),
        txn_id: Set(None),
        paid_at: Set(None),
        refunded: Set(0),
        created_at: Set(sb.clock.now_ms()),
        expires_at: Set(req.expires_at),
        notify_attempts: Set(0),
        notify_acks: Set(0),
        ..Default::default()
    };
    let insert = sandbox_trade::Entity::insert(row).on_conflict(
        OnConflict::columns([
            sandbox_trade::Column::MerchantId,
            sandbox_trade::Column::OrderNo,
        ])
        .do_nothing()
        .to_owned(),
    );
    let inserted = async {
        let tx = crate::db::begin_write(&sb.db).await?;
        insert.exec_without_returning(&tx).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = inserted {
        return db_error(e);
    }
    // Creating the same order again is fine; the same number for another
    // amount is not.
    match find(&sb.db, &req.merchant_id, &req.order_no).await {
        Ok(Some(t)) if t.amount == req.amount => Json(Created {
            checkout_url: format!(
                "{}/checkout/{}/{}",
                sb.public_base, t.merchant_id, t.order_no
            ),
        })
        .into_response(),
        Ok(Some(_)) => refuse(
            StatusCode::CONFLICT,
            "ORDER_MISMATCH",
            "order number used for another amount",
        ),
        Ok(None) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "SYSTEM_ERROR",
            "order vanished",
        ),
        Err(e) => db_error(e),
    }
}

async fn query(
    State(sb): Sb,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    Path((mch, no)): Path<(String, String)>,
) -> Response {
    if let Some(r) = authentic(&sb, &headers, &method, &uri, b"") {
        return r;
    }
    match trade_or_refusal(&sb.db, &mch, &no).await {
        Ok(t) => Json(trade_of(&t)).into_response(),
        Err(r) => r,
    }
}

/// Moves a trade from one of `from` to `to`; true if it moved.
async fn transition(
    db: &DatabaseConnection,
    id: i64,
    from: &[TradeState],
    to: TradeState,
    paid: Option<(String, i64)>,
) -> Result<bool, DbErr> {
    let mut u = sandbox_trade::Entity::update_many()
        .col_expr(sandbox_trade::Column::State, Expr::value(to.as_str()))
        .filter(sandbox_trade::Column::Id.eq(id))
        .filter(sandbox_trade::Column::State.is_in(from.iter().map(|s| s.as_str())));
    if let Some((txn, at)) = paid {
        u = u
            .col_expr(sandbox_trade::Column::TxnId, Expr::value(txn))
            .col_expr(sandbox_trade::Column::PaidAt, Expr::value(at));
    }
    let tx = crate::db::begin_write(db).await?;
    let moved = u.exec(&tx).await?.rows_affected;
    tx.commit().await?;
    Ok(moved == 1)
}

async fn close(
    State(sb): Sb,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    Path((mch, no)): Path<(String, String)>,
) -> Response {
    if let Some(r) = authentic(&sb, &headers, &method, &uri, b"") {
        return r;
    }
    let t = match trade_or_refusal(&sb.db, &mch, &no).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let Err(e) = transition(
        &sb.db,
        t.id,
        &[TradeState::Notpay, TradeState::Payerror],
        TradeState::Closed,
        None,
    )
    .await
    {
        return db_error(e);
    }
    // Closed now, or paid already (then the answer says SUCCESS).
    match trade_or_refusal(&sb.db, &mch, &no).await {
        Ok(t) => Json(trade_of(&t)).into_response(),
        Err(r) => r,
    }
}

async fn refund(
    State(sb): Sb,
    method: Method,
    uri: OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = authentic(&sb, &headers, &method, &uri, &body) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<RefundOrder>(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "PARAM_ERROR", "malformed refund");
    };
    let result: Result<Response, DbErr> = async {
        let tx = begin_write(&sb.db).await?;
        crate::db::lock_key(
            &tx,
            &format!("sandbox-trade:{}:{}", req.merchant_id, req.order_no),
        )
        .await?;
        let seen = sandbox_refund::Entity::find()
            .filter(sandbox_refund::Column::MerchantId.eq(&req.merchant_id))
            .filter(sandbox_refund::Column::RefundNo.eq(&req.refund_no))
            .one(&tx)
            .await?;
        if let Some(r) = seen {
            // The same refund number again: the first answer again.
            return Ok(if r.amount == req.amount && r.order_no == req.order_no {
                Json(RefundDone {
                    refund_no: r.refund_no,
                    state: "SUCCESS".into(),
                })
                .into_response()
            } else {
                refuse(
                    StatusCode::CONFLICT,
                    "REFUND_MISMATCH",
                    "refund number used for another refund",
                )
            });
        }
        if sb.switches().refuse_refunds {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "REFUND_REFUSED",
                "the payer's account cannot take the refund",
            ));
        }
        let Some(t) = sandbox_trade::Entity::find()
            .filter(sandbox_trade::Column::MerchantId.eq(&req.merchant_id))
            .filter(sandbox_trade::Column::OrderNo.eq(&req.order_no))
            .one(&tx)
            .await?
        else {
            return Ok(refuse(
                StatusCode::NOT_FOUND,
                "ORDER_NOT_FOUND",
                "no such order",
            ));
        };
        if t.state != TradeState::Success.as_str() {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "TRADE_NOT_PAID",
                "only a paid trade can be refunded",
            ));
        }
        if req.amount <= 0 || t.refunded + req.amount > t.amount {
            return Ok(refuse(
                StatusCode::BAD_REQUEST,
                "REFUND_AMOUNT_INVALID",
                "more than is left to refund",
            ));
        }
        sandbox_refund::Entity::insert(sandbox_refund::ActiveModel {
            merchant_id: Set(req.merchant_id.clone()),
            refund_no: Set(req.refund_no.clone()),
            order_no: Set(req.order_no.clone()),
            amount: Set(req.amount),
            created_at: Set(sb.clock.now_ms()),
            ..Default::default()
        })
        .exec_without_returning(&tx)
        .await?;
        sandbox_trade::Entity::update_many()
            .col_expr(
                sandbox_trade::Column::Refunded,
                Expr::col(sandbox_trade::Column::Refunded).add(req.amount),
            )
            .filter(sandbox_trade::Column::Id.eq(t.id))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(Json(RefundDone {
            refund_no: req.refund_no.clone(),
            state: "SUCCESS".into(),
        })
        .into_response())
    }
    .await;
    result.unwrap_or_else(db_error)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title>
<style>
body{{margin:0;font-family:-apple-system,"PingFang SC","Helvetica Neue",sans-serif;background:#ededed;color:#111}}
.bar{{background:#fa9d3b;color:#fff;text-align:center;padding:6px;font-size:13px}}
.card{{background:#fff;margin:16px;border-radius:12px;padding:24px 16px;text-align:center}}
.amount{{font-size:40px;font-weight:600;margin:12px 0}}
.muted{{color:#888;font-size:14px}}
form{{margin:12px 16px}}
button{{width:100%;padding:14px;border:0;border-radius:8px;font-size:17px}}
.pay{{background:#07c160;color:#fff}}.fail{{background:#fff;color:#fa5151}}.cancel{{background:#fff;color:#111}}
</style></head><body>
<div class="bar">沙箱支付 · SANDBOX — 不会产生真实扣款 / no real money moves</div>
{body}</body></html>"#
    ))
}

fn yuan(fen: i64) -> String {
    shared::money::Fen(fen).to_string()
}

async fn checkout(State(sb): Sb, Path((mch, no)): Path<(String, String)>) -> Response {
    let t = match find(&sb.db, &mch, &no).await {
        Ok(Some(t)) => t,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                page(
                    "沙箱收银台",
                    r#"<div class="card">订单不存在 / No such order</div>"#,
                ),
            )
                .into_response();
        }
        Err(e) => return db_error(e),
    };
    let state = TradeState::parse(&t.state).unwrap_or(TradeState::Notpay);
    let now = sb.clock.now_ms();
    let late_ok = sb.switches().accept_after_close;
    let payable = match state {
        TradeState::Notpay | TradeState::Payerror => now <= t.expires_at || late_ok,
        TradeState::Closed => late_ok,
        TradeState::Success => false,
    };
    let head = format!(
        r#"<div class="card"><div class="muted">{}</div><div class="amount" id="amount">{}</div><div class="muted">订单号 Order {}</div></div>"#,
        escape(&t.description),
        yuan(t.amount),
        escape(&t.order_no)
    );
    let back = format!(
        r#"<form method="get" action="{}"><button class="cancel" type="submit">返回商户 / Back</button></form>"#,
        escape(&t.return_url)
    );
    let body = if payable {
        let action = |a: &str, class: &str, label: &str| {
            format!(
                r#"<form method="post" action="{}/checkout/{}/{}/{a}"><button class="{class}" id="sandbox-{a}" type="submit">{label}</button></form>"#,
                sb.public_base,
                escape(&t.merchant_id),
                escape(&t.order_no)
            )
        };
        let retry = if state == TradeState::Payerror {
            r#"<div class="card muted">上次支付失败，可重新支付 / The last attempt failed; you may try again</div>"#
        } else {
            ""
        };
        format!(
            "{head}{retry}{}{}{}",
            action("pay", "pay", "确认支付 / Pay"),
            action("fail", "fail", "模拟支付失败 / Simulate failure"),
            action("cancel", "cancel", "取消 / Cancel"),
        )
    } else {
        let why = match state {
            TradeState::Success => "该订单已支付 / Already paid",
            TradeState::Closed => "该订单已关闭 / This order is closed",
            _ => "该订单已过期 / This order has expired",
        };
        format!(r#"{head}<div class="card" id="sandbox-state">{why}</div>{back}"#)
    };
    page("沙箱收银台 · Sandbox checkout", &body).into_response()
}

async fn checkout_action(
    State(sb): Sb,
    Path((mch, no, action)): Path<(String, String, String)>,
) -> Response {
    let t = match trade_or_refusal(&sb.db, &mch, &no).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let now = sb.clock.now_ms();
    let switches = sb.switches();
    let mut open = vec![TradeState::Notpay, TradeState::Payerror];
    if switches.accept_after_close {
        open.push(TradeState::Closed);
    } else if now > t.expires_at {
        open.clear();
    }
    let moved = match action.as_str() {
        "pay" => {
            let txn = format!("SBX{}", &nonce()[..20].to_uppercase());
            transition(&sb.db, t.id, &open, TradeState::Success, Some((txn, now))).await
        }
        "fail" => transition(&sb.db, t.id, &open, TradeState::Payerror, None).await,
        "cancel" => return Redirect::to(&t.return_url).into_response(),
        _ => return refuse(StatusCode::NOT_FOUND, "NOT_FOUND", "no such action"),
    };
    match moved {
        Ok(true) => {
            let event = if action == "pay" {
                "TRADE.SUCCESS"
            } else {
                "TRADE.FAILED"
            };
            if let Ok(Some(after)) = find(&sb.db, &mch, &no).await {
                deliver(
                    sb.clone(),
                    Notification {
                        event: event.into(),
                        trade: trade_of(&after),
                    },
                );
            }
            Redirect::to(&t.return_url).into_response()
        }
        // Not payable any more: the checkout says why.
        Ok(false) => {
            Redirect::to(&format!("{}/checkout/{mch}/{no}", sb.public_base)).into_response()
        }
        Err(e) => db_error(e),
    }
}

/// Delivers a callback in the background, as the switches say.
fn deliver(sb: Arc<Sandbox>, n: Notification) {
    let s = sb.switches();
    if s.drop {
        tracing::info!(order = %n.trade.order_no, "sandbox gateway: callback dropped (switch)");
        return;
    }
    let first = sb
        .notified
        .lock()
        .map(|mut set| set.insert(n.trade.order_no.clone()))
        .unwrap_or(false);
    let hold = s.delay_ms + if first { s.reorder_hold_ms } else { 0 };
    let copies = if s.duplicate { 2 } else { 1 };
    for _ in 0..copies {
        let (sb, n) = (sb.clone(), n.clone());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(hold)).await;
            send_with_retries(&sb, &n, s.fail_attempts).await;
        });
    }
}

async fn send_with_retries(sb: &Sandbox, n: &Notification, lose_first: u32) {
    let Ok(Some(t)) = find(&sb.db, &n.trade.merchant_id, &n.trade.order_no).await else {
        return;
    };
    let Ok(body) = serde_json::to_vec(n) else {
        return;
    };
    for (attempt, wait) in RETRY_AFTER_MS.iter().enumerate() {
        tokio::time::sleep(Duration::from_millis(*wait)).await;
        let bump = sandbox_trade::Entity::update_many()
            .col_expr(
                sandbox_trade::Column::NotifyAttempts,
                Expr::col(sandbox_trade::Column::NotifyAttempts).add(1),
            )
            .filter(sandbox_trade::Column::Id.eq(t.id));
        let _ = async {
            let tx = crate::db::begin_write(&sb.db).await?;
            bump.exec(&tx).await?;
            tx.commit().await
        }
        .await;
        if (attempt as u32) < lose_first {
            tracing::info!(order = %t.order_no, attempt, "sandbox gateway: callback lost in transit (switch)");
            continue;
        }
        let ts = sb.clock.now_ms();
        let nonce = nonce();
        let sig = sign(&sb.key, ts, &nonce, "", &body);
        let sent = sb
            .http
            .post(&t.notify_url)
            .header(TIMESTAMP, ts.to_string())
            .header(NONCE, nonce)
            .header(SIGNATURE, sig)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => {
                let bump = sandbox_trade::Entity::update_many()
                    .col_expr(
                        sandbox_trade::Column::NotifyAcks,
                        Expr::col(sandbox_trade::Column::NotifyAcks).add(1),
                    )
                    .filter(sandbox_trade::Column::Id.eq(t.id));
                let _ = async {
                    let tx = crate::db::begin_write(&sb.db).await?;
                    bump.exec(&tx).await?;
                    tx.commit().await
                }
                .await;
                return;
            }
            Ok(r) => {
                tracing::warn!(order = %t.order_no, status = %r.status(), "sandbox gateway: callback refused; will retry")
            }
            Err(e) => {
                tracing::warn!(order = %t.order_no, "sandbox gateway: callback failed: {e}; will retry")
            }
        }
    }
    tracing::warn!(order = %t.order_no, "sandbox gateway: gave up delivering the callback");
}

/// The sandbox's whole record of a trade, for tests and the curious:
/// includes how many callback attempts were made and acknowledged.
#[derive(Serialize)]
struct Inspected {
    trade: Trade,
    notify_attempts: i32,
    notify_acks: i32,
}

async fn inspect(State(sb): Sb, Path((mch, no)): Path<(String, String)>) -> Response {
    match trade_or_refusal(&sb.db, &mch, &no).await {
        Ok(t) => Json(Inspected {
            trade: trade_of(&t),
            notify_attempts: t.notify_attempts,
            notify_acks: t.notify_acks,
        })
        .into_response(),
        Err(r) => r,
    }
}
