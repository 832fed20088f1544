//! The payment gateway interface (DESIGN.md "Payment gateway and payout").
//!
//! [`Gateway`] is what the rest of the server uses: create an order and get
//! a hosted checkout to send the member to, query it, close it, refund it,
//! and check a callback. [`HttpGateway`] speaks Tongka's gateway protocol
//! over HTTP; the built-in [`sandbox`] serves that protocol (checkout page,
//! signed callbacks with retries, fault switches), so the whole flow runs and
//! is tested locally. A real provider's adapter implements the same trait.
//!
//! Every request and callback is signed: HMAC-SHA256 over
//! `timestamp \n nonce \n target \n body` with the merchant key, where
//! `target` is `METHOD /path` for requests and empty for callbacks; checked in
//! constant time, with the timestamp within five minutes.

pub mod sandbox;

use crate::clock::Clock;
use async_trait::async_trait;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// Header carrying the signer's instant (Unix ms).
pub const TIMESTAMP: &str = "tongka-pay-timestamp";
/// Header carrying a one-time random string.
pub const NONCE: &str = "tongka-pay-nonce";
/// Header carrying the hex HMAC-SHA256 signature.
pub const SIGNATURE: &str = "tongka-pay-signature";
/// How far a signed timestamp may be from our clock.
pub const MAX_SKEW_MS: i64 = 5 * 60 * 1000;

type HmacSha256 = Hmac<Sha256>;

fn mac(key: &[u8], ts: i64, nonce: &str, target: &str, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length.
    #[allow(clippy::expect_used)]
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(ts.to_string().as_bytes());
    m.update(b"\n");
    m.update(nonce.as_bytes());
    m.update(b"\n");
    m.update(target.as_bytes());
    m.update(b"\n");
    m.update(body);
    m
}

/// The hex signature of a message.
pub fn sign(key: &[u8], ts: i64, nonce: &str, target: &str, body: &[u8]) -> String {
    hex::encode(mac(key, ts, nonce, target, body).finalize().into_bytes())
}

/// Why a signed message was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// A header is missing or malformed.
    Missing,
    /// The signature does not match.
    Mismatch,
    /// The timestamp is too far from now.
    Stale,
}

/// Checks the signature headers of a message (constant-time comparison).
/// Returns the nonce, for the caller to refuse replays.
pub fn verify(
    key: &[u8],
    headers: &HeaderMap,
    target: &str,
    body: &[u8],
    now_ms: i64,
) -> Result<String, SignatureError> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let ts: i64 = get(TIMESTAMP)
        .and_then(|v| v.parse().ok())
        .ok_or(SignatureError::Missing)?;
    let nonce = get(NONCE)
        .filter(|n| (8..=64).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_alphanumeric()))
        .ok_or(SignatureError::Missing)?;
    let sig = get(SIGNATURE)
        .and_then(|s| hex::decode(s).ok())
        .ok_or(SignatureError::Missing)?;
    mac(key, ts, nonce, target, body)
        .verify_slice(&sig)
        .map_err(|_| SignatureError::Mismatch)?;
    if (now_ms - ts).abs() > MAX_SKEW_MS {
        return Err(SignatureError::Stale);
    }
    Ok(nonce.to_string())
}

/// A fresh nonce.
pub fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Create an order at the gateway.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CreateOrder {
    /// Our merchant number at the gateway.
    pub merchant_id: String,
    /// Our order number (unique).
    pub order_no: String,
    /// Fen.
    pub amount: i64,
    /// Shown on the checkout.
    pub description: String,
    /// Where callbacks go.
    pub notify_url: String,
    /// Where the checkout sends the payer afterwards.
    pub return_url: String,
    /// After this (Unix ms) the order cannot be paid.
    pub expires_at: i64,
}

/// The gateway's answer to a created order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Created {
    /// The hosted checkout page.
    pub checkout_url: String,
}

/// A trade's state at the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeState {
    /// Not paid yet.
    Notpay,
    /// Paid.
    Success,
    /// The last attempt failed; it can still be paid.
    Payerror,
    /// Closed unpaid.
    Closed,
}

impl TradeState {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            TradeState::Notpay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Payerror => "PAYERROR",
            TradeState::Closed => "CLOSED",
        }
    }

    /// From the stored name.
    pub fn parse(s: &str) -> Option<TradeState> {
        [
            TradeState::Notpay,
            TradeState::Success,
            TradeState::Payerror,
            TradeState::Closed,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }
}

