//! What the benchmarks share: the release server started as its own
//! process on a database, and waiting until it answers.

use sea_orm::{ActiveModelTrait, DatabaseTransaction, Set};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tongka_server::entity::{region, store};

/// The server process, stopped when dropped.
pub struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the release server on `url`, listening on `port`.
pub fn start_server(url: &str, port: u16) -> anyhow::Result<Server> {
    let bin = std::env::current_exe()?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("tongka"))
        .ok_or_else(|| anyhow::anyhow!("no target dir"))?;
    let child = Command::new(&bin)
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--site-dir",
            "/nonexistent",
        ])
        .env("DATABASE_URL", url)
        // Warnings, and the payment batcher's line every 10 s on where
        // its time went.
        .env("RUST_LOG", "warn,tongka_server::stored_value::batch=info")
        // Production mode (no sandboxes) needs somewhere to send SMS; the
        // benchmark sends none.
        .env("TONGKA_SMS_WEBHOOK_URL", "http://127.0.0.1:9/sms")
        .env("TONGKA_SMS_WEBHOOK_SECRET", "bench-webhook-secret-0123")
        .env("TONGKA_DATA_KEY", "bench-data-key")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| {
            anyhow::anyhow!(
                "starting {}: {e} (build it with `cargo build --release -p tongka-server`)",
                bin.display()
            )
        })?;
    // Of what the server logs, only the batcher's lines are shown.
    let mut child = child;
    if let Some(out) = child.stdout.take() {
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if line.contains("payment batches")
                    || line.contains("WARN")
                    || line.contains("ERROR")
                {
                    eprintln!("  server: {line}");
                }
            }
        });
    }
    Ok(Server(child))
}

/// Waits (up to 30 s) until the server at `base` says it is healthy.
pub async fn wait_healthy(client: &reqwest::Client, base: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if client
            .get(format!("{base}/api/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("server did not become healthy")
}

/// A region of `n` open stores in the brand, the first its default (named
/// S0, S1, …); answers their ids.
pub async fn seed_stores(
    tx: &DatabaseTransaction,
    brand_id: i64,
    n: usize,
    now: i64,
) -> anyhow::Result<Vec<i64>> {
    let r = region::ActiveModel {
        brand_id: Set(brand_id),
        name: Set("R".into()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let mut stores = Vec::new();
    for i in 0..n {
        let s = store::ActiveModel {
            brand_id: Set(brand_id),
            region_id: Set(r.id),
            name: Set(format!("S{i}")),
            address: Set("a".into()),
            phone: Set("021-0000".into()),
            hours: Set("0-24".into()),
            is_default: Set(i == 0),
            active: Set(true),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        stores.push(s.id);
    }
    Ok(stores)
}
