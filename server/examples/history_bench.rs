//! History benchmark (not part of CI): `cargo xtask bench-history`.
//!
//! On PostgreSQL and SQLite: one member with 100,000 entries in their
//! history (明细), a mix of the kinds a long-standing member gathers:
//! top-ups and payments at ten stores (stored value and points), sign-ins
//! (points), card uses (a card's uses) and coupons. The release server runs
//! as its own process; the benchmark asks `GET /api/member/history` through
//! the real HTTP API, one request at a time, for the first page and for
//! pages deep in the list (a random cursor), with no filter, each kind
//! filter and a store filter, and prints p50, p95 and the slowest per
//! filter. The goal: p95 ≤ 50 ms.
//!
//! `HISTORY_ENTRIES` (default 100000) and `HISTORY_ASKS` (default 200 per
//! filter) change the sizes.

use rand::Rng;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, Set};
use shared::dto::{EntryKind, HistoryItem, Page};
use shared::money::Fen;
use std::time::{Duration, Instant};
use tongka_server::clock::Clock;
use tongka_server::entity::{member, member_card};
use tongka_server::ledger::{self, Entry, Kind, Line};
use tongka_server::seed::{NewBrand, create_brand};

mod common;
use common::{seed_stores, start_server, wait_healthy};

const STORES: usize = 10;
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const PG_BENCH: &str = "postgres://postgres@127.0.0.1:5432/tongka_history_bench?sslmode=disable";

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

struct Seeded {
    token: String,
    stores: Vec<i64>,
    /// The member's lowest and highest entry ids (cursors are drawn
    /// between them).
    ids: (i64, i64),
}

