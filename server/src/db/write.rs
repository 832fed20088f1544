//! Write transactions, and group commit on SQLite.
//!
//! SQLite lets one connection write at a time and every commit waits for
//! the disk (`synchronous = FULL`). So on a SQLite file the writes of the
//! whole process take turns on one open transaction, the batch: each write
//! transaction ([`WriteTx`]) runs inside its own SAVEPOINT in it, rolled
//! back alone when refused, and the batch commits once for all of them when
//! no one else is waiting for a turn (or it has [`MAX_OPS`] writes, or has
//! held the lock [`MAX_HOLD`]). A writer's `commit` returns only after the
//! batch's COMMIT, with its result: no one is answered before the commit
//! that holds their write. The services are the same on both databases; on
//! PostgreSQL a [`WriteTx`] is an ordinary transaction.
//!
//! A writer may vanish at any await (a client that hangs up drops its
//! request): so the savepoints are plain SQL named by the batch, not
//! sqlx's nested transactions (whose bookkeeping a dropped future can
//! leave one level off, rolling back the others' work); a savepoint left
//! open by a writer that vanished is rolled back by whoever takes the next
//! turn; the COMMIT runs in a task of its own; and the COMMIT runs only if
//! a marker row written when the batch opened is still there, so a batch
//! SQLite rolled back whole (an I/O error) is reported as failed to every
//! writer in it, never as committed.
//!
//! The batch's own `BEGIN IMMEDIATE` and `COMMIT` are plain SQL too, each
//! sent with the marker in one trip to the connection's thread (sqlx runs
//! a connection on a thread of its own, and each trip there and back is
//! two thread wake-ups: at thousands of payments a second on two cores,
//! the trips were half of a batch's fixed cost). So the batches'
//! connection is held for good in one transaction of sqlx's ([`Host`]),
//! which sqlx never ends; SQLite's own transactions on it begin and end
//! by the batch's SQL.
//!
//! Liveness: whoever ends a turn with no one waiting has the batch
//! committed; and every batch has a watchdog that commits it if a waiter
//! gave up between that check and its turn.

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, SqlxSqliteConnector, Statement, TransactionOptions,
    TransactionTrait,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex as StdMutex};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

use super::BUSY_TIMEOUT;

/// The most writes booked in one SQLite transaction.
pub const MAX_OPS: usize = 64;
/// The longest a batch goes on taking writers before it commits, so a
/// writer's answer waits at most about this for the others'.
pub const MAX_HOLD: Duration = Duration::from_millis(25);

/// A transaction that writes: commit it (or drop it to roll it back).
/// On a SQLite file it is a savepoint in the process's batch; `commit`
/// returns once the batch has committed.
pub struct WriteTx {
    plain: Option<DatabaseTransaction>,
    turn: Option<Turn>,
}

/// A writer's turn on the batch.
struct Turn {
    group: Arc<Group>,
    batch: OwnedMutexGuard<Batch>,
}

/// The writers of one SQLite file.
struct Group {
    /// The pool of the batches' one connection, always the same one:
    /// SQLite drops a connection's page cache when another connection has
    /// written since its last transaction, so a batch on a different
    /// pool connection each time would read its pages again from the file.
    batches: DatabaseConnection,
    /// A second connection that writes, outside the batches ([`writer`]).
    outside: DatabaseConnection,
    /// A third, that copies the WAL into the database file
    /// ([`checkpoint_soon`]).
    checkpointer: DatabaseConnection,
    /// Whether a checkpoint is running.
    checkpointing: AtomicBool,
    /// [`RESTART_AT`] (tests start the WAL over sooner).
    restart_at: AtomicI64,
    batch: Arc<Mutex<Batch>>,
    /// Writers waiting for a turn.
    waiting: AtomicUsize,
    /// Batches committed.
    commits: AtomicU64,
    /// [`MAX_HOLD`] (tests hold longer).
    max_hold: StdMutex<Duration>,
}

type Outcome = Option<Result<(), String>>;

/// The batches' connection: a transaction of sqlx's that is never ended
/// (see the module), so that sqlx lends the connection to no one else and
/// sends no BEGIN or COMMIT of its own on it.
type Host = DatabaseTransaction;

/// The open transaction the writers take turns on.
#[derive(Default)]
struct Batch {
    /// Made with the first batch.
    host: Option<Host>,
    /// Whether a batch is open on the host.
    active: bool,
    /// A trip that begins or ends SQLite's transaction failed or was cut
    /// short (its writer vanished): one may be open with no batch. Rolled
    /// back before the next batch begins.
    unsure: bool,
    /// Which batch this is (the watchdog commits only its own).
    number: u64,
    /// Writes kept in it.
    ops: usize,
    /// A savepoint could not be rolled back: the batch fails whole.
    lost: bool,
    /// The savepoint of the writer whose turn it is, or of one that
    /// vanished during its turn (rolled back before anything else).
    open: Option<String>,
    opened: Option<Instant>,
    /// Told the outcome of the COMMIT.
    done: Option<watch::Sender<Outcome>>,
}

/// The groups by SQLite file: one writer per file however many pools.
static GROUPS: LazyLock<StdMutex<HashMap<String, Arc<Group>>>> = LazyLock::new(Default::default);

/// Whether a SQLite database opened with `options` is a file with a writer
/// of its own (and a pool that only reads). An in-memory database (sqlx
/// names it `file:sqlx-in-memory-…`) is the tests' with one connection:
/// nothing to share, and that connection writes.
pub(super) fn has_writer(options: &SqliteConnectOptions) -> bool {
    let file = options.get_filename().to_string_lossy();
    !(file.is_empty() || file.contains(":memory:") || file.contains("sqlx-in-memory"))
}

