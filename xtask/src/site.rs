//! Building the two apps into `target/site`:
//! `assets/` (hashed, precompressed), `member/index.html`,
//! `merchant/index.html`, `public/` (copied from the repo's `public/`).

use crate::{cargo, run, tools};
use anyhow::{Context, Result, bail};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The apps: (binary name, page title, URL prefix).
const APPS: [(&str, &str, &str); 2] = [
    ("member", "通卡会员", "/m"),
    ("merchant", "通卡商家", "/biz"),
];

/// Sizes of one built app, for the build report: brotli bytes.
pub struct AppSize {
    /// App name.
    pub name: &'static str,
    /// What its entry page loads: the main wasm, its JS glue and the chunk
    /// loader.
    pub entry: u64,
    /// The main wasm alone.
    pub wasm: u64,
    /// Each page chunk, loaded when its route is first visited: (file, bytes).
    pub chunks: Vec<(String, u64)>,
    /// The entry's files, relative to the app's folder.
    pub entry_files: Vec<String>,
}

/// The wasm build's link flags: the apps' `--cfg` (from .cargo/config.toml,
/// which a `--config` of the same key would otherwise replace) plus
/// relocations, which the splitter needs to move functions between modules.
const WASM_RUSTFLAGS: &str = r#"target.wasm32-unknown-unknown.rustflags=["--cfg", "erase_components", "-Clink-arg=--emit-relocs"]"#;

/// Builds everything; returns the sizes.
pub fn build(root: &Path) -> Result<Vec<AppSize>> {
    tools::wasm_target()?;
    run(&mut cargo(&[
        "build",
        "-p",
        "tongka-app",
        "-p",
        "tongka-scanner",
        "--bins",
        "--lib",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
        "--config",
        WASM_RUSTFLAGS,
    ]))?;
    let site = root.join("target/site");
    clear_site(&site).with_context(|| format!("clearing {}", site.display()))?;
    let assets = site.join("assets");
    std::fs::create_dir_all(&assets)?;
    let wasm_opt = tools::wasm_opt(root).is_some();
    let esbuild = tools::esbuild(root);
    let css = hashed_copy(
        &std::fs::read(root.join("style/app.css"))?,
        &assets,
        "app",
        "css",
    )?;
    let scanner = build_scanner(root, &assets, wasm_opt)?;
    let mut sizes = Vec::new();
    for (name, title, prefix) in APPS {
        let (dir, size) = build_app(root, name, &assets, wasm_opt, esbuild.as_deref())?;
        // The merchant app finds the scanner's worker (a hashed name) here.
        let head = if name == "merchant" {
            format!(
                "<meta name=\"tongka-scanner\" content=\"/assets/{}\">\n",
                scanner.worker
            )
        } else {
            String::new()
        };
        let html = index_html(title, &css, &dir, name, prefix, &head);
        std::fs::create_dir_all(site.join(name))?;
        let index = site.join(name).join("index.html");
        std::fs::write(&index, &html)?;
        // The first bytes a member's phone fetches: served compressed too.
        precompress(&index, html.as_bytes())?;
        let mut shell = vec![
            format!("{prefix}/index.html"),
            format!("/assets/{css}"),
            "/favicon.svg".into(),
        ];
        shell.extend(
            size.entry_files
                .iter()
                .map(|f| format!("/assets/{dir}/{f}")),
        );
        // The cache is named after everything in the shell: a new style
        // sheet is a new build too.
        let build = hex::encode(&Sha256::digest(shell.join("\n").as_bytes())[..5]);
        let worker = service_worker(name, prefix, &build, &shell);
        std::fs::write(site.join(name).join("sw.js"), &worker)?;
        precompress(&site.join(name).join("sw.js"), worker.as_bytes())?;
        sizes.push(size);
    }
    copy_dir(&root.join("public"), &site.join("public"))?;
    let docs = api_docs(root, &site, &assets)?;
    println!("\napps built into {} (brotli bytes):", site.display());
    for s in &sizes {
        let (pages, shared): (Vec<_>, Vec<_>) =
            s.chunks.iter().partition(|c| c.0.starts_with("split_"));
        let sum = |v: &[&(String, u64)]| v.iter().map(|c| c.1).sum::<u64>();
        println!(
            "  {:<9} first load {:>7} B (wasm {:>7} B + JS); {} pages {:>7} B; {} shared chunks {:>7} B",
            s.name,
            s.entry,
            s.wasm,
            pages.len(),
            sum(&pages),
            shared.len(),
            sum(&shared)
        );
        for (chunk, bytes) in pages {
            println!("            {chunk:<32} {bytes:>7} B");
        }
        // Code two or more pages share, fetched with the first page that
        // needs it: many small files, listed compactly.
        for row in shared.chunks(6) {
            let cells: Vec<String> = row
                .iter()
                .map(|(chunk, bytes)| {
                    format!("{:>9} {bytes:>5} B", chunk.trim_end_matches(".wasm"))
                })
                .collect();
            println!("            {}", cells.join("  "));
        }
    }
    println!(
        "  scanner   QR decoder (quircs) {:>7} B + worker JS {} B (brotli; {} B raw wasm), loaded only when the merchant's camera opens",
        scanner.wasm, scanner.js, scanner.raw
    );
    println!("  api docs  viewer {docs} B (brotli), loaded only by /api/docs");
    Ok(sizes)
}

