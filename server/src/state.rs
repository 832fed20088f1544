//! The state every handler shares. It holds no data of its own: sessions,
//! rate-limit counters and codes live in the database, so replicas agree.

use crate::clock::Clock;
use crate::config::Limits;
use crate::gateway::sandbox::Sandbox;
use crate::gateway::{Gateway, HttpGateway, Unconfigured};
use crate::payout::Payout;
use crate::payout::manual::ManualPayout;
use crate::payout::sandbox::SandboxPayout;
use crate::secrets::Cipher;
use crate::sms::SmsSender;
use crate::stored_value::batch::PayBatcher;
use sea_orm::DatabaseConnection;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Shared by all handlers.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub db: DatabaseConnection,
    /// The clock.
    pub clock: Clock,
    /// Login and rate limits.
    pub limits: Limits,
    /// Where SMS go.
    pub sms: Arc<dyn SmsSender>,
    /// Whether to believe `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Where members pay online.
    pub gateway: Arc<dyn Gateway>,
    /// The built-in sandbox gateway, served under `/sandbox/gateway` when in use.
    pub sandbox: Option<Arc<Sandbox>>,
    /// How browsers and the gateway reach this server (`http://host:port`).
    pub public_url: String,
    /// Payments booked many per transaction.
    pub pay_batch: PayBatcher,
    /// Where withdrawals are paid out.
    pub payout: Arc<dyn Payout>,
    /// The built-in sandbox payout channel (demo mode only).
    pub payout_sandbox: Option<Arc<SandboxPayout>>,
    /// While set, approved payouts stay in the outbox unsent (a test's way
    /// to stop the server between approval and sending).
    pub payouts_paused: Arc<AtomicBool>,
    /// Seals payee account numbers.
    pub cipher: Cipher,
    /// Demo mode: the sandboxes (gateway, payout, SMS to the log) are on.
    pub demo: bool,
    /// Whether members can pay online at all (a gateway is configured, or
    /// the sandbox runs in demo mode).
    pub gateway_configured: bool,
    /// Payouts are made by HQ finance by hand (the manual channel).
    pub manual_payouts: bool,
}

impl AppState {
    /// A demo-mode state for a server reached at `public_url`, paying through
    /// the gateway at `gateway_url`, or through the built-in sandbox gateway
    /// (served by this server under `/sandbox/gateway`) when that is `None`;
    /// payouts through the sandbox channel; SMS to the log and the outbox.
    /// `X-Forwarded-For` is not trusted.
    pub fn new(
        db: DatabaseConnection,
        clock: Clock,
        limits: Limits,
        public_url: &str,
        gateway_url: Option<&str>,
        gateway_key: &[u8],
    ) -> anyhow::Result<AppState> {
        let public_url = public_url.trim_end_matches('/').to_string();
        let (gateway_url, sandbox) = match gateway_url {
            Some(url) => (url.to_string(), None),
            None => {
                let base = format!("{public_url}/sandbox/gateway");
                let sandbox = Sandbox::new(db.clone(), clock.clone(), gateway_key, &base)?;
                (base, Some(Arc::new(sandbox)))
            }
        };
        let gateway = HttpGateway::new(&gateway_url, gateway_key, clock.clone())?;
        let pay_batch = PayBatcher::new(&db);
        let payout_sandbox = Arc::new(SandboxPayout::new(db.clone(), clock.clone()));
        Ok(AppState {
            payout: payout_sandbox.clone(),
            payout_sandbox: Some(payout_sandbox),
            payouts_paused: Arc::new(AtomicBool::new(false)),
            // Replaced by `serve` with the configured data key.
            cipher: Cipher::from_secret(gateway_key),
            pay_batch,
            db,
            clock,
            limits,
            sms: Arc::new(crate::sms::OutboxSms),
            trust_forwarded_for: false,
            gateway: Arc::new(gateway),
            sandbox,
            public_url,
            demo: true,
            gateway_configured: true,
            manual_payouts: false,
        })
    }

    /// A production state (demo mode off): no sandbox anywhere. Members pay
    /// online through `gateway` (URL and key) if one is configured, and are
    /// told it is not otherwise; SMS go through `sms` (a provider adapter);
    /// payouts through the manual channel.
    pub fn production(
        db: DatabaseConnection,
        clock: Clock,
        limits: Limits,
        public_url: &str,
        gateway: Option<(&str, &[u8])>,
        sms: Arc<dyn SmsSender>,
    ) -> anyhow::Result<AppState> {
        let public_url = public_url.trim_end_matches('/').to_string();
        let (gateway, gateway_configured): (Arc<dyn Gateway>, bool) = match gateway {
            Some((url, key)) => (Arc::new(HttpGateway::new(url, key, clock.clone())?), true),
            None => (Arc::new(Unconfigured), false),
        };
        let pay_batch = PayBatcher::new(&db);
        Ok(AppState {
            payout: Arc::new(ManualPayout),
            payout_sandbox: None,
            payouts_paused: Arc::new(AtomicBool::new(false)),
            cipher: Cipher::from_secret(&[]),
            pay_batch,
            db,
            clock,
            limits,
            sms,
            trust_forwarded_for: false,
            gateway,
            sandbox: None,
            public_url,
            demo: false,
            gateway_configured,
            manual_payouts: true,
        })
    }
}
