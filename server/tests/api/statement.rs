//! 日结: a store's daily statement adds up (opening + the day's movements =
//! closing, and the last closing is the wallet), splits payments by
//! channel, shows refunds, withdrawals and counter top-ups, and exports as
//! CSV that Excel opens (UTF-8 with a BOM); random sequences of payments,
//! refunds and withdrawals with every payout outcome keep it all true.

use crate::helpers::*;
use crate::money::*;
use crate::withdrawals::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use shared::ErrorCode;
use shared::dto::{
    BrandMoney, CounterTopUp, Statement, TopUpMethod, TopUpPlan, TopUpPlanInput, WithdrawalState,
};
use shared::money::Fen;
use std::time::Duration;
use tongka_server::payout::sandbox::Mode;

async fn statement(app: &TestApp, token: &str, store_id: i64, query: &str) -> Reply {
    app.get(&format!("/api/staff/stores/{store_id}/statement{query}"))
        .token(token)
        .send()
        .await
}

/// The raw bytes of a download, its content type and disposition.
async fn download(
    app: &TestApp,
    token: &str,
    path: &str,
    lang: &str,
) -> (u16, String, String, Vec<u8>) {
    let r = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .header("Accept-Language", lang)
        .send()
        .await
        .expect("the download");
    let status = r.status().as_u16();
    let header = |name: reqwest::header::HeaderName| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, cd) = (
        header(reqwest::header::CONTENT_TYPE),
        header(reqwest::header::CONTENT_DISPOSITION),
    );
    (status, ct, cd, r.bytes().await.expect("the body").to_vec())
}

/// Asserts every day adds up and the days chain; returns the last closing.
#[track_caller]
fn assert_adds_up(s: &Statement) -> Fen {
    let mut last: Option<Fen> = None;
    for d in &s.days {
        if let Some(prev) = last {
            assert_eq!(
                d.opening, prev,
                "{}: opens where the day before closed",
                d.date
            );
        }
        let moved =
            d.principal.0 + d.bonus.0 + d.gateway.0 + d.refunds.0 + d.withdrawals.0 + d.other.0;
        assert_eq!(d.opening.0 + moved, d.closing.0, "{}: {d:?}", d.date);
        assert_eq!(d.other, Fen(0), "{}: every movement has its column", d.date);
        last = Some(d.closing);
    }
    last.expect("at least one day")
}