/// One app: split its wasm at the pages' split points, bind, optimise each
/// module, and write everything into `assets/{name}-{hash}/` (the hash of the
/// linked wasm, so a new build is a new folder and every file in it can be
/// cached for good; the loader names the chunks relative to itself, so
/// nothing needs renaming). Returns the folder's name and the sizes.
fn build_app(
    root: &Path,
    name: &'static str,
    assets: &Path,
    wasm_opt: bool,
    esbuild: Option<&Path>,
) -> Result<(String, AppSize)> {
    let input = root.join(format!(
        "target/wasm32-unknown-unknown/wasm-release/{name}.wasm"
    ));
    let t0 = std::time::Instant::now();
    let linked = std::fs::read(&input).with_context(|| format!("reading {}", input.display()))?;
    let dir_name = format!("{name}-{}", hex::encode(&Sha256::digest(&linked)[..5]));
    let split = root.join(format!("target/bindgen/{name}-split"));
    let out = assets.join(&dir_name);
    for d in [&split, &out] {
        if d.exists() {
            std::fs::remove_dir_all(d)?;
        }
        std::fs::create_dir_all(d)?;
    }
    let main = split.join(format!("{name}.wasm"));
    let main_module = format!("./{name}.js");
    let split_out = wasm_split_cli_support::transform({
        let mut opts = wasm_split_cli_support::Options::new(&linked);
        opts.output_dir = &out;
        opts.main_out_path = &main;
        opts.link_name = LOADER_IMPORT;
        opts.main_module = &main_module;
        opts
    })
    .map_err(|e| anyhow::anyhow!("splitting {}: {e:?}", input.display()))?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&main)
        .web(true)?
        .typescript(false)
        .keep_lld_exports(true)
        .demangle(false)
        .generate(&out)
        .with_context(|| format!("wasm-bindgen on {}", main.display()))?;
    let main_wasm = out.join(format!("{name}_bg.wasm"));
    let split_secs = t0.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    if wasm_opt {
        let modules: Vec<&Path> = std::iter::once(main_wasm.as_path())
            .chain(split_out.split_modules.iter().map(PathBuf::as_path))
            .collect();
        optimise(&modules)?;
    }
    let opt_secs = t0.elapsed().as_secs_f64();
    let t0 = std::time::Instant::now();
    // The bindings and the chunk loader, which every first load fetches:
    // minified (about a quarter fewer bytes, brotli).
    if let Some(esbuild) = esbuild {
        for js in [out.join(format!("{name}.js")), out.join(LOADER)] {
            minify(esbuild, &js)?;
        }
    }
    let wasm = compressed(&main_wasm)?;
    let entry =
        wasm + compressed(&out.join(format!("{name}.js")))? + compressed(&out.join(LOADER))?;
    let mut chunks = Vec::new();
    for module in &split_out.split_modules {
        let file = module
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        chunks.push((file, compressed(module)?));
    }
    // In numeric order: chunk_2 before chunk_10.
    chunks.sort_by_key(|(file, _)| {
        let stem = file.trim_end_matches(".wasm");
        let digits = stem
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(stem.len());
        (
            stem[..digits].to_owned(),
            stem[digits..].parse::<u64>().unwrap_or(0),
            stem.to_owned(),
        )
    });
    let mut entry_files = vec![
        format!("{name}.js"),
        format!("{name}_bg.wasm"),
        LOADER.to_string(),
    ];
    let snippets = out.join("snippets");
    if snippets.exists() {
        precompress_dir(&snippets)?;
        list_files(&out, &snippets, &mut entry_files)?;
    }
    println!(
        "{name}: {} modules; split and bound in {split_secs:.1}s, wasm-opt {opt_secs:.1}s, minified and compressed {:.1}s",
        split_out.split_modules.len() + 1,
        t0.elapsed().as_secs_f64()
    );
    Ok((
        dir_name,
        AppSize {
            name,
            entry,
            wasm,
            chunks,
            entry_files,
        },
    ))
}

