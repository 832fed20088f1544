//! Store wallet benchmark (not part of CI): `cargo xtask bench-wallet`.
//!
//! On PostgreSQL and SQLite: one store whose wallet has 1,000,000 lines
//! (one payment-sized entry each, booked in bulk), then:
//! - the balance read in the process, before the rollup (every line still
//!   to sum: the read as it was before the rollup existed) and after it;
//! - the rollup itself, timed (on PostgreSQL followed by the `VACUUM` the
//!   upgrade runs);
//! - through the real HTTP API of the release server, one request at a
//!   time: the store's wallet (`GET /api/staff/stores/{id}/wallet`) and a
//!   withdrawal request (`POST /api/staff/stores/{id}/withdrawals`), p50,
//!   p95 and the slowest;
//! - a reconciliation that fails the run on any drift.
//!
//! `WALLET_LINES` (default 1000000) and `WALLET_ASKS` (default 200) change
//! the sizes.

use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, DatabaseConnection, DbBackend, Set};
use shared::dto::{EntryKind, PayeeInput, PayeeView, WalletView, WithdrawalInput};
use shared::money::Fen;
use std::time::Instant;
use tongka_server::auth::{Subject, open_session};
use tongka_server::clock::Clock;
use tongka_server::entity::staff;
use tongka_server::ledger::{self, Account, Kind};
use tongka_server::seed::{NewBrand, create_brand};

mod common;
use common::{seed_stores, start_server, wait_healthy};

const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";
const PG_BENCH: &str = "postgres://postgres@127.0.0.1:5432/tongka_wallet_bench?sslmode=disable";
/// What each seeded line adds to the wallet (¥1).
const LINE: i64 = 100;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

struct Seeded {
    store: i64,
    wallet: Account,
    manager: String,
    finance: String,
}

async fn staff(
    tx: &tongka_server::db::WriteTx,
    brand: &tongka_server::entity::brand::Model,
    (account, role, store): (&str, &str, Option<i64>),
    now: i64,
) -> anyhow::Result<String> {
    let s = staff::ActiveModel {
        brand_id: Set(brand.id),
        account: Set(account.into()),
        name: Set(account.into()),
        role: Set(role.into()),
        region_id: Set(None),
        store_id: Set(store),
        password_hash: Set("-".into()),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(open_session(tx, &Clock::System, 24, Subject::Staff, s.id, brand.id).await?)
}

/// A brand, one store with `n` wallet lines, its manager and HQ finance.
async fn seed(db: &DatabaseConnection, n: usize) -> anyhow::Result<Seeded> {
    let clock = Clock::System;
    let (brand, _) = create_brand(
        db,
        &clock,
        NewBrand {
            slug: "wallet",
            name: "Wallet",
            time_zone: "Asia/Shanghai",
            admin_account: "admin",
            admin_password: "bench1234",
        },
    )
    .await?;
    let now = clock.now_ms();
    let date = ledger::business_date("Asia/Shanghai", now);
    let tx = tongka_server::db::begin_write(db).await?;
    let store = seed_stores(&tx, brand.id, 1, now).await?[0];
    let wallet = ledger::account_id(&tx, brand.id, Kind::StoreWallet, store, now).await?;
    let expense = ledger::account_id(&tx, brand.id, Kind::PromotionExpense, 0, now).await?;
    let manager = staff(&tx, &brand, ("manager", "store_manager", Some(store)), now).await?;
    let finance = staff(&tx, &brand, ("finance", "hq_finance", None), now).await?;
    tx.commit().await?;
    // The entries and their lines in bulk: each entry moves ¥1 from what
    // bonuses cost the brand into the wallet (both append-only accounts,
    // so both are rolled up; the ledger balances per unit).
    let started = Instant::now();
    let backend = db.get_database_backend();
    let numbers = match backend {
        DbBackend::Postgres => "SELECT g AS x FROM generate_series(1, $1) g".to_string(),
        _ => "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < $1) \
              SELECT x FROM g"
            .to_string(),
    };
    let adjustment = EntryKind::Adjustment.as_str();
    let tx = tongka_server::db::begin_write(db).await?;
    tx.execute_raw(tongka_server::db::sql(
        backend,
        &format!(
            "INSERT INTO journal_entries (brand_id, kind, op_ref, store_id, member_id, \
             member_delta, member_balance_after, actor, business_date, created_at, reverses_id) \
             SELECT $2, '{adjustment}', 'wallet-bench:' || x, $3, NULL, 0, NULL, 'bench', $4, $5, NULL \
             FROM ({numbers}) n"
        ),
        vec![
            (n as i64).into(),
            brand.id.into(),
            store.into(),
            date.clone().into(),
            now.into(),
        ],
    ))
    .await?;
    tx.execute_raw(tongka_server::db::sql(
        backend,
        &format!(
            "INSERT INTO journal_lines (entry_id, account_id, amount, balance_after, rolled) \
             SELECT e.id, a.account, a.amount, NULL, FALSE \
             FROM journal_entries e, (SELECT $1 AS account, {LINE} AS amount \
                                      UNION ALL SELECT $2, -{LINE}) a \
             WHERE e.brand_id = $3 AND e.kind = '{adjustment}' \
             AND e.op_ref LIKE 'wallet-bench:%' ORDER BY e.id"
        ),
        vec![wallet.id.into(), expense.id.into(), brand.id.into()],
    ))
    .await?;
    tx.commit().await?;
    if backend == DbBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE journal_entries, journal_lines")
            .await?;
    }
    println!(
        "  seeded {n} wallet lines in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Seeded {
        store,
        wallet,
        manager,
        finance,
    })
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Times `asks` runs of `f`: p50, p95 and the slowest, in ms.
async fn timed<F, Fut>(asks: usize, mut f: F) -> anyhow::Result<(f64, f64, f64)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let mut ms = Vec::with_capacity(asks);
    for i in 0..asks {
        let start = Instant::now();
        f(i).await?;
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    ms.sort_by(f64::total_cmp);
    Ok((
        percentile(&ms, 0.5),
        percentile(&ms, 0.95),
        ms[ms.len() - 1],
    ))
}

