//! Installing what a fresh machine lacks: npm's binaryen (wasm-opt) and
//! esbuild, and Debian's chromium + chromedriver.

use anyhow::{Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the build takes from the npm registry (package.json, pinned by
/// package-lock.json): binaryen's wasm-opt, esbuild (minifies the apps'
/// JS), the API docs viewer and the accessibility checker the end-to-end
/// stories run on every page.
const NPM_FILES: [&str; 4] = [
    "node_modules/binaryen/bin/wasm-opt",
    "node_modules/swagger-ui-dist/swagger-ui-bundle.js",
    "node_modules/axe-core/axe.min.js",
    "node_modules/esbuild/bin/esbuild",
];

/// Installs package.json's packages with npm when any is missing, once per
/// run; whether npm succeeded (or nothing was missing).
fn npm_packages(root: &Path) -> bool {
    static DONE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *DONE.get_or_init(|| npm_install(root))
}

fn npm_install(root: &Path) -> bool {
    if NPM_FILES.iter().all(|f| root.join(f).exists()) {
        return true;
    }
    println!(
        "installing binaryen@132 (wasm-opt), esbuild (JS minifier), swagger-ui-dist (API docs) and axe-core (accessibility checks) from npm…"
    );
    Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(root)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The npm file `file` under `root`: as installed, else after an npm
/// install (one a run), else `None`. A tool already there is used even if
/// npm cannot install one that is missing.
fn npm_file(root: &Path, file: &str) -> Option<PathBuf> {
    let path = root.join(file);
    if path.exists() || (npm_packages(root) && path.exists()) {
        Some(path)
    } else {
        None
    }
}

/// npm's binaryen (`xtask/wasm-opt.mjs` runs it as a library), installing
/// it with npm if needed: its `bin/wasm-opt`, or `None` (with a warning)
/// when npm is not available.
pub fn wasm_opt(root: &Path) -> Option<PathBuf> {
    let bin = npm_file(root, NPM_FILES[0]);
    if bin.is_some() {
        bin
    } else {
        println!(
            "warning: npm is missing or failed; skipping wasm-opt (the apps work, only larger)"
        );
        None
    }
}

/// `node_modules/esbuild/bin/esbuild`, installing it with npm if needed.
/// `None` (with a warning) when npm is not available.
pub fn esbuild(root: &Path) -> Option<PathBuf> {
    let bin = npm_file(root, NPM_FILES[3]);
    if bin.is_some() {
        bin
    } else {
        println!("warning: npm is missing or failed; the apps' JS is not minified (larger)");
        None
    }
}

/// The vendored API docs viewer (swagger-ui-dist), installing it with npm
/// if needed; the docs page must work offline, so never from a CDN.
pub fn swagger_ui(root: &Path) -> Result<PathBuf> {
    if let Some(bundle) = npm_file(root, NPM_FILES[1]) {
        Ok(bundle
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| root.join("node_modules/swagger-ui-dist")))
    } else {
        bail!("npm could not install swagger-ui-dist (package.json), which /api/docs serves")
    }
}

/// The wasm32 target. rust-toolchain.toml names it, but rustup (1.29) only
/// installs a toolchain file's targets when it installs the toolchain, so a
/// machine whose stable toolchain came first lacks it.
pub fn wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        // No rustup: cargo says what is missing if anything is.
        .unwrap_or(true);
    if !installed {
        println!("installing the wasm32-unknown-unknown target (rustup)…");
        let status = Command::new("rustup")
            .args(["target", "add", "wasm32-unknown-unknown"])
            .status()?;
        if !status.success() {
            bail!("rustup target add wasm32-unknown-unknown failed; run it and retry");
        }
    }
    Ok(())
}

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The wasm target, Chromium and chromedriver for the end-to-end tests, and
/// wasm-opt.
pub fn ensure_test_tools(root: &Path) -> Result<()> {
    wasm_target()?;
    if !(have("chromium") && have("chromedriver") && have("zbarimg")) {
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
