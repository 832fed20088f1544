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
pub const SELECTION: [&str; 3] = ["--workspace", "--exclude", "tongka-app"];

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

/// What the test build made.
pub struct TestBuild {
    bins: Vec<TestBin>,
    /// The server binary built beside the tests (the fuzzer runs it).
    pub server: PathBuf,
}

/// Builds every test executable and the server binary beside them.
pub fn build() -> Result<TestBuild> {
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
    let mut server = None;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let Ok(m) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if m["reason"] != "compiler-artifact" {
            continue;
        }
        if m["profile"]["test"] != true {
            if m["target"]["name"] == "tongka" && m["target"]["kind"][0] == "bin" {
                server = m["executable"].as_str().map(PathBuf::from);
            }
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
    let server = server.context("cargo built no server binary (tongka) beside the tests")?;
    Ok(TestBuild { bins, server })
}

/// Runs the tests in two lanes, then `after` (the fuzzer) in the busy lane;
/// prints how long each took.
pub fn run_all(build: &TestBuild, after: impl FnOnce() -> Result<()> + Send) -> Result<()> {
    let site = root().join("target/site");
    let (browser, rest): (Vec<&TestBin>, Vec<&TestBin>) = build.bins.iter().partition(|b| b.e2e);
    let browser_log = root().join("target/e2e.log");
    println!(
        "the end-to-end stories run beside the rest; their output is printed when they end (meanwhile: {})",
        browser_log.display()
    );
    let (browser_result, busy_result) = std::thread::scope(|scope| {
        // The stories' output goes to a file of its own (both streams, in
        // order) and is printed whole when they end, so the two lanes'
        // lines do not interleave.
        let browser_lane = scope.spawn(|| {
            let mut failed = Vec::new();
            for bin in &browser {
                let start = Instant::now();
                let status = std::fs::File::create(&browser_log)
                    .and_then(|log| Ok((log.try_clone()?, log)))
                    .and_then(|(out, err)| {
                        test_command(bin, &site).stdout(out).stderr(err).status()
                    });
                let said = std::fs::read_to_string(&browser_log).unwrap_or_default();
                println!(
                    "\n--- {} (browser lane), {:.0}s:\n{said}",
                    bin.name,
                    start.elapsed().as_secs_f64()
                );
                failed.extend(failure(bin, status));
            }
            failed
        });
        let mut failed = Vec::new();
        for bin in &rest {
            let start = Instant::now();
            let status = test_command(bin, &site).status();
            println!("--- {}: {:.0}s", bin.name, start.elapsed().as_secs_f64());
            failed.extend(failure(bin, status));
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

/// What went wrong with a test executable's run, if anything.
fn failure(bin: &TestBin, status: std::io::Result<std::process::ExitStatus>) -> Option<String> {
    match status {
        Ok(s) if s.success() => None,
        Ok(s) => Some(format!("{} ({s})", bin.name)),
        Err(e) => Some(format!("{} (could not start: {e})", bin.name)),
    }
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
