//! Configuration by flags and environment. Secrets (the database URL's
//! password) are never logged: see [`redact_url`].

use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Tongka: one card, every store.
#[derive(Parser, Debug)]
#[command(name = "tongka", version)]
pub struct Cli {
    /// Where the data lives: `sqlite://PATH?mode=rwc` (default) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/tongka.db?mode=rwc",
        global = true
    )]
    pub database_url: String,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run migrations, then serve the API and both apps.
    Serve(ServeArgs),
    /// Run pending migrations and exit.
    Migrate,
    /// Create the demo brand (idempotent) and print its logins.
    Seed,
    /// Create a brand with its first HQ admin.
    CreateBrand(CreateBrandArgs),
    /// Recompute every balance from the ledger; exit non-zero on any drift.
    Reconcile,
}

/// `serve` options.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "TONGKA_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The built apps (`cargo xtask build` writes `target/site`).
    #[arg(long, env = "TONGKA_SITE_DIR", default_value = "target/site")]
    pub site_dir: PathBuf,
    /// Seed the demo brand if it does not exist yet.
    #[arg(long, env = "TONGKA_SEED_DEMO")]
    pub seed_demo: bool,
    /// Trust the first address of `X-Forwarded-For` (behind a reverse proxy only).
    #[arg(long, env = "TONGKA_TRUST_FORWARDED_FOR")]
    pub trust_forwarded_for: bool,
    /// How browsers and the payment gateway reach this server, e.g.
    /// `https://pay.example.com`; by default `http://` + the listen address.
    #[arg(long, env = "TONGKA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The payment gateway's API base. Unset: the built-in sandbox gateway
    /// at `<public url>/sandbox/gateway` (no real money).
    #[arg(long, env = "TONGKA_GATEWAY_URL")]
    pub gateway_url: Option<String>,
    /// The key requests and callbacks are signed with.
    #[arg(
        long,
        env = "TONGKA_GATEWAY_KEY",
        default_value = "sandbox-key-not-a-secret"
    )]
    pub gateway_key: String,
    /// The key payee account numbers are encrypted with (any secret string;
    /// every replica needs the same one). Unset: a random key kept in
    /// `--data-key-file`, created on first start.
    #[arg(long, env = "TONGKA_DATA_KEY", hide_env_values = true)]
    pub data_key: Option<String>,
    /// Where the generated data key is kept when `TONGKA_DATA_KEY` is unset.
    #[arg(long, env = "TONGKA_DATA_KEY_FILE", default_value = "data/data.key")]
    pub data_key_file: PathBuf,
    /// Hold approved payouts in the outbox, unsent (maintenance, or a test
    /// stopping the server between approval and sending).
    #[arg(long, env = "TONGKA_PAYOUTS_PAUSED")]
    pub payouts_paused: bool,
    #[command(flatten)]
    pub limits: Limits,
}

/// Login and rate limits. The per-phone defaults are what Chinese SMS
/// providers impose; tests keep them on and move the clock instead.
#[derive(Args, Debug, Clone)]
pub struct Limits {
    /// SMS sends per phone per minute.
    #[arg(long, env = "TONGKA_SMS_PER_MINUTE", default_value_t = 1)]
    pub sms_per_minute: u32,
    /// SMS sends per phone per hour.
    #[arg(long, env = "TONGKA_SMS_PER_HOUR", default_value_t = 5)]
    pub sms_per_hour: u32,
    /// SMS sends per phone per day.
    #[arg(long, env = "TONGKA_SMS_PER_DAY", default_value_t = 10)]
    pub sms_per_day: u32,
    /// SMS sends per client address per hour.
    #[arg(long, env = "TONGKA_SMS_PER_IP_HOUR", default_value_t = 30)]
    pub sms_per_ip_hour: u32,
    /// Session lifetime in hours.
    #[arg(long, env = "TONGKA_SESSION_HOURS", default_value_t = 24 * 30)]
    pub session_hours: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sms_per_minute: 1,
            sms_per_hour: 5,
            sms_per_day: 10,
            sms_per_ip_hour: 30,
            session_hours: 24 * 30,
        }
    }
}

/// `create-brand` options.
#[derive(Args, Debug)]
pub struct CreateBrandArgs {
    /// URL slug, e.g. `tea-house`.
    #[arg(long)]
    pub slug: String,
    /// Display name.
    #[arg(long)]
    pub name: String,
    /// IANA time zone.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub time_zone: String,
    /// The first HQ admin's account.
    #[arg(long, default_value = "admin")]
    pub admin_account: String,
    /// The first HQ admin's password.
    #[arg(long, env = "TONGKA_ADMIN_PASSWORD")]
    pub admin_password: String,
}

/// A database URL with any password replaced by `***`, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact_url("sqlite://data/t.db"),
            "sqlite://data/t.db"
        );
    }
}
