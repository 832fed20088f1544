//! Paying a store, many payments per transaction (group commit), on both
//! databases.
//!
//! Payments arriving together are queued and a few workers each take what
//! is waiting (up to [`MAX_BATCH`]) and book it in one transaction: each
//! payment planned by the shared price plan ([`shared::plan`]) as the
//! ordinary path plans it, against balances read under the batch's lock and
//! the payments before it in the batch, and its lines checked by the
//! ledger's bulk posting ([`crate::ledger::Bulk`], the checks of
//! [`crate::ledger::post`]); then a few set-based statements write the
//! payments, the idempotency keys with their answers and (the ledger's
//! part) the entries, their lines and the balances under the same guard as
//! `post`. A caller answers only after that commit, so every receipt is as
//! durable as one posted alone; with one payment waiting the batch is just
//! that payment.
//!
//! - On PostgreSQL ([`book`]): the members' accounts locked in id order in
//!   the first statement (`SELECT … FOR UPDATE`, with the sessions, stores,
//!   fresh payment ids and the keys already recorded), then one writing
//!   statement (`unnest` arrays, data-modifying CTEs).
//! - On SQLite ([`book_sqlite`]): a turn of the file's group commit
//!   (`crate::db::begin_write`), whose write transaction holds the
//!   database's one write lock: one read, then a statement per table, each
//!   reading its rows from one JSON array (`json_each`). About eight
//!   statements for the whole batch, where the ordinary path takes about
//!   seventeen per payment.
//!
//! The batch never refuses anyone. A payment it cannot simply book (an
//! unknown or closed store, too little money, a PIN to check, an account not
//! yet opened, a brand whose payments earn points or count toward levels, a
//! key seen twice in the batch or already recorded (a retry, which READ
//! finds)) is handed back and runs the ordinary path in
//! `stored_value::payment`, which gives and records the refusal, or
//! replays the recorded answer; if the batch fails as a whole (on
//! PostgreSQL a key not yet committed when READ began, its original still
//! on the ordinary path or in another worker's batch; a ledger guard that
//! fired; a database error) every payment in it is handed back. The two
//! paths write the same rows.

use crate::clock::rfc3339;
use crate::ledger::{
    Account, Bulk, Entry, Kind, PaymentAccounts, StoredFrom, business_date, payment_lines,
};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Statement};
use shared::dto::EntryKind;
use shared::dto::{MoneySettings, PaymentReceipt};
use shared::money::{Bp, Fen};
use shared::plan::{Bill, plan};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres, Row};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedRwLockWriteGuard, RwLock, mpsc, oneshot};

/// The most payments posted in one transaction.
pub const MAX_BATCH: usize = 64;
/// How long a worker keeps its connection without work.
const IDLE: Duration = Duration::from_millis(500);
/// Workers posting batches at once on PostgreSQL (2 did best on the
/// 2-core bench box; 4 and 8 made smaller batches for no gain). On SQLite
/// one: the batches take turns on the file's one writer anyway, and a
/// second worker only split each turn's payments into two batches, each
/// paying the turn's fixed statements (16 clients, many stores, 5 s:
/// 2,455 payments/s with one worker, 1,911 with two).
const WORKERS: usize = 2;

/// One payment to book.
pub struct PayJob {
    /// The hash of the member's bearer token (the batch looks the session
    /// up).
    pub token_hash: String,
    /// Where.
    pub store_id: i64,
    /// The bill in fen.
    pub amount: Fen,
    /// The request's idempotency key.
    pub key: String,
    /// Hash of the canonical body.
    pub body_hash: String,
    /// When (Unix ms).
    pub now: i64,
}

struct Queued {
    job: PayJob,
    reply: oneshot::Sender<Option<String>>,
    since: Instant,
}

/// Counts, for tests and logs.
#[derive(Default)]
pub struct BatchStats {
    /// Payments queued.
    pub queued: AtomicU64,
    /// Payments booked by batches.
    pub booked: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// The largest batch committed.
    pub largest: AtomicU64,
    /// Payments handed back to the ordinary path.
    pub handed_back: AtomicU64,
    /// Where the batches' time went, for the log.
    timing: Timing,
}

/// A batch's phases, in order.
const PHASES: [&str; 5] = ["begin", "read", "plan", "write", "commit"];

/// The log's buckets of time in the batcher: below 1, 2, 4, … ms.
const BUCKETS: usize = 12;

/// Where the batches' time went since the last log line: each phase's
/// total, and how long each payment was in the batcher (queued, then
/// booked) by power-of-two bucket, so the log can say where a slow tail
/// comes from.
#[derive(Default)]
struct Timing {
    /// Microseconds per phase ([`PHASES`]).
    phase_us: [AtomicU64; PHASES.len()],
    /// Batches that reached the end of their phases.
    batches: AtomicU64,
    /// Payments by time from queued to answered: bucket `i` is below
    /// `2^i` ms, the last holds the rest.
    answered: [AtomicU64; BUCKETS],
    /// The longest batch (µs).
    longest_us: AtomicU64,
    /// When the last line was logged.
    logged: StdMutex<Option<Instant>>,
}

/// How often the batcher logs where its time went, while it works.
const LOG_EVERY: Duration = Duration::from_secs(10);

impl Timing {
    fn record(&self, laps: &Laps, waited: &[Duration]) {
        for (total, us) in self.phase_us.iter().zip(laps.us) {
            total.fetch_add(us, Ordering::Relaxed);
        }
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.longest_us
            .fetch_max(laps.us.iter().sum(), Ordering::Relaxed);
        for w in waited {
            self.answered[bucket(*w)].fetch_add(1, Ordering::Relaxed);
        }
        let mut logged = self.logged.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let Some(since) = *logged else {
            *logged = Some(now);
            return;
        };
        if now.duration_since(since) < LOG_EVERY {
            return;
        }
        *logged = Some(now);
        drop(logged);
        let take = |a: &AtomicU64| a.swap(0, Ordering::Relaxed);
        let batches = take(&self.batches).max(1);
        let phases: Vec<String> = PHASES
            .iter()
            .zip(&self.phase_us)
            .map(|(name, us)| format!("{name} {:.2}", take(us) as f64 / batches as f64 / 1e3))
            .collect();
        let counts: Vec<u64> = self.answered.iter().map(take).collect();
        let payments: u64 = counts.iter().sum();
        let below = |q: f64| quantile_below(&counts, q);
        tracing::info!(
            batches,
            payments,
            "payment batches over {:.0} s: mean ms per batch: {}; longest batch {:.1} ms; \
             payments in the batcher (queued and booked): p50 {}, p99 {}",
            now.duration_since(since).as_secs_f64(),
            phases.join(", "),
            take(&self.longest_us) as f64 / 1e3,
            below(0.5),
            below(0.99),
        );
    }
}