fn group_for(db: &DatabaseConnection) -> Option<Arc<Group>> {
    if db.get_database_backend() != DbBackend::Sqlite {
        return None;
    }
    let options = db.get_sqlite_connection_pool().connect_options();
    if !has_writer(&options) {
        return None;
    }
    let file = options.get_filename().to_string_lossy().into_owned();
    let mut groups = GROUPS.lock().unwrap_or_else(|e| e.into_inner());
    Some(
        groups
            .entry(file)
            .or_insert_with(|| {
                // Opened when first used, with the pool's options (a local
                // file: nothing to ping before use).
                let one = |autocheckpoint: &str, temp_store: &str, busy: Duration| {
                    SqlxSqliteConnector::from_sqlx_sqlite_pool(
                        SqlitePoolOptions::new()
                            .max_connections(1)
                            .test_before_acquire(false)
                            .connect_lazy_with(
                                options
                                    .as_ref()
                                    .clone()
                                    .pragma("query_only", "OFF")
                                    .pragma("wal_autocheckpoint", autocheckpoint.to_owned())
                                    .pragma("temp_store", temp_store.to_owned())
                                    .busy_timeout(busy),
                            ),
                    )
                };
                Arc::new(Group {
                    // The batches leave the WAL to the checkpointer, and
                    // copy it themselves only if it falls far behind. Their
                    // savepoints' journals (the pages a writer changed, kept
                    // to roll it back alone) and the batch's marker table
                    // stay in memory: with SQLite's default they spill to
                    // temporary files past 64 KiB, hundreds of writes per
                    // batch. A batch is capped in time, so its journals are
                    // too. The connection outside, which runs migrations of
                    // any size, keeps the default.
                    batches: one("16000", "MEMORY", BUSY_TIMEOUT),
                    outside: one("1000", "DEFAULT", BUSY_TIMEOUT),
                    // Its only wait is a restart's, for readers to leave
                    // the WAL, while the writers wait for it
                    // ([`restart`]): a short one, tried again later.
                    checkpointer: one("1000", "DEFAULT", RESTART_WAIT),
                    checkpointing: AtomicBool::new(false),
                    restart_at: AtomicI64::new(RESTART_AT),
                    batch: Arc::new(Mutex::new(Batch::default())),
                    waiting: AtomicUsize::new(0),
                    commits: AtomicU64::new(0),
                    max_hold: StdMutex::new(MAX_HOLD),
                })
            })
            .clone(),
    )
}

impl Group {
    fn max_hold(&self) -> Duration {
        *self.max_hold.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The connection that writes `db` outside the group commit: on a SQLite
/// file a connection of its own beside the batches' (the pool's
/// connections only read; migrations, and tests that set a row up by hand,
/// write here), elsewhere `db` itself. Application code writes through
/// [`begin_write`]. A transaction that has written on it holds SQLite's
/// write lock, so every other writer of the file waits (up to the busy
/// timeout): never await the server's writes meanwhile, nor write here
/// while holding a [`WriteTx`]. A transaction here that reads and then
/// writes must be begun with [`begin_outside`]: in SQLite's default
/// (deferred) one, the write fails at once if a batch wrote since the read.
pub fn writer(db: &DatabaseConnection) -> DatabaseConnection {
    group_for(db).map_or_else(|| db.clone(), |g| g.outside.clone())
}

/// A transaction on [`writer`]: on SQLite it takes the write lock as it
/// begins (`BEGIN IMMEDIATE`, waiting the busy timeout for it).
pub async fn begin_outside(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let writer = writer(db);
    match writer.get_database_backend() {
        DbBackend::Sqlite => begin_immediate(&writer).await,
        _ => writer.begin().await,
    }
}

/// How many batches the writers of `db`'s SQLite file have committed
/// (none elsewhere).
pub fn commits(db: &DatabaseConnection) -> u64 {
    group_for(db).map_or(0, |g| g.commits.load(Ordering::SeqCst))
}

/// Counts a writer as waiting until it has its turn (or gives up).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn begin_immediate(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Begins a transaction that will write (see the module).
pub async fn begin_write(db: &DatabaseConnection) -> Result<WriteTx, DbErr> {
    Ok(begin(db, None).await?.0)
}

/// Begins a transaction that will write, as [`begin_write`], and runs
/// `first` in it, returning its rows. On a SQLite file `first` goes in the
/// same trip to the connection's thread as the batch's `BEGIN` (or the
/// writer's `SAVEPOINT`): one trip a turn fewer. An error is `first`'s or
/// the beginning's; either way the caller has no transaction.
pub async fn begin_write_reading(
    db: &DatabaseConnection,
    first: Statement,
) -> Result<(WriteTx, Vec<QueryResult>), DbErr> {
    begin(db, Some(first)).await
}

/// `first` run after `opening` (SQL without parameters), in one trip.
fn after(opening: &str, first: Statement) -> Statement {
    Statement {
        sql: format!("{opening}; {}", first.sql),
        ..first
    }
}

/// Whether the batch's marker is there: SQLite's transaction is open and
/// [`BEGIN_BATCH`] ran whole in it.
async fn marked(host: &Host) -> bool {
    let count = host
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COUNT(*) AS n FROM temp.tongka_batch",
        ))
        .await;
    matches!(count, Ok(Some(row)) if row.try_get::<i64>("", "n").is_ok_and(|n| n == 1))
}

