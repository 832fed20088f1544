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
    /// The background jobs of every brand: each job's last run and lease,
    /// and the items they could not handle, per brand.
    Jobs,
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
    /// Seed the demo brand if it does not exist yet (turns demo mode on).
    #[arg(long, env = "TONGKA_SEED_DEMO")]
    pub seed_demo: bool,
    /// Demo mode: the built-in sandboxes (payment gateway, payout channel,
    /// SMS to the log) run and the banner says so. Off by default: then SMS
    /// go through the webhook below, payouts are made by HQ finance by hand,
    /// and members pay online only through a configured gateway.
    #[arg(long, env = "TONGKA_DEMO")]
    pub demo: bool,
    /// Trust `X-Forwarded-For` (behind a reverse proxy only): the client is
    /// its last entry, the one the proxy appended.
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
    /// The key requests and callbacks are signed with (a real secret of at
    /// least 16 characters outside demo mode).
    #[arg(long, env = "TONGKA_GATEWAY_KEY", hide_env_values = true)]
    pub gateway_key: Option<String>,
    /// Outside demo mode: where SMS go. Each message is POSTed there as JSON
    /// (`phone`, `body`, `id`), signed with HMAC-SHA256 of
    /// `timestamp \n body` under `--sms-webhook-secret`
    /// (`X-Tongka-Timestamp`, `X-Tongka-Signature`); a deployment points it
    /// at a small relay to its SMS provider.
    #[arg(long, env = "TONGKA_SMS_WEBHOOK_URL")]
    pub sms_webhook_url: Option<String>,
    /// The SMS webhook's signing secret (at least 16 characters).
    #[arg(long, env = "TONGKA_SMS_WEBHOOK_SECRET", hide_env_values = true)]
    pub sms_webhook_secret: Option<String>,
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

/// The gateway key the sandbox signs with in demo mode (public: no secret).
pub const SANDBOX_GATEWAY_KEY: &str = "sandbox-key-not-a-secret";

/// Keys that are public and so no key at all.
const KNOWN_DEFAULT_KEYS: &[&str] = &[
    SANDBOX_GATEWAY_KEY,
    "test-gateway-key",
    "changeme",
    "secret",
];

/// A key that is a secret: 16+ characters, not a published default.
fn real_key(key: Option<&str>) -> bool {
    key.is_some_and(|k| k.len() >= 16 && !KNOWN_DEFAULT_KEYS.contains(&k))
}

/// How a `serve` runs, decided from its flags before anything starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Deployment {
    /// Sandboxes on; the gateway is the sandbox unless a URL is given.
    Demo {
        /// A real gateway's URL, if one is given even in demo mode.
        gateway_url: Option<String>,
        /// The signing key.
        gateway_key: String,
    },
    /// Real money: no sandbox anywhere.
    Production {
        /// The gateway, if members may pay online: (URL, key).
        gateway: Option<(String, String)>,
        /// SMS webhook: (URL, secret).
        sms_webhook: (String, String),
    },
}