/// The camera scanner's decoder as built.
struct Scanner {
    /// The worker script, relative to `assets/`.
    worker: String,
    /// Brotli bytes of the decoder's wasm.
    wasm: u64,
    /// Brotli bytes of its JS (the bindings and the worker).
    js: u64,
    /// The decoder's wasm before compression.
    raw: u64,
}

/// The QR decoder (`app/scanner`, quircs) as a module of its own, bound for
/// the web, optimised, in `assets/scanner-{hash}/` with its worker script.
fn build_scanner(root: &Path, assets: &Path, wasm_opt: bool) -> Result<Scanner> {
    let built = root.join("target/wasm32-unknown-unknown/wasm-release/tongka_scanner.wasm");
    let linked = without_link_sections(
        &std::fs::read(&built).with_context(|| format!("reading {}", built.display()))?,
    )?;
    let input = root.join("target/bindgen/tongka_scanner.wasm");
    std::fs::create_dir_all(root.join("target/bindgen"))?;
    std::fs::write(&input, &linked)?;
    let worker_js = std::fs::read(root.join("app/scanner/worker.js"))?;
    let mut hash = Sha256::new();
    hash.update(&linked);
    hash.update(&worker_js);
    let dir_name = format!("scanner-{}", hex::encode(&hash.finalize()[..5]));
    let out = assets.join(&dir_name);
    std::fs::create_dir_all(&out)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)?
        .typescript(false)
        .generate(&out)
        .with_context(|| format!("wasm-bindgen on {}", input.display()))?;
    let wasm = out.join("tongka_scanner_bg.wasm");
    if wasm_opt {
        optimise(&[&wasm])?;
    }
    std::fs::write(out.join("worker.js"), &worker_js)?;
    Ok(Scanner {
        worker: format!("{dir_name}/worker.js"),
        raw: std::fs::metadata(&wasm)?.len(),
        wasm: compressed(&wasm)?,
        js: compressed(&out.join("tongka_scanner.js"))? + compressed(&out.join("worker.js"))?,
    })
}

