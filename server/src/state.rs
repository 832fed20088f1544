//! The state every handler shares. It holds no data of its own: sessions,
//! rate-limit counters and codes live in the database, so replicas agree.

use crate::clock::Clock;
use crate::config::Limits;
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
}
