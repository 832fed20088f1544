//! Connecting to SQLite or PostgreSQL, and the one way to open a write
//! transaction ([`begin_write`]: group commit on SQLite).

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

use crate::migration::Migrator;

mod write;
pub use write::{
    MAX_HOLD, MAX_OPS, WriteTx, begin_outside, begin_write, begin_write_reading, commits, writer,
};

/// How long a SQLite writer waits for the lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens the database named by `url`: a SQLite file (created on first run,
/// WAL mode, busy timeout; the pool only reads, writes go through the
/// file's batches, `begin_write`) or PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let path = sqlite_path(url).map(std::path::PathBuf::from);
    if let Some(dir) = path
        .as_deref()
        .and_then(std::path::Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        // Ping only a connection that sat idle (a restarted database), not
        // one in steady use: a ping on every acquire is a round trip more
        // per query.
        .test_before_acquire_if_idle_for(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            // On a SQLite file every write goes through the file's batches
            // (`write`), which open their own connection: the pool's
            // connections only read, and SQLite refuses them any write, so
            // a write that bypassed the group commit (and would wait on its
            // lock, or hold it from the batches) fails at once in every
            // test on a SQLite file instead.
            let read_only = write::has_writer(&o);
            o.journal_mode(SqliteJournalMode::Wal)
                // Every COMMIT reaches the disk before anyone is answered;
                // group commit (`write`) shares that wait among writers.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(BUSY_TIMEOUT)
                // Room for every statement of the app with parameters (those
                // without, such as `write`'s savepoints, are not cached).
                .statement_cache_capacity(512)
                .foreign_keys(true)
                .create_if_missing(true)
                .pragma("query_only", if read_only { "ON" } else { "OFF" })
        });
    let db = Database::connect(opts)
        .await
        .context("connecting to the database")?;
    Ok(db)
}

/// A raw statement with `$n` placeholders, in the backend's dialect
/// (SQLite numbers its parameters `?n`).
pub fn sql(
    backend: sea_orm::DbBackend,
    text: &str,
    values: Vec<sea_orm::Value>,
) -> sea_orm::Statement {
    let text = match backend {
        sea_orm::DbBackend::Sqlite => text.replace('$', "?"),
        _ => text.to_string(),
    };
    sea_orm::Statement::from_sql_and_values(backend, text, values)
}

/// Runs pending migrations (on a SQLite file, on its writer's connection:
/// the pool's only read).
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(&writer(db), None)
        .await
        .context("running migrations")
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// A read-only transaction in which several reads see one snapshot
/// (PostgreSQL: repeatable read; SQLite in WAL mode: one read transaction
/// sees one snapshot), so money moving meanwhile cannot make them disagree.
pub async fn snapshot(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(sea_orm::IsolationLevel::RepeatableRead),
                Some(sea_orm::AccessMode::ReadOnly),
            )
            .await
        }
        _ => db.begin().await,
    }
}

/// On PostgreSQL, serialises writers on `key` until the transaction ends
/// (SQLite's `BEGIN IMMEDIATE` already serialises every writer).
pub async fn lock_key(tx: &DatabaseTransaction, key: &str) -> Result<(), DbErr> {
    if tx.get_database_backend() == DbBackend::Postgres {
        let stmt = sea_orm::Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        );
        tx.execute_raw(stmt).await?;
    }
    Ok(())
}

/// Raises a guarded counter by one with an insert-or-update whose update
/// only happens below `limit`; whether it was raised. `table` has a unique
/// key on the two key columns (coupon holdings and quotas, invite rewards).
pub async fn raise(
    tx: &DatabaseTransaction,
    table: &str,
    keys: (&str, &str),
    values: (sea_orm::Value, sea_orm::Value),
    (column, limit): (&str, i64),
) -> Result<bool, DbErr> {
    let backend = tx.get_database_backend();
    let (a, b, c) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "$2", "$3"),
        _ => ("?", "?", "?"),
    };
    let (k1, k2) = keys;
    let sql = format!(
        "INSERT INTO {table} ({k1}, {k2}, {column}) VALUES ({a}, {b}, 1) \
         ON CONFLICT ({k1}, {k2}) DO UPDATE SET {column} = {table}.{column} + 1 \
         WHERE {table}.{column} < {c}"
    );
    let done = tx
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [values.0, values.1, limit.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_sqlite_file() {
        assert_eq!(
            super::sqlite_path("sqlite://data/t.db?mode=rwc").as_deref(),
            Some("data/t.db")
        );
        assert_eq!(super::sqlite_path("sqlite::memory:"), None);
        assert_eq!(super::sqlite_path("postgres://x"), None);
    }
}