/// The module without the `linking` and `reloc.*` sections that the apps'
/// `--emit-relocs` (one build for both) leaves in it: nothing splits the
/// scanner, and wasm-opt cannot handle them.
fn without_link_sections(wasm: &[u8]) -> Result<Vec<u8>> {
    let mut module = walrus::Module::from_buffer(wasm)?;
    let link: Vec<_> = module
        .customs
        .iter()
        .filter(|(_, c)| c.name() == "linking" || c.name().starts_with("reloc."))
        .map(|(id, _)| id)
        .collect();
    for id in link {
        module.customs.delete(id);
    }
    Ok(module.emit_wasm())
}

/// The chunk loader's file name, beside the app's JS glue.
const LOADER: &str = "__wasm_split.js";
/// How the main module imports it (a relative module path).
const LOADER_IMPORT: &str = "./__wasm_split.js";

/// Minifies the ES module `js` in place (imports, exports and property
/// names kept: the wasm finds its imports by name).
fn minify(esbuild: &Path, js: &Path) -> Result<()> {
    let out = std::process::Command::new(esbuild)
        .arg(js)
        .args([
            "--minify",
            "--format=esm",
            "--allow-overwrite",
            "--log-level=warning",
        ])
        // The bindings name the split loader once per chunk import, each
        // the same module: a duplicate key that changes nothing.
        .arg("--log-override:duplicate-object-key=silent")
        .arg(format!("--outfile={}", js.display()))
        .output()
        .with_context(|| format!("running {}", esbuild.display()))?;
    let said = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("esbuild failed on {}: {said}", js.display());
    }
    if !said.trim().is_empty() {
        println!("esbuild on {}: {}", js.display(), said.trim());
    }
    Ok(())
}

/// `wasm-opt -Oz` on each module, in place: `xtask/wasm-opt.mjs` (npm's
/// binaryen as a library, started once per process rather than once per
/// module), one process per core, the modules dealt out largest first so
/// the processes finish together.
fn optimise(modules: &[&Path]) -> Result<()> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut by_size: Vec<(u64, &Path)> = modules
        .iter()
        .map(|m| Ok((std::fs::metadata(m)?.len(), *m)))
        .collect::<Result<_>>()?;
    by_size.sort_by_key(|m| std::cmp::Reverse(m.0));
    let mut shares: Vec<(u64, Vec<&Path>)> = vec![(0, Vec::new()); workers.min(modules.len())];
    for (bytes, module) in by_size {
        if let Some(least) = shares.iter_mut().min_by_key(|s| s.0) {
            least.0 += bytes;
            least.1.push(module);
        }
    }
    let root = crate::root();
    // Each process in a thread of its own that reads its output as it
    // comes, so none stalls on a full pipe while another is waited for.
    let outputs: Vec<std::io::Result<std::process::Output>> = std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .iter()
            .map(|(_, share)| {
                let root = &root;
                scope.spawn(move || {
                    std::process::Command::new("node")
                        .arg(root.join("xtask/wasm-opt.mjs"))
                        .args(share)
                        .current_dir(root)
                        .output()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("a wasm-opt thread panicked")))
            })
            .collect()
    });
    let mut failed = false;
    for out in outputs {
        let out = out.context("running node for wasm-opt")?;
        // Binaryen warns about every split module's name subsection 3, which
        // it does not know and drops anyway; other messages are shown.
        let messages: Vec<_> = String::from_utf8_lossy(&out.stderr)
            .lines()
            .chain(String::from_utf8_lossy(&out.stdout).lines())
            .filter(|l| !l.contains("unknown name subsection"))
            .map(str::to_owned)
            .collect();
        if !messages.is_empty() {
            eprintln!("{}", messages.join("\n"));
        }
        failed |= !out.status.success();
    }
    anyhow::ensure!(!failed, "wasm-opt failed (messages above)");
    Ok(())
}

/// The files under `dir` (not their .br / .gz), as paths relative to `base`.
fn list_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            list_files(base, &path, out)?;
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            out.push(
                path.strip_prefix(base)?
                    .to_string_lossy()
                    .replace('\\', "/"),
            );
        }
    }
    out.sort();
    Ok(())
}

