//! One job runner for every background job (DESIGN.md "Scale and
//! deployment"): the gateway sweep, the gateway refund and payout outboxes,
//! SMS delivery, and every later job (expiry runs, reminders).
//!
//! Each job has a row in `jobs`. A runner (one per replica) ticks every
//! second and, for each job that is due, tries to lease it with one guarded
//! update (`… WHERE next_run_at <= now AND lease_until <= now`): of several
//! replicas exactly one gets it, runs it, and hands it back with its next
//! run time. A lease that was never handed back (a replica that died) runs
//! out after [`LEASE_MS`]. The jobs themselves stay safe to run twice (each
//! item claimed by a compare-and-set), so a lease that runs out under a slow
//! run costs nothing but work.
//!
//! A job goes through its items one by one: an item that fails is recorded
//! in `job_failures` for its brand ([`item_failed`]) and the job goes on to
//! the next; the record goes when a later run handles the item
//! ([`item_done`]). Each brand's HQ admin sees their own
//! (`routes::jobs`); the platform's operator sees every job and brand with
//! `tongka jobs`.

use crate::db::begin_write;
use crate::entity::{job, job_failure};
use crate::state::AppState;
use futures_util::future::BoxFuture;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use shared::dto::JobName;

/// How long a lease holds if its runner never hands it back.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

/// How often the runner looks for due jobs.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// What a job does: `run(app)`.
pub type Work =
    std::sync::Arc<dyn for<'a> Fn(&'a AppState) -> BoxFuture<'a, anyhow::Result<()>> + Send + Sync>;

/// A background job: its name, how often it runs and what it does.
#[derive(Clone)]
pub struct Job {
    /// Its name (the `jobs` row).
    pub name: JobName,
    /// Time between the end of one run and the start of the next.
    pub every_ms: i64,
    /// The work. An error here is the job's own (it could not even list
    /// its items); an item's failure is recorded with [`item_failed`].
    pub run: Work,
}

/// Every job the server runs.
pub fn all() -> Vec<Job> {
    vec![
        Job {
            name: JobName::GatewayOrders,
            every_ms: 10_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::gateway_orders::sweep_orders(app)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.detail()))?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::GatewayRefunds,
            every_ms: 10_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::gateway_orders::send_refunds(app)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.detail()))?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Payouts,
            every_ms: 10_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::wallet::withdrawals::sweep(app, None)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.detail()))?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Cards,
            every_ms: 60_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::cards::lifecycle::run(app)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.detail()))?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Points,
            every_ms: 60_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::points::expire_due(&app.db, app.clock.now_ms(), None).await?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Birthday,
            every_ms: 3_600_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::levels::birthday_gifts(&app.db, app.clock.now_ms())
                        .await
                        .map_err(|e| anyhow::anyhow!(e.detail()))?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Invites,
            every_ms: 60_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    let done = crate::invites::reward_due(&app.db, app.clock.now_ms(), None)
                        .await
                        .map_err(|e| anyhow::anyhow!(e.detail()))?;
                    if done.failed > 0 {
                        anyhow::bail!("{} invites could not be rewarded", done.failed);
                    }
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Rollup,
            every_ms: 60_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    crate::ledger::rollup(&app.db).await?;
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::PointsReminders,
            every_ms: 3_600_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    let done = crate::points::reminders::remind_due(
                        &app.db,
                        &*app.sms,
                        app.clock.now_ms(),
                        None,
                    )
                    .await?;
                    if done.failed > 0 {
                        anyhow::bail!("{} members could not be reminded", done.failed);
                    }
                    Ok(())
                })
            }),
        },
        Job {
            name: JobName::Sms,
            every_ms: 10_000,
            run: std::sync::Arc::new(|app| {
                Box::pin(async move {
                    app.sms.flush().await;
                    Ok(())
                })
            }),
        },
    ]
}

/// What one tick did with a job.
#[derive(Debug, PartialEq, Eq)]
pub enum Ran {
    /// Not due, or another runner holds it.
    Skipped,
    /// Ran to the end.
    Done,
    /// Ran and failed as a whole (the message is kept on its row).
    Failed(String),
}

