//! The databases the tests share: one SQLite file and one PostgreSQL database
//! per test process, created and migrated on first use and removed when the
//! process exits (leftovers of processes that died are removed at start).

use crate::helpers::Backend;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tokio::sync::OnceCell;

/// This process's temporary directory (the SQLite file lives in it).
pub fn process_dir() -> PathBuf {
    std::env::temp_dir().join(format!("tongka-api-{}", std::process::id()))
}

fn pid_is_alive(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Registers `handler` to run when the process exits, after libtest's last
/// test: the only moment when nothing uses the shared databases any more.
fn at_exit(handler: extern "C" fn()) {
    #[expect(
        unsafe_code,
        reason = "libc::atexit is the one hook after libtest's last test; the handler never unwinds"
    )]
    let rc = unsafe { libc::atexit(handler) };
    assert_eq!(rc, 0, "registering an exit handler");
}

extern "C" fn remove_sqlite_dir() {
    let _ = std::fs::remove_dir_all(process_dir());
}

async fn sqlite() -> &'static DatabaseConnection {
    static DB: OnceCell<DatabaseConnection> = OnceCell::const_new();
    DB.get_or_init(|| async {
        // Directories of earlier runs that did not exit cleanly.
        if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let pid = name
                    .strip_prefix("tongka-api-")
                    .and_then(|p| p.parse::<u32>().ok());
                if pid.is_some_and(|p| !pid_is_alive(p)) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = process_dir();
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the SQLite test directory");
        at_exit(remove_sqlite_dir);
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        let db = tongka_server::db::connect(&url, 8)
            .await
            .expect("opening the SQLite test database");
        tongka_server::db::migrate(&db)
            .await
            .expect("migrating the SQLite test database");
        db
    })
    .await
}

/// The admin URL and the name of this process's PostgreSQL database, for the
/// exit handler.
static PG_DROP: OnceLock<(String, String)> = OnceLock::new();

extern "C" fn drop_pg_database() {
    if let Some((admin_url, name)) = PG_DROP.get() {
        let _ = std::process::Command::new("psql")
            .args(["-X", "-q", "-d", admin_url, "-c"])
            .arg(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .stdout(std::process::Stdio::null())
            .status();
    }
}

fn pg_admin_url() -> String {
    std::env::var("TEST_DATABASE_ADMIN_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

async fn create_pg_database() -> Result<DatabaseConnection, String> {
    let admin_url = pg_admin_url();
    let unreachable = |e: &dyn std::fmt::Display| {
        format!(
            "PostgreSQL is not reachable at {admin_url} ({e}). The postgres half of the API suite needs a server \
             with trust auth for user `postgres` on 127.0.0.1:5432, or TEST_DATABASE_ADMIN_URL pointing at one."
        )
    };
    let mut opts = ConnectOptions::new(admin_url.clone());
    opts.max_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false);
    let admin = Database::connect(opts).await.map_err(|e| unreachable(&e))?;

    // Databases of earlier runs whose process is gone.
    let rows = admin
        .query_all_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'tongka\\_api\\_%'",
        ))
        .await
        .map_err(|e| unreachable(&e))?;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let pid = name
            .strip_prefix("tongka_api_")
            .and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|p| !pid_is_alive(p)) {
            let _ = admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await;
        }
    }

    let name = format!("tongka_api_{}", std::process::id());
    let create = async {
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
    };
    create
        .await
        .map_err(|e| format!("creating the PostgreSQL test database {name}: {e}"))?;
    let _ = PG_DROP.set((admin_url.clone(), name.clone()));
    at_exit(drop_pg_database);
    let _ = admin.close().await;

    let url = with_database(&admin_url, &name);
    let db = tongka_server::db::connect(&url, 10)
        .await
        .map_err(|e| format!("connecting to {name}: {e:#}"))?;
    tongka_server::db::migrate(&db)
        .await
        .map_err(|e| format!("migrating {name}: {e:#}"))?;
    Ok(db)
}

async fn postgres() -> &'static DatabaseConnection {
    // The outcome is kept, failure included, so that an unreachable server
    // fails every postgres test at once instead of timing out in each.
    static DB: OnceCell<Result<DatabaseConnection, String>> = OnceCell::const_new();
    match DB.get_or_init(create_pg_database).await {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    }
}

/// The name of this process's second PostgreSQL database (for a `tongka`
/// process's own brand), for the exit handler.
/// The separate PostgreSQL databases this process made: (admin URL, names).
static PG_PROC_DROP: std::sync::Mutex<Option<(String, Vec<String>)>> = std::sync::Mutex::new(None);

extern "C" fn drop_pg_proc_database() {
    let made = PG_PROC_DROP
        .lock()
        .map(|m| m.clone())
        .unwrap_or_else(|e| e.into_inner().clone());
    if let Some((admin_url, names)) = made {
        for name in names {
            let _ = std::process::Command::new("psql")
                .args(["-X", "-q", "-d", &admin_url, "-c"])
                .arg(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .stdout(std::process::Stdio::null())
                .status();
        }
    }
}

/// A database of its own on `backend`, migrated, for tests that run whole
/// `tongka` processes (whose background sweeps touch every brand of the
/// database they open): its URL and a connection.
pub async fn separate_database(backend: Backend) -> (String, DatabaseConnection) {
    let url = match backend {
        Backend::Sqlite => {
            let _ = database(backend).await;
            let file = process_dir().join(format!("proc-{}.db", crate::helpers::random_hex(8)));
            format!("sqlite://{}?mode=rwc", file.display())
        }
        Backend::Postgres => {
            let _ = database(backend).await;
            let admin_url = pg_admin_url();
            // One per call (tests using them run side by side).
            let name = format!(
                "tongka_proc_{}_{}",
                std::process::id(),
                crate::helpers::random_hex(6)
            );
            let admin = Database::connect(admin_url.clone())
                .await
                .expect("connecting to PostgreSQL");
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("dropping an old database");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("creating the database");
            let _ = admin.close().await;
            {
                let mut made = PG_PROC_DROP.lock().unwrap_or_else(|e| e.into_inner());
                if made.is_none() {
                    at_exit(drop_pg_proc_database);
                }
                made.get_or_insert_with(|| (admin_url.clone(), Vec::new()))
                    .1
                    .push(name.clone());
            }
            with_database(&admin_url, &name)
        }
    };
    let db = tongka_server::db::connect(&url, 4)
        .await
        .expect("opening the separate database");
    tongka_server::db::migrate(&db)
        .await
        .expect("migrating the separate database");
    (url, db)
}

/// The shared database of `backend`, created on first use.
pub async fn database(backend: Backend) -> DatabaseConnection {
    match backend {
        Backend::Sqlite => sqlite().await.clone(),
        Backend::Postgres => postgres().await.clone(),
    }
}

#[test]
fn replaces_the_database_name() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "x"),
        "postgres://u:p@h/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://h:5432", "x"),
        "postgres://h:5432/x"
    );
}