/// The app's service worker (`{prefix}/sw.js`, scope `{prefix}/`): it keeps
/// this build's shell (the page, the style, the entry wasm and JS) in a cache
/// named after the build, answers the app's pages and `/assets/` from it
/// (page chunks are kept the first time they load), and never touches
/// anything else: API answers always come from the server. A new build is a
/// new worker (its file lists the new hashes); once the pages of the old one
/// are closed it takes over and deletes the old cache.
fn service_worker(name: &str, prefix: &str, build: &str, shell: &[String]) -> String {
    let list = shell
        .iter()
        .map(|f| format!("  {f:?},"))
        .collect::<Vec<_>>()
        .join("\n");
    format!(
        r##"// Tongka {name} app: service worker of build {build}.
const CACHE = "tongka-{name}-{build}";
const SCOPE = "{prefix}/";
const SHELL = [
{list}
];
self.addEventListener("install", (event) => {{
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
}});
self.addEventListener("activate", (event) => {{
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("tongka-{name}-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
}});
self.addEventListener("fetch", (event) => {{
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname.startsWith(SCOPE)) {{
    // Every page of the app is the same shell.
    event.respondWith(
      caches.open(CACHE).then((cache) => cache.match(SHELL[0], {{ ignoreVary: true }})).then((hit) => hit || fetch(request)),
    );
    return;
  }}
  if (url.pathname.startsWith("/assets/")) {{
    // Hashed names: a file never changes, so the cache is always right.
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(request, {{ ignoreVary: true }}).then(
          (hit) =>
            hit ||
            fetch(request).then((response) => {{
              if (response.ok) cache.put(request, response.clone());
              return response;
            }}),
        ),
      ),
    );
  }}
}});
"##
    )
}