fn row(name: &str, what: &str, (p50, p95, max): (f64, f64, f64)) {
    println!("[{name}] {what:<44} p50 {p50:>8.2} ms  p95 {p95:>8.2} ms  slowest {max:>8.2} ms");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n = env_or("WALLET_LINES", 1_000_000);
    let asks = env_or("WALLET_ASKS", 200);
    let client = reqwest::Client::new();
    let dir = std::env::temp_dir().join(format!("tongka-wallet-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite_url = format!("sqlite://{}?mode=rwc", dir.join("wallet.db").display());
    let mut drift = Vec::new();
    for (name, url) in [("postgres", PG_BENCH.to_string()), ("sqlite", sqlite_url)] {
        if name == "postgres" {
            let admin = Database::connect(PG_ADMIN).await?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS tongka_wallet_bench WITH (FORCE)")
                .await?;
            admin
                .execute_unprepared("CREATE DATABASE tongka_wallet_bench")
                .await?;
        }
        let db = tongka_server::db::connect(&url, 8).await?;
        tongka_server::db::migrate(&db).await?;
        println!("[{name}] seeding one store with {n} wallet lines…");
        let s = seed(&db, n).await?;
        let expected = Fen(n as i64 * LINE);
        let read = |db: DatabaseConnection, wallet: Account| async move {
            let got = ledger::summed_balance(&db, wallet).await?;
            anyhow::ensure!(got == expected, "the wallet read {got:?}, not {expected:?}");
            Ok(())
        };
        let before = timed(asks.min(50), |_| read(db.clone(), s.wallet)).await?;
        row(name, "balance, nothing rolled up (in process)", before);
        let started = Instant::now();
        let rolled = ledger::rollup(&db).await?;
        let rollup_s = started.elapsed().as_secs_f64();
        let vacuum_s = if name == "postgres" {
            let started = Instant::now();
            db.execute_unprepared("VACUUM ANALYZE journal_lines")
                .await?;
            started.elapsed().as_secs_f64()
        } else {
            0.0
        };
        println!(
            "[{name}] rollup: {rolled} lines in {rollup_s:.1} s{}",
            if name == "postgres" {
                format!(", then VACUUM ANALYZE journal_lines {vacuum_s:.1} s")
            } else {
                String::new()
            }
        );
        let after = timed(asks, |_| read(db.clone(), s.wallet)).await?;
        row(name, "balance, rolled up (in process)", after);

        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let server = start_server(&url, port)?;
        let base = format!("http://127.0.0.1:{port}");
        wait_healthy(&client, &base).await?;
        let asked: PayeeView = client
            .post(format!("{base}/api/staff/stores/{}/payee", s.store))
            .bearer_auth(&s.manager)
            .json(&PayeeInput {
                account_name: "上海通卡茶饮有限公司".into(),
                bank_name: "招商银行上海分行".into(),
                account_no: "6225880212345678".into(),
            })
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        client
            .post(format!("{base}/api/hq/payee-changes/{}/approve", asked.id))
            .bearer_auth(&s.finance)
            .send()
            .await?
            .error_for_status()?;
        let wallet_read = timed(asks, |_| {
            let (client, url, token) = (
                client.clone(),
                format!("{base}/api/staff/stores/{}/wallet", s.store),
                s.manager.clone(),
            );
            async move {
                let w: WalletView = client
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                anyhow::ensure!(w.available.0 > 0, "an empty wallet");
                Ok(())
            }
        })
        .await?;
        row(name, "GET wallet (HTTP)", wallet_read);
        let withdrawals = timed(asks, |i| {
            let (client, url, token) = (
                client.clone(),
                format!("{base}/api/staff/stores/{}/withdrawals", s.store),
                s.manager.clone(),
            );
            async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .header("Idempotency-Key", format!("wallet-bench-{i}"))
                    .json(&WithdrawalInput {
                        amount: Fen(10_000),
                    })
                    .send()
                    .await?;
                anyhow::ensure!(
                    r.status() == reqwest::StatusCode::CREATED,
                    "withdrawal: {} {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                );
                Ok(())
            }
        })
        .await?;
        row(name, "POST withdrawal of ¥100 (HTTP)", withdrawals);
        drop(server);
        ledger::rollup(&db).await?;
        let report = ledger::reconcile(&db).await?;
        println!(
            "[{name}] reconcile: {} entries, {} accounts, {} problems",
            report.entries,
            report.accounts,
            report.problems.len()
        );
        drift.extend(report.problems.into_iter().map(|p| format!("{name}: {p}")));
        db.close().await?;
        if name == "postgres" {
            let admin = Database::connect(PG_ADMIN).await?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS tongka_wallet_bench WITH (FORCE)")
                .await?;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    if !drift.is_empty() {
        for d in &drift {
            eprintln!("DRIFT {d}");
        }
        anyhow::bail!("reconciliation found {} problems", drift.len());
    }
    println!("reconcile: no drift");
    Ok(())
}