/// A trade as the gateway reports it (query, close, callback).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trade {
    /// Merchant.
    pub merchant_id: String,
    /// Our order number.
    pub order_no: String,
    /// Fen.
    pub amount: i64,
    /// State.
    pub state: TradeState,
    /// The gateway's transaction id, once paid.
    pub txn_id: Option<String>,
    /// When it was paid (Unix ms).
    pub paid_at: Option<i64>,
    /// Refunded so far (fen).
    pub refunded: i64,
}

/// A callback.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notification {
    /// `TRADE.SUCCESS` or `TRADE.FAILED`.
    pub event: String,
    /// The trade at the time of the event.
    pub trade: Trade,
}

/// Refund part or all of a paid trade.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefundOrder {
    /// Merchant.
    pub merchant_id: String,
    /// The paid order.
    pub order_no: String,
    /// Our refund number (the gateway refunds each number once).
    pub refund_no: String,
    /// Fen.
    pub amount: i64,
}

/// The gateway's answer to a refund.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefundDone {
    /// The refund number.
    pub refund_no: String,
    /// `SUCCESS`.
    pub state: String,
}

/// A gateway error answer body.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GatewayErrorBody {
    /// Machine code, e.g. `ORDER_NOT_FOUND`.
    pub code: String,
    /// Words.
    pub message: String,
}

/// Why a gateway call failed.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// No answer (network, timeout, 5xx): the outcome is unknown; retry or query.
    #[error("gateway unreachable: {0}")]
    Unreachable(String),
    /// The gateway answered no, with its code.
    #[error("gateway refused: {code}: {message}")]
    Refused {
        /// Its code.
        code: String,
        /// Its words.
        message: String,
    },
}

/// The interface the server pays through.
#[async_trait]
pub trait Gateway: Send + Sync {
    /// Our merchant number for a brand.
    fn merchant_id(&self, brand_id: i64) -> String;
    /// Creates an order (idempotent on the order number).
    async fn create(&self, order: &CreateOrder) -> Result<Created, GatewayError>;
    /// The trade as the gateway has it.
    async fn query(&self, merchant_id: &str, order_no: &str) -> Result<Trade, GatewayError>;
    /// Closes an unpaid order; answers the trade afterwards, which is
    /// `SUCCESS` if it had been paid meanwhile.
    async fn close(&self, merchant_id: &str, order_no: &str) -> Result<Trade, GatewayError>;
    /// Refunds (idempotent on the refund number).
    async fn refund(&self, refund: &RefundOrder) -> Result<RefundDone, GatewayError>;
    /// Checks a callback's signature and timestamp; returns it and its nonce.
    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(Notification, String), SignatureError>;
}

/// Tongka's gateway protocol over HTTP (what the sandbox serves).
pub struct HttpGateway {
    base: String,
    key: Vec<u8>,
    http: reqwest::Client,
    clock: Clock,
}

impl HttpGateway {
    /// A client for the gateway at `base` (e.g. `http://host/sandbox/gateway`).
    pub fn new(base: &str, key: &[u8], clock: Clock) -> anyhow::Result<HttpGateway> {
        Ok(HttpGateway {
            base: base.trim_end_matches('/').to_string(),
            key: key.to_vec(),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .no_proxy()
                .build()?,
            clock,
        })
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, GatewayError> {
        let body = body.unwrap_or_default();
        let ts = self.clock.now_ms();
        let nonce = nonce();
        let target = format!("{method} {}", url_path(&self.base, path));
        let sig = sign(&self.key, ts, &nonce, &target, &body);
        let resp = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(TIMESTAMP, ts.to_string())
            .header(NONCE, nonce)
            .header(SIGNATURE, sig)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        let status = resp.status();
        let bytes = resp
            .bytes()
            .await
            .map_err(|e| GatewayError::Unreachable(e.to_string()))?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| GatewayError::Unreachable(e.to_string()))
        } else if status.is_client_error() {
            let e: GatewayErrorBody =
                serde_json::from_slice(&bytes).unwrap_or_else(|_| GatewayErrorBody {
                    code: status.as_str().into(),
                    message: String::from_utf8_lossy(&bytes).into_owned(),
                });
            Err(GatewayError::Refused {
                code: e.code,
                message: e.message,
            })
        } else {
            Err(GatewayError::Unreachable(format!("HTTP {status}")))
        }
    }
}

