//! Outside demo mode (issue 10): no sandbox exists (no checkout anyone can
//! pay to mint stored value, no open switches), self top-up says the gateway
//! is not configured, SMS go through a signed webhook, and HQ finance pays
//! withdrawals by bank transfer and marks them paid with the reference. In
//! demo mode the sandboxes' switches are HQ admin's, audited, and the payout
//! mode is one for every replica.

use crate::helpers::*;
use crate::money::*;
use crate::withdrawals::{
    act, ask_ok, attempts_of, earning_shop, entries, sweep, wallet, withdrawal,
};
use axum::http::HeaderMap;
use shared::ErrorCode;
use shared::dto::{AuditEntry, Page, WithdrawalState, WithdrawalView};
use std::sync::{Arc, Mutex};
use tongka_server::sms::{SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSms, webhook_signature};
use tongka_server::state::AppState;

const SMS_SECRET: &str = "webhook-secret-0123456789";

/// What the SMS webhook received: (headers, body), and how many of the
/// first requests it answers 500.
#[derive(Clone, Default)]
struct Inbox {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    failures_left: Arc<Mutex<u32>>,
}

/// A stand-in for a deployment's SMS relay, on a port of its own.
async fn sms_relay(fail_first: u32) -> (String, Inbox) {
    let inbox = Inbox::default();
    *inbox
        .failures_left
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = fail_first;
    let seen = inbox.clone();
    let app = axum::Router::new().route(
        "/sms",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut left = seen.failures_left.lock().unwrap_or_else(|e| e.into_inner());
                if *left > 0 {
                    *left -= 1;
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                seen.got
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((headers, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding the relay");
    let url = format!(
        "http://{}/sms",
        listener.local_addr().expect("the relay's address")
    );
    runtime().spawn(async move { axum::serve(listener, app).await });
    (url, inbox)
}

/// An app outside demo mode: no gateway, SMS to `sms_url`, manual payouts.
async fn production_app(backend: Backend, sms_url: &str) -> TestApp {
    production_app_in(backend, crate::databases::database(backend).await, sms_url).await
}

/// [`production_app`] on the database `db`.
async fn production_app_in(
    backend: Backend,
    db: sea_orm::DatabaseConnection,
    sms_url: &str,
) -> TestApp {
    let sms_url = sms_url.to_string();
    spawn_app_in(backend, db, move |db, clock, public_url| {
        let sms = WebhookSms::new(db.clone(), clock.clone(), &sms_url, SMS_SECRET.as_bytes())
            .expect("the webhook sender");
        let mut state = AppState::production(
            db,
            clock,
            tongka_server::config::Limits::default(),
            public_url,
            None,
            Arc::new(sms),
        )
        .expect("a production state");
        state.cipher = tongka_server::secrets::Cipher::from_secret(GATEWAY_KEY.as_bytes());
        state
    })
    .await
}

fn backends() -> [Backend; 2] {
    [Backend::Sqlite, Backend::Postgres]
}

#[test]
fn outside_demo_mode_no_sandbox_exists_and_nobody_pays_online() {
    for backend in backends() {
        runtime().block_on(async move {
            let (url, _inbox) = sms_relay(0).await;
            let app = production_app(backend, &url).await;
            let admin = app.login_admin().await;
            // The sandbox checkout and its switches do not exist.
            let checkout = app
                .client
                .get(format!("{}/sandbox/gateway/checkout/m/x", app.address))
                .send()
                .await
                .expect("asking for a checkout");
            assert_eq!(checkout.status(), 404, "{backend:?}");
            for path in [
                "/api/hq/sandbox/gateway-switches",
                "/api/hq/sandbox/payout-mode",
            ] {
                app.get(path)
                    .token(&admin)
                    .send()
                    .await
                    .error(404, ErrorCode::NotFound);
            }
            // Self top-up says online payment is not set up; nothing is written.
            let member = new_member(&app).await;
            let reply = app
                .post("/api/member/topups")
                .token(&member.token)
                .header(IDEMPOTENCY_KEY, &new_key())
                .lang("en")
                .json(&serde_json::json!({ "amount": 10_000, "plan_id": null }))
                .send()
                .await;
            let error = reply.error(503, ErrorCode::GatewayNotConfigured);
            assert_eq!(
                error.message,
                "Online payment is not set up yet; top up at a store's counter"
            );
            use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
            let orders = tongka_server::entity::gateway_order::Entity::find()
                .filter(tongka_server::entity::gateway_order::Column::BrandId.eq(app.brand_id))
                .count(&app.db)
                .await
                .expect("counting orders");
            assert_eq!(orders, 0);
        });
    }
}

#[test]
fn outside_demo_mode_sms_go_through_the_signed_webhook() {
    for backend in backends() {
        runtime().block_on(async move {
            // The relay fails the first delivery: it is tried again.
            let (url, inbox) = sms_relay(1).await;
            // A database of its own: on the shared one, a sender of another
            // test outside demo mode delivers whatever is waiting (every
            // test's login codes) to its own relay, this code too.
            let (_, db) = crate::databases::separate_database(backend).await;
            let app = production_app_in(backend, db, &url).await;
            let phone = random_phone();
            app.request_code(&phone).await.status(200);
            let mut delivered = Vec::new();
            for _ in 0..100 {
                delivered = inbox
                    .got
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .iter()
                    .filter(|(_, body)| body.contains(&phone))
                    .cloned()
                    .collect();
                if !delivered.is_empty() {
                    break;
                }
                // The first attempt failed; its claim runs out after 30 s.
                app.advance_secs(31);
                app.state.sms.flush().await;
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert_eq!(delivered.len(), 1, "{backend:?}");
            let (headers, body) = &delivered[0];
            let ts: i64 = headers[TIMESTAMP_HEADER]
                .to_str()
                .ok()
                .and_then(|t| t.parse().ok())
                .expect("a timestamp");
            assert_eq!(
                headers[SIGNATURE_HEADER].to_str().ok(),
                Some(webhook_signature(SMS_SECRET.as_bytes(), ts, body.as_bytes()).as_str())
            );
            let sent: serde_json::Value = serde_json::from_str(body).expect("JSON");
            assert_eq!(sent["phone"], phone.as_str());
            let code = app.latest_code(&phone).await;
            assert!(sent["body"].as_str().is_some_and(|b| b.contains(&code)));
            // The code works.
            app.member_login_with(&phone, &code, true).await.status(200);
        });
    }
}

#[test]
fn outside_demo_mode_a_login_code_goes_before_a_run_of_reminders_and_no_reminder_is_dropped() {
    use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter};
    use tongka_server::entity::notification;
    use tongka_server::sms::Sms;
    for backend in backends() {
        runtime().block_on(async move {
            let (url, inbox) = sms_relay(0).await;
            // A database of its own (see the test above).
            let (_, db) = crate::databases::separate_database(backend).await;
            let app = production_app_in(backend, db, &url).await;
            // A reminder run queues more SMS than one batch, in the daytime
            // (the tests start at 09:00 in Shanghai) …
            let now = app.state.clock.now_ms();
            let until = tongka_server::points::reminders::daytime_ends("Asia/Shanghai", now);
            let tag = format!("reminder-{}", random_phone());
            let tx = app.begin_outside().await;
            for i in 0..150 {
                let sms = Sms {
                    brand_id: app.brand_id,
                    phone: random_phone(),
                    body: format!("{tag} {i}"),
                    at: now,
                    deliver_by: until,
                };
                app.state.sms.send(&tx, sms).await.expect("queued");
            }
            tx.commit().await.expect("committed");
            // … that wait 20 minutes, longer than a code is worth sending;
            // then a member asks for a login code.
            app.advance_secs(20 * 60);
            let phone = random_phone();
            app.request_code(&phone).await.status(200);
            // The code's own delivery (after its commit) goes on to every
            // message waiting: all the reminders are delivered, and the code.
            let mut left = usize::MAX;
            for _ in 0..200 {
                left = notification::Entity::find()
                    .filter(
                        notification::Column::Body
                            .starts_with(&tag)
                            .or(notification::Column::Recipient.eq(&phone)),
                    )
                    .filter(notification::Column::SentAt.is_null())
                    .all(&app.db)
                    .await
                    .expect("reading the outbox")
                    .len();
                if left == 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            assert_eq!(left, 0, "{backend:?}: reminders never delivered");
            // The code went first, and each message once.
            let got: Vec<bool> = inbox
                .got
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(_, b)| b.contains(&phone))
                .collect();
            assert_eq!(got.len(), 151, "{backend:?}");
            assert_eq!(
                got.iter().position(|is_code| *is_code),
                Some(0),
                "{backend:?}: reminders went before the code"
            );
            let code = app.latest_code(&phone).await;
            app.member_login_with(&phone, &code, true).await.status(200);
        });
    }
}

#[test]
fn outside_demo_mode_hq_finance_pays_by_hand_with_the_transfer_reference() {
    for backend in backends() {
        runtime().block_on(async move {
            let (url, _inbox) = sms_relay(0).await;
            let app = production_app(backend, &url).await;
            let shop = earning_shop(&app, 30_000).await;
            let id = ask_ok(&app, &shop.manager, shop.one.id, 25_000).await;
            act(&app, &shop.finance, id, "approve").await.status(200);
            sweep(&app).await;
            // Nothing is sent anywhere: it waits for HQ finance.
            assert_eq!(
                withdrawal(&app, &shop.manager, id).await.state,
                WithdrawalState::Approved
            );
            let mark = |token: String, reference: &'static str| {
                let app = app.clone();
                async move {
                    app.post(&format!("/api/hq/withdrawals/{id}/mark-paid"))
                        .token(&token)
                        .lang("en")
                        .json(&serde_json::json!({ "reference": reference }))
                        .send()
                        .await
                }
            };
            mark(shop.manager.clone(), "CMB20260302001")
                .await
                .error(403, ErrorCode::Forbidden);
            mark(shop.admin.clone(), "CMB20260302001")
                .await
                .error(403, ErrorCode::Forbidden);
            let error = mark(shop.finance.clone(), "CMB 2026")
                .await
                .error(422, ErrorCode::InvalidField);
            assert_eq!(
                error.message,
                "The transfer reference cannot contain spaces"
            );
            let paid: WithdrawalView = mark(shop.finance.clone(), "CMB20260302001").await.ok();
            assert_eq!(paid.state, WithdrawalState::Paid);
            // Marking it again changes nothing.
            let again: WithdrawalView = mark(shop.finance.clone(), "CMB20260302001").await.ok();
            assert_eq!(again.state, WithdrawalState::Paid);
            let attempts = attempts_of(&app, id).await;
            assert_eq!(attempts[0].reference.as_deref(), Some("CMB20260302001"));
            assert_eq!(entries(&app, "payout", &attempts[0].payout_no).await, 1);
            let w = wallet(&app, &shop.manager, shop.one.id).await;
            assert_eq!((w.available.0, w.frozen.0), (5_000, 0));
            let audit: Page<AuditEntry> = app
                .get("/api/hq/audit")
                .token(&shop.admin)
                .send()
                .await
                .ok();
            let paid_entry = audit
                .items
                .iter()
                .find(|e| e.action == shared::dto::AuditAction::WithdrawalPaid)
                .expect("the payment is audited");
            assert!(
                paid_entry
                    .actor
                    .as_deref()
                    .is_some_and(|a| a.contains("finance")),
                "{paid_entry:?}"
            );
            assert_reconciled(&app).await;
        });
    }
}

dual_test!(
    in_demo_mode_the_sandbox_switches_are_hq_admins_and_audited,
    |app| async move {
        let shop = shop(&app).await;
        // The switches were an open route.
        let open = app
            .client
            .put(format!("{}/sandbox/gateway/switches", app.address))
            .json(&serde_json::json!({ "drop": true }))
            .send()
            .await
            .expect("trying the old route");
        assert!(
            open.status() == 404 || open.status() == 405,
            "{}",
            open.status()
        );
        app.put("/api/hq/sandbox/gateway-switches")
            .token(&shop.finance)
            .json(&serde_json::json!({ "drop": true }))
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        let now: serde_json::Value = app
            .put("/api/hq/sandbox/gateway-switches")
            .token(&shop.admin)
            .json(&serde_json::json!({ "drop": true }))
            .send()
            .await
            .ok();
        assert_eq!(now["drop"], true);
        // The payout mode is the same on every replica.
        let _: serde_json::Value = app
            .post("/api/hq/sandbox/payout-mode")
            .token(&shop.admin)
            .json(&serde_json::json!({ "mode": "hang" }))
            .send()
            .await
            .ok();
        let replica = app.second_replica().await;
        let seen: serde_json::Value = replica
            .get("/api/hq/sandbox/payout-mode")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(seen["mode"], "hang");
        let audit: Page<AuditEntry> = app
            .get("/api/hq/audit")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        let actions: Vec<&str> = audit.items.iter().map(|e| e.action.as_str()).collect();
        assert!(actions.contains(&"sandbox.gateway_switches"), "{actions:?}");
        assert!(actions.contains(&"sandbox.payout_mode"), "{actions:?}");
        // Back to normal for whatever else runs on this app.
        let _: serde_json::Value = app
            .put("/api/hq/sandbox/gateway-switches")
            .token(&shop.admin)
            .json(&serde_json::json!({}))
            .send()
            .await
            .ok();
    }
);

/// Runs `tongka serve` with `env` on a database of its own until it either
/// exits (its status and what it printed) or prints `until` (then it is
/// killed): (exited, output).
async fn tongka_serve(backend: Backend, env: &[(&str, &str)], until: &str) -> (bool, String) {
    use tokio::io::AsyncBufReadExt;
    let (url, _db) = crate::databases::separate_database(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tongka"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", &url)
        .env("TONGKA_DATA_KEY", GATEWAY_KEY)
        .env(
            "TONGKA_SITE_DIR",
            crate::databases::process_dir().join("no-site"),
        )
        .env("RUST_LOG", "warn")
        .env_remove("TONGKA_SEED_DEMO")
        .env_remove("TONGKA_DEMO")
        .env_remove("TONGKA_GATEWAY_URL")
        .env_remove("TONGKA_GATEWAY_KEY")
        .env_remove("TONGKA_SMS_WEBHOOK_URL")
        .env_remove("TONGKA_SMS_WEBHOOK_SECRET")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("starting tongka serve");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let mut errors = tokio::io::BufReader::new(stderr).lines();
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        tokio::select! {
            line = lines.next_line() => match line {
                Ok(Some(l)) => { seen.push_str(&l); seen.push('\n'); }
                _ => break,
            },
            line = errors.next_line() => match line {
                Ok(Some(l)) => { seen.push_str(&l); seen.push('\n'); }
                _ => break,
            },
            _ = tokio::time::sleep_until(deadline) => break,
        }
        if seen.contains(until) {
            let _ = child.kill().await;
            return (false, seen);
        }
    }
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), child.wait()).await;
    while let Ok(Some(l)) = errors.next_line().await {
        seen.push_str(&l);
        seen.push('\n');
    }
    (matches!(status, Ok(Ok(s)) if !s.success()), seen)
}