/// The bucket of [`Timing::answered`] for `d`: `i` holds below `2^i` ms.
fn bucket(d: Duration) -> usize {
    let ms = d.as_millis() as u64;
    ((u64::BITS - ms.leading_zeros()) as usize).min(BUCKETS - 1)
}

/// The bucket holding quantile `q` of `counts`, as "< N ms".
fn quantile_below(counts: &[u64], q: f64) -> String {
    let total: u64 = counts.iter().sum();
    let mut seen = 0;
    for (i, c) in counts.iter().enumerate() {
        seen += c;
        if total > 0 && seen as f64 >= q * total as f64 {
            return format!("< {} ms", 1u64 << i);
        }
    }
    "-".to_string()
}

/// A batch's time by phase, marked as it goes.
struct Laps {
    at: Instant,
    us: [u64; PHASES.len()],
}

impl Laps {
    fn start() -> Laps {
        Laps {
            at: Instant::now(),
            us: [0; PHASES.len()],
        }
    }

    /// The time since the last mark was spent in phase `i` of [`PHASES`].
    fn mark(&mut self, i: usize) {
        let now = Instant::now();
        self.us[i] += now.duration_since(self.at).as_micros() as u64;
        self.at = now;
    }
}

/// The queue of payments waiting to be booked.
#[derive(Clone)]
pub struct PayBatcher {
    booker: Booker,
    queue: Arc<OnceLock<mpsc::Sender<Queued>>>,
    gate: Arc<RwLock<()>>,
    /// Stores whose brand's payments earn points or count toward levels,
    /// as a batch last read them, until when (Unix ms) their payments go
    /// the ordinary way without queueing ([`EARNING_FOR_MS`]).
    earning: Arc<StdMutex<HashMap<i64, i64>>>,
    /// What the batches did so far.
    pub stats: Arc<BatchStats>,
}

/// Where the batches are booked.
#[derive(Clone)]
enum Booker {
    /// Through the pool's connections, each worker keeping one.
    Postgres(PgPool),
    /// In turns of the SQLite file's group commit.
    Sqlite(DatabaseConnection),
}

impl PayBatcher {
    /// A batcher booking into `db`; its workers start with the first
    /// payment.
    pub fn new(db: &DatabaseConnection) -> PayBatcher {
        let booker = match db.get_database_backend() {
            DbBackend::Postgres => Booker::Postgres(db.get_postgres_connection_pool().clone()),
            _ => Booker::Sqlite(db.clone()),
        };
        PayBatcher {
            booker,
            queue: Arc::new(OnceLock::new()),
            gate: Arc::new(RwLock::new(())),
            earning: Arc::default(),
            stats: Arc::new(BatchStats::default()),
        }
    }

    fn sender(&self) -> &mpsc::Sender<Queued> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Queued>(4 * MAX_BATCH);
            let rx = Arc::new(Mutex::new(rx));
            let workers = match self.booker {
                Booker::Postgres(_) => WORKERS,
                Booker::Sqlite(_) => 1,
            };
            for _ in 0..workers {
                tokio::spawn(worker(
                    self.booker.clone(),
                    self.earning.clone(),
                    rx.clone(),
                    self.gate.clone(),
                    self.stats.clone(),
                ));
            }
            tx
        })
    }

    /// Books `job`: its receipt as JSON (the answer recorded under its key)
    /// once committed, or `None` when the ordinary path must take it
    /// (nothing of it was written).
    pub async fn pay(&self, job: PayJob) -> Option<String> {
        // Every batch would hand it back after taking a turn and reading:
        // at a brand with points or levels every payment would. Only a hint
        // (the batch checks again under its lock): going the ordinary way
        // a little longer after HQ turns points off is as correct.
        let earns = self
            .earning
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&job.store_id)
            .is_some_and(|until| *until > job.now);
        if earns {
            self.stats.handed_back.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let (reply, answer) = oneshot::channel();
        let since = Instant::now();
        self.sender()
            .send(Queued { job, reply, since })
            .await
            .ok()?;
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        answer.await.ok().flatten()
    }

    /// Keeps the workers from taking payments until the guard is dropped,
    /// so a test can queue a batch of its choosing.
    pub async fn hold(&self) -> OwnedRwLockWriteGuard<()> {
        self.gate.clone().write_owned().await
    }
}

async fn worker(
    booker: Booker,
    earning: Arc<StdMutex<HashMap<i64, i64>>>,
    rx: Arc<Mutex<mpsc::Receiver<Queued>>>,
    gate: Arc<RwLock<()>>,
    stats: Arc<BatchStats>,
) {
    // A worker keeps its connection from one batch to the next while
    // payments keep coming (handing it back to the pool costs a ping each
    // time) and hands it back after [`IDLE`] without work. After a failed
    // batch it takes a fresh one.
    let mut conn: Option<PoolConnection<Postgres>> = None;
    let next = || async {
        let mut rx = rx.lock().await;
        let first = rx.recv().await;
        (rx, first)
    };
    loop {
        let mut batch = Vec::new();
        {
            let (mut rx, first) = match conn {
                Some(_) => match tokio::time::timeout(IDLE, next()).await {
                    Ok(got) => got,
                    Err(_) => {
                        conn = None;
                        next().await
                    }
                },
                None => next().await,
            };
            match first {
                Some(q) => batch.push(q),
                None => return,
            }
            drop(gate.read().await);
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(q) => batch.push(q),
                    Err(_) => break,
                }
            }
        }
        run(&booker, &earning, &mut conn, batch, &stats).await;
    }
}