/// Runs every job of `jobs` that is due and not leased, as runner `me`.
/// An idle tick is one read; a job's row is written only when it is
/// created, leased and handed back.
pub async fn tick(app: &AppState, me: &str, jobs: &[Job]) -> Vec<(JobName, Ran)> {
    let rows = match status(&app.db).await {
        Ok(rows) => rows,
        Err(e) => {
            tracing::warn!("job runner: reading the jobs: {e}");
            return jobs.iter().map(|j| (j.name, Ran::Skipped)).collect();
        }
    };
    let now = app.clock.now_ms();
    let mut ran = Vec::with_capacity(jobs.len());
    for j in jobs {
        let row = rows.iter().find(|r| r.name == j.name.as_str());
        let due = row.is_none_or(|r| r.next_run_at <= now && r.lease_until <= now);
        let outcome = if due {
            run_if_due(app, me, j, row.is_none())
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(job = j.name.as_str(), "job runner: {e}");
                    Ran::Skipped
                })
        } else {
            Ran::Skipped
        };
        ran.push((j.name, outcome));
    }
    ran
}

async fn run_if_due(app: &AppState, me: &str, j: &Job, new: bool) -> Result<Ran, DbErr> {
    let now = app.clock.now_ms();
    if new {
        // Any runner may create the row; the first one wins.
        let tx = begin_write(&app.db).await?;
        job::Entity::insert(job::ActiveModel {
            name: Set(j.name.as_str().into()),
            next_run_at: Set(now),
            lease_until: Set(0),
            leased_by: Set(None),
            runs: Set(0),
            last_started_at: Set(None),
            last_finished_at: Set(None),
            last_error: Set(None),
        })
        .on_conflict(
            OnConflict::column(job::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        tx.commit().await?;
    }
    let tx = begin_write(&app.db).await?;
    let leased = job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(now + LEASE_MS))
        .col_expr(job::Column::LeasedBy, Expr::value(me))
        .col_expr(job::Column::LastStartedAt, Expr::value(now))
        .filter(job::Column::Name.eq(j.name.as_str()))
        .filter(job::Column::NextRunAt.lte(now))
        .filter(job::Column::LeaseUntil.lte(now))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    if leased.rows_affected != 1 {
        return Ok(Ran::Skipped);
    }
    let result = (j.run)(app).await;
    let error = result.as_ref().err().map(|e| format!("{e:#}"));
    if let Some(e) = &error {
        tracing::warn!(job = j.name.as_str(), "job failed: {e}");
    }
    let done = app.clock.now_ms();
    // Handed back only by its holder: a runner whose lease ran out and was
    // taken over leaves the new holder's lease alone.
    let tx = begin_write(&app.db).await?;
    job::Entity::update_many()
        .col_expr(job::Column::LeaseUntil, Expr::value(0))
        .col_expr(job::Column::LeasedBy, Expr::value(Option::<String>::None))
        .col_expr(job::Column::NextRunAt, Expr::value(done + j.every_ms))
        .col_expr(job::Column::Runs, Expr::col(job::Column::Runs).add(1))
        .col_expr(job::Column::LastFinishedAt, Expr::value(done))
        .col_expr(job::Column::LastError, Expr::value(error.clone()))
        .filter(job::Column::Name.eq(j.name.as_str()))
        .filter(job::Column::LeasedBy.eq(me))
        .filter(job::Column::LeaseUntil.eq(now + LEASE_MS))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(match error {
        Some(e) => Ran::Failed(e),
        None => Ran::Done,
    })
}

/// Starts this replica's runner: every [`TICK`], the jobs that are due.
pub fn spawn(app: AppState) {
    let me = format!("{}:{}", hostname(), std::process::id());
    tokio::spawn(async move {
        let jobs = all();
        let mut tick_every = tokio::time::interval(TICK);
        loop {
            tick_every.tick().await;
            tick(&app, &me, &jobs).await;
        }
    });
}

fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "tongka".into())
}

/// One item's outcome, kept for the brand's HQ admin: a failure is logged
/// and recorded ([`item_failed`]), a success clears any record
/// ([`item_done`]); the value, if it went through.
pub async fn handled<T>(
    app: &AppState,
    job: JobName,
    brand_id: i64,
    item: &str,
    outcome: crate::error::AppResult<T>,
) -> Option<T> {
    match outcome {
        Ok(v) => {
            item_done(&app.db, job, item).await;
            Some(v)
        }
        Err(e) => {
            tracing::error!(
                job = job.as_str(),
                brand = brand_id,
                item,
                "not handled: {e:?}"
            );
            item_failed(
                &app.db,
                job,
                brand_id,
                item,
                &e.detail(),
                app.clock.now_ms(),
            )
            .await;
            None
        }
    }
}