impl ServeArgs {
    /// Demo mode or production, refusing a production start that would
    /// sign with a public key, accept callbacks forged with one, or send SMS
    /// nowhere.
    pub fn deployment(&self) -> anyhow::Result<Deployment> {
        let key = self.gateway_key.clone().filter(|k| !k.trim().is_empty());
        if self.demo || self.seed_demo {
            if self.sms_webhook_url.is_some() {
                anyhow::bail!(
                    "demo mode (--demo or --seed-demo) runs the sandboxes and writes SMS codes to the log; drop it, or drop TONGKA_SMS_WEBHOOK_URL"
                );
            }
            if self.gateway_url.is_some() && !real_key(key.as_deref()) {
                anyhow::bail!(
                    "TONGKA_GATEWAY_URL needs a real TONGKA_GATEWAY_KEY (16+ characters, not a published default), even in demo mode"
                );
            }
            return Ok(Deployment::Demo {
                gateway_url: self.gateway_url.clone(),
                gateway_key: key.unwrap_or_else(|| SANDBOX_GATEWAY_KEY.into()),
            });
        }
        let gateway = match (&self.gateway_url, key) {
            (None, _) => None,
            (Some(_), None) => anyhow::bail!(
                "TONGKA_GATEWAY_URL is set but TONGKA_GATEWAY_KEY is not: refusing to start (callbacks could not be trusted)"
            ),
            (Some(_), Some(k)) if !real_key(Some(&k)) => {
                anyhow::bail!(
                    "TONGKA_GATEWAY_KEY is a public default or shorter than 16 characters: refusing to start (anyone could forge callbacks)"
                )
            }
            (Some(url), Some(k)) => Some((url.clone(), k)),
        };
        let url = self
            .sms_webhook_url
            .clone()
            .filter(|u| !u.trim().is_empty());
        let secret = self.sms_webhook_secret.clone().filter(|s| s.len() >= 16);
        let sms_webhook = match (url, secret) {
            (Some(url), Some(secret)) => (url, secret),
            _ => anyhow::bail!(
                "outside demo mode SMS need TONGKA_SMS_WEBHOOK_URL and TONGKA_SMS_WEBHOOK_SECRET (16+ characters); for a try-out run with --demo"
            ),
        };
        Ok(Deployment::Production {
            gateway,
            sms_webhook,
        })
    }
}

#[cfg(test)]
mod deployment_tests {
    use super::*;

    fn args(extra: &[&str]) -> ServeArgs {
        #[derive(Parser)]
        struct Wrap {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let mut all = vec!["tongka"];
        all.extend_from_slice(extra);
        Wrap::try_parse_from(all)
            .unwrap_or_else(|e| panic!("{e}"))
            .serve
    }

    const SMS: [&str; 4] = [
        "--sms-webhook-url",
        "https://sms.example/send",
        "--sms-webhook-secret",
        "0123456789abcdef-secret",
    ];

    #[test]
    fn a_gateway_without_a_real_key_refuses_to_start_outside_demo_mode() {
        let mut no_key = vec!["--gateway-url", "https://pay.example"];
        no_key.extend_from_slice(&SMS);
        assert!(args(&no_key).deployment().is_err(), "no key");
        for key in [SANDBOX_GATEWAY_KEY, "short-key"] {
            let mut with = no_key.clone();
            with.extend_from_slice(&["--gateway-key", key]);
            assert!(args(&with).deployment().is_err(), "{key}");
        }
        let mut real = no_key.clone();
        real.extend_from_slice(&["--gateway-key", "a-real-key-0123456789"]);
        assert!(matches!(
            args(&real).deployment(),
            Ok(Deployment::Production {
                gateway: Some(_),
                ..
            })
        ));
    }

    #[test]
    fn sms_must_go_somewhere_outside_demo_mode() {
        assert!(args(&[]).deployment().is_err());
        assert!(
            args(&["--sms-webhook-url", "https://sms.example"])
                .deployment()
                .is_err()
        );
        assert!(matches!(
            args(&SMS).deployment(),
            Ok(Deployment::Production { gateway: None, .. })
        ));
    }

    #[test]
    fn demo_mode_keeps_real_settings_safe() {
        // A real gateway in demo mode still needs a real key.
        assert!(
            args(&["--demo", "--gateway-url", "https://pay.example"])
                .deployment()
                .is_err()
        );
        let mut with_sms = vec!["--seed-demo"];
        with_sms.extend_from_slice(&SMS);
        assert!(
            args(&with_sms).deployment().is_err(),
            "SMS would go to the log"
        );
    }

    #[test]
    fn demo_mode_is_what_seeding_the_demo_brand_or_the_flag_asks_for() {
        for flags in [&["--demo"][..], &["--seed-demo"][..]] {
            assert_eq!(
                args(flags).deployment().ok(),
                Some(Deployment::Demo {
                    gateway_url: None,
                    gateway_key: SANDBOX_GATEWAY_KEY.into(),
                })
            );
        }
    }
}
