//! Building the two apps into `target/site`:
//! `assets/` (hashed, precompressed), `member/index.html`,
//! `merchant/index.html`, `public/` (copied from the repo's `public/`).

use crate::{cargo, run, tools};
use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The apps: (binary name, page title).
const APPS: [(&str, &str); 2] = [("member", "通卡会员"), ("merchant", "通卡商家")];

/// Sizes of one built app, for the build report.
pub struct AppSize {
    /// App name.
    pub name: &'static str,
    /// wasm bytes after wasm-opt.
    pub wasm: u64,
    /// wasm bytes brotli-compressed.
    pub wasm_br: u64,
    /// JS glue bytes.
    pub js: u64,
    /// JS glue brotli-compressed.
    pub js_br: u64,
}

/// Builds everything; returns the sizes.
pub fn build(root: &Path) -> Result<Vec<AppSize>> {
    tools::wasm_target()?;
    run(&mut cargo(&[
        "build",
        "-p",
        "tongka-app",
        "--bins",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]))?;
    let site = root.join("target/site");
    if site.exists() {
        std::fs::remove_dir_all(&site).with_context(|| format!("clearing {}", site.display()))?;
    }
    let assets = site.join("assets");
    std::fs::create_dir_all(&assets)?;
    let wasm_opt = tools::wasm_opt(root);
    let css = hashed_copy(
        &std::fs::read(root.join("style/app.css"))?,
        &assets,
        "app",
        "css",
    )?;
    let mut sizes = Vec::new();
    for (name, title) in APPS {
        let input = root.join(format!(
            "target/wasm32-unknown-unknown/wasm-release/{name}.wasm"
        ));
        let out = root.join(format!("target/bindgen/{name}"));
        if out.exists() {
            std::fs::remove_dir_all(&out)?;
        }
        wasm_bindgen_cli_support::Bindgen::new()
            .input_path(&input)
            .web(true)?
            .typescript(false)
            .generate(&out)
            .with_context(|| format!("wasm-bindgen on {}", input.display()))?;
        let wasm_path = out.join(format!("{name}_bg.wasm"));
        if let Some(opt) = &wasm_opt {
            let mut cmd = std::process::Command::new(opt);
            cmd.arg(&wasm_path).arg("-o").arg(&wasm_path).args([
                "-Oz",
                "--enable-bulk-memory",
                "--enable-reference-types",
                "--enable-nontrapping-float-to-int",
                "--enable-sign-ext",
                "--enable-multivalue",
                "--enable-mutable-globals",
            ]);
            run(&mut cmd)?;
        }
        let wasm = hashed_copy(
            &std::fs::read(&wasm_path)?,
            &assets,
            &format!("{name}_bg"),
            "wasm",
        )?;
        let js = hashed_copy(
            &std::fs::read(out.join(format!("{name}.js")))?,
            &assets,
            name,
            "js",
        )?;
        let snippets = out.join("snippets");
        if snippets.exists() {
            copy_dir(&snippets, &assets.join("snippets"))?;
        }
        let html = index_html(title, &css, &js, &wasm);
        std::fs::create_dir_all(site.join(name))?;
        let index = site.join(name).join("index.html");
        std::fs::write(&index, &html)?;
        // The first bytes a member's phone fetches: served compressed too.
        precompress(&index, html.as_bytes())?;
        let size = |f: &str| {
            std::fs::metadata(assets.join(f))
                .map(|m| m.len())
                .unwrap_or(0)
        };
        sizes.push(AppSize {
            name,
            wasm: size(&wasm),
            wasm_br: size(&format!("{wasm}.br")),
            js: size(&js),
            js_br: size(&format!("{js}.br")),
        });
    }
    copy_dir(&root.join("public"), &site.join("public"))?;
    let docs = api_docs(root, &site, &assets)?;
    println!("\napps built into {}:", site.display());
    for s in &sizes {
        println!(
            "  {:<9} wasm {:>7} B (brotli {:>6} B)   js {:>6} B (brotli {:>5} B)",
            s.name, s.wasm, s.wasm_br, s.js, s.js_br
        );
    }
    println!("  api docs  viewer {docs} B (brotli), loaded only by /api/docs");
    Ok(sizes)
}

/// `/api/docs`: swagger-ui-dist (vendored from npm, pinned in
/// package-lock.json) showing `/api/openapi.json`, every file ours to serve
/// so the page works with no internet access. Returns the viewer's brotli
/// bytes.
fn api_docs(root: &Path, site: &Path, assets: &Path) -> Result<u64> {
    let ui = tools::swagger_ui(root)?;
    let bundle = hashed_copy(
        &std::fs::read(ui.join("swagger-ui-bundle.js"))?,
        assets,
        "swagger-ui-bundle",
        "js",
    )?;
    let css = hashed_copy(
        &std::fs::read(ui.join("swagger-ui.css"))?,
        assets,
        "swagger-ui",
        "css",
    )?;
    // No inline script: the start-up code is a file of its own too.
    let init = hashed_copy(
        br##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    tryItOutEnabled: false,
    persistAuthorization: false,
  });
});
"##,
        assets,
        "api-docs",
        "js",
    )?;
    let dir = site.join("api-docs");
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(ui.join("LICENSE"), dir.join("swagger-ui-LICENSE.txt"))?;
    let html = format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tongka API</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/{css}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/assets/{bundle}"></script>
<script src="/assets/{init}"></script>
</body>
</html>
"##
    );
    std::fs::write(dir.join("index.html"), &html)?;
    precompress(&dir.join("index.html"), html.as_bytes())?;
    let br = |f: &str| {
        std::fs::metadata(assets.join(format!("{f}.br")))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    Ok(br(&bundle) + br(&css) + br(&init))
}

fn index_html(title: &str, css: &str, js: &str, wasm: &str) -> String {
    format!(
        r##"<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#07C160">
<title>{title}</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/{css}">
<link rel="modulepreload" href="/assets/{js}">
<link rel="preload" href="/assets/{wasm}" as="fetch" type="application/wasm" crossorigin>
</head>
<body>
<noscript>请启用 JavaScript / Please enable JavaScript.</noscript>
<div id="boot" class="boot"><span class="spinner"></span></div>
<script type="module">
import init from "/assets/{js}";
init({{ module_or_path: "/assets/{wasm}" }}).then(() => document.getElementById("boot")?.remove());
</script>
</body>
</html>
"##
    )
}

/// Writes `bytes` as `{stem}-{hash}.{ext}` plus `.br` and `.gz`; returns the name.
fn hashed_copy(bytes: &[u8], dir: &Path, stem: &str, ext: &str) -> Result<String> {
    let hash = hex::encode(&Sha256::digest(bytes)[..5]);
    let name = format!("{stem}-{hash}.{ext}");
    std::fs::write(dir.join(&name), bytes)?;
    precompress(&dir.join(&name), bytes)?;
    Ok(name)
}

fn precompress(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut br = Vec::new();
    {
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            lgwin: 22,
            ..Default::default()
        };
        let mut input = bytes;
        brotli::BrotliCompress(&mut input, &mut br, &params)?;
    }
    std::fs::write(with_suffix(path, "br"), br)?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes)?;
    std::fs::write(with_suffix(path, "gz"), gz.finish()?)?;
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".");
    s.push(suffix);
    PathBuf::from(s)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
