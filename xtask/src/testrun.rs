//! The test stage: every test executable `cargo test` would run, built
//! once, then run in two lanes at once. The browser stories spend most of
//! their time waiting on Chromium, so they have a lane of their own; the
//! unit and API tests, the doc tests and the fuzzer keep the cores busy in
//! the other. Everything runs whatever fails, and the stage fails if
//! anything did.

use crate::{cargo, root, run};
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The packages the tests cover (the apps are wasm: their checks are
/// clippy and the end-to-end stories). Every cargo call of the stage names
/// the same set, so cargo resolves the same features and builds once.
const SELECTION: [&str; 3] = ["--workspace", "--exclude", "tongka-app"];

/// One test executable as cargo built it.
pub struct TestBin {
    /// `package target (kind)`, as shown.
    name: String,
    exe: PathBuf,
    /// The package's folder: cargo runs each test executable there.
    dir: PathBuf,
    /// The end-to-end stories (the browser lane).
    e2e: bool,
}

/// Builds every test executable (and the server binary beside them, which
/// the fuzzer runs); returns them.
pub fn build() -> Result<Vec<TestBin>> {
    let mut args = vec!["test"];
    args.extend(SELECTION);
    args.extend(["--no-run", "--message-format=json-render-diagnostics"]);
    let out = cargo(&args)
        .current_dir(root())
        .stderr(Stdio::inherit())
        .output()
        .context("starting cargo test --no-run")?;
    if !out.status.success() {
        bail!("building the tests failed ({})", out.status);
    }
    let mut bins = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if m["reason"] != "compiler-artifact" || m["profile"]["test"] != true {
            continue;
        }
        let (Some(exe), Some(manifest)) = (m["executable"].as_str(), m["manifest_path"].as_str())
        else {
            continue;
        };
        let dir = Path::new(manifest)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(root);
        let package = dir
            .strip_prefix(root())
            .ok()
            .and_then(|d| d.to_str())
            .unwrap_or("?")
            .to_owned();
        let target = m["target"]["name"].as_str().unwrap_or("?");
        let kind = m["target"]["kind"][0].as_str().unwrap_or("?");
        bins.push(TestBin {
            name: format!("{package} {target} ({kind})"),
            exe: PathBuf::from(exe),
            e2e: package == "tests" && target == "e2e",
            dir,
        });
    }
    anyhow::ensure!(
        bins.iter().any(|b| b.e2e) && bins.len() > 1,
        "cargo built no test executables, or not the end-to-end stories"
    );
    Ok(bins)
}

/// Runs the tests in two lanes, then `after` (the fuzzer) in the busy lane;
/// prints how long each took.
pub fn run_all(bins: &[TestBin], after: impl FnOnce() -> Result<()> + Send) -> Result<()> {
    let site = root().join("target/site");
    let (browser, rest): (Vec<&TestBin>, Vec<&TestBin>) = bins.iter().partition(|b| b.e2e);
    let (browser_result, busy_result) = std::thread::scope(|scope| {
        // The stories' output is held and printed whole when they end, so
        // the two lanes' lines do not interleave.
        let browser_lane = scope.spawn(|| {
            let mut failed = Vec::new();
            for bin in &browser {
                let start = Instant::now();
                let out = test_command(bin, &site).output();
                let secs = start.elapsed().as_secs_f64();
                match out {
                    Ok(out) => {
                        println!(
                            "\n--- {} (browser lane), {secs:.0}s:\n{}{}",
                            bin.name,
                            String::from_utf8_lossy(&out.stdout),
                            String::from_utf8_lossy(&out.stderr)
                        );
                        if !out.status.success() {
                            failed.push(bin.name.clone());
                        }
                    }
                    Err(e) => failed.push(format!("{} (could not start: {e})", bin.name)),
                }
            }
            failed
        });
        let mut failed = Vec::new();
        for bin in &rest {
            let start = Instant::now();
            let status = test_command(bin, &site).status();
            println!("--- {}: {:.0}s", bin.name, start.elapsed().as_secs_f64());
            if !status.map(|s| s.success()).unwrap_or(false) {
                failed.push(bin.name.clone());
            }
        }
        let start = Instant::now();
        let mut doc = vec!["test"];
        doc.extend(SELECTION);
        doc.push("--doc");
        if run(&mut cargo(&doc)).is_err() {
            failed.push("doc tests".into());
        }
        println!("--- doc tests: {:.0}s", start.elapsed().as_secs_f64());
        let start = Instant::now();
        let fuzzed = after();
        println!("--- fuzz: {:.0}s", start.elapsed().as_secs_f64());
        if let Err(e) = fuzzed {
            failed.push(format!("fuzz: {e:#}"));
        }
        let browser = browser_lane
            .join()
            .unwrap_or_else(|_| vec!["the browser lane panicked".into()]);
        (browser, failed)
    });
    let failed: Vec<String> = busy_result.into_iter().chain(browser_result).collect();
    if !failed.is_empty() {
        bail!("failed: {}", failed.join("; "));
    }
    Ok(())
}

/// A test executable run as `cargo test` runs it: in its package's folder,
/// with the built apps for the browser stories.
fn test_command(bin: &TestBin, site: &Path) -> Command {
    let mut cmd = Command::new(&bin.exe);
    cmd.current_dir(&bin.dir)
        .env("CARGO_MANIFEST_DIR", &bin.dir)
        .env("TONGKA_SITE_DIR", site);
    cmd
}