async fn begin(
    db: &DatabaseConnection,
    first: Option<Statement>,
) -> Result<(WriteTx, Vec<QueryResult>), DbErr> {
    let Some(group) = group_for(db) else {
        let tx = match db.get_database_backend() {
            DbBackend::Sqlite => begin_immediate(db).await?,
            _ => db.begin().await?,
        };
        let rows = match first {
            Some(first) => tx.query_all_raw(first).await?,
            None => Vec::new(),
        };
        let tx = WriteTx {
            plain: Some(tx),
            turn: None,
        };
        return Ok((tx, rows));
    };
    group.waiting.fetch_add(1, Ordering::SeqCst);
    let waiting = Waiting(&group.waiting);
    let batch = tokio::time::timeout(BUSY_TIMEOUT, group.batch.clone().lock_owned())
        .await
        .map_err(|_| DbErr::Custom("the database stayed busy".into()))?;
    drop(waiting);
    let mut turn = Turn {
        group: group.clone(),
        batch,
    };
    turn.clean().await;
    let first_sent = first.is_some();
    let mut read = Vec::new();
    if !turn.batch.active {
        if turn.batch.host.is_none() {
            turn.batch.host = Some(group.batches.begin().await?);
            // sqlx's BEGIN (deferred, nothing read yet: no lock) ended by
            // hand: from here on sqlx counts a transaction open for good.
            turn.batch.unsure = true;
        }
        if turn.batch.unsure {
            turn.batch.unsure = !roll_back(turn.host()).await;
        }
        // `BEGIN IMMEDIATE`: the write lock up front, waiting (busy
        // timeout) for another process that holds it. The batch opens only
        // once marked, with its first savepoint made (and the writer's
        // first statement run) in the same trip to the connection's
        // thread. A trip cut short (its writer vanished) leaves the batch
        // closed and `unsure`; so does one that failed, unless the marker
        // shows the batch opened and the writer's statement failed in it.
        turn.batch.unsure = true;
        let made = match first {
            Some(first) => turn.host().query_all_raw(after(BEGIN_BATCH, first)).await,
            None => turn
                .host()
                .execute_unprepared(BEGIN_BATCH)
                .await
                .map(|_| Vec::new()),
        };
        let failed = match made {
            Ok(rows) => {
                read = rows;
                None
            }
            Err(e) if first_sent && marked(turn.host()).await => Some(e),
            Err(e) => {
                turn.batch.unsure = !roll_back(turn.host()).await;
                return Err(e);
            }
        };
        let b = &mut *turn.batch;
        b.unsure = false;
        b.active = true;
        b.number += 1;
        b.ops = 0;
        b.lost = false;
        b.opened = Some(Instant::now());
        b.done = Some(watch::channel(None).0);
        b.open = Some("tongka_w0".into());
        watchdog(group, b.number);
        if let Some(e) = failed {
            // The turn's end rolls the writer's savepoint back.
            return Err(e);
        }
    } else {
        // Unique in the batch's stack (the kept writers' are
        // w0…w(ops-1)).
        let name = format!("tongka_w{}", turn.batch.ops);
        // Named before it is made: if this writer vanishes from here on,
        // or its first statement fails, the turn's end rolls it back (an
        // error if it was never made, ignored).
        turn.batch.open = Some(name.clone());
        let savepoint = format!("SAVEPOINT {name}");
        read = match first {
            Some(first) => turn.host().query_all_raw(after(&savepoint, first)).await?,
            None => {
                turn.host().execute_unprepared(&savepoint).await?;
                Vec::new()
            }
        };
    }
    let tx = WriteTx {
        plain: None,
        turn: Some(turn),
    };
    Ok((tx, read))
}

/// Opens a batch: the write lock, the marker and the first writer's
/// savepoint, in one trip. (The marker's column refuses NULL for
/// [`END_BATCH`]'s check.)
const BEGIN_BATCH: &str = "BEGIN IMMEDIATE; \
     CREATE TEMP TABLE IF NOT EXISTS tongka_batch (n INTEGER NOT NULL); \
     INSERT INTO temp.tongka_batch (n) VALUES (1); SAVEPOINT tongka_w0";

/// Commits a batch in one trip, only if its marker is still there: if
/// SQLite rolled the batch back whole, the first statement fails (a NULL
/// where the column refuses one) and sqlx runs none after it. (A later
/// writer's SAVEPOINT would then have begun a new transaction, which this
/// must not commit.)
const END_BATCH: &str = "INSERT INTO temp.tongka_batch (n) \
     SELECT NULL WHERE NOT EXISTS (SELECT 1 FROM temp.tongka_batch); \
     DELETE FROM temp.tongka_batch; COMMIT";

/// The least time between two checkpoints.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// Copies the pages committed to the WAL into the database file, on the
/// checkpointer's connection, one run at a time. Left to SQLite, the
/// connection that commits does it, inside its COMMIT, every 1,000 pages
/// (a few batches at a busy time): every writer waiting for that batch
/// waited for the copy too, and so did the next batch. PASSIVE: it never
/// waits for the batches or the readers, nor they for it; what it cannot
/// copy yet waits for the next run. SQLite starts the WAL over at a
/// batch's BEGIN once every page in it has been copied; under steady load
/// a run seldom catches up whole, so the WAL grows to the batches' own
/// threshold (16,000 pages, about 64 MB: measured in the bench), where a
/// batch's COMMIT copies the little left and the WAL starts over.
fn checkpoint_soon(group: &Arc<Group>) {
    if group.checkpointing.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        group.checkpointing.store(false, Ordering::SeqCst);
        return;
    };
    let group = group.clone();
    runtime.spawn(async move {
        let copied = group
            .checkpointer
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "PRAGMA wal_checkpoint(PASSIVE)",
            ))
            .await;
        match copied {
            // Its second column: the frames in the WAL.
            Ok(Some(row)) => {
                let frames = row.try_get_by_index::<i64>(1).unwrap_or(0);
                if frames >= group.restart_at.load(Ordering::SeqCst) {
                    restart(&group).await;
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "copying the WAL into the database file"),
        }
        // At most one run per CHECKPOINT_EVERY: each ends with a sync of
        // the database file.
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        group.checkpointing.store(false, Ordering::SeqCst);
    });
}

/// Frames in the WAL (about 32 MB of 4 KiB pages) past which the
/// checkpointer starts it over ([`restart`]), below the batches' own
/// threshold.
const RESTART_AT: i64 = 8_000;

/// How long a restart waits for readers to leave the WAL.
const RESTART_WAIT: Duration = Duration::from_millis(20);