#[test]
fn a_real_tongka_refuses_to_start_unsafe_and_says_when_it_runs_in_demo_mode() {
    for backend in backends() {
        runtime().block_on(async move {
            // A gateway URL with no key, or with the public sandbox key.
            for key in [None, Some("sandbox-key-not-a-secret")] {
                let mut env = vec![
                    ("TONGKA_GATEWAY_URL", "https://pay.example"),
                    ("TONGKA_SMS_WEBHOOK_URL", "https://sms.example/send"),
                    ("TONGKA_SMS_WEBHOOK_SECRET", SMS_SECRET),
                ];
                if let Some(k) = key {
                    env.push(("TONGKA_GATEWAY_KEY", k));
                }
                let (refused, said) = tongka_serve(backend, &env, "Tongka is running").await;
                assert!(refused, "{key:?}: {said}");
                assert!(said.contains("TONGKA_GATEWAY_KEY"), "{said}");
            }
            // No SMS provider outside demo mode.
            let (refused, said) = tongka_serve(backend, &[], "Tongka is running").await;
            assert!(refused, "{said}");
            assert!(said.contains("TONGKA_SMS_WEBHOOK_URL"), "{said}");
            // Demo mode says so in the banner.
            let (refused, said) =
                tongka_serve(backend, &[("TONGKA_DEMO", "true")], "DEMO MODE").await;
            assert!(!refused && said.contains("DEMO MODE"), "{said}");
            // A real configuration starts, and says nothing of a demo.
            let (refused, said) = tongka_serve(
                backend,
                &[
                    ("TONGKA_SMS_WEBHOOK_URL", "https://sms.example/send"),
                    ("TONGKA_SMS_WEBHOOK_SECRET", SMS_SECRET),
                ],
                "Tongka is running",
            )
            .await;
            assert!(!refused && !said.contains("DEMO"), "{said}");
        });
    }
}