async fn run(
    booker: &Booker,
    earning: &StdMutex<HashMap<i64, i64>>,
    conn: &mut Option<PoolConnection<Postgres>>,
    batch: Vec<Queued>,
    stats: &BatchStats,
) {
    let since: Vec<Instant> = batch.iter().map(|q| q.since).collect();
    let (jobs, replies): (Vec<PayJob>, Vec<_>) =
        batch.into_iter().map(|q| (q.job, q.reply)).unzip();
    let mut laps = Laps::start();
    let receipts = match booker {
        Booker::Sqlite(db) => book_sqlite(db, &jobs, &mut laps).await,
        Booker::Postgres(pool) => {
            let booked = match conn.take() {
                Some(c) => Ok(c),
                None => pool.acquire().await,
            };
            match booked {
                Ok(mut c) => match book(&mut c, &jobs, &mut laps).await {
                    Ok(r) => {
                        *conn = Some(c);
                        Ok(r)
                    }
                    // The connection goes back to the pool, which checks it.
                    Err(e) => Err(e),
                },
                Err(e) => Err(e.into()),
            }
        }
    };
    let receipts = match receipts {
        Ok(Booked {
            receipts,
            earning: earns,
        }) => {
            if let (false, Some(job)) = (earns.is_empty(), jobs.first()) {
                let mut earning = earning.lock().unwrap_or_else(|e| e.into_inner());
                earning.retain(|_, until| *until > job.now);
                earning.extend(earns.into_iter().map(|s| (s, job.now + EARNING_FOR_MS)));
            }
            receipts
        }
        Err(e) => {
            tracing::warn!(error = %e, payments = jobs.len(), "payment batch handed back");
            vec![None; jobs.len()]
        }
    };
    let booked = receipts.iter().filter(|r| r.is_some()).count() as u64;
    if booked > 0 {
        stats.batches.fetch_add(1, Ordering::Relaxed);
        stats.booked.fetch_add(booked, Ordering::Relaxed);
        stats.largest.fetch_max(booked, Ordering::Relaxed);
    }
    stats
        .handed_back
        .fetch_add(jobs.len() as u64 - booked, Ordering::Relaxed);
    for (reply, receipt) in replies.into_iter().zip(receipts) {
        let _ = reply.send(receipt);
    }
    if booked > 0 {
        let waited: Vec<Duration> = since.iter().map(Instant::elapsed).collect();
        stats.timing.record(&laps, &waited);
    }
}

/// A live member session as the batch needs it.
struct Session {
    member_id: i64,
    brand_id: i64,
    frozen: bool,
    expires_at: i64,
    time_zone: String,
}

/// A store as the batch needs it, with its wallet and the brand's bonus
/// income account.
struct Shop {
    brand_id: i64,
    name: String,
    active: bool,
    wallet: Option<i64>,
    income: Option<i64>,
    rules: MoneySettings,
    /// Whether the brand's payments earn points or count toward levels
    /// (those go the ordinary way, which books the lots and the spend).
    earns: bool,
}

/// A member's two accounts under the batch's lock.
struct Funds {
    principal: Account,
    bonus: Account,
}

/// A member's principal and bonus accounts as locked: (id, balance) each.
type LockedPair = (Option<(i64, i64)>, Option<(i64, i64)>);

/// The columns of the payments and idempotency keys, one array per column
/// (the ledger's own bulk posting writes the entries).
#[derive(Default)]
struct Rows {
    // payments
    pay_id: Vec<i64>,
    brand: Vec<i64>,
    store: Vec<i64>,
    member: Vec<i64>,
    original: Vec<i64>,
    amount: Vec<i64>,
    principal: Vec<i64>,
    bonus: Vec<i64>,
    settled: Vec<i64>,
    at: Vec<i64>,
    level_discount: Vec<i64>,
    coupon: Vec<i64>,
    points: Vec<i64>,
    points_used: Vec<i64>,
    gateway: Vec<i64>,
    // idempotency keys
    caller: Vec<String>,
    key: Vec<String>,
    hash: Vec<String>,
    answer: Vec<String>,
}

/// How a batch's transaction starts on PostgreSQL. Its two statements reach
/// every row by key (the batch's own sessions, members, accounts, stores),
/// so they keep one plan each, made once per connection (not planned again
/// for every batch: about 0.5 ms for [`READ`] alone), and that plan uses
/// the keys' indexes. Left to itself, the planner scans small tables whole
/// (a bench brand's 2,000 accounts, once or twice per batch) and plans the
/// statements afresh each time. Both settings end with the transaction.
/// Measured (16 clients, many stores, 8 s runs, two each): 1,591 and 2,164
/// payments/s with a plain `BEGIN`; 3,162 and 3,720 with this.
const BEGIN: &str = "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; \
SET LOCAL enable_seqscan = off";

/// The members behind the sessions, their accounts locked in id order, the
/// stores with their wallets, the brand's bonus income account and money
/// settings, fresh payment ids, and which of the batch's keys its members
/// have already used for a payment: one statement, the first of the
/// transaction.
const READ: &str = "\
WITH who AS (\
  SELECT s.token_hash, s.expires_at, m.id AS member_id, m.brand_id, m.frozen, b.time_zone \
  FROM sessions s JOIN members m ON m.id = s.subject_id JOIN brands b ON b.id = m.brand_id \
  WHERE s.token_hash = ANY($1) AND s.kind = 'member' AND s.revoked_at IS NULL), \
locked AS (\
  SELECT id, brand_id, kind, owner_id, balance FROM accounts \
  WHERE kind IN ($4, $5) \
    AND (brand_id, owner_id) IN (SELECT brand_id, member_id FROM who) \
  ORDER BY id FOR UPDATE) \
SELECT 'account' AS what, id, brand_id, kind AS name, owner_id, balance, \
  NULL::boolean AS flag, NULL::bigint AS wallet, NULL::bigint AS income, \
  NULL::bigint[] AS ids, NULL::bigint AS max_payment, NULL::bigint AS pin_above, \
  NULL::bigint AS settle_bp, NULL::text AS channel_url, NULL::text AS zone, \
  NULL::bigint AS earns \
FROM locked \
UNION ALL \
SELECT 'session', member_id, brand_id, token_hash, NULL, expires_at, frozen, NULL, NULL, \
  NULL, NULL, NULL, NULL, NULL, time_zone, NULL \
FROM who \
UNION ALL \
SELECT 'store', s.id, s.brand_id, s.name, NULL, NULL, s.active, w.id, i.id, \
  (SELECT array_agg(nextval(pg_get_serial_sequence('payments', 'id'))) \
     FROM generate_series(1, $3::int)), \
  m.max_payment, m.pin_above, m.bonus_settle_bp::bigint, m.channel_url, NULL, \
  COALESCE(m.points_per_yuan, 0) \
    + (SELECT COUNT(*) FROM member_levels l WHERE l.brand_id = s.brand_id) \
FROM stores s \
LEFT JOIN accounts w ON w.brand_id = s.brand_id AND w.kind = $6 AND w.owner_id = s.id \
LEFT JOIN accounts i ON i.brand_id = s.brand_id AND i.kind = $7 AND i.owner_id = 0 \
LEFT JOIN money_settings m ON m.brand_id = s.brand_id \
WHERE s.id = ANY($2) \
UNION ALL \
SELECT 'key', w.member_id, w.brand_id, r.key, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  NULL, NULL, NULL, NULL \
FROM unnest($8::text[], $9::text[]) AS q (token_hash, key) \
JOIN who w ON w.token_hash = q.token_hash \
CROSS JOIN LATERAL (SELECT k.key FROM idempotency_keys k WHERE k.brand_id = w.brand_id \
  AND k.caller = 'member:' || w.member_id AND k.route = 'payment' AND k.key = q.key \
  LIMIT 1) AS r";