/// Starts the WAL over, between two batches. SQLite starts it over only
/// when a writer begins with every frame copied into the file and no
/// reader still in the WAL; under steady load the checkpointer's PASSIVE
/// runs never end with nothing left, so the WAL grew to the batches'
/// threshold, where every COMMIT copied what was left, one after another
/// (15-25 ms each, measured), until one happened to start it over. Here,
/// holding the turn (so no batch writes meanwhile), a RESTART copies the
/// little the last run left and waits (at most [`RESTART_WAIT`]) for
/// readers to leave; if one stays, it is tried again after the next run.
async fn restart(group: &Arc<Group>) {
    let batch = group.batch.clone().lock_owned().await;
    // A batch kept open across turns is committed by its own writers.
    if batch.active || batch.unsure {
        return;
    }
    let started = group
        .checkpointer
        .execute_unprepared("PRAGMA wal_checkpoint(RESTART)")
        .await;
    if let Err(e) = started {
        tracing::warn!(error = %e, "starting the WAL over");
    }
    drop(batch);
}

/// Rolls back SQLite's transaction on the host, if one is open: whether
/// none is open now.
async fn roll_back(host: &Host) -> bool {
    match host.execute_unprepared("ROLLBACK").await {
        Ok(_) => true,
        Err(e) => e.to_string().contains("no transaction is active"),
    }
}

/// Rolls back a transaction left `unsure` by a writer that vanished in a
/// trip that begins or ends it, if no one has since: an open transaction
/// holds SQLite's write lock.
fn roll_back_later(group: Arc<Group>) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut batch = group.batch.clone().lock_owned().await;
        if batch.unsure
            && !batch.active
            && let Some(host) = batch.host.as_ref()
        {
            batch.unsure = !roll_back(host).await;
        }
    });
}

/// Commits batch `number` if it is still open with no one waiting to go
/// on with it (who would end it): a batch everyone left open.
fn watchdog(group: Arc<Group>, number: u64) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(group.max_hold() * 4).await;
            let batch = group.batch.clone().lock_owned().await;
            if batch.number != number || !batch.active {
                return;
            }
            if group.waiting.load(Ordering::SeqCst) == 0 {
                let mut turn = Turn {
                    group: group.clone(),
                    batch,
                };
                let _ = turn.end().await;
                return;
            }
        }
    });
}

/// Ends batch `number` in a task of its own (so no one's hanging up stops
/// its COMMIT half-way), if it is still open when the task gets the turn.
fn end_later(group: Arc<Group>, number: u64) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return; // shutting down: the watchdog's runtime is gone too
    };
    runtime.spawn(async move {
        let batch = group.batch.clone().lock_owned().await;
        if batch.number == number && batch.active {
            let mut turn = Turn { group, batch };
            let _ = turn.end().await;
        }
    });
}

/// Waits for a batch's COMMIT and answers its outcome.
async fn outcome(mut done: watch::Receiver<Outcome>) -> Result<(), DbErr> {
    loop {
        if let Some(outcome) = done.borrow_and_update().clone() {
            return outcome.map_err(DbErr::Custom);
        }
        if done.changed().await.is_err() {
            return Err(DbErr::Custom("the batch ended without a commit".into()));
        }
    }
}

impl Turn {
    fn host(&self) -> &Host {
        self.batch
            .host
            .as_ref()
            .expect("a turn is taken once the host is made")
    }

    /// Whether the batch should commit at the end of this turn.
    fn last(&self) -> bool {
        self.group.waiting.load(Ordering::SeqCst) == 0
            || self.batch.ops >= MAX_OPS
            || self
                .batch
                .opened
                .is_none_or(|t| t.elapsed() >= self.group.max_hold())
    }

    fn subscribe(&self) -> Option<watch::Receiver<Outcome>> {
        self.batch.done.as_ref().map(watch::Sender::subscribe)
    }

    /// Rolls back the savepoint a vanished (or refused) writer left open.
    /// A savepoint that cannot be rolled back fails the whole batch: its
    /// writes must not be committed with the others'.
    async fn clean(&mut self) {
        if let (Some(name), Some(outer), true) = (
            self.batch.open.clone(),
            self.batch.host.as_ref(),
            self.batch.active,
        ) {
            match outer
                .execute_unprepared(&format!("ROLLBACK TO {name}"))
                .await
            {
                Ok(_) => {
                    if outer
                        .execute_unprepared(&format!("RELEASE {name}"))
                        .await
                        .is_err()
                    {
                        self.batch.lost = true;
                    }
                }
                // It was never made (the writer vanished first): nothing
                // to undo.
                Err(e) if e.to_string().contains("no such savepoint") => {}
                Err(_) => self.batch.lost = true,
            }
        }
        self.batch.open = None;
    }

    /// Commits the batch (if its marker is still there: a transaction
    /// SQLite rolled back whole is failed, not committed) and tells every
    /// writer in it.
    async fn end(&mut self) -> Result<(), DbErr> {
        self.clean().await;
        let result = if self.batch.active {
            self.batch.active = false;
            self.batch.unsure = true;
            let ended = if self.batch.lost {
                Err(DbErr::Custom(
                    "a writer's savepoint could not be undone".into(),
                ))
            } else {
                self.group.commits.fetch_add(1, Ordering::SeqCst);
                self.host().execute_unprepared(END_BATCH).await.map(|_| ())
            };
            match ended {
                Ok(()) => {
                    self.batch.unsure = false;
                    checkpoint_soon(&self.group);
                    Ok(())
                }
                Err(e) => {
                    self.batch.unsure = !roll_back(self.host()).await;
                    Err(if e.to_string().contains("tongka_batch") {
                        DbErr::Custom("the batch's transaction was lost before its commit".into())
                    } else {
                        e
                    })
                }
            }
        } else {
            Ok(())
        };
        self.batch.opened = None;
        if let Some(done) = self.batch.done.take() {
            done.send_replace(Some(result.as_ref().map(|_| ()).map_err(|e| e.to_string())));
        }
        result
    }
}

