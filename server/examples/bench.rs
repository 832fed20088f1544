//! Payment throughput benchmark (not part of CI): `cargo xtask bench`.
//!
//! For PostgreSQL and SQLite: seeds a brand with many stores and members
//! (each with stored value), starts the release server as its own process,
//! warms up, then fires `POST /api/member/payments` through the real HTTP
//! API for fixed runs at 16 and 64 clients, paying at many stores and at one
//! store. In the same run it measures `pgbench` tpcb-like at scale 10 and 1
//! on the same PostgreSQL, prints payments/s, p50/p99 and the ratios, and
//! ends with a reconciliation that fails the run on any drift.
//!
//! `BENCH_SECS` (default 30) sets the length of each run; `BENCH_ONLY=sqlite`
//! (or `postgres`) runs that database alone, without pgbench;
//! `BENCH_CLIENTS=1,16` other numbers of clients.
//!
//! On each database, after the payments, the same members run the mixed
//! load of [`mixed`] (payments with coupons and points, write-offs,
//! sign-ins, counter top-ups) at the same numbers of clients; the
//! reconciliation covers it too. `BENCH_MIXED=0` leaves it out.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, Set};
use shared::money::Fen;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tongka_server::clock::Clock;
use tongka_server::entity::{member, staff};
use tongka_server::ledger::{self, Entry, Kind, Line};
use tongka_server::seed::{NewBrand, create_brand};

mod common;
use common::{seed_stores, start_server, wait_healthy};
#[path = "mixed/mod.rs"]
mod mixed;

const STORES: usize = 50;
const MEMBERS: usize = 1_000;
// Both our server and pgbench talk to PostgreSQL over loopback without TLS
// (`sslmode=disable` here, `PGSSLMODE=disable` for pgbench and psql), so the
// comparison is like for like and neither pays for encryption on one host.
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const PG_BENCH: &str = "postgres://postgres@127.0.0.1:5432/tongka_bench?sslmode=disable";

struct Seeded {
    brand: tongka_server::entity::brand::Model,
    members: Vec<i64>,
    tokens: Vec<String>,
    stores: Vec<i64>,
    /// For the mixed load: an HQ admin's token, a clerk per store, the
    /// members' phones.
    admin: String,
    clerks: Vec<String>,
    phones: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    ManyStores,
    OneStore,
}

struct RunResult {
    per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    failed: u64,
}

fn secs() -> u64 {
    std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(30)
}