/// Records that `job` could not handle `item` of the brand: a new record,
/// or one more attempt on the one there.
pub async fn item_failed(
    db: &DatabaseConnection,
    job: JobName,
    brand_id: i64,
    item: &str,
    error: &str,
    now: i64,
) {
    let record = job_failure::Entity::insert(job_failure::ActiveModel {
        brand_id: Set(brand_id),
        job: Set(job.as_str().into()),
        item: Set(item.into()),
        error: Set(error.chars().take(500).collect()),
        attempts: Set(1),
        first_at: Set(now),
        last_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([job_failure::Column::Job, job_failure::Column::Item])
            .update_columns([job_failure::Column::Error, job_failure::Column::LastAt])
            .value(
                job_failure::Column::Attempts,
                Expr::col((job_failure::Entity, job_failure::Column::Attempts)).add(1),
            )
            .to_owned(),
    );
    let written = async {
        let tx = begin_write(db).await?;
        record.exec_without_returning(&tx).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        tracing::error!(
            job = job.as_str(),
            item,
            "could not record a failed item: {e}"
        );
    }
}

/// Records that `job` handled `item`: its failure record, if any, goes.
pub async fn item_done(db: &DatabaseConnection, job: JobName, item: &str) {
    let cleared = async {
        let tx = begin_write(db).await?;
        job_failure::Entity::delete_many()
            .filter(job_failure::Column::Job.eq(job.as_str()))
            .filter(job_failure::Column::Item.eq(item))
            .exec(&tx)
            .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = cleared {
        tracing::error!(
            job = job.as_str(),
            item,
            "could not clear a failed item: {e}"
        );
    }
}

/// The brand's failed items, newest first (`after`: the previous page's
/// last id), one more than `limit` to say whether another page follows.
pub async fn failures(
    conn: &impl ConnectionTrait,
    brand_id: Option<i64>,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<job_failure::Model>, DbErr> {
    let mut find = job_failure::Entity::find();
    if let Some(b) = brand_id {
        find = find.filter(job_failure::Column::BrandId.eq(b));
    }
    if let Some(a) = after {
        find = find.filter(job_failure::Column::Id.lt(a));
    }
    find.order_by_desc(job_failure::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Every job's row, by name.
pub async fn status(conn: &impl ConnectionTrait) -> Result<Vec<job::Model>, DbErr> {
    job::Entity::find()
        .order_by_asc(job::Column::Name)
        .all(conn)
        .await
}

/// The platform's view (`tongka jobs`): every job's schedule, lease and
/// last outcome, then the failed items of every brand.
pub async fn report(conn: &impl ConnectionTrait, now: i64) -> anyhow::Result<String> {
    use crate::entity::brand;
    use std::fmt::Write;
    let mut out = String::new();
    let rows = status(conn).await?;
    if rows.is_empty() {
        writeln!(
            out,
            "no job has run yet (the runner starts with `tongka serve`)"
        )?;
    }
    for j in &rows {
        let when = |at: Option<i64>| at.map_or("never".to_string(), crate::clock::rfc3339);
        let lease = match (&j.leased_by, j.lease_until > now) {
            (Some(by), true) => format!(
                "running on {by} (lease until {})",
                crate::clock::rfc3339(j.lease_until)
            ),
            _ => format!("next run {}", crate::clock::rfc3339(j.next_run_at)),
        };
        writeln!(
            out,
            "{}: {} runs, last finished {}, {}{}",
            j.name,
            j.runs,
            when(j.last_finished_at),
            lease,
            j.last_error
                .as_ref()
                .map(|e| format!(", last error: {e}"))
                .unwrap_or_default()
        )?;
    }
    let failed = failures(conn, None, None, 500).await?;
    if failed.is_empty() {
        writeln!(out, "no failed items")?;
        return Ok(out);
    }
    let slugs: std::collections::HashMap<i64, String> = brand::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|b| (b.id, b.slug))
        .collect();
    writeln!(out, "{} failed items:", failed.len())?;
    for f in &failed {
        writeln!(
            out,
            "  brand {} · {} · {} · {} attempts, last {} · {}",
            slugs.get(&f.brand_id).map_or("?", String::as_str),
            f.job,
            f.item,
            f.attempts,
            crate::clock::rfc3339(f.last_at),
            f.error
        )?;
    }
    Ok(out)
}