impl Drop for Turn {
    /// A turn that ends with no one waiting has the batch committed (a
    /// writer's commit ends it itself; this is a refusal, or a writer
    /// that vanished). A turn whose writer vanished in the trip that
    /// begins or ends a batch has SQLite's transaction rolled back.
    fn drop(&mut self) {
        if self.batch.active && self.last() {
            end_later(self.group.clone(), self.batch.number);
        } else if self.batch.unsure && !self.batch.active {
            roll_back_later(self.group.clone());
        }
    }
}

impl WriteTx {
    fn inner(&self) -> &DatabaseTransaction {
        match (&self.plain, &self.turn) {
            (Some(tx), _) => tx,
            (None, Some(turn)) => turn.host(),
            (None, None) => unreachable!("a WriteTx holds its transaction until it ends"),
        }
    }

    /// Commits: on PostgreSQL (or a SQLite database in memory) the
    /// transaction; on a SQLite file, keeps the savepoint's writes in the
    /// batch and returns the outcome of the batch's COMMIT.
    pub async fn commit(mut self) -> Result<(), DbErr> {
        if let Some(tx) = self.plain.take() {
            return tx.commit().await;
        }
        let mut turn = self.turn.take().expect("a WriteTx holds its turn");
        // No await from here to the hand-over: a writer that vanishes now
        // is in the batch, as if it had been answered.
        turn.batch.open = None;
        turn.batch.ops += 1;
        let Some(done) = turn.subscribe() else {
            return Err(DbErr::Custom("no batch open".into()));
        };
        if turn.last() {
            tokio::spawn(async move {
                let _ = turn.end().await;
            });
        } else {
            // The next writer goes on in this batch.
            drop(turn);
        }
        outcome(done).await
    }

    /// Rolls back (on a SQLite file, its savepoint: the batch goes on).
    /// On a SQLite file it returns once the batch it was in has committed,
    /// so what this writer saw of the others' writes (a key another request
    /// recorded, a sign-in already made) is durable, and readable outside,
    /// by the time the caller answers with it.
    pub async fn rollback(mut self) -> Result<(), DbErr> {
        if let Some(tx) = self.plain.take() {
            return tx.rollback().await;
        }
        let mut turn = self.turn.take().expect("a WriteTx holds its turn");
        turn.clean().await;
        let others = turn.batch.ops > 0;
        let done = turn.subscribe();
        drop(turn);
        match (others, done) {
            // This write is gone either way; but if the others' batch
            // failed, what this writer saw of it was never committed, and
            // the caller must not answer with it.
            (true, Some(done)) => outcome(done).await,
            _ => Ok(()),
        }
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        self.inner()
    }
}