fn precompress_dir(dir: &Path) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            precompress_dir(&path)?;
        } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
            precompress(&path, &std::fs::read(&path)?)?;
        }
    }
    Ok(())
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
    // No inline script: the start-up code is a file of its own too. The
    // areas start closed: with every operation open at once (about 150),
    // swagger-ui 5.35 in Chromium drew the first three and stopped.
    let init = hashed_copy(
        br##"window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "none",
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

fn index_html(title: &str, css: &str, dir: &str, name: &str, prefix: &str, head: &str) -> String {
    let js = format!("{dir}/{name}.js");
    let wasm = format!("{dir}/{name}_bg.wasm");
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
<link rel="modulepreload" href="/assets/{dir}/{LOADER}">
<link rel="preload" href="/assets/{wasm}" as="fetch" type="application/wasm" crossorigin fetchpriority="high">
{head}</head>
<body>
<noscript>请启用 JavaScript / Please enable JavaScript.</noscript>
<div id="boot" class="boot"><span class="spinner"></span></div>
<script type="module">
import init from "/assets/{js}";
init({{ module_or_path: "/assets/{wasm}" }}).then(() => document.getElementById("boot")?.remove());
// The brand's web app manifest (its name, colour and start page), so the
// app can be added to the home screen.
const brand = location.pathname.split("/")[2];
if (brand) {{
  const link = document.createElement("link");
  link.rel = "manifest";
  link.href = `{prefix}/${{encodeURIComponent(brand)}}/manifest.webmanifest`;
  document.head.append(link);
}}
// The app's shell and pages from the cache on the next visit (HTTPS or
// localhost only; elsewhere the app works as before).
if ("serviceWorker" in navigator) {{
  addEventListener("load", () => navigator.serviceWorker.register("{prefix}/sw.js", {{ scope: "{prefix}/" }}).catch(() => {{}}));
}}
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

/// Precompresses a file in place; returns its brotli bytes.
fn compressed(file: &Path) -> Result<u64> {
    let bytes = std::fs::read(file)?;
    precompress(file, &bytes)?;
    Ok(std::fs::metadata(with_suffix(file, "br"))?.len())
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

/// Clears `site` for a new build but keeps, in `assets/`, what the previous
/// build's pages name (its style, app and scanner directories): a page
/// opened before a deploy goes on fetching the page chunks and the scanner
/// it has not loaded yet, instead of meeting a 404. Anything older goes.
fn clear_site(site: &Path) -> Result<()> {
    if !site.exists() {
        return Ok(());
    }
    let keep = named_assets(site)?;
    for entry in std::fs::read_dir(site)? {
        let entry = entry?;
        if entry.file_name() == "assets" {
            continue;
        }
        remove(&entry.path())?;
    }
    let assets = site.join("assets");
    if assets.exists() {
        for entry in std::fs::read_dir(&assets)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            // A precompressed copy goes with its file.
            let base = name
                .strip_suffix(".br")
                .or_else(|| name.strip_suffix(".gz"))
                .unwrap_or(&name);
            if !keep.contains(base) {
                remove(&entry.path())?;
            }
        }
    }
    Ok(())
}

fn remove(path: &Path) -> Result<()> {
    if path.is_dir() {
        std::fs::remove_dir_all(path)?;
    } else {
        std::fs::remove_file(path)?;
    }
    Ok(())
}

/// The entries of `assets/` that the site's pages and scripts (outside
/// `assets/`) name as `/assets/{entry}…`.
fn named_assets(site: &Path) -> Result<std::collections::BTreeSet<String>> {
    let mut named = std::collections::BTreeSet::new();
    let mut dirs = vec![site.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                if path != site.join("assets") {
                    dirs.push(path);
                }
                continue;
            }
            let text = match path.extension().and_then(|e| e.to_str()) {
                Some("html" | "js") => std::fs::read_to_string(&path)?,
                _ => continue,
            };
            for (at, _) in text.match_indices("/assets/") {
                let rest = &text[at + "/assets/".len()..];
                let end = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
                    .unwrap_or(rest.len());
                if end > 0 {
                    named.insert(rest[..end].to_string());
                }
            }
        }
    }
    Ok(named)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_build_keeps_the_previous_builds_assets_and_drops_older_ones() {
        let site = std::env::temp_dir().join(format!("tongka-site-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&site);
        let w = |p: &str, text: &str| {
            let path = site.join(p);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        // The previous build: a page naming its style and app directory, a
        // worker naming the scanner's.
        w(
            "merchant/index.html",
            r#"<link href="/assets/app-1a.css"><meta content="/assets/scanner-2b/worker.js"><script src="/assets/merchant-3c/merchant.js">"#,
        );
        w(
            "merchant/sw.js",
            r#"const SHELL = ["/assets/merchant-3c/merchant_bg.wasm"];"#,
        );
        w("assets/app-1a.css", "a{}");
        w("assets/app-1a.css.br", "");
        w("assets/scanner-2b/worker.js", "");
        w("assets/merchant-3c/split_merchant_scan.wasm", "");
        // Two builds ago.
        w("assets/merchant-0f/split_merchant_scan.wasm", "");
        w("assets/app-00.css", "");
        w("assets/app-00.css.gz", "");
        clear_site(&site).expect("clearing the site");
        let left = |p: &str| site.join(p).exists();
        assert!(!left("merchant"), "the pages are the new build's to write");
        for kept in [
            "assets/app-1a.css",
            "assets/app-1a.css.br",
            "assets/scanner-2b/worker.js",
            "assets/merchant-3c/split_merchant_scan.wasm",
        ] {
            assert!(left(kept), "{kept} went");
        }
        for gone in [
            "assets/merchant-0f",
            "assets/app-00.css",
            "assets/app-00.css.gz",
        ] {
            assert!(!left(gone), "{gone} stayed");
        }
        std::fs::remove_dir_all(&site).expect("cleaning up");
    }
}