async fn seed(db: &DatabaseConnection) -> anyhow::Result<Seeded> {
    let clock = Clock::System;
    let (brand, admin) = create_brand(
        db,
        &clock,
        NewBrand {
            slug: "bench",
            name: "Bench",
            time_zone: "Asia/Shanghai",
            admin_account: "admin",
            admin_password: "bench1234",
        },
    )
    .await?;
    let now = clock.now_ms();
    let tx = tongka_server::db::begin_write(db).await?;
    let stores = seed_stores(&tx, brand.id, STORES, now).await?;
    // What the mixed load needs: a clerk at every store.
    let mut clerks = Vec::new();
    for (i, store) in stores.iter().enumerate() {
        let clerk = staff::ActiveModel {
            brand_id: Set(brand.id),
            account: Set(format!("clerk{i}")),
            name: Set(format!("店员{i}")),
            role: Set(shared::dto::Role::Clerk.as_str().into()),
            region_id: Set(None),
            store_id: Set(Some(*store)),
            password_hash: Set("-".into()),
            active: Set(true),
            api_key: Set(false),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
        clerks.push(staff_session(&tx, &clock, clerk.id, brand.id).await?);
    }
    let admin = staff_session(&tx, &clock, admin.id, brand.id).await?;
    tx.commit().await?;
    let mut tokens = Vec::new();
    let mut phones = Vec::new();
    let mut members = Vec::new();
    for chunk in 0..MEMBERS / 100 {
        let tx = tongka_server::db::begin_write(db).await?;
        let clearing =
            ledger::account_id(&tx, brand.id, Kind::CounterClearing, stores[0], now).await?;
        for i in 0..100 {
            let n = chunk * 100 + i;
            phones.push(format!("139{n:08}"));
            let m = member::ActiveModel {
                brand_id: Set(brand.id),
                phone: Set(format!("139{n:08}")),
                name: Set(format!("M{n}")),
                birthday: Set(None),
                gender: Set(None),
                home_store_id: Set(Some(stores[0])),
                registered_at: Set(now),
                consent_at: Set(now),
                frozen: Set(false),
                invited_by: Set(None),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
            let funds = ledger::lock_member(&tx, brand.id, m.id, now).await?;
            let amount = Fen(500_000);
            ledger::post(
                &tx,
                Entry {
                    brand_id: brand.id,
                    kind: shared::dto::EntryKind::TopUp,
                    op_ref: format!("bench:{}", m.id),
                    store_id: Some(stores[0]),
                    member_id: Some(m.id),
                    member_delta: amount,
                    member_balance_after: Some(amount),
                    actor: "bench".into(),
                    business_date: ledger::business_date("Asia/Shanghai", now),
                    at: now,
                    lines: vec![
                        Line::fen(clearing, Fen(-amount.0)),
                        Line::fen(funds.principal_account, amount),
                    ],
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("seeding: {e:?}"))?;
            members.push(m.id);
            tokens.push(
                tongka_server::auth::open_session(
                    &tx,
                    &clock,
                    24,
                    tongka_server::auth::Subject::Member,
                    m.id,
                    brand.id,
                )
                .await?,
            );
        }
        tx.commit().await?;
    }
    Ok(Seeded {
        brand,
        members,
        tokens,
        stores,
        admin,
        clerks,
        phones,
    })
}

/// Gives every member points to pay with, once HQ has set the points policy
/// (the mixed load's [`mixed::prepare`]).
async fn give_points(db: &DatabaseConnection, seeded: &Seeded) -> anyhow::Result<()> {
    let now = Clock::System.now_ms();
    for chunk in seeded.members.chunks(100) {
        let tx = tongka_server::db::begin_write(db).await?;
        for &m in chunk {
            tongka_server::points::gift(
                &tx,
                &seeded.brand,
                m,
                100_000,
                (
                    shared::dto::EntryKind::Adjustment,
                    format!("bench-points:{m}"),
                    "bench".into(),
                ),
                now,
            )
            .await
            .map_err(|e| anyhow::anyhow!("giving points: {e:?}"))?;
        }
        tx.commit().await?;
    }
    Ok(())
}

async fn staff_session(
    tx: &impl ConnectionTrait,
    clock: &Clock,
    id: i64,
    brand_id: i64,
) -> anyhow::Result<String> {
    Ok(tongka_server::auth::open_session(
        tx,
        clock,
        24,
        tongka_server::auth::Subject::Staff,
        id,
        brand_id,
    )
    .await?)
}

async fn run(
    client: &reqwest::Client,
    base: &str,
    seeded: &Seeded,
    clients: usize,
    shape: Shape,
    secs: u64,
    tag: &str,
) -> RunResult {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let seeded_tokens = Arc::new(seeded.tokens.clone());
    let stores = Arc::new(seeded.stores.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..clients {
        let (client, base, tokens, stores, tag) = (
            client.clone(),
            base.to_string(),
            seeded_tokens.clone(),
            stores.clone(),
            tag.to_string(),
        );
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut failed = 0u64;
            let mut i = 0usize;
            // Each client pays for its own members, so members never wait on each other.
            let mine: Vec<usize> = (w..tokens.len()).step_by(clients).collect();
            while Instant::now() < deadline {
                let member = mine[i % mine.len()];
                let store = if shape == Shape::OneStore {
                    stores[0]
                } else {
                    stores[(w * 7 + i) % stores.len()]
                };
                let body = serde_json::json!({ "store_id": store, "amount": 1 });
                let start = Instant::now();
                let reply = client
                    .post(format!("{base}/api/member/payments"))
                    .bearer_auth(&tokens[member])
                    .header("Idempotency-Key", format!("{tag}-{w}-{i}"))
                    .json(&body)
                    .send()
                    .await;
                let ok = match reply {
                    Ok(r) if r.status() == reqwest::StatusCode::CREATED => true,
                    Ok(r) => {
                        if failed == 0 && w == 0 {
                            eprintln!(
                                "first failure: {} {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            );
                        }
                        false
                    }
                    Err(e) => {
                        if failed == 0 && w == 0 {
                            eprintln!("first failure: {e}");
                        }
                        false
                    }
                };
                latencies.push(start.elapsed().as_micros() as u64);
                if !ok {
                    failed += 1;
                }
                i += 1;
            }
            (latencies, failed)
        });
    }
    let mut all = Vec::new();
    let mut failed = 0;
    while let Some(Ok((l, f))) = tasks.join_next().await {
        all.extend(l);
        failed += f;
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    RunResult {
        per_sec: (all.len() as u64 - failed) as f64 / secs as f64,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        failed,
    }
}

fn pgbench(scale: u32, clients: usize, secs: u64) -> anyhow::Result<f64> {
    let db = "tongka_pgbench";
    let psql = |sql: &str| {
        Command::new("psql")
            .env("PGSSLMODE", "disable")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qAtc",
                sql,
            ])
            .status()
    };
    psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
    psql(&format!("CREATE DATABASE {db}"))?;
    let init = Command::new("pgbench")
        .env("PGSSLMODE", "disable")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-i",
            "-q",
            "-s",
            &scale.to_string(),
            db,
        ])
        .output()?;
    anyhow::ensure!(
        init.status.success(),
        "pgbench -i failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let out = Command::new("pgbench")
        .env("PGSSLMODE", "disable")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-n",
            "-b",
            "tpcb-like",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &secs.to_string(),
            db,
        ])
        .output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no tps in pgbench output: {text}"))?;
    psql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))?;
    Ok(tps)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let secs = secs();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(128)
        .build()?;
    let mut table: Vec<(String, usize, &str, RunResult)> = Vec::new();
    let sqlite_dir = std::env::temp_dir().join(format!("tongka-bench-{}", std::process::id()));
    std::fs::create_dir_all(&sqlite_dir)?;
    let sqlite_url = format!(
        "sqlite://{}?mode=rwc",
        sqlite_dir.join("bench.db").display()
    );
    let mut drift = Vec::new();
    let mut mixes: Vec<(String, usize, mixed::MixResult)> = Vec::new();
    // BENCH_QUICK=1: PostgreSQL at 16 clients only, no pgbench (for tuning).
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| v == "1");
    let mut targets = vec![("postgres", PG_BENCH.to_string())];
    if !quick {
        targets.push(("sqlite", sqlite_url.clone()));
    }
    // BENCH_ONLY=sqlite|postgres: that database alone, no pgbench.
    let only = std::env::var("BENCH_ONLY").ok();
    if let Some(only) = &only {
        targets.retain(|(name, _)| name == only);
    }
    for (name, url) in targets {
        if name == "postgres" {
            let admin = Database::connect(PG_ADMIN).await?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS tongka_bench WITH (FORCE)")
                .await?;
            admin
                .execute_unprepared("CREATE DATABASE tongka_bench")
                .await?;
        }
        let db = tongka_server::db::connect(&url, 8).await?;
        tongka_server::db::migrate(&db).await?;
        println!("[{name}] seeding {STORES} stores and {MEMBERS} members…");
        let seeded = seed(&db).await?;
        if name == "postgres" {
            // As `pgbench -i` does after loading: the planner sees the
            // tables as they are, not as empty.
            db.execute_unprepared("ANALYZE").await?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = start_server(&url, port)?;
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&client, &base).await?;
        println!("[{name}] warming up…");
        run(
            &client,
            &base,
            &seeded,
            16,
            Shape::ManyStores,
            5.min(secs),
            &format!("{name}-warm"),
        )
        .await;
        let client_counts: Vec<usize> = match std::env::var("BENCH_CLIENTS") {
            Ok(v) => v.split(',').filter_map(|c| c.trim().parse().ok()).collect(),
            Err(_) if quick => vec![16],
            Err(_) => vec![16, 64],
        };
        for &clients in &client_counts {
            for (shape, label) in [
                (Shape::ManyStores, "many stores"),
                (Shape::OneStore, "one store"),
            ] {
                let r = run(
                    &client,
                    &base,
                    &seeded,
                    clients,
                    shape,
                    secs,
                    &format!("{name}-{clients}-{}", label.replace(' ', "-")),
                )
                .await;
                println!(
                    "[{name}] {clients:>2} clients, {label:<11}: {:>7.0} payments/s  p50 {:>6.1} ms  p99 {:>6.1} ms  failed {}",
                    r.per_sec, r.p50_ms, r.p99_ms, r.failed
                );
                table.push((name.to_string(), clients, label, r));
            }
        }
        if std::env::var("BENCH_MIXED").map_or(true, |v| v != "0") {
            let people = Arc::new(mixed::People {
                admin: seeded.admin.clone(),
                clerks: seeded.clerks.clone(),
                tokens: seeded.tokens.clone(),
                phones: seeded.phones.clone(),
                stores: seeded.stores.clone(),
            });
            let prep = Arc::new(mixed::prepare(&client, &base, &people).await?);
            give_points(&db, &seeded).await?;
            for &clients in &client_counts {
                let r = mixed::run(
                    &client,
                    &base,
                    &people,
                    &prep,
                    clients,
                    secs,
                    &format!("{name}-{clients}-mixed"),
                )
                .await;
                println!(
                    "[{name}] {clients:>2} clients, mixed      : {:>7.0} requests/s  p99 {:>6.1} ms  failed {}",
                    r.per_sec, r.p99_ms, r.failed
                );
                for (label, n, p50, p99, max, failed) in &r.kinds {
                    println!(
                        "          {label:<22} {n:>6} sent  p50 {p50:>6.1} ms  p99 {p99:>6.1} ms  slowest {max:>6.1} ms  failed {failed}"
                    );
                }
                mixes.push((name.to_string(), clients, r));
            }
        }
        drop(server);
        let report = ledger::reconcile(&db).await?;
        println!(
            "[{name}] reconcile: {} entries, {} accounts, {} problems",
            report.entries,
            report.accounts,
            report.problems.len()
        );
        drift.extend(report.problems.into_iter().map(|p| format!("{name}: {p}")));
        if name == "postgres" {
            db.close().await?;
            let admin = Database::connect(PG_ADMIN).await?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS tongka_bench WITH (FORCE)")
                .await?;
        }
    }
    let _ = std::fs::remove_dir_all(&sqlite_dir);
    let mut pg = Vec::new();
    let runs = if quick || only.is_some() {
        vec![]
    } else {
        vec![(10, 16), (10, 64), (1, 16), (1, 64)]
    };
    for (scale, clients) in runs {
        let tps = pgbench(scale, clients, secs)?;
        println!("[pgbench] scale {scale:>2}, {clients:>2} clients: {tps:>7.0} tps");
        pg.push((scale, clients, tps));
    }
    let find = |db: &str, c: usize, shape: &str| {
        table
            .iter()
            .find(|t| t.0 == db && t.1 == c && t.2 == shape)
            .map(|t| t.3.per_sec)
            .unwrap_or(0.0)
    };
    let tps = |s: u32, c: usize| {
        pg.iter()
            .find(|p| p.0 == s && p.1 == c)
            .map(|p| p.2)
            .unwrap_or(f64::NAN)
    };
    println!("\nratios (bar: many/pgbench-s10 ≥ 0.5, one/many ≥ 0.8, one/pgbench-s1 ≥ 1.5):");
    for db in ["postgres", "sqlite"] {
        for c in [16, 64] {
            let (many, one) = (find(db, c, "many stores"), find(db, c, "one store"));
            println!(
                "  {db:<8} {c:>2} clients: many/pgbench-s10 {:.2}  one/many {:.2}  one/pgbench-s1 {:.2}",
                many / tps(10, c),
                one / many,
                one / tps(1, c)
            );
        }
    }
    if !mixes.is_empty() {
        println!("\nmixed load (every kind together):");
        for (db, clients, r) in &mixes {
            println!(
                "  {db:<8} {clients:>2} clients: {:>7.0} requests/s  p99 {:>6.1} ms  failed {}",
                r.per_sec, r.p99_ms, r.failed
            );
        }
    }
    if !drift.is_empty() {
        for d in &drift {
            eprintln!("DRIFT {d}");
        }
        anyhow::bail!("reconciliation found {} problems", drift.len());
    }
    println!("reconcile: no drift");
    Ok(())
}
