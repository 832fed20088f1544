//! Paying a store on PostgreSQL, many payments per transaction (group
//! commit).
//!
//! Payments arriving together are queued and a few workers each take what
//! is waiting (up to [`MAX_BATCH`]) and post it in one transaction: the
//! members' accounts locked in id order in one `SELECT … FOR UPDATE`; each
//! payment planned by the shared price plan ([`shared::plan`]) as the
//! ordinary path plans it and its lines posted through the ledger's bulk
//! posting ([`crate::ledger::Bulk`], the checks of [`crate::ledger::post`]);
//! then one statement that inserts the payments, records every idempotency
//! key with its answer and (the ledger's part) writes the entries, their
//! lines and the balances under the same guard as `post`. A
//! caller answers only after that commit, so every receipt is as durable as
//! one posted alone; with one payment waiting the batch is just that payment.
//!
//! The batch never refuses anyone. A payment it cannot simply book (an
//! unknown or closed store, too little money, a PIN to check, an account not
//! yet opened, a key seen twice) is handed back and runs the ordinary path
//! in `routes::money`, which gives the refusal and records it; if the batch
//! fails as a whole (a key recorded meanwhile, a database error) every
//! payment in it is handed back. The two paths write the same rows.

use crate::clock::rfc3339;
use crate::ledger::{
    Account, Bulk, Entry, Kind, PaymentAccounts, StoredFrom, business_date, payment_lines,
};
use shared::dto::EntryKind;
use shared::dto::{MoneySettings, PaymentReceipt};
use shared::money::{Bp, Fen};
use shared::plan::{Bill, plan};
use sqlx::pool::PoolConnection;
use sqlx::{Connection, PgConnection, PgPool, Postgres, Row};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Mutex, OwnedRwLockWriteGuard, RwLock, mpsc, oneshot};

/// The most payments posted in one transaction.
pub const MAX_BATCH: usize = 64;
/// How long a worker keeps its connection without work.
const IDLE: Duration = Duration::from_millis(500);
/// Workers posting batches at once (2 did best on the 2-core bench box;
/// 4 and 8 made smaller batches for no gain).
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
}

/// The queue of payments waiting to be booked (PostgreSQL only).
#[derive(Clone)]
pub struct PayBatcher {
    pool: PgPool,
    queue: Arc<OnceLock<mpsc::Sender<Queued>>>,
    gate: Arc<RwLock<()>>,
    /// What the batches did so far.
    pub stats: Arc<BatchStats>,
}

impl PayBatcher {
    /// A batcher posting through `pool`; its workers start with the first
    /// payment.
    pub fn new(pool: PgPool) -> PayBatcher {
        PayBatcher {
            pool,
            queue: Arc::new(OnceLock::new()),
            gate: Arc::new(RwLock::new(())),
            stats: Arc::new(BatchStats::default()),
        }
    }