/// The path part of `base` + `path` (what is signed as the target).
pub fn url_path(base: &str, path: &str) -> String {
    let after_scheme = base.split_once("://").map(|(_, r)| r).unwrap_or(base);
    let base_path = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .unwrap_or("");
    format!("{base_path}{path}")
}

fn json<T: Serialize>(v: &T) -> Result<Vec<u8>, GatewayError> {
    serde_json::to_vec(v).map_err(|e| GatewayError::Unreachable(e.to_string()))
}

#[async_trait]
impl Gateway for HttpGateway {
    fn merchant_id(&self, brand_id: i64) -> String {
        format!("tk{brand_id}")
    }

    async fn create(&self, order: &CreateOrder) -> Result<Created, GatewayError> {
        self.call(reqwest::Method::POST, "/v1/orders", Some(json(order)?))
            .await
    }

    async fn query(&self, merchant_id: &str, order_no: &str) -> Result<Trade, GatewayError> {
        self.call(
            reqwest::Method::GET,
            &format!("/v1/orders/{merchant_id}/{order_no}"),
            None,
        )
        .await
    }

    async fn close(&self, merchant_id: &str, order_no: &str) -> Result<Trade, GatewayError> {
        self.call(
            reqwest::Method::POST,
            &format!("/v1/orders/{merchant_id}/{order_no}/close"),
            None,
        )
        .await
    }

    async fn refund(&self, refund: &RefundOrder) -> Result<RefundDone, GatewayError> {
        self.call(reqwest::Method::POST, "/v1/refunds", Some(json(refund)?))
            .await
    }

    fn verify_callback(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_ms: i64,
    ) -> Result<(Notification, String), SignatureError> {
        let nonce = verify(&self.key, headers, "", body, now_ms)?;
        let n = serde_json::from_slice(body).map_err(|_| SignatureError::Missing)?;
        Ok((n, nonce))
    }
}

/// No gateway at all (outside demo mode, when none is configured): every
/// call is refused, every callback unsigned. Self top-up and split payments
/// check [`crate::state::AppState::gateway_configured`] first and answer
/// "not configured"; this only makes sure nothing slips through.
pub struct Unconfigured;

fn not_configured() -> GatewayError {
    GatewayError::Refused {
        code: "NOT_CONFIGURED".into(),
        message: "no payment gateway is configured".into(),
    }
}

#[async_trait]
impl Gateway for Unconfigured {
    fn merchant_id(&self, brand_id: i64) -> String {
        format!("unconfigured-{brand_id}")
    }
    async fn create(&self, _: &CreateOrder) -> Result<Created, GatewayError> {
        Err(not_configured())
    }
    async fn query(&self, _: &str, _: &str) -> Result<Trade, GatewayError> {
        Err(not_configured())
    }
    async fn close(&self, _: &str, _: &str) -> Result<Trade, GatewayError> {
        Err(not_configured())
    }
    async fn refund(&self, _: &RefundOrder) -> Result<RefundDone, GatewayError> {
        Err(not_configured())
    }
    fn verify_callback(
        &self,
        _: &HeaderMap,
        _: &[u8],
        _: i64,
    ) -> Result<(Notification, String), SignatureError> {
        Err(SignatureError::Missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_any_change_breaks_them() {
        let key = b"k";
        let body = br#"{"a":1}"#;
        let sig = sign(key, 1000, "abcdefgh", "", body);
        let mut h = HeaderMap::new();
        h.insert(TIMESTAMP, "1000".parse().unwrap_or_else(|_| unreachable!()));
        h.insert(NONCE, "abcdefgh".parse().unwrap_or_else(|_| unreachable!()));
        h.insert(SIGNATURE, sig.parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(verify(key, &h, "", body, 2000), Ok("abcdefgh".into()));
        assert_eq!(
            verify(key, &h, "", br#"{"a":2}"#, 2000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", &h, "", body, 2000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(key, &h, "", body, 1000 + MAX_SKEW_MS + 1),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            url_path("http://h:1/sandbox/gateway", "/v1/x"),
            "/sandbox/gateway/v1/x"
        );
    }
}