/// The one writing statement: the ledger's entries, lines and guarded
/// balances ([`Bulk::ctes`], parameters from `$20`), the payments, each
/// member's cumulative spend (brands with levels go the ordinary way, but
/// every brand's spend is kept, for levels HQ adds later), an invited
/// member's first qualifying payment (as `crate::invites::paid` marks it;
/// of two in one batch, the first),
/// and the idempotency keys with their answers.
static WRITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH {}, \
p AS (\
  INSERT INTO payments (id, brand_id, store_id, member_id, original, amount, principal, bonus, \
    refunded_principal, refunded_bonus, bonus_settled, gateway, refunded_gateway, \
    gateway_order_id, created_at, level_discount, coupon, points, points_used, refunded_points) \
  SELECT t.id, t.brand, t.store, t.member, t.original, t.amount, t.principal, t.bonus, 0, 0, \
    t.settled, t.gateway, 0, NULL, t.at, t.level_discount, t.coupon, t.points, t.points_used, 0 \
  FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], \
    $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], \
    $12::bigint[], $13::bigint[], $14::bigint[], $15::bigint[]) \
    AS t(id, brand, store, member, original, amount, principal, bonus, settled, at, \
      level_discount, coupon, points, points_used, gateway) \
  RETURNING 1), \
s AS (\
  UPDATE members m SET spent = m.spent + x.total, \
    peak_spent = GREATEST(m.peak_spent, m.spent + x.total) \
  FROM (SELECT member, SUM(amount) AS total \
    FROM unnest($4::bigint[], $6::bigint[]) AS t(member, amount) GROUP BY member) x \
  WHERE m.id = x.member RETURNING 1), \
v AS (\
  UPDATE invites i SET state = 'pending', payment_id = t.id, due_at = i.window_ms + t.at \
  FROM (SELECT DISTINCT ON (t.member) t.id, t.member, t.at \
    FROM unnest($1::bigint[], $4::bigint[], $7::bigint[], $15::bigint[], $10::bigint[]) \
      AS t(id, member, principal, gateway, at) \
    JOIN invites j ON j.invitee_id = t.member AND j.state = 'waiting' \
      AND j.min_payment <= t.principal + t.gateway \
    ORDER BY t.member, t.id) t \
  WHERE i.invitee_id = t.member AND i.state = 'waiting' RETURNING 1), \
k AS (\
  INSERT INTO idempotency_keys (brand_id, caller, route, key, body_hash, status, response, \
    created_at) \
  SELECT t.brand, t.caller, 'payment', t.key, t.hash, 201, t.answer, t.at \
  FROM unnest($2::bigint[], $16::text[], $17::text[], $18::text[], $19::text[], $10::bigint[]) \
    AS t(brand, caller, key, hash, answer, at) \
  ON CONFLICT (brand_id, caller, route, key) DO NOTHING RETURNING 1) \
SELECT (SELECT count(*) FROM p) AS payments, (SELECT count(*) FROM k) AS keys, {}",
        Bulk::ctes(20),
        Bulk::COUNTS
    )
});

/// What a batch read under its locks.
#[derive(Default)]
struct Read {
    sessions: HashMap<String, Session>,
    shops: HashMap<i64, Shop>,
    /// The members' accounts by (brand, member).
    pending: HashMap<(i64, i64), LockedPair>,
    /// Fresh payment ids, one per payment.
    ids: Vec<i64>,
    /// The keys already recorded (a retry of a payment booked before):
    /// (brand, member, key). Those payments are handed back, and the
    /// ordinary path answers them with what was recorded; the rest of the
    /// batch is booked.
    recorded: HashSet<(i64, i64, String)>,
}

/// A row of either database's READ, by column.
trait Cells {
    fn int(&self, column: &str) -> anyhow::Result<Option<i64>>;
    fn text(&self, column: &str) -> anyhow::Result<Option<String>>;
    fn flag(&self, column: &str) -> anyhow::Result<Option<bool>>;
}

impl Cells for sqlx::postgres::PgRow {
    fn int(&self, column: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.try_get(column)?)
    }
    fn text(&self, column: &str) -> anyhow::Result<Option<String>> {
        Ok(self.try_get(column)?)
    }
    fn flag(&self, column: &str) -> anyhow::Result<Option<bool>> {
        Ok(self.try_get(column)?)
    }
}

impl Cells for QueryResult {
    fn int(&self, column: &str) -> anyhow::Result<Option<i64>> {
        Ok(self.try_get("", column)?)
    }
    fn text(&self, column: &str) -> anyhow::Result<Option<String>> {
        Ok(self.try_get("", column)?)
    }
    // SQLite keeps booleans as integers.
    fn flag(&self, column: &str) -> anyhow::Result<Option<bool>> {
        Ok(self.int(column)?.map(|v| v != 0))
    }
}

