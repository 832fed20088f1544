//! The state every handler shares. It holds no data of its own: sessions,
//! rate-limit counters and codes live in the database, so replicas agree.

use crate::clock::Clock;
use crate::config::Limits;
use crate::gateway::sandbox::Sandbox;
use crate::gateway::{Gateway, HttpGateway};
use crate::pay_batch::PayBatcher;
use crate::sms::SmsSender;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

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
    /// Payments booked many per transaction (PostgreSQL only).
    pub pay_batch: Option<PayBatcher>,
}

impl AppState {
    /// A state for a server reached at `public_url`, paying through the
    /// gateway at `gateway_url`, or through the built-in sandbox gateway
    /// (served by this server under `/sandbox/gateway`) when that is `None`.
    /// SMS go to the outbox; `X-Forwarded-For` is not trusted.
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
        let pay_batch = (db.get_database_backend() == sea_orm::DbBackend::Postgres)
            .then(|| PayBatcher::new(db.get_postgres_connection_pool().clone()));
        Ok(AppState {
            pay_batch,
            db,
            clock,
            limits,
            sms: Arc::new(crate::sms::OutboxSms),
            trust_forwarded_for: false,
            gateway: Arc::new(gateway),
            sandbox,
            public_url,
        })
    }
}
