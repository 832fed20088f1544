//! The command line: parses flags, sets up logging, runs a subcommand.

use crate::clock::Clock;
use crate::config::{Cli, Command, Deployment, ServeArgs, redact_url};
use crate::seed::{self, DEMO_MEMBERS, DEMO_PASSWORD, DEMO_SLUG, DEMO_STAFF, NewBrand};
use crate::sms::WebhookSms;
use crate::state::AppState;
use crate::{db, startup};
use clap::Parser;
use std::process::ExitCode;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    tracing::info!(database = %redact_url(&cli.database_url), "opening database");
    let conn = db::connect(&cli.database_url, 16).await?;
    db::migrate(&conn).await?;
    let clock = Clock::System;
    match cli.command {
        Command::Migrate => {
            println!("migrations are up to date");
            Ok(())
        }
        Command::Seed => {
            let created = seed::seed_demo(&conn, &clock).await?;
            println!(
                "{}",
                if created {
                    "demo brand created"
                } else {
                    "demo brand already exists"
                }
            );
            Ok(())
        }
        Command::CreateBrand(a) => {
            let (b, admin) = seed::create_brand(
                &conn,
                &clock,
                NewBrand {
                    slug: &a.slug,
                    name: &a.name,
                    time_zone: &a.time_zone,
                    admin_account: &a.admin_account,
                    admin_password: &a.admin_password,
                },
            )
            .await?;
            println!(
                "brand {} created; HQ admin account: {}",
                b.slug, admin.account
            );
            Ok(())
        }
        Command::Reconcile => {
            let report = crate::ledger::reconcile(&conn).await?;
            println!(
                "checked {} entries and {} accounts",
                report.entries, report.accounts
            );
            for p in &report.problems {
                println!("DRIFT: {p}");
            }
            if report.is_clean() {
                println!("no drift");
                Ok(())
            } else {
                anyhow::bail!("{} problems found", report.problems.len())
            }
        }
        Command::Jobs => {
            print!("{}", crate::jobs::report(&conn, clock.now_ms()).await?);
            Ok(())
        }
        Command::Serve(args) => serve(conn, clock, args).await,
    }
}

async fn serve(
    conn: sea_orm::DatabaseConnection,
    clock: Clock,
    args: ServeArgs,
) -> anyhow::Result<()> {
    // Decided before anything starts: a production start that would sign
    // with a public key or send SMS nowhere is refused here.
    let deployment = args.deployment()?;
    if args.seed_demo && seed::seed_demo(&conn, &clock).await? {
        tracing::info!("demo brand seeded");
    }
    if !args.site_dir.join("member/index.html").exists() {
        tracing::warn!(site_dir = %args.site_dir.display(), "apps not built; run `cargo xtask build` (the API still works)");
    }
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    let public_url = args
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", loopback_if_unspecified(addr)));
    let public_url = public_url.trim_end_matches('/').to_string();
    let demo = matches!(deployment, Deployment::Demo { .. });
    let mut state = match &deployment {
        Deployment::Demo {
            gateway_url,
            gateway_key,
        } => AppState::new(
            conn,
            clock,
            args.limits.clone(),
            &public_url,
            gateway_url.as_deref(),
            gateway_key.as_bytes(),
        )?,
        Deployment::Production {
            gateway,
            sms_webhook: (url, secret),
        } => {
            let sms = WebhookSms::new(conn.clone(), clock.clone(), url, secret.as_bytes())?;
            AppState::production(
                conn,
                clock,
                args.limits.clone(),
                &public_url,
                gateway.as_ref().map(|(u, k)| (u.as_str(), k.as_bytes())),
                std::sync::Arc::new(sms),
            )?
        }
    };
    state.trust_forwarded_for = args.trust_forwarded_for;
    state.cipher = data_cipher(&args)?;
    if args.payouts_paused {
        state
            .payouts_paused
            .store(true, std::sync::atomic::Ordering::SeqCst);
        tracing::warn!("payouts paused: approved withdrawals stay in the outbox unsent");
    }
    if demo {
        tracing::warn!(
            "DEMO MODE: payments, payouts and SMS go through built-in sandboxes (no real money; SMS codes are in this log)"
        );
    } else {
        tracing::info!(
            online_payments = state.gateway_configured,
            "production mode: SMS through the webhook, withdrawals paid by HQ finance by hand"
        );
    }
    print_welcome(addr, args.seed_demo, demo);
    // Lost callbacks, expired orders, queued refunds, payouts and SMS: the
    // job runner, leased per job so replicas share the work.
    crate::jobs::spawn(state.clone());
    let app = startup::app(state, &args.site_dir);
    startup::serve(listener, app, startup::shutdown_signal()).await?;
    Ok(())
}

/// The cipher for payee account numbers: `TONGKA_DATA_KEY`, or a random key
/// kept in a file of its own (created with owner-only permissions).
fn data_cipher(args: &ServeArgs) -> anyhow::Result<crate::secrets::Cipher> {
    use anyhow::Context;
    if let Some(key) = args.data_key.as_deref().filter(|k| !k.is_empty()) {
        return Ok(crate::secrets::Cipher::from_secret(key.as_bytes()));
    }
    let path = &args.data_key_file;
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rng(), &mut key);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        std::io::Write::write_all(&mut opts.open(path)?, hex::encode(key).as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
        tracing::info!(path = %path.display(), "created a data key; keep it with backups, apart from the database");
    }
    let key = std::fs::read_to_string(path)
        .with_context(|| format!("reading the data key {}", path.display()))?;
    Ok(crate::secrets::Cipher::from_secret(key.trim().as_bytes()))
}

/// `0.0.0.0:p` → `127.0.0.1:p` (a URL needs a host to reach).
fn loopback_if_unspecified(addr: std::net::SocketAddr) -> std::net::SocketAddr {
    if addr.ip().is_unspecified() {
        std::net::SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

fn print_welcome(addr: std::net::SocketAddr, seeded: bool, demo: bool) {
    println!();
    println!("  Tongka is running at http://{addr}");
    if demo {
        println!(
            "  DEMO MODE: sandbox payment gateway, sandbox payouts, SMS codes printed in this log (no real money moves)"
        );
    }
    println!(
        "  Member app:   http://{addr}/m/{DEMO_SLUG}/   (log in with a phone; the SMS code is printed in this log)"
    );
    println!("  Merchant app: http://{addr}/biz/{DEMO_SLUG}/");
    if seeded {
        println!("  Demo staff logins (password {DEMO_PASSWORD}):");
        for (account, name, role, _, _) in DEMO_STAFF {
            println!("    {account:<10} {name}  ({})", role.as_str());
        }
        let phones: Vec<&str> = DEMO_MEMBERS.iter().map(|(p, _)| *p).collect();
        println!("  Demo members: {}", phones.join(", "));
    }
    println!();
}