/// What a batch booked: each payment's receipt (`None` for those handed
/// back), and the stores it found earning points or counting toward levels.
struct Booked {
    receipts: Vec<Option<String>>,
    earning: Vec<i64>,
}

impl Booked {
    /// Every payment of `jobs` handed back.
    fn none(jobs: &[PayJob], earning: Vec<i64>) -> Booked {
        Booked {
            receipts: vec![None; jobs.len()],
            earning,
        }
    }
}

/// How long a store found earning has its payments go the ordinary way
/// without queueing.
const EARNING_FOR_MS: i64 = 10_000;

impl Read {
    /// The stores whose brand's payments earn points or count toward
    /// levels.
    fn earning(&self) -> Vec<i64> {
        self.shops
            .iter()
            .filter(|(_, shop)| shop.earns)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Reads the rows of either READ (accounts, sessions, stores, keys
    /// already recorded).
    fn gather(rows: &[impl Cells]) -> anyhow::Result<Read> {
        let mut read = Read::default();
        let need = |v: Option<i64>, column: &str| {
            v.ok_or_else(|| anyhow::anyhow!("batch read: {column} missing"))
        };
        for row in rows {
            let what = row.text("what")?.unwrap_or_default();
            let id = need(row.int("id")?, "id")?;
            let brand_id = need(row.int("brand_id")?, "brand_id")?;
            let name = row.text("name")?.unwrap_or_default();
            if what == "account" {
                let owner = need(row.int("owner_id")?, "owner_id")?;
                let balance = need(row.int("balance")?, "balance")?;
                let slot = read.pending.entry((brand_id, owner)).or_default();
                if name == Kind::MemberPrincipal.as_str() {
                    slot.0 = Some((id, balance));
                } else {
                    slot.1 = Some((id, balance));
                }
            } else if what == "key" {
                read.recorded.insert((brand_id, id, name));
            } else if what == "session" {
                read.sessions.insert(
                    name,
                    Session {
                        member_id: id,
                        brand_id,
                        frozen: row.flag("flag")?.unwrap_or(true),
                        expires_at: need(row.int("balance")?, "expires_at")?,
                        time_zone: row.text("zone")?.unwrap_or_default(),
                    },
                );
            } else {
                let mut rules = MoneySettings::default();
                if let Some(max) = row.int("max_payment")? {
                    rules.max_payment = Fen(max);
                    rules.pin_above = Fen(need(row.int("pin_above")?, "pin_above")?);
                    rules.bonus_settle_bp =
                        u32::try_from(need(row.int("settle_bp")?, "settle_bp")?)?;
                    rules.channel_url = row.text("channel_url")?;
                }
                read.shops.insert(
                    id,
                    Shop {
                        brand_id,
                        name,
                        active: row.flag("flag")?.unwrap_or(false),
                        wallet: row.int("wallet")?,
                        income: row.int("income")?,
                        rules,
                        earns: row.int("earns")?.unwrap_or(0) > 0,
                    },
                );
            }
        }
        Ok(read)
    }
}

/// Books what it can of `jobs` in one transaction on PostgreSQL: the
/// receipt as JSON for each payment booked, `None` for each handed back.
async fn book(conn: &mut PgConnection, jobs: &[PayJob], laps: &mut Laps) -> anyhow::Result<Booked> {
    let Asked {
        hashes,
        store_ids,
        keys,
    } = asked(jobs);
    let mut tx = conn.begin_with(BEGIN).await?;
    laps.mark(0);
    let rows = sqlx::query(READ)
        .bind(&hashes)
        .bind(&store_ids)
        .bind(i32::try_from(jobs.len())?)
        .bind(Kind::MemberPrincipal.as_str())
        .bind(Kind::MemberBonus.as_str())
        .bind(Kind::StoreWallet.as_str())
        .bind(Kind::BonusIncome.as_str())
        .bind(&keys.0)
        .bind(&keys.1)
        .fetch_all(&mut *tx)
        .await?;
    laps.mark(1);
    let mut read = Read::gather(&rows)?;
    let earning = read.earning();
    for row in &rows {
        if let Some(ids) = row.try_get::<Option<Vec<i64>>, _>("ids")? {
            read.ids = ids;
        }
    }
    let Some(Planned {
        rows,
        bulk,
        receipts,
    }) = Planned::of(jobs, read)
    else {
        tx.rollback().await?;
        return Ok(Booked::none(jobs, earning));
    };
    laps.mark(2);
    let query = sqlx::query(WRITE.as_str())
        .bind(&rows.pay_id)
        .bind(&rows.brand)
        .bind(&rows.store)
        .bind(&rows.member)
        .bind(&rows.original)
        .bind(&rows.amount)
        .bind(&rows.principal)
        .bind(&rows.bonus)
        .bind(&rows.settled)
        .bind(&rows.at)
        .bind(&rows.level_discount)
        .bind(&rows.coupon)
        .bind(&rows.points)
        .bind(&rows.points_used)
        .bind(&rows.gateway)
        .bind(&rows.caller)
        .bind(&rows.key)
        .bind(&rows.hash)
        .bind(&rows.answer);
    let done = bulk.bind(query).fetch_one(&mut *tx).await?;
    laps.mark(3);
    let n = rows.pay_id.len() as i64;
    let counts: (i64, i64) = (done.try_get("payments")?, done.try_get("keys")?);
    // A key READ did not see (not yet committed when it began: its
    // original still on the ordinary path or in another worker's batch) or
    // a guard that fired: nothing of the batch stays.
    let whole = if counts == (n, n) {
        bulk.check(&done)
    } else {
        Err(anyhow::anyhow!(
            "batch wrote {counts:?} (payments, keys) for {n} payments"
        ))
    };
    if let Err(e) = whole {
        tx.rollback().await?;
        return Err(e);
    }
    tx.commit().await?;
    laps.mark(4);
    Ok(Booked { receipts, earning })
}

/// What a batch looks up: the sessions' token hashes and the stores, each
/// once, and each payment's idempotency key.
struct Asked<'a> {
    hashes: Vec<&'a str>,
    store_ids: Vec<i64>,
    /// Each payment's (token hash, key): what READ looks up, one index
    /// probe per payment.
    keys: (Vec<&'a str>, Vec<&'a str>),
}

fn asked(jobs: &[PayJob]) -> Asked<'_> {
    fn once<T: Ord>(mut v: Vec<T>) -> Vec<T> {
        v.sort_unstable();
        v.dedup();
        v
    }
    Asked {
        hashes: once(jobs.iter().map(|j| j.token_hash.as_str()).collect()),
        store_ids: once(jobs.iter().map(|j| j.store_id).collect()),
        keys: jobs
            .iter()
            .map(|j| (j.token_hash.as_str(), j.key.as_str()))
            .unzip(),
    }
}

