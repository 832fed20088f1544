//! `cargo xtask lighthouse`: builds the apps and the server, serves the demo
//! brand on a scratch SQLite file, and runs Lighthouse (npm, against the
//! installed Chromium) three times on each entry page, printing the median
//! performance score, LCP, TBT and the bytes on the wire. Not part of CI:
//! the figures move with the machine's load.

use crate::{cargo, root, run, site};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Lighthouse 12 is the last that runs on this machine's Node 20.
const LIGHTHOUSE: &str = "lighthouse@12.2.3";

/// The pages measured: a member opening the brand, a member who scanned a
/// store's pay code, staff opening the merchant app.
const PAGES: [&str; 3] = ["/m/demo", "/m/demo/pay/1", "/biz/demo"];

const RUNS: usize = 3;

/// A server process, stopped when dropped.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn lighthouse() -> Result<()> {
    let root = root();
    let sizes = site::build(&root)?;
    crate::tools::ensure_test_tools(&root)?;
    // The dev build the tests use: the pages measured are static files and
    // a few small API answers, and a second (release) build of the server
    // would cost more than it changes.
    run(&mut cargo(&[
        "build",
        "-p",
        "tongka-server",
        "--bin",
        "tongka",
    ]))?;
    let tool = root.join("target/lighthouse");
    let cli = tool.join("node_modules/lighthouse/cli/index.js");
    if !cli.exists() {
        println!("installing {LIGHTHOUSE} from npm into {}…", tool.display());
        std::fs::create_dir_all(&tool)?;
        run(Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "-E",
                LIGHTHOUSE,
                "--prefix",
            ])
            .arg(&tool))?;
    }
    let scratch = std::env::temp_dir().join(format!("tongka-lighthouse-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let _server = Server(
        Command::new(root.join("target/debug/tongka"))
            .args(["serve", "--seed-demo", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database-url")
            .arg(format!(
                "sqlite://{}?mode=rwc",
                scratch.join("lh.db").display()
            ))
            .arg("--site-dir")
            .arg(root.join("target/site"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the server")?,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("the server did not start on port {port}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let mut rows = Vec::new();
    for page in PAGES {
        let mut runs = Vec::new();
        for i in 0..RUNS {
            let report = scratch.join(format!("report-{}-{i}.json", page.replace('/', "_")));
            let status = Command::new("node")
                .arg(&cli)
                .arg(format!("{base}{page}"))
                .args([
                    "--only-categories=performance",
                    "--output=json",
                    "--quiet",
                    "--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage",
                ])
                .arg(format!("--output-path={}", report.display()))
                .env("CHROME_PATH", "/usr/bin/chromium")
                .status()
                .context("running lighthouse")?;
            if !status.success() {
                bail!("lighthouse failed on {page} ({status})");
            }
            runs.push(Run::read(&report)?);
        }
        runs.sort_by(|a, b| a.score.total_cmp(&b.score));
        let median = runs.swap_remove(RUNS / 2);
        rows.push((page, median));
    }
    println!("\nLighthouse {LIGHTHOUSE} (mobile, simulated slow 4G), median of {RUNS}:");
    println!(
        "  {:<16} {:>5} {:>9} {:>8} {:>14}",
        "page", "score", "LCP", "TBT", "bytes on wire"
    );
    for (page, r) in &rows {
        println!(
            "  {:<16} {:>5.0} {:>7.1} s {:>5.0} ms {:>12} B",
            page,
            r.score * 100.0,
            r.lcp_ms / 1000.0,
            r.tbt_ms,
            r.bytes
        );
    }
    println!("\nthe build's first-load bytes (brotli):");
    for s in &sizes {
        println!("  {:<9} {:>7} B", s.name, s.entry);
    }
    Ok(())
}

/// One Lighthouse run's figures.
struct Run {
    score: f64,
    lcp_ms: f64,
    tbt_ms: f64,
    bytes: u64,
}

impl Run {
    fn read(path: &Path) -> Result<Run> {
        let json: serde_json::Value = serde_json::from_slice(
            &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
        )?;
        let audit = |name: &str| {
            json["audits"][name]["numericValue"]
                .as_f64()
                .unwrap_or(f64::NAN)
        };
        Ok(Run {
            score: json["categories"]["performance"]["score"]
                .as_f64()
                .unwrap_or(f64::NAN),
            lcp_ms: audit("largest-contentful-paint"),
            tbt_ms: audit("total-blocking-time"),
            bytes: audit("total-byte-weight") as u64,
        })
    }
}