dual_test!(
    the_daily_statement_adds_up_by_channel_and_exports_as_csv,
    |app| async move {
        let shop = earning_shop(&app, 0).await;
        let plan: TopUpPlan = app
            .post("/api/hq/topup-plans")
            .token(&shop.admin)
            .json(&TopUpPlanInput {
                pay: Fen(10_000),
                bonus: Fen(2_000),
            })
            .send()
            .await
            .ok();
        let a = new_member(&app).await;
        set_pin(&app, &a).await;
        app.post("/api/staff/topups")
            .token(&shop.clerk)
            .header(IDEMPOTENCY_KEY, &new_key())
            .json(&CounterTopUp {
                member_phone: a.phone.clone(),
                amount: Fen(10_000),
                method: TopUpMethod::Cash,
                plan_id: Some(plan.id),
            })
            .send()
            .await
            .status(201);
        let b = new_member(&app).await;
        set_pin(&app, &b).await;
        topup_ok(&app, &shop.clerk, &b.phone, 50_000).await;
        // Day one (2026-03-02): a spends everything (principal and bonus),
        // b pays twice, one payment is partly refunded, a withdrawal is
        // asked and rejected.
        pay_ok(&app, &a.token, shop.one.id, 12_000).await;
        let p = pay_ok(&app, &b.token, shop.one.id, 8_000).await;
        pay_ok(&app, &b.token, shop.one.id, 2_000).await;
        refund_ok(&app, &shop.manager, p.payment_id, 3_000).await;
        // The store hands in ¥500 of its ¥600 counter cash: ¥100 of the
        // wallet's ¥190 is still the cash it holds.
        hand_in(&app, &shop.finance, shop.one.id, 50_000)
            .await
            .status(201);
        let held = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            (held.available, held.cash_to_hand_in, held.withdrawable),
            (Fen(19_000), Fen(10_000), Fen(9_000))
        );
        let rejected = ask_ok(&app, &shop.manager, shop.one.id, 5_000).await;
        act(&app, &shop.finance, rejected, "reject")
            .await
            .status(200);
        // Day two: one more payment and a withdrawal paid out.
        app.advance(Duration::from_secs(86_400));
        pay_ok(&app, &b.token, shop.one.id, 1_000).await;
        hand_in(&app, &shop.finance, shop.one.id, 10_000)
            .await
            .status(201);
        let paid = ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        act(&app, &shop.finance, paid, "approve").await.status(200);
        sweep(&app).await;
        assert_eq!(
            withdrawal(&app, &shop.manager, paid).await.state,
            WithdrawalState::Paid
        );

        let s: Statement = statement(
            &app,
            &shop.manager,
            shop.one.id,
            "?from=2026-03-01&to=2026-03-03",
        )
        .await
        .ok();
        assert_eq!(s.days.len(), 3);
        assert_eq!(s.store_name, "南京西路店");
        let [before, one, two] = [&s.days[0], &s.days[1], &s.days[2]];
        assert_eq!(before.date, "2026-03-01");
        assert_eq!((before.opening, before.closing), (Fen(0), Fen(0)));
        assert_eq!(one.date, "2026-03-02");
        assert_eq!(one.payments, 3);
        assert_eq!(one.principal.0 + one.bonus.0, 22_000);
        assert_eq!(
            one.bonus,
            Fen(2_000),
            "a's bonus, settled to the store at 100 %"
        );
        assert_eq!(one.gateway, Fen(0));
        assert_eq!(one.refunds, Fen(-3_000));
        assert_eq!(
            one.withdrawals,
            Fen(0),
            "frozen and given back the same day"
        );
        assert_eq!(one.counter_topups, Fen(60_000));
        assert_eq!(
            (one.cash_handed_in, one.cash_to_hand_in),
            (Fen(50_000), Fen(10_000)),
            "日结 shows the counter cash still to hand in"
        );
        assert_eq!(
            (two.cash_handed_in, two.cash_to_hand_in),
            (Fen(10_000), Fen(0))
        );
        assert_eq!(one.closing, Fen(19_000));
        assert_eq!(two.opening, Fen(19_000));
        assert_eq!((two.payments, two.principal), (1, Fen(1_000)));
        assert_eq!(two.withdrawals, Fen(-10_000));
        assert_eq!(two.counter_topups, Fen(0));
        let closing = assert_adds_up(&s);
        assert_eq!(closing, Fen(10_000));
        assert_eq!(
            wallet(&app, &shop.manager, shop.one.id).await.available,
            closing
        );
        // Its region manager and HQ read it too; a clerk and another store's
        // manager do not.
        statement(&app, &shop.finance, shop.one.id, "")
            .await
            .status(200);
        statement(&app, &shop.clerk, shop.one.id, "")
            .await
            .error(403, ErrorCode::Forbidden);
        statement(&app, &shop.manager_two, shop.one.id, "")
            .await
            .error(404, ErrorCode::NotFound);
        // The default range: the last 7 days up to today.
        let week: Statement = statement(&app, &shop.manager, shop.one.id, "").await.ok();
        assert_eq!(week.days.len(), 7);
        assert_eq!(week.to, "2026-03-03");
        // Bad ranges are refused by field.
        statement(
            &app,
            &shop.manager,
            shop.one.id,
            "?from=2026-03-05&to=2026-03-01",
        )
        .await
        .invalid("from");
        statement(
            &app,
            &shop.manager,
            shop.one.id,
            "?from=2025-01-01&to=2026-03-01",
        )
        .await
        .invalid("to");
        statement(&app, &shop.manager, shop.one.id, "?from=2026-02-30")
            .await
            .invalid("from");
        statement(&app, &shop.manager, shop.one.id, "?to=-262144-01-01")
            .await
            .invalid("to");
        // Days not yet begun have no statement; the range error reads right.
        let future = statement(&app, &shop.manager, shop.one.id, "?to=2026-03-04")
            .await
            .invalid("to");
        assert_eq!(future.message, "结束日期不能晚于今天");
        let long = statement(
            &app,
            &shop.manager,
            shop.one.id,
            "?from=2025-01-01&to=2026-03-01",
        )
        .await
        .invalid("to");
        assert_eq!(long.message, "结束日期与开始日期相隔不能超过 92 天");

        // The CSV: a BOM, the header in the caller's language, one row a day.
        let (status, ct, cd, bytes) = download(
            &app,
            &shop.manager,
            &format!(
                "/api/staff/stores/{}/statement.csv?from=2026-03-01&to=2026-03-03",
                shop.one.id
            ),
            "zh-CN",
        )
        .await;
        assert_eq!(status, 200);
        assert!(ct.starts_with("text/csv"), "{ct}");
        assert!(cd.contains("attachment") && cd.contains(".csv"), "{cd}");
        assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "a BOM for Excel");
        let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(
            lines[0].starts_with("日期,期初余额,储值本金收款"),
            "{}",
            lines[0]
        );
        assert!(lines[2].starts_with("2026-03-02,0.00,"), "{}", lines[2]);
        assert!(lines[2].contains(",-30.00,"), "the refund: {}", lines[2]);
        assert!(
            lines[3].contains(",-100.00,") && lines[3].contains(",100.00,"),
            "{}",
            lines[3]
        );
        // Every movement, in English on request.
        let (status, _, _, bytes) = download(
            &app,
            &shop.manager,
            &format!(
                "/api/staff/stores/{}/wallet/entries.csv?from=2026-03-01&to=2026-03-03",
                shop.one.id
            ),
            "en",
        )
        .await;
        assert_eq!(status, 200);
        let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Time (Asia/Shanghai),Business date,Kind,Reference,Member,Amount"
        );
        // Times are the brand's wall clock: on the business date they
        // belong to, without a UTC offset.
        for line in &lines[1..] {
            let cols: Vec<&str> = line.split(',').collect();
            let (time, day) = (cols[0], cols[1]);
            assert_eq!(time.len(), "2026-03-01 20:15:00".len(), "{line}");
            assert!(!time.contains('T') && !time.contains('Z'), "{line}");
            assert!(time.starts_with(day), "{line}");
        }
        // 4 payments, a refund, two freezes and one release.
        assert_eq!(lines.len(), 1 + 8, "{text}");
        // A refund names the payment it refunds, not the ledger's `2:3000`.
        let refund = lines
            .iter()
            .find(|l| l.contains(",Refund,") && l.ends_with(",-30.00"))
            .expect("the refund");
        let reference = refund.split(',').nth(3).unwrap_or_default();
        assert!(
            !reference.contains(':') && reference.parse::<i64>().is_ok(),
            "{refund}"
        );
        assert!(
            lines
                .iter()
                .all(|l| !l.contains(':') || l.matches(':').count() == 2),
            "{text}"
        );
        assert!(!text.contains(&b.phone), "members are masked");
        // A clerk exports nothing.
        let (status, ..) = download(
            &app,
            &shop.clerk,
            &format!("/api/staff/stores/{}/statement.csv", shop.one.id),
            "zh-CN",
        )
        .await;
        assert_eq!(status, 403);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    random_payments_refunds_and_withdrawals_keep_statement_wallet_and_liability_true,
    |app| async move {
        let shop = earning_shop(&app, 0).await;
        let mut members = Vec::new();
        for _ in 0..3 {
            let m = new_member(&app).await;
            set_pin(&app, &m).await;
            topup_ok(&app, &shop.clerk, &m.phone, 200_000).await;
            hand_in(&app, &shop.finance, shop.one.id, 200_000)
                .await
                .status(201);
            members.push(m);
        }
        let mut rng = Rng::new(0x5eed_2026);
        let mut payments: Vec<(i64, i64)> = Vec::new();
        let mut open: Vec<i64> = Vec::new();
        let modes = [Mode::Succeed, Mode::Fail, Mode::Hang, Mode::HangFail];
        for step in 0..150 {
            match rng.range(0, 11) {
                0..=3 => {
                    let m = rng.pick(&members);
                    let amount = rng.range(100, 9_000);
                    let r = pay(&app, &m.token, shop.one.id, amount).await;
                    if r.status == 201 {
                        let receipt: shared::dto::PaymentReceipt = r.ok();
                        payments.push((receipt.payment_id, amount));
                    } else {
                        r.error(422, ErrorCode::InsufficientBalance);
                    }
                }
                4 if !payments.is_empty() => {
                    let (id, amount) = *rng.pick(&payments);
                    let r = refund(&app, &shop.manager, id, rng.range(1, amount)).await;
                    assert!(
                        [201, 409, 422].contains(&r.status),
                        "step {step}: {}",
                        r.body
                    );
                }
                5 | 6 => {
                    let available = wallet(&app, &shop.manager, shop.one.id).await.available.0;
                    let amount = rng.range(1_000, 20_000);
                    let r = ask(&app, &shop.manager, shop.one.id, amount).await;
                    if amount <= available {
                        open.push(r.ok());
                    } else {
                        r.error(422, ErrorCode::WithdrawalAboveAvailable);
                    }
                }
                7 | 8 if !open.is_empty() => {
                    let id = open.remove(rng.range(0, open.len() as i64 - 1) as usize);
                    let reply = match rng.range(0, 3) {
                        0 => act(&app, &shop.manager, id, "cancel").await,
                        1 => act(&app, &shop.finance, id, "reject").await,
                        _ => {
                            sandbox(&app)
                                .set_mode(app.brand_id, *rng.pick(&modes))
                                .await
                                .expect("setting the sandbox mode");
                            act(&app, &shop.finance, id, "approve").await
                        }
                    };
                    reply.status(200);
                    sweep(&app).await;
                }
                9 => {
                    app.advance(Duration::from_secs(rng.range(1, 30) as u64 * 3_600));
                    sweep(&app).await;
                }
                _ => {
                    // Retry one failed payout, if any.
                    let failed: shared::dto::Page<shared::dto::WithdrawalView> = app
                        .get("/api/staff/withdrawals?state=failed")
                        .token(&shop.finance)
                        .send()
                        .await
                        .ok();
                    if let Some(w) = failed.items.first() {
                        sandbox(&app)
                            .set_mode(app.brand_id, *rng.pick(&modes))
                            .await
                            .expect("setting the sandbox mode");
                        let r = act(&app, &shop.finance, w.id, "retry").await;
                        assert!([200, 422].contains(&r.status), "{}", r.body);
                        sweep(&app).await;
                    }
                }
            }
            let w = wallet(&app, &shop.manager, shop.one.id).await;
            assert!(w.available.0 >= 0 && w.frozen.0 >= 0, "step {step}: {w:?}");
        }
        // Let every hung payout settle.
        app.advance(Duration::from_secs(3 * 86_400));
        sweep(&app).await;

        // Up to today (a later day is refused: it has not begun).
        let today = tongka_server::ledger::business_date("Asia/Shanghai", app.clock.now_ms());
        let s: Statement = statement(
            &app,
            &shop.finance,
            shop.one.id,
            &format!("?from=2026-02-28&to={today}"),
        )
        .await
        .ok();
        let closing = assert_adds_up(&s);
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(closing, w.available, "the statement closes on the wallet");
        // Nothing stays frozen but what is still waiting for approval.
        let waiting: shared::dto::Page<shared::dto::WithdrawalView> = app
            .get("/api/staff/withdrawals?state=requested")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(
            w.frozen.0,
            waiting.items.iter().map(|w| w.amount.0).sum::<i64>(),
            "frozen = what waits for approval"
        );
        let money: BrandMoney = app
            .get("/api/hq/money")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        let mut owed = 0;
        for m in &members {
            owed += total(&app, &m.token).await;
        }
        assert_eq!(
            money.liability_principal.0 + money.liability_bonus.0 + money.liability_held.0,
            owed,
            "liability = what members hold"
        );
        // The sequence went through every ending a withdrawal can have.
        let states: Vec<String> = tongka_server::entity::withdrawal::Entity::find()
            .filter(tongka_server::entity::withdrawal::Column::BrandId.eq(app.brand_id))
            .all(&app.db)
            .await
            .expect("reading withdrawals")
            .into_iter()
            .map(|w| w.state)
            .collect();
        eprintln!("withdrawal endings: {states:?}");
        for ending in ["paid", "cancelled", "rejected"] {
            assert!(
                states.iter().any(|s| s == ending),
                "no {ending} in {states:?}"
            );
        }
        assert_reconciled(&app).await;
    }
);