/// [`READ`] on SQLite, where the batch's write transaction holds the
/// database's one write lock: no row locks to take, and the next ids of
/// the payments and the entries follow the largest ever given
/// (`last_id`, `last_entry`: `AUTOINCREMENT` never gives an id twice).
/// Each session says whether its member has an invite waiting for a first
/// payment (`invited`); and the keys already recorded, as in [`READ`] (under
/// the lock no key can be recorded between this read and the write).
/// The sessions are found by their token hashes: `+s.kind` keeps SQLite
/// (which has no statistics here) from walking every member session of
/// the `(kind, subject)` index instead (0.31 → 0.16 ms per 16-payment read
/// with 1,000 sessions, and growing with them). Each key is looked up by
/// its payment, one probe of the keys' index each; `CROSS JOIN` (SQLite
/// keeps its order) puts the payments outside and finds each one's session
/// in `who` by an automatic index, where the planner's own order scanned
/// the payments once per session (3.0 → 0.6 ms per 64-payment read).
const READ_SQLITE: &str = "\
WITH who AS (\
  SELECT s.token_hash, s.expires_at, m.id AS member_id, m.brand_id, m.frozen, b.time_zone \
  FROM sessions s JOIN members m ON m.id = s.subject_id JOIN brands b ON b.id = m.brand_id \
  WHERE s.token_hash IN (SELECT value FROM json_each(?1)) AND +s.kind = 'member' \
    AND s.revoked_at IS NULL) \
SELECT 'account' AS what, a.id, a.brand_id, a.kind AS name, a.owner_id, a.balance, \
  NULL AS flag, NULL AS wallet, NULL AS income, NULL AS max_payment, NULL AS pin_above, \
  NULL AS settle_bp, NULL AS channel_url, NULL AS zone, NULL AS earns, NULL AS last_id, \
  NULL AS last_entry, NULL AS invited \
FROM accounts a \
WHERE a.kind IN (?3, ?4) AND (a.brand_id, a.owner_id) IN (SELECT brand_id, member_id FROM who) \
UNION ALL \
SELECT 'session', member_id, brand_id, token_hash, NULL, expires_at, frozen, NULL, NULL, NULL, \
  NULL, NULL, NULL, time_zone, NULL, NULL, NULL, \
  EXISTS (SELECT 1 FROM invites i WHERE i.invitee_id = member_id AND i.state = 'waiting') \
FROM who \
UNION ALL \
SELECT 'store', s.id, s.brand_id, s.name, NULL, NULL, s.active, w.id, i.id, m.max_payment, \
  m.pin_above, m.bonus_settle_bp, m.channel_url, NULL, \
  COALESCE(m.points_per_yuan, 0) \
    + (SELECT COUNT(*) FROM member_levels l WHERE l.brand_id = s.brand_id), \
  (SELECT MAX(COALESCE(MAX(id), 0), \
     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'payments'), 0)) FROM payments), \
  (SELECT MAX(COALESCE(MAX(id), 0), \
     COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'journal_entries'), 0)) \
   FROM journal_entries), \
  NULL \
FROM stores s \
LEFT JOIN accounts w ON w.brand_id = s.brand_id AND w.kind = ?5 AND w.owner_id = s.id \
LEFT JOIN accounts i ON i.brand_id = s.brand_id AND i.kind = ?6 AND i.owner_id = 0 \
LEFT JOIN money_settings m ON m.brand_id = s.brand_id \
WHERE s.id IN (SELECT value FROM json_each(?2)) \
UNION ALL \
SELECT 'key', w.member_id, w.brand_id, q.value->>1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
  NULL, NULL, NULL, NULL, NULL, NULL, NULL \
FROM json_each(?7) AS q CROSS JOIN who w ON w.token_hash = q.value->>0 \
WHERE EXISTS (SELECT 1 FROM idempotency_keys k WHERE k.brand_id = w.brand_id \
  AND k.caller = 'member:' || w.member_id AND k.route = 'payment' AND k.key = q.value->>1)";

/// [`WRITE`] on SQLite, which has no writing CTEs: the ledger's part
/// ([`Bulk::SQLITE`], its three parameters), then the payments, the
/// members' spend and the keys, each reading the payments' rows from one
/// JSON array ([`Rows::json`]'s columns, a parameter each): one call, so one
/// trip to the connection's thread. The parameters are `?`, taken in order
/// across the statements (sqlx numbers a statement's unnamed parameters on
/// from the last statement's; a numbered one, `?4`, would leave the
/// numbers below it in that statement unnamed and shift the rest). A key
/// already recorded would change a row fewer (READ hands those back, and
/// under the lock none is recorded meanwhile): the count stays as a guard.
/// Only INSERTs and UPDATEs: the
/// rows changed are summed from `sqlite3_changes()`, which a statement of
/// another kind leaves at the one before's count.
static WRITE_SQLITE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} \
INSERT INTO payments (id, brand_id, store_id, member_id, original, amount, principal, bonus, \
    refunded_principal, refunded_bonus, bonus_settled, gateway, refunded_gateway, \
    gateway_order_id, created_at, level_discount, coupon, points, points_used, refunded_points) \
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, \
    value->>7, 0, 0, value->>8, value->>14, 0, NULL, value->>9, value->>10, value->>11, \
    value->>12, value->>13, 0 \
  FROM json_each(?); \
UPDATE members SET spent = members.spent + x.total, \
    peak_spent = MAX(members.peak_spent, members.spent + x.total) \
  FROM (SELECT value->>3 AS member, SUM(value->>5) AS total FROM json_each(?) GROUP BY 1) \
    AS x \
  WHERE members.id = x.member; \
