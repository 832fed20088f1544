//! The job runner on both databases: replicas ticking at once run a due
//! job exactly once, a job runs again only when its time comes, a lease
//! left by a runner that died runs out, and `tongka jobs` shows it all.

use crate::helpers::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shared::dto::JobName;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tongka_server::entity::job;
use tongka_server::jobs::{self, Job, LEASE_MS, Ran};

/// A job that counts its runs and takes a while, so runners overlap.
fn counting_job(runs: &Arc<AtomicUsize>) -> Job {
    let counted = runs.clone();
    Job {
        name: JobName::Sms,
        every_ms: 10_000,
        run: Arc::new(move |_| {
            let counted = counted.clone();
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                counted.fetch_add(1, Ordering::SeqCst);
                Ok(())
            })
        }),
    }
}

/// Eight runners (replicas) tick at the same moment.
async fn eight_at_once(app: &TestApp, job: &Job) -> Vec<Ran> {
    let ticks: Vec<_> = (0..8)
        .map(|i| {
            let (state, job) = (app.state.clone(), job.clone());
            tokio::spawn(async move { jobs::tick(&state, &format!("replica-{i}"), &[job]).await })
        })
        .collect();
    let mut ran = Vec::new();
    for t in ticks {
        let mut r = t.await.expect("a runner");
        ran.push(r.pop().expect("one job").1);
    }
    ran
}

dual_test!(
    replicas_ticking_at_once_run_a_due_job_once_and_again_when_due,
    |app| async move {
        // The jobs table is the process's: a database of this test's own.
        let app = spawn_app_with_own_database(app.backend).await;
        let runs = Arc::new(AtomicUsize::new(0));
        let job = counting_job(&runs);

        let ran = eight_at_once(&app, &job).await;
        assert_eq!(
            ran.iter().filter(|r| **r == Ran::Done).count(),
            1,
            "{ran:?}"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        // Not again before its time, however many replicas ask.
        let ran = eight_at_once(&app, &job).await;
        assert!(ran.iter().all(|r| *r == Ran::Skipped), "{ran:?}");
        app.advance(Duration::from_secs(10));
        let ran = eight_at_once(&app, &job).await;
        assert_eq!(
            ran.iter().filter(|r| **r == Ran::Done).count(),
            1,
            "{ran:?}"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 2);

        // A replica that died holding the lease: nobody runs the job until
        // the lease runs out, then one does.
        app.advance(Duration::from_secs(10));
        let now = app.clock.now_ms();
        job::Entity::update_many()
            .col_expr(
                job::Column::LeaseUntil,
                sea_orm::sea_query::Expr::value(now + LEASE_MS),
            )
            .col_expr(
                job::Column::LeasedBy,
                sea_orm::sea_query::Expr::value("dead"),
            )
            .filter(job::Column::Name.eq("sms"))
            .exec(&app.writer())
            .await
            .expect("a lease left behind");
        assert!(
            eight_at_once(&app, &job)
                .await
                .iter()
                .all(|r| *r == Ran::Skipped)
        );
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        app.advance(Duration::from_millis(LEASE_MS as u64));
        let ran = eight_at_once(&app, &job).await;
        assert_eq!(
            ran.iter().filter(|r| **r == Ran::Done).count(),
            1,
            "{ran:?}"
        );
        assert_eq!(runs.load(Ordering::SeqCst), 3);

        // A job that fails as a whole keeps its error and runs again on
        // its schedule.
        app.advance(Duration::from_secs(10));
        let broken = Job {
            run: Arc::new(|_| Box::pin(async { anyhow::bail!("the channel is down") })),
            ..job.clone()
        };
        let ran = jobs::tick(&app.state, "replica-0", &[broken]).await;
        assert_eq!(ran[0].1, Ran::Failed("the channel is down".into()));
        let report = jobs::report(&app.db, app.clock.now_ms())
            .await
            .expect("the platform's view");
        assert!(
            report.contains("sms: 4 runs") && report.contains("last error: the channel is down"),
            "{report}"
        );
        app.advance(Duration::from_secs(10));
        jobs::tick(&app.state, "replica-0", &[job]).await;
        let row = job::Entity::find_by_id("sms".to_string())
            .one(&app.db)
            .await
            .expect("reading")
            .expect("the job's row");
        assert_eq!((row.runs, row.last_error, row.leased_by), (5, None, None));
    }
);