/// A brand, ten stores, one member with `n` entries.
async fn seed(db: &DatabaseConnection, n: usize) -> anyhow::Result<Seeded> {
    let clock = Clock::System;
    let (brand, _) = create_brand(
        db,
        &clock,
        NewBrand {
            slug: "history",
            name: "History",
            time_zone: "Asia/Shanghai",
            admin_account: "admin",
            admin_password: "bench1234",
        },
    )
    .await?;
    let b = brand.id;
    let now = clock.now_ms();
    let date = ledger::business_date("Asia/Shanghai", now);
    let tx = tongka_server::db::begin_write(db).await?;
    let stores = seed_stores(&tx, b, STORES, now).await?;
    let m = member::ActiveModel {
        brand_id: Set(b),
        phone: Set("13900000001".into()),
        name: Set("M".into()),
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
    let card = member_card::ActiveModel {
        brand_id: Set(b),
        member_id: Set(m.id),
        card_type_id: Set(1),
        kind: Set("count".into()),
        name: Set("洗车卡".into()),
        price: Set(0),
        uses_total: Set(Some(n as i64)),
        per_day_limit: Set(None),
        starts_on: Set(date.clone()),
        ends_on: Set(None),
        released_through: Set(None),
        state: Set("active".into()),
        channel: Set("counter".into()),
        store_id: Set(stores[0]),
        op_ref: Set("bench-card".into()),
        bought_at: Set(now),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let funds = ledger::lock_member(&tx, b, m.id, now).await?;
    let mut wanted = vec![
        (Kind::MemberPoints, m.id),
        (Kind::PointsIssued, 0),
        (Kind::CardUses, card.id),
        (Kind::UsesIssued, 0),
        (Kind::UsesConsumed, 0),
    ];
    wanted.extend(stores.iter().map(|s| (Kind::CounterClearing, *s)));
    wanted.extend(stores.iter().map(|s| (Kind::StoreWallet, *s)));
    let a = ledger::account_ids(&tx, b, &wanted, now).await?;
    let (points, issued, uses, uses_issued, consumed) = (a[0], a[1], a[2], a[3], a[4]);
    let clearing = &a[5..5 + STORES];
    let wallet = &a[5 + STORES..];
    let token = tongka_server::auth::open_session(
        &tx,
        &clock,
        24,
        tongka_server::auth::Subject::Member,
        m.id,
        b,
    )
    .await?;
    // The card's uses, all at once first.
    ledger::post(
        &tx,
        entry(
            b,
            m.id,
            EntryKind::CardSale,
            "sale".into(),
            None,
            (Fen::ZERO, None),
            vec![
                Line::count(uses_issued, -(n as i64)),
                Line::count(uses, n as i64),
            ],
            now,
            &date,
        ),
    )
    .await
    .map_err(|e| anyhow::anyhow!("seeding: {e:?}"))?;
    tx.commit().await?;
    let mut balance = 0i64;
    let (mut first, mut last) = (i64::MAX, 0);
    let started = Instant::now();
    for chunk in 0..n.div_ceil(5_000) {
        let tx = tongka_server::db::begin_write(db).await?;
        for i in chunk * 5_000..((chunk + 1) * 5_000).min(n) {
            let s = i % STORES;
            let at = now - (n - i) as i64 * 60_000;
            let op = format!("h{i}");
            let e = match i % 8 {
                // A top-up of ¥10 at the counter.
                0 | 4 => {
                    balance += 1_000;
                    entry(
                        b,
                        m.id,
                        EntryKind::TopUp,
                        op,
                        Some(stores[s]),
                        (Fen(1_000), Some(Fen(balance))),
                        vec![
                            Line::fen(clearing[s], Fen(-1_000)),
                            Line::fen(funds.principal_account, Fen(1_000)),
                        ],
                        at,
                        &date,
                    )
                }
                // A payment of ¥5, earning 5 points.
                1 | 5 => {
                    balance -= 500;
                    entry(
                        b,
                        m.id,
                        EntryKind::Payment,
                        op,
                        Some(stores[s]),
                        (Fen(-500), Some(Fen(balance))),
                        vec![
                            Line::fen(funds.principal_account, Fen(-500)),
                            Line::fen(wallet[s], Fen(500)),
                            Line::count(issued, -5),
                            Line::count(points, 5),
                        ],
                        at,
                        &date,
                    )
                }
                // A sign-in's 10 points.
                2 => entry(
                    b,
                    m.id,
                    EntryKind::SignIn,
                    op,
                    None,
                    (Fen::ZERO, None),
                    vec![Line::count(issued, -10), Line::count(points, 10)],
                    at,
                    &date,
                ),
                // One use of the card.
                3 | 6 => entry(
                    b,
                    m.id,
                    EntryKind::CardUse,
                    op,
                    Some(stores[s]),
                    (Fen::ZERO, None),
                    vec![Line::count(uses, -1), Line::count(consumed, 1)],
                    at,
                    &date,
                ),
                // A coupon issued (nothing moves).
                _ => entry(
                    b,
                    m.id,
                    EntryKind::CouponIssued,
                    format!("coupon:{i}"),
                    Some(stores[s]),
                    (Fen::ZERO, None),
                    vec![],
                    at,
                    &date,
                ),
            };
            let id = ledger::post(&tx, e)
                .await
                .map_err(|e| anyhow::anyhow!("seeding: {e:?}"))?;
            first = first.min(id);
            last = last.max(id);
        }
        tx.commit().await?;
    }
    println!(
        "  seeded {n} entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("ANALYZE").await?;
    }
    Ok(Seeded {
        token,
        stores,
        ids: (first, last),
    })
}

#[allow(clippy::too_many_arguments)]
fn entry(
    brand_id: i64,
    member_id: i64,
    kind: EntryKind,
    op_ref: String,
    store_id: Option<i64>,
    (member_delta, member_balance_after): (Fen, Option<Fen>),
    lines: Vec<Line>,
    at: i64,
    date: &str,
) -> Entry {
    Entry {
        brand_id,
        kind,
        op_ref,
        store_id,
        member_id: Some(member_id),
        member_delta,
        member_balance_after,
        actor: "bench".into(),
        business_date: date.into(),
        at,
        lines,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = env_or("HISTORY_ENTRIES", 100_000);
    let asks = env_or("HISTORY_ASKS", 200);
    let client = reqwest::Client::new();
    let dir = std::env::temp_dir().join(format!("tongka-history-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.join("history.db").display());
    let mut table = Vec::new();
    for (name, url) in [("postgres", PG_BENCH.to_string()), ("sqlite", sqlite_url)] {
        if name == "postgres" {
            let admin = Database::connect(PG_ADMIN).await?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS tongka_history_bench WITH (FORCE)")
                .await?;
            admin
                .execute_unprepared("CREATE DATABASE tongka_history_bench")
                .await?;
        }
        let db = tongka_server::db::connect(&url, 4).await?;
        tongka_server::db::migrate(&db).await?;
        println!("[{name}] seeding one member with {n} history entries…");
        let seeded = seed(&db, n).await?;
        drop(db);
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let _server = start_server(&url, port)?;
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&client, &base).await?;
        let one = seeded.stores[1];
        let filters = [
            ("all".to_string(), String::new()),
            ("kind=topup".to_string(), "kind=topup".to_string()),
            ("kind=points".to_string(), "kind=points".to_string()),
            ("kind=cards".to_string(), "kind=cards".to_string()),
            ("kind=coupons".to_string(), "kind=coupons".to_string()),
            ("kind=sign_in".to_string(), "kind=sign_in".to_string()),
            ("kind=invite (none)".to_string(), "kind=invite".to_string()),
            ("store".to_string(), format!("store={one}")),
            (
                "store+kind=cards".to_string(),
                format!("store={one}&kind=cards"),
            ),
        ];
        // Warm up: a few pages of each.
        for (_, q) in &filters {
            for _ in 0..5 {
                ask(&client, &base, &seeded.token, q, None).await?;
            }
        }
        let mut rng = rand::rng();
        for (label, q) in &filters {
            let mut ms = Vec::with_capacity(asks);
            let mut items = 0;
            for i in 0..asks {
                // One in ten the first page; the rest from a random point.
                let after = (i % 10 != 0).then(|| rng.random_range(seeded.ids.0..=seeded.ids.1));
                let started = Instant::now();
                items += ask(&client, &base, &seeded.token, q, after).await?;
                ms.push(started.elapsed().as_secs_f64() * 1_000.0);
            }
            ms.sort_by(f64::total_cmp);
            table.push((
                name,
                label.clone(),
                percentile(&ms, 0.5),
                percentile(&ms, 0.95),
                ms[ms.len() - 1],
                items as f64 / asks as f64,
            ));
        }
    }
    println!("\nhistory page, one member with {n} entries, {asks} asks per filter (ms):");
    println!(
        "{:<10} {:<20} {:>7} {:>7} {:>7} {:>9}",
        "database", "filter", "p50", "p95", "max", "items/pg"
    );
    let mut worst: f64 = 0.0;
    for (db, label, p50, p95, max, items) in &table {
        println!("{db:<10} {label:<20} {p50:>7.2} {p95:>7.2} {max:>7.2} {items:>9.1}");
        worst = worst.max(*p95);
    }
    println!(
        "\nslowest p95: {worst:.2} ms (goal ≤ 50 ms): {}",
        if worst <= 50.0 { "met" } else { "NOT met" }
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// One page; answers how many items it held.
async fn ask(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    query: &str,
    after: Option<i64>,
) -> anyhow::Result<usize> {
    let mut url = format!("{base}/api/member/history?{query}");
    if let Some(a) = after {
        url.push_str(&format!("&after={a}"));
    }
    let r = client
        .get(url)
        .bearer_auth(token)
        .timeout(Duration::from_secs(30))
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "history answered {}", r.status());
    Ok(r.json::<Page<HistoryItem>>().await?.items.len())
}