INSERT INTO idempotency_keys (brand_id, caller, route, key, body_hash, status, response, \
    created_at) \
  SELECT value->>1, value->>15, 'payment', value->>16, value->>17, 201, value->>18, \
    value->>9 \
  FROM json_each(?) WHERE true \
  ON CONFLICT (brand_id, caller, route, key) DO NOTHING",
        Bulk::SQLITE
    )
});

/// An invited member's first qualifying payment of the batch, as
/// `crate::invites::paid` marks it (SQLite takes `at` from the row whose id
/// is the least); run only when a member of the batch has an invite
/// waiting.
const INVITES_SQLITE: &str = "\
UPDATE invites SET state = 'pending', payment_id = t.id, due_at = invites.window_ms + t.at \
FROM (SELECT p.member, MIN(p.id) AS id, p.at \
  FROM (SELECT value->>0 AS id, value->>3 AS member, value->>6 AS principal, \
      value->>14 AS gateway, value->>9 AS at FROM json_each(?1)) AS p \
  JOIN invites j ON j.invitee_id = p.member AND j.state = 'waiting' \
    AND j.min_payment <= p.principal + p.gateway \
  GROUP BY p.member) AS t \
WHERE invites.invitee_id = t.member AND invites.state = 'waiting'";

/// Books what it can of `jobs` on SQLite in one write transaction (a turn
/// of the group commit, `crate::db::begin_write_reading`), answering after its
/// commit: as [`book`] does on PostgreSQL.
async fn book_sqlite(
    db: &DatabaseConnection,
    jobs: &[PayJob],
    laps: &mut Laps,
) -> anyhow::Result<Booked> {
    let Asked {
        hashes,
        store_ids,
        keys,
    } = asked(jobs);
    let statement = |text: &str, values: Vec<sea_orm::Value>| {
        Statement::from_sql_and_values(DbBackend::Sqlite, text, values)
    };
    let read = statement(
        READ_SQLITE,
        vec![
            serde_json::to_string(&hashes)?.into(),
            serde_json::to_string(&store_ids)?.into(),
            Kind::MemberPrincipal.as_str().into(),
            Kind::MemberBonus.as_str().into(),
            Kind::StoreWallet.as_str().into(),
            Kind::BonusIncome.as_str().into(),
            serde_json::to_string(&keys.0.iter().zip(&keys.1).collect::<Vec<_>>())?.into(),
        ],
    );
    // The read goes with the batch's BEGIN, in one trip: on SQLite the
    // read phase holds the begin (and the wait for the turn). Dropped on
    // any error: the write is rolled back, the batch handed back.
    laps.mark(0);
    let (tx, rows) = crate::db::begin_write_reading(db, read).await?;
    laps.mark(1);
    let mut read = Read::gather(&rows)?;
    let earning = read.earning();
    let last = |column: &str| rows.iter().find_map(|r| r.int(column).ok().flatten());
    if let Some(last) = last("last_id") {
        read.ids = (last + 1..=last + jobs.len() as i64).collect();
    }
    let last_entry = last("last_entry").unwrap_or(0);
    let invited = rows
        .iter()
        .any(|r| r.int("invited").ok().flatten().unwrap_or(0) > 0);
    let Some(Planned {
        rows,
        bulk,
        receipts,
    }) = Planned::of(jobs, read)
    else {
        tx.rollback().await?;
        return Ok(Booked::none(jobs, earning));
    };
    laps.mark(2);
    let payments = rows.json();
    let (ledger, ledger_rows) = bulk.sqlite_values(last_entry);
    let members: HashSet<i64> = rows.member.iter().copied().collect();
    let n = rows.pay_id.len() as u64;
    // Each payment and key, each member's spend once, and the ledger's.
    let wanted = ledger_rows + 2 * n + members.len() as u64;
    let [changes, entries, lines] = ledger;
    let values = vec![
        changes.into(),
        entries.into(),
        lines.into(),
        payments.clone().into(),
        payments.clone().into(),
        payments.clone().into(),
    ];
    let done = tx
        .execute_raw(statement(WRITE_SQLITE.as_str(), values))
        .await?
        .rows_affected();
    anyhow::ensure!(done == wanted, "batch changed {done} rows, wanted {wanted}");
    if invited {
        tx.execute_raw(statement(INVITES_SQLITE, vec![payments.into()]))
            .await?;
    }
    laps.mark(3);
    tx.commit().await?;
    laps.mark(4);
    Ok(Booked { receipts, earning })
}

/// A batch planned: the rows to write, the ledger's entries, and each
/// payment's receipt (`None` for those handed back).
struct Planned {
    rows: Rows,
    bulk: Bulk,
    receipts: Vec<Option<String>>,
}