    fn sender(&self) -> &mpsc::Sender<Queued> {
        self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::channel::<Queued>(4 * MAX_BATCH);
            let rx = Arc::new(Mutex::new(rx));
            for _ in 0..WORKERS {
                tokio::spawn(worker(
                    self.pool.clone(),
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
        let (reply, answer) = oneshot::channel();
        self.sender().send(Queued { job, reply }).await.ok()?;
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
    pool: PgPool,
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
        run(&pool, &mut conn, batch, &stats).await;
    }
}

async fn run(
    pool: &PgPool,
    conn: &mut Option<PoolConnection<Postgres>>,
    batch: Vec<Queued>,
    stats: &BatchStats,
) {
    let (jobs, replies): (Vec<PayJob>, Vec<_>) =
        batch.into_iter().map(|q| (q.job, q.reply)).unzip();
    let booked = match conn.take() {
        Some(c) => Ok(c),
        None => pool.acquire().await,
    };
    let receipts = match booked {
        Ok(mut c) => match book(&mut c, &jobs).await {
            Ok(r) => {
                *conn = Some(c);
                Ok(r)
            }
            // The connection goes back to the pool, which checks it.
            Err(e) => Err(e),
        },
        Err(e) => Err(e.into()),
    };
    let receipts = match receipts {
        Ok(r) => r,
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

/// The members behind the sessions, their accounts locked in id order, the
/// stores with their wallets, the brand's bonus income account and money
/// settings, and fresh payment ids: one statement, the first of the
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
  NULL::int AS settle_bp, NULL::text AS channel_url, NULL::text AS zone, \
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
  m.max_payment, m.pin_above, m.bonus_settle_bp, m.channel_url, NULL, \
  COALESCE(m.points_per_yuan, 0) \
    + (SELECT COUNT(*) FROM member_levels l WHERE l.brand_id = s.brand_id) \
FROM stores s \
LEFT JOIN accounts w ON w.brand_id = s.brand_id AND w.kind = $6 AND w.owner_id = s.id \
LEFT JOIN accounts i ON i.brand_id = s.brand_id AND i.kind = $7 AND i.owner_id = 0 \
LEFT JOIN money_settings m ON m.brand_id = s.brand_id \
WHERE s.id = ANY($2)";

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

/// Books what it can of `jobs` in one transaction: the receipt as JSON for
/// each payment booked, `None` for each handed back.
async fn book(conn: &mut PgConnection, jobs: &[PayJob]) -> anyhow::Result<Vec<Option<String>>> {
    let mut store_ids: Vec<i64> = jobs.iter().map(|j| j.store_id).collect();
    store_ids.sort_unstable();
    store_ids.dedup();
    let mut hashes: Vec<&str> = jobs.iter().map(|j| j.token_hash.as_str()).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let mut tx = conn.begin().await?;
    let read = sqlx::query(READ)
        .bind(&hashes)
        .bind(&store_ids)
        .bind(i32::try_from(jobs.len())?)
        .bind(Kind::MemberPrincipal.as_str())
        .bind(Kind::MemberBonus.as_str())
        .bind(Kind::StoreWallet.as_str())
        .bind(Kind::BonusIncome.as_str())
        .fetch_all(&mut *tx)
        .await?;
    let mut sessions = HashMap::new();
    let mut shops = HashMap::new();
    let mut ids = Vec::new();
    let mut pending: HashMap<(i64, i64), LockedPair> = HashMap::new();
    for row in &read {
        let (what, id, brand_id, name): (String, i64, i64, String) = (
            row.try_get("what")?,
            row.try_get("id")?,
            row.try_get("brand_id")?,
            row.try_get("name")?,
        );
        if what == "account" {
            let (owner, balance): (i64, i64) = (row.try_get("owner_id")?, row.try_get("balance")?);
            let slot = pending.entry((brand_id, owner)).or_default();
            if name == Kind::MemberPrincipal.as_str() {
                slot.0 = Some((id, balance));
            } else {
                slot.1 = Some((id, balance));
            }
            continue;
        }
        if what == "session" {
            sessions.insert(
                name,
                Session {
                    member_id: id,
                    brand_id,
                    frozen: row.try_get("flag")?,
                    expires_at: row.try_get("balance")?,
                    time_zone: row.try_get("zone")?,
                },
            );
            continue;
        }
        let mut rules = MoneySettings::default();
        if let Some(max) = row.try_get::<Option<i64>, _>("max_payment")? {
            rules.max_payment = Fen(max);
            rules.pin_above = Fen(row.try_get("pin_above")?);
            rules.bonus_settle_bp = u32::try_from(row.try_get::<i32, _>("settle_bp")?)?;
            rules.channel_url = row.try_get("channel_url")?;
        }
        shops.insert(
            id,
            Shop {
                brand_id,
                name,
                active: row.try_get("flag")?,
                wallet: row.try_get("wallet")?,
                income: row.try_get("income")?,
                rules,
                earns: row.try_get::<Option<i64>, _>("earns")?.unwrap_or(0) > 0,
            },
        );
        ids = row.try_get::<Vec<i64>, _>("ids")?;
    }
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
        tx.rollback().await?;
        return Ok(vec![None; jobs.len()]);
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
        tx.rollback().await?;
        return Ok(receipts.into_iter().map(|_| None).collect());
    }
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
    let n = rows.pay_id.len() as i64;
    let counts: (i64, i64) = (done.try_get("payments")?, done.try_get("keys")?);
    // A key recorded meanwhile (a retry of a finished payment) or a guard
    // that fired: nothing of the batch stays.
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
    Ok(receipts)
}
