//! `cargo xtask <command>`: the project's build, serve and test in Rust, so a
//! fresh machine needs nothing but cargo (and installs the rest itself).
//!
//! - `build`: both apps → wasm32 (size profile) → wasm-bindgen (library of the
//!   crate's exact version) → wasm-opt -Oz (npm binaryen@132 as a library,
//!   `xtask/wasm-opt.mjs`, one process per core), esbuild's
//!   minifier on the JS → hashed names → brotli + gzip, into `target/site`.
//! - `serve`: build, then run the server on SQLite with the demo brand.
//! - `test`: everything CI checks, each stage timed.
//! - `lighthouse`: Lighthouse on the entry pages, median of three (not CI).

mod fuzz;
mod lighthouse;
mod site;
mod testrun;
mod tools;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => site::build(&root()).map(|_| ()),
        Some("serve") => serve(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench(),
        Some("bench-history") => bench_history(),
        Some("bench-wallet") => bench_example("wallet_bench"),
        Some("fuzz") => fuzz::fuzz(),
        Some("lighthouse") => lighthouse::lighthouse(),
        _ => {
            eprintln!(
                "usage: cargo xtask build | serve [server flags] | test | fuzz | bench | bench-history | bench-wallet | lighthouse"
            );
            return std::process::ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs a command in the workspace root, failing on a non-zero exit.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("starting {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// `cargo` with the arguments.
pub fn cargo(args: &[&str]) -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.args(args);
    c
}

fn serve(extra: &[String]) -> Result<()> {
    let root = root();
    site::build(&root)?;
    std::fs::create_dir_all(root.join("data"))?;
    let mut args = vec![
        "run",
        "-p",
        "tongka-server",
        "--bin",
        "tongka",
        "--",
        "serve",
        "--seed-demo",
    ];
    args.extend(extra.iter().map(String::as_str));
    println!("building and starting the server…");
    run(&mut cargo(&args))
}

/// The payment benchmark (see `server/examples/bench.rs`); not part of CI.
fn bench() -> Result<()> {
    bench_example("bench")
}

/// The history benchmark (see `server/examples/history_bench.rs`): a
/// page's p95 at 100,000 entries for one member; not part of CI.
fn bench_history() -> Result<()> {
    bench_example("history_bench")
}

/// Builds the release server and the benchmark `example`, then runs it
/// (it starts the server itself).
fn bench_example(example: &str) -> Result<()> {
    run(&mut cargo(&[
        "build",
        "--release",
        "-p",
        "tongka-server",
        "--bin",
        "tongka",
        "--example",
        example,
    ]))?;
    run(&mut Command::new(
        root().join(format!("target/release/examples/{example}")),
    ))
}

struct Stages(Vec<(String, f64)>);

impl Stages {
    fn time(&mut self, name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
        println!("\n==> {name}");
        let start = Instant::now();
        let r = f();
        let secs = start.elapsed().as_secs_f64();
        println!(
            "<== {name}: {secs:.1}s{}",
            if r.is_ok() { "" } else { " (FAILED)" }
        );
        self.0.push((name.to_string(), secs));
        r
    }

    fn report(&self) {
        println!("\nstage timings:");
        for (name, secs) in &self.0 {
            println!("  {secs:>7.1}s  {name}");
        }
    }
}

fn test() -> Result<()> {
    let mut stages = Stages(Vec::new());
    let result = (|| {
        stages.time(
            "tools (wasm target, chromium, chromedriver, wasm-opt)",
            || tools::ensure_test_tools(&root()),
        )?;
        stages.time("rustfmt --check", || {
            run(&mut cargo(&["fmt", "--all", "--check"]))
        })?;
        stages.time("shared: wasm32 check and dependency guard", shared_guard)?;
        stages.time("clippy (native)", || {
            let mut args = vec!["clippy"];
            args.extend(testrun::SELECTION);
            args.extend(["--all-targets", "--", "-D", "warnings"]);
            run(&mut cargo(&args))
        })?;
        stages.time("clippy (apps, wasm32)", || {
            run(&mut cargo(&[
                "clippy",
                "-p",
                "tongka-app",
                "-p",
                "tongka-scanner",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ]))
        })?;
        stages.time("build apps", || site::build(&root()).map(|_| ()))?;
        let mut tests = None;
        stages.time("build the tests", || {
            tests = Some(testrun::build()?);
            Ok(())
        })?;
        let tests = tests.context("the tests were not built")?;
        stages.time(
            "tests (unit, API on SQLite + PostgreSQL) then fuzz (schemathesis, every role), beside the end-to-end stories",
            || testrun::run_all(&tests, || fuzz::against(&tests.server)),
        )
    })();
    stages.report();
    result
}

/// `shared` must build for wasm32 and must not pull in the server stack.
fn shared_guard() -> Result<()> {
    run(&mut cargo(&[
        "check",
        "-p",
        "tongka-shared",
        "--target",
        "wasm32-unknown-unknown",
    ]))?;
    let out = cargo(&[
        "tree",
        "-p",
        "tongka-shared",
        "-e",
        "normal",
        "--prefix",
        "none",
    ])
    .current_dir(root())
    .output()
    .context("cargo tree")?;
    let tree = String::from_utf8_lossy(&out.stdout);
    for banned in ["tokio ", "axum ", "sea-orm ", "sqlx ", "hyper "] {
        if tree.lines().any(|l| l.starts_with(banned)) {
            bail!(
                "shared depends on {}: it must stay free of the server stack",
                banned.trim()
            );
        }
    }
    // The JSON-schema derives (OpenAPI) are the server's alone: the apps
    // must not pay for them.
    let app_features = cargo(&[
        "tree",
        "-p",
        "tongka-app",
        "-e",
        "features",
        "-i",
        "tongka-shared",
        "--target",
        "wasm32-unknown-unknown",
        "--prefix",
        "none",
    ])
    .current_dir(root())
    .output()
    .context("cargo tree")?;
    if String::from_utf8_lossy(&app_features.stdout).contains("feature \"openapi\"") {
        bail!("the apps enable shared's `openapi` feature: schema derives would ship in the wasm");
    }
    println!(
        "shared: wasm32 ok; the apps build it without `openapi`; depends on: {}",
        tree.lines()
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(())
}