impl std::fmt::Debug for WriteTx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTx")
            .field("batched", &self.turn.is_some())
            .finish()
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTx {
    fn get_database_backend(&self) -> DbBackend {
        self.inner().get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.inner().execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.inner().execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.inner().query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.inner().query_all_raw(stmt).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Writers waiting for a turn on `db`.
    fn waiting(db: &DatabaseConnection) -> usize {
        group_for(db).map_or(0, |g| g.waiting.load(Ordering::SeqCst))
    }

    async fn until_waiting(db: &DatabaseConnection, n: usize) {
        while waiting(db) < n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    fn url(name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("tongka-group-{}-{name}", std::process::id()));
        format!("sqlite://{}?mode=rwc", dir.join("t.db").display())
    }

    async fn file_db(name: &str) -> DatabaseConnection {
        file_db_of(name, 4).await
    }

    /// The one table the tests write: a key and a value.
    async fn table(db: &DatabaseConnection) {
        writer(db)
            .execute_unprepared("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
            .await
            .expect("table");
    }

    async fn file_db_of(name: &str, connections: u32) -> DatabaseConnection {
        let dir = std::env::temp_dir().join(format!("tongka-group-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = crate::db::connect(&url(name), connections)
            .await
            .expect("connect");
        table(&db).await;
        // Long enough that the sleeps below never close a batch early.
        if let Some(g) = group_for(&db) {
            *g.max_hold.lock().expect("hold") = Duration::from_secs(5);
        }
        db
    }

    async fn put(tx: &WriteTx, k: &str, v: i64) -> Result<(), DbErr> {
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (k, v) VALUES (?, ?)",
            [k.into(), v.into()],
        ))
        .await
        .map(|_| ())
    }

    /// One writer that writes `k` and commits.
    async fn write_one(db: &DatabaseConnection, k: &str, v: i64) {
        let tx = begin_write(db).await.expect("a turn");
        put(&tx, k, v).await.expect("put");
        tx.commit().await.expect("committed");
    }

    /// The connection outside the batches writes row `o` within 5 s: no
    /// batch left SQLite's write lock held.
    async fn write_outside(db: &DatabaseConnection, v: i64) {
        tokio::time::timeout(
            Duration::from_secs(5),
            writer(db).execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "INSERT INTO t (k, v) VALUES ('o', ?)",
                [v.into()],
            )),
        )
        .await
        .expect("the write lock was left held")
        .expect("written outside");
    }

    async fn seen(db: &DatabaseConnection) -> Vec<String> {
        db.query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT k FROM t ORDER BY k",
        ))
        .await
        .expect("read")
        .iter()
        .map(|r| r.try_get::<String>("", "k").expect("k"))
        .collect()
    }

    /// A writer whose turn ended while another waited is answered only
    /// when the batch commits; the one refused leaves nothing, the others
    /// are kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_share_a_commit_and_a_refusal_rolls_back_only_itself() {
        let db = file_db("share").await;
        let a = begin_write(&db).await.expect("a");
        put(&a, "a", 1).await.expect("put a");
        // b and c wait for their turns while a holds it.
        let (db_b, db_c) = (db.clone(), db.clone());
        let b = tokio::spawn(async move {
            let b = begin_write(&db_b).await.expect("b");
            put(&b, "b", 2).await.expect("put b");
            // Refused: the same key twice inside b's own write.
            assert!(put(&b, "b", 3).await.is_err());
            drop(b);
        });
        let c = tokio::spawn(async move {
            let c = begin_write(&db_c).await.expect("c");
            put(&c, "c", 3).await.expect("put c");
            // c holds its turn a while: a must not be answered meanwhile.
            tokio::time::sleep(Duration::from_millis(300)).await;
            c.commit().await.expect("c commits");
        });
        until_waiting(&db, 2).await;
        let a_done = tokio::spawn(async move { a.commit().await });
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(
            !a_done.is_finished(),
            "a was answered before the batch committed"
        );
        assert!(
            seen(&db).await.is_empty(),
            "the batch is visible before it commits"
        );
        b.await.expect("b");
        c.await.expect("c");
        a_done.await.expect("a").expect("a commits");
        assert_eq!(seen(&db).await, ["a", "c"]);
    }

    /// A write rolled back with no one else waiting still lets the batch
    /// commit for those in it, and the next writer gets the lock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refusal_at_the_end_of_a_batch_commits_it_for_the_others() {
        let db = file_db("end").await;
        let a = begin_write(&db).await.expect("a");
        put(&a, "a", 1).await.expect("put a");
        let db_b = db.clone();
        let b = tokio::spawn(async move {
            let b = begin_write(&db_b).await.expect("b");
            put(&b, "b", 2).await.expect("put b");
            b.rollback().await.expect("b rolls back");
        });
        until_waiting(&db, 1).await;
        tokio::time::timeout(Duration::from_secs(5), a.commit())
            .await
            .expect("a answered")
            .expect("a commits");
        b.await.expect("b");
        assert_eq!(seen(&db).await, ["a"]);
        write_one(&db, "d", 4).await;
        assert_eq!(seen(&db).await, ["a", "d"]);
    }

    /// A writer refused because of another's write in the same batch (a
    /// key taken) may answer with what it saw as soon as its rollback
    /// returns: by then that write is committed and readable outside.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rollback_returns_once_what_it_saw_is_committed() {
        let db = file_db("seen").await;
        let a = begin_write(&db).await.expect("a");
        put(&a, "k", 1).await.expect("put a");
        let (db_b, db_c) = (db.clone(), db.clone());
        let b = tokio::spawn(async move {
            let b = begin_write(&db_b).await.expect("b");
            // The key is a's, in the batch.
            assert!(put(&b, "k", 2).await.is_err());
            b.rollback().await.expect("b rolls back");
            seen(&db_b).await
        });
        until_waiting(&db, 1).await;
        let c = tokio::spawn(async move {
            let c = begin_write(&db_c).await.expect("c");
            put(&c, "l", 3).await.expect("put c");
            // The batch stays open while c holds its turn.
            tokio::time::sleep(Duration::from_millis(200)).await;
            c.commit().await.expect("c commits");
        });
        until_waiting(&db, 2).await;
        a.commit().await.expect("a commits");
        assert_eq!(
            b.await.expect("b"),
            ["k", "l"],
            "b answered before a's key was committed"
        );
        c.await.expect("c");
    }

    /// A writer that vanishes in its turn (its request dropped) leaves
    /// nothing, and the batch still commits for the one before it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_writer_that_vanishes_in_its_turn_leaves_nothing_and_holds_up_no_one() {
        let db = file_db("vanish").await;
        let a = begin_write(&db).await.expect("a");
        put(&a, "a", 1).await.expect("put a");
        let db_b = db.clone();
        let (wrote, written) = tokio::sync::oneshot::channel();
        let b = tokio::spawn(async move {
            let b = begin_write(&db_b).await.expect("b");
            put(&b, "b", 2).await.expect("put b");
            let _ = wrote.send(());
            std::future::pending::<()>().await;
            drop(b);
        });
        until_waiting(&db, 1).await;
        let a_done = tokio::spawn(async move { a.commit().await });
        written.await.expect("b wrote");
        b.abort();
        tokio::time::timeout(Duration::from_secs(5), a_done)
            .await
            .expect("a answered")
            .expect("a")
            .expect("a commits");
        assert_eq!(seen(&db).await, ["a"]);
        write_one(&db, "c", 3).await;
        assert_eq!(seen(&db).await, ["a", "c"]);
    }

    /// A batch SQLite rolled back whole (as after an I/O error) is a
    /// failure for every writer in it, never reported as committed.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_lost_before_its_commit_fails_every_writer_in_it() {
        let db = file_db_of("lost", 1).await;
        let a = begin_write(&db).await.expect("a");
        put(&a, "a", 1).await.expect("put a");
        let db_b = db.clone();
        let b = tokio::spawn(async move {
            let b = begin_write(&db_b).await.expect("b");
            b.execute_unprepared("ROLLBACK").await.expect("rolled back");
            b.commit().await
        });
        until_waiting(&db, 1).await;
        assert!(
            a.commit().await.is_err(),
            "a was told its lost write committed"
        );
        assert!(b.await.expect("b").is_err(), "b was told it committed");
        assert!(seen(&db).await.is_empty());
        // The next write, on the group's connection: it must be back at no
        // open transaction, or the write's commit is only a RELEASE inside
        // one left open.
        write_one(&db, "c", 3).await;
        let other = crate::db::connect(&url("lost"), 1)
            .await
            .expect("another pool");
        assert_eq!(seen(&other).await, ["c"], "c's write is not committed");
    }

    /// A count of `t`'s rows, or a statement that fails as it runs.
    fn first(fails: bool) -> Statement {
        let sql = if fails {
            "SELECT json('not json') AS n"
        } else {
            "SELECT COUNT(*) AS n FROM t"
        };
        Statement::from_string(DbBackend::Sqlite, sql)
    }

    fn n(rows: &[QueryResult]) -> i64 {
        rows[0].try_get::<i64>("", "n").expect("n")
    }

    /// A writer's first statement goes with its batch's BEGIN (or its own
    /// SAVEPOINT in a batch already open) and sees the batch's writes; one
    /// that fails leaves no lock held and nothing of the writer, and the
    /// others in its batch commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_first_read_goes_with_the_begin_and_a_failed_one_leaves_nothing() {
        let db = file_db("reading").await;
        write_one(&db, "a", 1).await;
        // A batch begun with the read, then a write in it.
        let (tx, rows) = begin_write_reading(&db, first(false)).await.expect("begun");
        assert_eq!(n(&rows), 1);
        put(&tx, "b", 2).await.expect("put b");
        tx.commit().await.expect("committed");
        // A batch whose first statement fails: the batch's lock is not
        // left held, for the connection outside or the next writer.
        let failed = begin_write_reading(&db, first(true)).await;
        assert!(failed.is_err(), "a failing first statement is an error");
        write_outside(&db, 0).await;
        // Writers joining a batch already open: one whose first statement
        // fails leaves the batch to the others; one that reads sees the
        // batch's writes not yet committed.
        let c = begin_write(&db).await.expect("c");
        put(&c, "c", 3).await.expect("put c");
        let (db_d, db_e) = (db.clone(), db.clone());
        let d = tokio::spawn(async move {
            let failed = begin_write_reading(&db_d, first(true)).await;
            assert!(failed.is_err(), "a failing first statement is an error");
        });
        let e = tokio::spawn(async move {
            let (e, rows) = begin_write_reading(&db_e, first(false)).await.expect("e");
            put(&e, "e", 5).await.expect("put e");
            e.commit().await.expect("e commits");
            n(&rows)
        });
        until_waiting(&db, 2).await;
        c.commit().await.expect("c commits");
        d.await.expect("d");
        assert_eq!(e.await.expect("e"), 4, "e saw a, b, o and c");
        assert_eq!(seen(&db).await, ["a", "b", "c", "e", "o"]);
        write_one(&db, "f", 6).await;
        assert_eq!(seen(&db).await, ["a", "b", "c", "e", "f", "o"]);
    }

    /// A writer that vanishes in the trip that begins its batch can leave
    /// SQLite's transaction begun with no batch, holding the write lock: it
    /// is rolled back then, not when the next writer comes, and the next
    /// writer's batch begins as usual.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_cut_short_as_it_begins_leaves_no_lock_behind() {
        let db = file_db("cut").await;
        write_one(&db, "a", 1).await;
        let group = group_for(&db).expect("a file has a writer");
        {
            let batch = group.batch.clone().lock_owned().await;
            let mut turn = Turn {
                group: group.clone(),
                batch,
            };
            // What the trip leaves when its writer vanishes after the
            // BEGIN IMMEDIATE: the lock taken, no batch open.
            turn.host()
                .execute_unprepared("BEGIN IMMEDIATE")
                .await
                .expect("begun");
            turn.batch.unsure = true;
        }
        // The connection outside the batches writes (it would wait for
        // the lock for the whole busy timeout).
        write_outside(&db, 2).await;
        write_one(&db, "c", 3).await;
        assert_eq!(seen(&db).await, ["a", "c", "o"]);
    }

    /// The batches' pages reach the database file without a batch copying
    /// them in its COMMIT: the checkpointer does, off the writers' turns.
    /// (Fewer pages than SQLite's own threshold, 1,000, and far fewer
    /// than the batches', so only the checkpointer can have copied them.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_is_copied_into_the_file_off_the_batches_turns() {
        let db = file_db("checkpoint").await;
        let file = file_of("checkpoint");
        let size = || std::fs::metadata(&file).expect("the file").len();
        let before = size();
        for i in 0..100 {
            write_page(&db, i).await;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while size() < before + 100 * 4096 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            size() >= before + 100 * 4096,
            "the database file grew from {before} to {} bytes",
            size()
        );
        assert_eq!(seen(&db).await.len(), 100);
    }

    /// The database file of test `name`.
    fn file_of(name: &str) -> std::path::PathBuf {
        std::path::PathBuf::from(
            url(name)
                .trim_start_matches("sqlite://")
                .trim_end_matches("?mode=rwc"),
        )
    }

    /// A writer that writes row `i`, of about 4 KB (a page or more), and
    /// commits.
    async fn write_page(db: &DatabaseConnection, i: i64) {
        let tx = begin_write(db).await.expect("tx");
        tx.execute_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "INSERT INTO t (k, v) VALUES (? || hex(randomblob(2000)), ?)",
            [format!("{i:05}").into(), i.into()],
        ))
        .await
        .expect("put");
        tx.commit().await.expect("commit");
    }

    /// Under steady writes the checkpointer starts the WAL over once it
    /// passes its threshold (here 20 frames), between batches: the WAL
    /// file stops growing. (Without it the frames only pile up: the
    /// batches' own threshold is far above what this writes.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpointer_starts_the_wal_over_between_batches() {
        let db = file_db("restart").await;
        let group = group_for(&db).expect("a file has a writer");
        group.restart_at.store(20, Ordering::SeqCst);
        let mut wal = file_of("restart").into_os_string();
        wal.push("-wal");
        let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
        // Two writers back to back for 1.5 s: a batch always about to
        // begin, so the checkpointer's runs never end with nothing left
        // (SQLite would start the WAL over itself then).
        let until = Instant::now() + Duration::from_millis(1500);
        let writers = (0..2).map(|w| {
            let db = db.clone();
            async move {
                let mut i = w;
                while Instant::now() < until {
                    write_page(&db, i).await;
                    i += 2;
                }
            }
        });
        futures_util::future::join_all(writers).await;
        let rows = seen(&db).await.len() as u64;
        // Each row is over four pages of frames (measured: about 18 KB,
        // and the WAL that big without the restarts); started over every
        // run, the WAL holds about the last 100 ms of them.
        assert!(
            wal_size() < rows * 6 * 1024,
            "the WAL grew to {} bytes for {rows} rows",
            wal_size()
        );
    }

    /// Many writers at once: fewer commits than writes, every write kept.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writers_at_once_are_booked_in_fewer_commits() {
        let db = file_db("many").await;
        let before = commits(&db);
        let writers = (0..64).map(|i| {
            let db = db.clone();
            async move {
                let tx = begin_write(&db).await.expect("tx");
                put(&tx, &format!("{i:02}"), i).await.expect("put");
                tx.commit().await.expect("commit");
            }
        });
        futures_util::future::join_all(writers).await;
        assert_eq!(seen(&db).await.len(), 64);
        let used = commits(&db) - before;
        assert!(used < 64, "64 writes at once took {used} commits");
    }

    async fn pragma(db: &impl ConnectionTrait, name: &str) -> String {
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA {name}"),
            ))
            .await
            .expect("pragma")
            .expect("a row");
        row.try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
            .expect("its value")
    }

    /// The pool only reads (a write that bypassed the writer fails at
    /// once); it, the batches' connection and the one outside them all
    /// commit to the disk before answering (`synchronous = FULL`, 2) in WAL
    /// mode; the batches keep their savepoints' journals in memory
    /// (`temp_store = MEMORY`, 2).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_pool_only_reads_and_both_sides_keep_wal_and_full_sync() {
        let db = file_db("pragmas").await;
        let writer = writer(&db);
        for side in [&db, &writer] {
            assert_eq!(pragma(side, "journal_mode").await, "wal");
            assert_eq!(pragma(side, "synchronous").await, "2");
        }
        assert_eq!(pragma(&db, "query_only").await, "1");
        assert_eq!(pragma(&writer, "query_only").await, "0");
        let batch = begin_write(&db).await.expect("a batch");
        assert_eq!(pragma(&batch, "journal_mode").await, "wal");
        assert_eq!(pragma(&batch, "synchronous").await, "2");
        assert_eq!(pragma(&batch, "query_only").await, "0");
        assert_eq!(
            pragma(&batch, "temp_store").await,
            "2",
            "the batches' journals in memory"
        );
        batch.rollback().await.expect("rolled back");
        let bypass = db
            .execute_unprepared("INSERT INTO t (k, v) VALUES ('x', 1)")
            .await
            .expect_err("a write on the pool");
        assert!(bypass.to_string().contains("readonly"), "{bypass}");
        let tx = begin_write(&db).await.expect("tx");
        put(&tx, "y", 2).await.expect("put");
        tx.commit().await.expect("commit");
        assert_eq!(seen(&db).await, ["y"]);
    }

    /// While a batch holds the write lock, the pool's readers go on and
    /// see the last commit, not the batch. (WAL itself is read back in the
    /// test above: a rollback journal would let these reads pass too.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_go_on_while_a_batch_holds_the_lock() {
        let db = file_db("reads").await;
        write_one(&db, "a", 1).await;
        let b = begin_write(&db).await.expect("b");
        put(&b, "b", 2).await.expect("put b");
        // Well below the 30 s a reader stuck behind the writer would wait.
        let readers = (0..4).map(|_| seen(&db));
        let read = tokio::time::timeout(
            Duration::from_secs(10),
            futures_util::future::join_all(readers),
        )
        .await
        .expect("readers waited for the writer");
        assert!(read.iter().all(|r| r == &["a"]), "{read:?}");
        b.commit().await.expect("b commits");
        assert_eq!(seen(&db).await, ["a", "b"]);
    }

    /// Writers that keep coming do not keep a batch open: it commits once
    /// it has held the lock its cap, so most are answered long before the
    /// last has had its turn.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_kept_busy_commits_at_its_cap() {
        let db = file_db("cap").await;
        *group_for(&db)
            .expect("a file has a writer")
            .max_hold
            .lock()
            .expect("hold") = Duration::from_millis(100);
        let before = commits(&db);
        // 50 writers at once (fewer than `MAX_OPS`), each holding its turn
        // 25 ms: someone waits until the last has its turn, about 1.25 s
        // on, so only the cap ends a batch before then.
        let started = Instant::now();
        let writers = (0..50).map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                let tx = begin_write(&db).await.expect("tx");
                put(&tx, &format!("{i:02}"), i).await.expect("put");
                tokio::time::sleep(Duration::from_millis(25)).await;
                tx.commit().await.expect("commit");
                started.elapsed()
            })
        });
        let answered: Vec<Duration> = futures_util::future::join_all(writers)
            .await
            .into_iter()
            .map(|a| a.expect("writer"))
            .collect();
        let last = answered.iter().max().copied().expect("answers");
        let early = answered.iter().filter(|a| **a * 2 < last).count();
        assert!(
            early >= 10,
            "{early} of 50 writers were answered in the first half ({last:?} in all)"
        );
        assert!(commits(&db) - before >= 5, "too few commits for the stream");
        assert_eq!(seen(&db).await.len(), 50);
    }

    /// A database in memory named by a URL (no file, so no writer of its
    /// own) is written on its pool: the pool must not be read-only there.
    /// (This URL is one database for the whole process: no other test may
    /// use it.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_shared_memory_database_writes_on_its_pool() {
        let db = crate::db::connect("sqlite:file::memory:?cache=shared", 1)
            .await
            .expect("connect");
        table(&db).await;
        let tx = begin_write(&db).await.expect("tx");
        put(&tx, "m", 1).await.expect("put");
        tx.commit().await.expect("commit");
        assert_eq!(seen(&db).await, ["m"]);
    }
}
