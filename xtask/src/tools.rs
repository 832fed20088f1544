//! Installing what a fresh machine lacks: npm's binaryen (wasm-opt) and
//! Debian's chromium + chromedriver.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `node_modules/binaryen/bin/wasm-opt`, installing it with npm if needed.
/// `None` (with a warning) when npm is not available.
pub fn wasm_opt(root: &Path) -> Option<PathBuf> {
    let bin = root.join("node_modules/binaryen/bin/wasm-opt");
    if bin.exists() {
        return Some(bin);
    }
    println!("installing binaryen@132 (wasm-opt) from npm…");
    let ok = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(root)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok && bin.exists() {
        Some(bin)
    } else {
        println!(
            "warning: npm is missing or failed; skipping wasm-opt (the apps work, only larger)"
        );
        None
    }
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// Chromium and chromedriver for the end-to-end tests, and wasm-opt.
pub fn ensure_test_tools(root: &Path) -> Result<()> {
    if !(have("chromium") && have("chromedriver")) {
        println!("installing chromium and chromedriver (Debian packages)…");
        let status = Command::new("sh")
            .args([
                "-c",
                "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver zbar-tools >/dev/null",
            ])
            .status()?;
        if !status.success() || !have("chromedriver") {
            bail!(
                "could not install chromium/chromedriver; install them (apt-get install chromium chromium-driver) and retry"
            );
        }
    }
    wasm_opt(root);
    Ok(())
}
