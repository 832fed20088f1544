//! The command line: parses flags, sets up logging, runs a subcommand.

use crate::clock::Clock;
use crate::config::{Cli, Command, ServeArgs, redact_url};
use crate::seed::{self, DEMO_MEMBERS, DEMO_PASSWORD, DEMO_SLUG, DEMO_STAFF, NewBrand};
use crate::sms::OutboxSms;
use crate::state::AppState;
use crate::{db, startup};
use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;

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
        Command::Serve(args) => serve(conn, clock, args).await,
    }
}

async fn serve(
    conn: sea_orm::DatabaseConnection,
    clock: Clock,
    args: ServeArgs,
) -> anyhow::Result<()> {
    if args.seed_demo && seed::seed_demo(&conn, &clock).await? {
        tracing::info!("demo brand seeded");
    }
    if !args.site_dir.join("member/index.html").exists() {
        tracing::warn!(site_dir = %args.site_dir.display(), "apps not built; run `cargo xtask build` (the API still works)");
    }
    let state = AppState {
        db: conn,
        clock,
        limits: args.limits.clone(),
        sms: Arc::new(OutboxSms),
        trust_forwarded_for: args.trust_forwarded_for,
    };
    let listener = tokio::net::TcpListener::bind(args.listen).await?;
    let addr = listener.local_addr()?;
    print_welcome(addr, args.seed_demo);
    let app = startup::app(state, &args.site_dir);
    startup::serve(listener, app, startup::shutdown_signal()).await?;
    Ok(())
}

fn print_welcome(addr: std::net::SocketAddr, demo: bool) {
    println!();
    println!("  Tongka is running at http://{addr}");
    println!(
        "  Member app:   http://{addr}/m/{DEMO_SLUG}/   (log in with a phone; the SMS code is printed in this log)"
    );
    println!("  Merchant app: http://{addr}/biz/{DEMO_SLUG}/");
    if demo {
        println!("  Demo staff logins (password {DEMO_PASSWORD}):");
        for (account, name, role, _, _) in DEMO_STAFF {
            println!("    {account:<10} {name}  ({})", role.as_str());
        }
        let phones: Vec<&str> = DEMO_MEMBERS.iter().map(|(p, _)| *p).collect();
        println!("  Demo members: {}", phones.join(", "));
    }
    println!();
}