impl Planned {
    /// Plans each of `jobs` as the ordinary path would, against what the
    /// batch read and the payments before it; `None` when nothing can be
    /// booked.
    fn of(jobs: &[PayJob], read: Read) -> Option<Planned> {
        let Read {
            sessions,
            shops,
            pending,
            ids,
            recorded,
        } = read;
        let mut funds: HashMap<(i64, i64), Funds> = HashMap::new();
        let mut locked = Vec::new();
        for (who, slot) in pending {
            if let (Some((principal_id, principal)), Some((bonus_id, bonus))) = slot {
                locked.extend([(principal_id, principal), (bonus_id, bonus)]);
                funds.insert(
                    who,
                    Funds {
                        principal: Account {
                            id: principal_id,
                            kind: Kind::MemberPrincipal,
                        },
                        bonus: Account {
                            id: bonus_id,
                            kind: Kind::MemberBonus,
                        },
                    },
                );
            }
        }
        if ids.len() < jobs.len() {
            return None;
        }
        let mut rows = Rows::default();
        let mut bulk = Bulk::new(locked);
        let mut receipts = Vec::with_capacity(jobs.len());
        let mut next_id = ids.into_iter();
        let mut keys = HashSet::new();
        for job in jobs {
            let receipt = (|| {
                // A live session of a member who is not frozen.
                let who = sessions
                    .get(&job.token_hash)
                    .filter(|w| !w.frozen && w.expires_at > job.now)?;
                // One payment per key in a batch: a duplicate goes the ordinary
                // way and waits there for the first.
                if !keys.insert((who.brand_id, who.member_id, job.key.as_str())) {
                    return None;
                }
                // A key recorded before (a retry): the ordinary path answers
                // it as recorded. Booking it here would write a key row
                // fewer, failing the whole batch.
                if !recorded.is_empty()
                    && recorded.contains(&(who.brand_id, who.member_id, job.key.clone()))
                {
                    return None;
                }
                // The store must be this brand's and open, its wallet opened
                // by an earlier payment, the amount within HQ's limit and below
                // the PIN-free limit (the ordinary path checks PINs).
                let shop = shops.get(&job.store_id)?;
                let rules = &shop.rules;
                if shop.brand_id != who.brand_id
                    || !shop.active
                    || shop.earns
                    || !job.amount.is_positive()
                    || job.amount > rules.max_payment
                {
                    return None;
                }
                let (wallet, income) = (shop.wallet?, shop.income?);
                let f = funds.get(&(who.brand_id, who.member_id))?;
                let (principal, bonus) = (bulk.balance(f.principal.id)?, bulk.balance(f.bonus.id)?);
                let plan = plan(&Bill::plain(job.amount, Fen(principal), Fen(bonus)));
                if plan.online.is_positive() || plan.stored_value() > rules.pin_above {
                    return None;
                }
                let settled = plan.bonus_settled(Bp(rules.bonus_settle_bp));
                let after = Fen(principal + bonus) - plan.stored_value();
                let id = next_id.next()?;
                let receipt = PaymentReceipt {
                    payment_id: id,
                    store_id: job.store_id,
                    store_name: shop.name.clone(),
                    quote: plan.quote(),
                    coupon: Fen::ZERO,
                    points_off: Fen::ZERO,
                    points_used: 0,
                    points_earned: 0,
                    level_up: None,
                    principal: plan.principal,
                    bonus: plan.bonus,
                    balance_after: after,
                    at: rfc3339(job.now),
                    channel_url: rules.channel_url.clone(),
                };
                // The same answer the ordinary path records.
                let answer = serde_json::to_value(&receipt).ok()?.to_string();
                let accounts = PaymentAccounts {
                    stored: StoredFrom::Accounts {
                        principal: f.principal,
                        bonus: f.bonus,
                    },
                    wallet: Account {
                        id: wallet,
                        kind: Kind::StoreWallet,
                    },
                    income: Account {
                        id: income,
                        kind: Kind::BonusIncome,
                    },
                    gateway: None,
                    promotion: None,
                    points: None,
                };
                // What the ledger cannot post (an account the batch did not
                // read, an unbalanced entry, a balance that would go below
                // zero) goes the ordinary way, which refuses it.
                let lines = payment_lines(&accounts, &plan, settled).ok()?;
                let caller = format!("member:{}", who.member_id);
                bulk.add(Entry {
                    brand_id: who.brand_id,
                    kind: EntryKind::Payment,
                    op_ref: id.to_string(),
                    store_id: Some(job.store_id),
                    member_id: Some(who.member_id),
                    member_delta: -plan.stored_value(),
                    member_balance_after: Some(after),
                    actor: caller.clone(),
                    business_date: business_date(&who.time_zone, job.now),
                    at: job.now,
                    lines,
                })
                .ok()?;
                // Booked from here on.
                rows.pay_id.push(id);
                rows.brand.push(who.brand_id);
                rows.store.push(job.store_id);
                rows.member.push(who.member_id);
                rows.original.push(plan.original.0);
                rows.amount.push(plan.payable().0);
                rows.principal.push(plan.principal.0);
                rows.bonus.push(plan.bonus.0);
                rows.settled.push(settled.0);
                rows.at.push(job.now);
                rows.level_discount.push(plan.level_discount.0);
                rows.coupon.push(plan.coupon.0);
                rows.points.push(plan.points.0);
                rows.points_used.push(plan.points_used);
                rows.gateway.push(plan.online.0);
                rows.caller.push(caller);
                rows.key.push(job.key.clone());
                rows.hash.push(job.body_hash.clone());
                rows.answer.push(answer.clone());
                Some(answer)
            })();
            receipts.push(receipt);
        }
        if rows.pay_id.is_empty() {
            return None;
        }
        Some(Planned {
            rows,
            bulk,
            receipts,
        })
    }
}

impl Rows {
    /// The payments as one JSON array of rows, the columns in the order
    /// [`WRITE_SQLITE`] reads them.
    fn json(&self) -> String {
        let rows: Vec<serde_json::Value> = (0..self.pay_id.len())
            .map(|i| {
                serde_json::json!([
                    self.pay_id[i],
                    self.brand[i],
                    self.store[i],
                    self.member[i],
                    self.original[i],
                    self.amount[i],
                    self.principal[i],
                    self.bonus[i],
                    self.settled[i],
                    self.at[i],
                    self.level_discount[i],
                    self.coupon[i],
                    self.points[i],
                    self.points_used[i],
                    self.gateway[i],
                    self.caller[i],
                    self.key[i],
                    self.hash[i],
                    self.answer[i],
                ])
            })
            .collect();
        serde_json::Value::Array(rows).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_puts_each_payment_in_its_power_of_two_bucket_and_names_the_quantiles() {
        let ms = Duration::from_millis;
        assert_eq!(bucket(Duration::from_micros(900)), 0); // < 1 ms
        assert_eq!(bucket(ms(1)), 1); // < 2 ms
        assert_eq!(bucket(ms(3)), 2); // < 4 ms
        assert_eq!(bucket(ms(4)), 3); // < 8 ms
        assert_eq!(bucket(Duration::from_secs(60)), BUCKETS - 1);
        // 100 payments: 5 below 2 ms, 90 below 4, 4 below 8, 1 below 16.
        let counts = [0, 5, 90, 4, 1, 0];
        assert_eq!(quantile_below(&counts, 0.5), "< 4 ms");
        assert_eq!(quantile_below(&counts, 0.99), "< 8 ms");
        assert_eq!(quantile_below(&counts, 1.0), "< 16 ms");
        assert_eq!(quantile_below(&[0; 4], 0.5), "-");
    }
}
