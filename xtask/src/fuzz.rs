//! The fuzzing stage: schemathesis (PyPI, pinned in
//! tests/fuzz/requirements.txt) over every operation of the API's own
//! OpenAPI document, as a member and as each staff role, against the demo
//! server on a database of its own. See tests/fuzz/run.py.

use crate::{root, run};
use anyhow::{Context, Result, bail};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A virtualenv in `target/` with the pinned schemathesis; its `st`.
fn schemathesis(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/fuzz-venv");
    let st = venv.join("bin/st");
    let pip = venv.join("bin/pip");
    let pinned = std::fs::read_to_string(root.join("tests/fuzz/requirements.txt"))?;
    let stamp = venv.join("requirements.txt");
    if st.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(pinned.as_str()) {
        return Ok(st);
    }
    println!(
        "installing {} into {} (PyPI)…",
        pinned.trim(),
        venv.display()
    );
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv))?;
    run(Command::new(&pip).args([
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-r",
        "tests/fuzz/requirements.txt",
    ]))?;
    std::fs::write(&stamp, pinned)?;
    Ok(st)
}

/// The server, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `cargo xtask fuzz`: builds the server as the test stage does (the same
/// packages, so the same features: nothing compiles twice), then fuzzes.
pub fn fuzz() -> Result<()> {
    against(&crate::testrun::build()?.server)
}

/// Fuzzes `binary`, the server the test build made.
pub fn against(binary: &Path) -> Result<()> {
    let root = root();
    let st = schemathesis(&root)?;
    let dir = root.join("target/fuzz");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(dir.join("reports"))?;
    let db = dir.join("fuzz.db");
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}");
    let log = std::fs::File::create(dir.join("server.log"))?;
    let mut server = Server(
        Command::new(binary)
            .args(["serve", "--seed-demo"])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", db.display()),
            )
            .env("TONGKA_LISTEN", format!("127.0.0.1:{port}"))
            .env("TONGKA_SITE_DIR", root.join("target/site"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .current_dir(&dir)
            .spawn()
            .context("starting the server")?,
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = server.0.try_wait()? {
            bail!(
                "the server stopped ({status}; see {})",
                dir.join("server.log").display()
            );
        }
        if Instant::now() > deadline {
            bail!(
                "the server did not start (see {})",
                dir.join("server.log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    run(Command::new(root.join("target/fuzz-venv/bin/python"))
        .arg("tests/fuzz/run.py")
        .arg(&base)
        .arg(&db)
        .arg(&st)
        .arg(dir.join("reports")))
    .with_context(|| format!("fuzzing (server log: {})", dir.join("server.log").display()))
}
