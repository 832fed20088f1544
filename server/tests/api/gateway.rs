//! Self top-up through the payment gateway, told the way a member lives it:
//! start an order, pay at the sandbox's hosted checkout, watch the order
//! turn paid and the money arrive, exactly once, whatever the gateway's
//! callbacks do (duplicated, reordered, dropped, lost, late, forged). Every
//! test ends with the ledger reconciling.
//!
//! The sandbox delivers its callbacks in real time (tokio sleeps) while the
//! server's clock is manual, so a test that waits for a callback polls with
//! [`wait_for`] and never asserts on timing.

use crate::helpers::*;
use crate::money::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Deserialize;
use shared::ErrorCode;
use shared::dto::{
    FlaggedOrder, MoneySettings, OrderState, Page, TopUpOrderRequest, TopUpOrderView, TopUpPlan,
    TopUpPlanInput,
};
use shared::money::Fen;
use std::future::Future;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;
use tongka_server::entity::{gateway_order, gateway_refund};
use tongka_server::gateway::sandbox::Switches;
use tongka_server::gateway::{NONCE, Notification, SIGNATURE, TIMESTAMP, Trade, TradeState};
use tongka_server::gateway_orders::sweep;

// ---------------------------------------------------------------------------
// The member's side: start, look, give up.

/// A sweep works on every open order in the database, of every brand (as the
/// background sweeper does), and all tests of a backend share one database.
/// A sweep 16 minutes ahead would close the open orders of gateway tests
/// running alongside, so that test runs alone; the others share the lock.
/// Every test with gateway orders (here, in `split_payments.rs` and in
/// `close_card.rs`) follows this.
pub static SWEEPS: RwLock<()> = RwLock::const_new(());

/// `POST /api/member/topups` with `key`.
pub async fn start_with_key(
    app: &TestApp,
    member: &Member,
    key: &str,
    amount: i64,
    plan_id: Option<i64>,
) -> Reply {
    app.post("/api/member/topups")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, key)
        .json(&TopUpOrderRequest {
            amount: Fen(amount),
            plan_id,
        })
        .send()
        .await
}

/// Starts a top-up that must be accepted (201), with a fresh key.
pub async fn start_ok(
    app: &TestApp,
    member: &Member,
    amount: i64,
    plan_id: Option<i64>,
) -> TopUpOrderView {
    let reply = start_with_key(app, member, &new_key(), amount, plan_id).await;
    reply.status(201);
    reply.ok()
}

/// What the member's app shows for an order (`GET /api/member/topups/{id}`).
pub async fn order(app: &TestApp, member: &Member, id: i64) -> TopUpOrderView {
    app.get(&format!("/api/member/topups/{id}"))
        .token(&member.token)
        .send()
        .await
        .ok()
}

/// The member gives up (`POST /api/member/topups/{id}/close`).
pub async fn give_up(app: &TestApp, member: &Member, id: i64) -> TopUpOrderView {
    app.post(&format!("/api/member/topups/{id}/close"))
        .token(&member.token)
        .send()
        .await
        .ok()
}

/// An HQ top-up plan: pay `pay`, get `bonus` on top.
pub async fn plan(app: &TestApp, admin: &str, pay: i64, bonus: i64) -> TopUpPlan {
    let reply = app
        .post("/api/hq/topup-plans")
        .token(admin)
        .json(&TopUpPlanInput {
            pay: Fen(pay),
            bonus: Fen(bonus),
        })
        .send()
        .await;
    reply.status(201);
    reply.ok()
}

/// HQ admin changes the brand's money settings.
pub async fn change_settings(app: &TestApp, admin: &str, change: impl FnOnce(&mut MoneySettings)) {
    let mut settings: MoneySettings = app
        .get("/api/hq/money-settings")
        .token(admin)
        .send()
        .await
        .ok();
    change(&mut settings);
    app.put("/api/hq/money-settings")
        .token(admin)
        .json(&settings)
        .send()
        .await
        .ok::<MoneySettings>();
}

/// Polls `probe` (every 50 ms, for up to 10 s of real time) until it gives
/// something; callbacks arrive in real time.
pub async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the member's app shows the order in `state`.
pub async fn wait_for_state(
    app: &TestApp,
    member: &Member,
    id: i64,
    state: OrderState,
) -> TopUpOrderView {
    wait_for(&format!("order {id} to be {state:?}"), || async {
        let o = order(app, member, id).await;
        (o.state == state).then_some(o)
    })
    .await
}

/// An online top-up of `amount` the member starts and pays at the checkout;
/// answers the order once the callback has credited it.
pub async fn top_up_online(app: &TestApp, member: &Member, amount: i64) -> TopUpOrderView {
    let started = start_ok(app, member, amount, None).await;
    assert_eq!(
        press(&checkout_of(&started), "pay").await,
        back_to_app(app, &started)
    );
    wait_for_state(app, member, started.id, OrderState::Paid).await
}

// ---------------------------------------------------------------------------
// The payer's side: the sandbox's hosted checkout.

/// The hosted checkout of an order that can still be paid.
pub fn checkout_of(o: &TopUpOrderView) -> String {
    o.checkout_url
        .clone()
        .unwrap_or_else(|| panic!("order {} offers no checkout: {o:?}", o.id))
}

/// Where the checkout sends the payer back to: the order in the member app.
pub fn back_to_app(app: &TestApp, o: &TopUpOrderView) -> String {
    format!("{}/m/{}/topup/{}", app.address, app.slug, o.id)
}

/// The checkout page as the payer's browser shows it.
pub async fn checkout_page(url: &str) -> String {
    let resp = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("building the payer's client")
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(resp.status().as_u16(), 200, "GET {url}");
    resp.text().await.expect("reading the checkout page")
}

/// Presses a checkout button (`pay`, `fail`, `cancel`); answers where the
/// browser is sent next (the member app, or back to the checkout when the
/// press did nothing).
pub async fn press(url: &str, button: &str) -> String {
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("building the payer's client")
        .post(format!("{url}/{button}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("pressing {button} at {url}: {e}"));
    assert_eq!(resp.status().as_u16(), 303, "pressing {button} at {url}");
    resp.headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("pressing {button} at {url}: no Location"))
        .to_string()
}

/// Our merchant number at the gateway for this brand.
pub fn merchant(app: &TestApp) -> String {
    app.state.gateway.merchant_id(app.brand_id)
}

/// Makes this app's sandbox misbehave.
pub async fn switches(app: &TestApp, s: Switches) {
    let admin = app.login_admin().await;
    let now: Switches = app
        .put("/api/hq/sandbox/gateway-switches")
        .token(&admin)
        .json(&s)
        .send()
        .await
        .ok();
    assert_eq!(now, s);
}

/// The sandbox's record of a trade.
#[derive(Debug, Deserialize)]
pub struct Inspected {
    pub trade: Trade,
    pub notify_attempts: i32,
    pub notify_acks: i32,
}

pub async fn inspect(app: &TestApp, o: &TopUpOrderView) -> Inspected {
    app.get(&format!(
        "/sandbox/gateway/inspect/{}/{}",
        merchant(app),
        o.order_no
    ))
    .send()
    .await
    .ok()
}

/// Waits until the sandbox has had `acks` callbacks acknowledged.
pub async fn wait_for_acks(app: &TestApp, o: &TopUpOrderView, acks: i32) -> Inspected {
    wait_for(&format!("{acks} acknowledged callbacks"), || async {
        let seen = inspect(app, o).await;
        (seen.notify_acks >= acks).then_some(seen)
    })
    .await
}

/// Waits until the sandbox has refunded `refunded` fen of the order's trade
/// in all (refunds are sent in the background or by a sweep); never more.
pub async fn wait_for_refunded(app: &TestApp, o: &TopUpOrderView, refunded: i64) -> Inspected {
    wait_for(
        &format!("the trade of order {} to be refunded {refunded}", o.id),
        || async {
            let seen = inspect(app, o).await;
            assert!(
                seen.trade.refunded <= refunded,
                "order {} was refunded more than {refunded}: {seen:?}",
                o.id
            );
            (seen.trade.refunded == refunded).then_some(seen)
        },
    )
    .await
}

// ---------------------------------------------------------------------------
// Our books.

/// The member's gateway orders as stored, oldest first.
pub async fn rows_of(app: &TestApp, member: &Member) -> Vec<gateway_order::Model> {
    gateway_order::Entity::find()
        .filter(gateway_order::Column::MemberId.eq(member.id))
        .order_by_asc(gateway_order::Column::Id)
        .all(&app.db)
        .await
        .expect("reading the gateway orders")
}

pub async fn row(app: &TestApp, id: i64) -> gateway_order::Model {
    gateway_order::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .expect("reading the gateway order")
        .expect("the gateway order exists")
}

/// Asserts the member holds exactly `topups` (each amount + bonus, oldest
/// first) and nothing else.
pub async fn assert_credited(app: &TestApp, member: &Member, topups: &[i64]) {
    let history = full_history(app, &member.token, None).await;
    let amounts: Vec<i64> = history.iter().rev().map(|h| h.amount.0).collect();
    assert_eq!(amounts, topups, "the member's history: {history:#?}");
    assert!(history.iter().all(|h| h.kind == "topup"));
    assert_eq!(total(app, &member.token).await, topups.iter().sum::<i64>());
}

// ---------------------------------------------------------------------------
// 1. The happy path.

dual_test!(a_member_tops_up_online_with_a_plan, |app| async move {
    let _sweeps = SWEEPS.read().await;
    let shop = shop(&app).await;
    let member = new_member(&app).await;
    let offer = plan(&app, &shop.admin, 10_000, 1_000).await;

    // The member picks "pay ¥100, get ¥10" and is sent to the checkout.
    let started = start_ok(&app, &member, 10_000, Some(offer.id)).await;
    assert_eq!(started.state, OrderState::Created);
    assert_eq!(
        (started.amount, started.bonus, started.balance_after),
        (Fen(10_000), Fen(1_000), None)
    );
    assert_eq!(instant(&started.created_at), start_instant());
    let checkout = checkout_of(&started);
    assert_eq!(
        checkout,
        format!(
            "{}/sandbox/gateway/checkout/{}/{}",
            app.address,
            merchant(&app),
            started.order_no
        )
    );

    // The checkout shows what they are about to pay; nothing has moved yet.
    let page = checkout_page(&checkout).await;
    assert!(page.contains("¥100.00"), "{page}");
    assert!(page.contains(&started.order_no), "{page}");
    assert!(page.contains("sandbox-pay"), "{page}");
    assert_eq!(order(&app, &member, started.id).await, started);
    assert_eq!(total(&app, &member.token).await, 0);

    // They pay and are sent back to the app, where the order turns paid
    // once the gateway's callback has come.
    assert_eq!(press(&checkout, "pay").await, back_to_app(&app, &started));
    let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
    assert_eq!(paid.order_no, started.order_no);
    assert_eq!(paid.balance_after, Some(Fen(11_000)));
    assert_eq!(paid.checkout_url, None, "a paid order is not offered again");

    // ¥100 of principal and ¥10 of bonus.
    let b = balance(&app, &member.token).await;
    assert_eq!(
        (b.principal, b.bonus, b.total),
        (Fen(10_000), Fen(1_000), Fen(11_000))
    );
    // The history shows the top-up first, with no store.
    let history = full_history(&app, &member.token, None).await;
    assert_eq!(history.len(), 1, "{history:#?}");
    let item = &history[0];
    assert_eq!(item.kind, "topup");
    assert_eq!(item.amount, Fen(11_000));
    assert_eq!(item.balance_after, Some(Fen(11_000)));
    assert_eq!(item.store_name, None);

    // The checkout now says it is paid, and paying again does nothing.
    let page = checkout_page(&checkout).await;
    assert!(page.contains("Already paid"), "{page}");
    assert_eq!(press(&checkout, "pay").await, checkout);
    let stored = row(&app, started.id).await;
    assert!(stored.txn_id.is_some() && !stored.late, "{stored:?}");
    assert_eq!(
        inspect(&app, &started).await.trade.state,
        TradeState::Success
    );
    assert_credited(&app, &member, &[11_000]).await;
    assert_reconciled(&app).await;
});

// ---------------------------------------------------------------------------
// 2–5. Callbacks that come twice, out of order, never, or after retries.

dual_test!(duplicate_callbacks_credit_once, |app| async move {
    let _sweeps = SWEEPS.read().await;
    let member = new_member(&app).await;
    switches(
        &app,
        Switches {
            duplicate: true,
            ..Switches::default()
        },
    )
    .await;
    let started = start_ok(&app, &member, 5_000, None).await;
    press(&checkout_of(&started), "pay").await;
    let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
    assert_eq!(paid.balance_after, Some(Fen(5_000)));

    // Both copies of the callback were taken (acknowledged)...
    let seen = wait_for_acks(&app, &started, 2).await;
    assert_eq!((seen.notify_attempts, seen.notify_acks), (2, 2));
    // ...and the member got the money once.
    assert_eq!(order(&app, &member, started.id).await, paid);
    assert_credited(&app, &member, &[5_000]).await;
    assert_reconciled(&app).await;
});

dual_test!(
    a_failure_overtaken_by_the_success_does_not_undo_it,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let member = new_member(&app).await;
        // The gateway holds each order's first callback for 1.5 s.
        switches(
            &app,
            Switches {
                reorder_hold_ms: 1_500,
                ..Switches::default()
            },
        )
        .await;
        let started = start_ok(&app, &member, 2_500, None).await;
        let checkout = checkout_of(&started);

        // The first attempt fails; the checkout offers another try.
        assert_eq!(press(&checkout, "fail").await, back_to_app(&app, &started));
        let page = checkout_page(&checkout).await;
        assert!(page.contains("The last attempt failed"), "{page}");
        // The second goes through.
        assert_eq!(press(&checkout, "pay").await, back_to_app(&app, &started));
        let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
        assert_eq!(paid.balance_after, Some(Fen(2_500)));

        // The held "failed" callback arrives last and changes nothing.
        let seen = wait_for_acks(&app, &started, 2).await;
        assert_eq!(seen.notify_acks, 2);
        assert_eq!(seen.trade.state, TradeState::Success);
        assert_eq!(order(&app, &member, started.id).await, paid);
        assert_credited(&app, &member, &[2_500]).await;
        assert_reconciled(&app).await;
    }
);

dual_test!(
    dropped_callbacks_are_resolved_by_asking_the_gateway,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let member = new_member(&app).await;
        switches(
            &app,
            Switches {
                drop: true,
                ..Switches::default()
            },
        )
        .await;

        // The member starts an order and, two seconds later, looks at it:
        // the app asks the gateway, which says it is not paid yet.
        let first = start_ok(&app, &member, 6_600, None).await;
        app.advance_secs(2);
        assert_eq!(order(&app, &member, first.id).await, first);
        assert!(row(&app, first.id).await.last_query_at.is_some());

        // They pay, but the gateway never calls back.
        assert_eq!(
            press(&checkout_of(&first), "pay").await,
            back_to_app(&app, &first)
        );
        // For a while (the server's clock stands still, and it asked the
        // gateway less than 3 s ago) the app still shows the order waiting,
        // and nothing is credited.
        let until = Instant::now() + Duration::from_millis(800);
        while Instant::now() < until {
            assert_eq!(order(&app, &member, first.id).await, first);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let seen = inspect(&app, &first).await;
        assert_eq!(seen.trade.state, TradeState::Success);
        assert_eq!(seen.notify_attempts, 0, "no callback was sent");
        assert_credited(&app, &member, &[]).await;
        app.advance_secs(2);
        assert_eq!(order(&app, &member, first.id).await, first);

        // Three seconds after it last asked, the app asks again: paid.
        app.advance_secs(1);
        let paid = order(&app, &member, first.id).await;
        assert_eq!(paid.state, OrderState::Paid);
        assert_eq!(paid.balance_after, Some(Fen(6_600)));
        assert_credited(&app, &member, &[6_600]).await;

        // A second order the member never looks at again: the sweep finds
        // it paid a minute later.
        let second = start_ok(&app, &member, 4_400, None).await;
        press(&checkout_of(&second), "pay").await;
        assert_eq!(
            order(&app, &member, second.id).await.state,
            OrderState::Created
        );
        app.advance_secs(61);
        let swept = sweep(&app.state).await.expect("sweeping");
        assert!(swept.queried >= 1, "{swept:?}");
        assert_eq!(row(&app, second.id).await.state, "paid");
        let paid = order(&app, &member, second.id).await;
        assert_eq!(paid.state, OrderState::Paid);
        assert_eq!(paid.balance_after, Some(Fen(11_000)));
        assert_credited(&app, &member, &[6_600, 4_400]).await;
        // Asking again changes nothing.
        sweep(&app.state).await.expect("sweeping");
        app.advance_secs(5);
        assert_eq!(order(&app, &member, first.id).await.state, OrderState::Paid);
        assert_credited(&app, &member, &[6_600, 4_400]).await;
        assert_reconciled(&app).await;
    }
);

dual_test!(lost_delivery_attempts_are_retried, |app| async move {
    let _sweeps = SWEEPS.read().await;
    let member = new_member(&app).await;
    // The first two deliveries of each callback are lost in transit.
    switches(
        &app,
        Switches {
            fail_attempts: 2,
            ..Switches::default()
        },
    )
    .await;
    let started = start_ok(&app, &member, 3_000, None).await;
    press(&checkout_of(&started), "pay").await;
    let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
    assert_eq!(paid.balance_after, Some(Fen(3_000)));
    let seen = wait_for_acks(&app, &started, 1).await;
    assert!(seen.notify_attempts >= 3, "{seen:?}");
    assert_eq!(seen.notify_acks, 1);
    assert_credited(&app, &member, &[3_000]).await;
    assert_reconciled(&app).await;
});

// ---------------------------------------------------------------------------
// 6–7. Orders that close: expired, or given up.

dual_test!(
    a_payment_after_the_order_closed_is_still_credited,
    |app| async move {
        // This test's sweep runs 16 minutes ahead: see `SWEEPS`.
        let _alone = SWEEPS.write().await;
        let member = new_member(&app).await;
        let started = start_ok(&app, &member, 8_800, None).await;
        let checkout = checkout_of(&started);

        // The member walks away; a quarter of an hour later the sweep closes
        // the order at the gateway, then here.
        app.advance_secs(16 * 60);
        let swept = sweep(&app.state).await.expect("sweeping");
        assert!(swept.closed >= 1, "{swept:?}");
        let closed = order(&app, &member, started.id).await;
        assert_eq!(closed.state, OrderState::Closed);
        assert_eq!(closed.checkout_url, None);
        assert_eq!(
            inspect(&app, &started).await.trade.state,
            TradeState::Closed
        );
        let page = checkout_page(&checkout).await;
        assert!(page.contains("This order is closed"), "{page}");
        assert!(!page.contains("sandbox-pay"), "{page}");

        // An old checkout tab: pressing pay does nothing.
        assert_eq!(press(&checkout, "pay").await, checkout);
        assert_eq!(
            order(&app, &member, started.id).await.state,
            OrderState::Closed
        );
        assert_eq!(
            inspect(&app, &started).await.trade.state,
            TradeState::Closed
        );
        assert_credited(&app, &member, &[]).await;

        // But a payment that crossed the close at the gateway is taken...
        switches(
            &app,
            Switches {
                accept_after_close: true,
                ..Switches::default()
            },
        )
        .await;
        assert_eq!(press(&checkout, "pay").await, back_to_app(&app, &started));
        // ...and credited all the same, flagged as late.
        let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
        assert_eq!(paid.balance_after, Some(Fen(8_800)));
        assert!(row(&app, started.id).await.late);
        assert_credited(&app, &member, &[8_800]).await;
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_member_who_gives_up_cannot_pay_the_order_afterwards,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let member = new_member(&app).await;
        let started = start_ok(&app, &member, 5_000, None).await;
        let checkout = checkout_of(&started);

        // The member changes their mind.
        let closed = give_up(&app, &member, started.id).await;
        assert_eq!(closed.state, OrderState::Closed);
        assert_eq!(closed.checkout_url, None);
        assert_eq!(closed.balance_after, None);
        assert_eq!(
            inspect(&app, &started).await.trade.state,
            TradeState::Closed
        );

        // Paying in the still-open checkout tab does nothing.
        assert_eq!(press(&checkout, "pay").await, checkout);
        let page = checkout_page(&checkout).await;
        assert!(page.contains("This order is closed"), "{page}");
        assert_eq!(
            inspect(&app, &started).await.trade.state,
            TradeState::Closed
        );
        app.advance_secs(5);
        assert_eq!(
            order(&app, &member, started.id).await.state,
            OrderState::Closed
        );
        // Giving up twice is harmless.
        assert_eq!(
            give_up(&app, &member, started.id).await.state,
            OrderState::Closed
        );
        assert_credited(&app, &member, &[]).await;
        assert_eq!(balance(&app, &member.token).await.total, Fen(0));
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 8. Callbacks that did not come from the gateway.

/// A callback about `o` in the gateway's format.
fn callback(app: &TestApp, o: &TopUpOrderView, state: TradeState, amount: i64) -> String {
    let paid = state == TradeState::Success;
    let n = Notification {
        event: if paid {
            "TRADE.SUCCESS"
        } else {
            "TRADE.FAILED"
        }
        .into(),
        trade: Trade {
            merchant_id: merchant(app),
            order_no: o.order_no.clone(),
            amount,
            state,
            txn_id: paid.then(|| "SBXFORGED0000000000000".to_string()),
            paid_at: paid.then(|| app.clock.now_ms()),
            refunded: 0,
        },
    };
    serde_json::to_string(&n).expect("serializing a callback")
}

/// Posts a callback signed with `key` at `ts` (Unix ms) with `nonce`.
async fn notify(app: &TestApp, key: &[u8], ts: i64, nonce: &str, body: &str) -> Reply {
    let signature = tongka_server::gateway::sign(key, ts, nonce, "", body.as_bytes());
    app.post("/api/gateway/notify")
        .header(TIMESTAMP, &ts.to_string())
        .header(NONCE, nonce)
        .header(SIGNATURE, &signature)
        .raw_json(body)
        .send()
        .await
}

/// Whether the server acknowledged a callback the gateway's way: 200 with
/// `{"code": "SUCCESS"}` (anything else makes the gateway retry).
/// Whether our answer tells the gateway the callback was taken. Refusals
/// answer in the gateway's own format (`"code": "FAIL"`) so a real gateway
/// reads them and retries.
fn acknowledged(reply: &Reply) -> bool {
    let v: serde_json::Value = serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", reply.what, reply.body));
    if reply.status != 200 {
        assert_eq!(v["code"], "FAIL", "{}: {}", reply.what, reply.body);
    }
    reply.status == 200 && v["code"] == "SUCCESS"
}

dual_test!(forged_callbacks_credit_nothing, |app| async move {
    let _sweeps = SWEEPS.read().await;
    let member = new_member(&app).await;
    let started = start_ok(&app, &member, 9_900, None).await;
    let key = GATEWAY_KEY.as_bytes();
    let now = app.clock.now_ms();
    let success = callback(&app, &started, TradeState::Success, 9_900);
    let still_waiting = |o: TopUpOrderView| {
        assert_eq!(o.state, OrderState::Created, "{o:?}");
        assert_eq!(o.balance_after, None);
    };

    // (a) "Paid", signed with a key that is not the gateway's.
    let nonce = tongka_server::gateway::nonce();
    let reply = notify(&app, b"not-the-gateway-key", now, &nonce, &success).await;
    reply.status(401);
    assert!(!acknowledged(&reply), "{}", reply.body);
    // A genuine signature over another body does not carry over either.
    let signed_for = callback(&app, &started, TradeState::Payerror, 9_900);
    let signature = tongka_server::gateway::sign(key, now, &nonce, "", signed_for.as_bytes());
    app.post("/api/gateway/notify")
        .header(TIMESTAMP, &now.to_string())
        .header(NONCE, &nonce)
        .header(SIGNATURE, &signature)
        .raw_json(&success)
        .send()
        .await
        .status(401);
    // No signature at all.
    app.post("/api/gateway/notify")
        .raw_json(&success)
        .send()
        .await
        .status(401);
    still_waiting(order(&app, &member, started.id).await);
    assert_credited(&app, &member, &[]).await;

    // (b) The right key, but signed ten minutes ago (or ahead).
    for ts in [now - 10 * 60 * 1000, now + 10 * 60 * 1000] {
        let reply = notify(&app, key, ts, &tongka_server::gateway::nonce(), &success).await;
        reply.status(401);
        assert!(!acknowledged(&reply), "{}", reply.body);
    }
    still_waiting(order(&app, &member, started.id).await);

    // (c) Properly signed, but not our trade: another amount, another merchant.
    let cheaper = callback(&app, &started, TradeState::Success, 1);
    let reply = notify(&app, key, now, &tongka_server::gateway::nonce(), &cheaper).await;
    reply.status(409);
    assert!(!acknowledged(&reply), "{}", reply.body);
    let dearer = callback(&app, &started, TradeState::Success, 9_901);
    notify(&app, key, now, &tongka_server::gateway::nonce(), &dearer)
        .await
        .status(409);
    let elsewhere = success.replace(
        &format!("\"{}\"", merchant(&app)),
        &format!(
            "\"{}\"",
            app.state.gateway.merchant_id(app.brand_id + 1_000_000)
        ),
    );
    assert_ne!(elsewhere, success);
    notify(&app, key, now, &tongka_server::gateway::nonce(), &elsewhere)
        .await
        .status(409);
    still_waiting(order(&app, &member, started.id).await);
    assert_credited(&app, &member, &[]).await;

    // (d) A genuine "failed" callback is taken once; its replay is refused.
    let failed = callback(&app, &started, TradeState::Payerror, 9_900);
    let nonce = tongka_server::gateway::nonce();
    let reply = notify(&app, key, now, &nonce, &failed).await;
    reply.status(200);
    assert!(acknowledged(&reply), "{}", reply.body);
    let after_fail = order(&app, &member, started.id).await;
    assert_eq!(after_fail.state, OrderState::Failed);
    assert!(
        after_fail.checkout_url.is_some(),
        "a failed attempt may be retried"
    );
    let reply = notify(&app, key, now, &nonce, &failed).await;
    reply.status(409);
    assert!(!acknowledged(&reply), "{}", reply.body);
    assert_eq!(order(&app, &member, started.id).await, after_fail);
    assert_credited(&app, &member, &[]).await;

    // The member can still pay for real, and is credited once.
    press(&checkout_of(&after_fail), "pay").await;
    let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
    assert_eq!(paid.balance_after, Some(Fen(9_900)));
    wait_for_acks(&app, &started, 1).await;
    assert_credited(&app, &member, &[9_900]).await;
    assert_reconciled(&app).await;
});

// ---------------------------------------------------------------------------
// 9. Two payments that fit the cap one at a time but not together.

dual_test!(
    a_payment_that_would_pass_the_cap_is_sent_back,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        change_settings(&app, &shop.admin, |s| s.max_balance = Fen(30_000)).await;

        // Two checkouts for ¥200 each, started before either is paid: each
        // fits under the ¥300 cap alone.
        let one = start_ok(&app, &member, 20_000, None).await;
        let two = start_ok(&app, &member, 20_000, None).await;
        press(&checkout_of(&one), "pay").await;
        press(&checkout_of(&two), "pay").await;

        // One is credited; the other would pass the cap and is sent back.
        let settled = wait_for("both orders to settle", || async {
            let a = order(&app, &member, one.id).await;
            let b = order(&app, &member, two.id).await;
            let done =
                |o: &TopUpOrderView| matches!(o.state, OrderState::Paid | OrderState::Refunded);
            (done(&a) && done(&b)).then_some((a, b))
        })
        .await;
        let (paid, refunded) = match settled {
            (a, b) if a.state == OrderState::Paid => (a, b),
            (a, b) => (b, a),
        };
        assert_eq!(paid.state, OrderState::Paid, "{paid:?}");
        assert_eq!(refunded.state, OrderState::Refunded, "{refunded:?}");
        assert_eq!(paid.balance_after, Some(Fen(20_000)));
        assert_eq!(refunded.balance_after, None);
        assert_eq!(refunded.checkout_url, None);
        assert_credited(&app, &member, &[20_000]).await;

        // The sweep sends the refund through the gateway.
        sweep(&app.state).await.expect("sweeping");
        let back = inspect(&app, &refunded).await;
        assert_eq!(back.trade.state, TradeState::Success);
        assert_eq!(back.trade.refunded, 20_000);
        assert_eq!(inspect(&app, &paid).await.trade.refunded, 0);
        assert_eq!(row(&app, refunded.id).await.refunded, 20_000);
        let refunds = gateway_refund::Entity::find()
            .filter(gateway_refund::Column::OrderId.eq(refunded.id))
            .all(&app.db)
            .await
            .expect("reading the gateway refunds");
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(
            (refunds[0].amount, refunds[0].state.as_str()),
            (20_000, "succeeded")
        );
        // Sweeping again refunds nothing more.
        sweep(&app.state).await.expect("sweeping");
        assert_eq!(inspect(&app, &refunded).await.trade.refunded, 20_000);

        // HQ sees the order flagged (finance too); a store manager may not look.
        for who in [&shop.admin, &shop.finance] {
            let flags: Page<FlaggedOrder> = app
                .get("/api/hq/gateway-flags")
                .token(who)
                .send()
                .await
                .ok();
            assert_eq!(flags.items.len(), 1, "{flags:?}");
            let f = &flags.items[0];
            assert_eq!(
                (f.id, f.state, f.late),
                (refunded.id, OrderState::Refunded, false)
            );
            assert_eq!(
                (f.amount, f.refunded, f.failed_refunds),
                (Fen(20_000), Fen(20_000), Fen(0))
            );
            assert_eq!(f.member_phone_masked, masked(&member.phone));
        }
        app.get("/api/hq/gateway-flags")
            .token(&shop.manager)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        assert_eq!(
            order(&app, &member, refunded.id).await.state,
            OrderState::Refunded
        );

        // Only ¥100 more fits now.
        let error = start_with_key(&app, &member, &new_key(), 10_001, None)
            .await
            .error(422, ErrorCode::BalanceLimit);
        assert_eq!(error.params, params(&[("max", "30000"), ("room", "10000")]));
        assert_credited(&app, &member, &[20_000]).await;
        assert_eq!(rows_of(&app, &member).await.len(), 2);
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 10. Refused starts say why and write nothing.

dual_test!(
    refused_top_ups_say_why_and_write_nothing,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        // ¥100 already topped up at the counter: ¥4,900 of room left.
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let before = snapshot(&app, &member.token).await;
        let offer = plan(&app, &shop.admin, 10_000, 1_000).await;
        let withdrawn = plan(&app, &shop.admin, 5_000, 500).await;
        app.post(&format!("/api/hq/topup-plans/{}/deactivate", withdrawn.id))
            .token(&shop.admin)
            .send()
            .await
            .ok::<TopUpPlan>();
        // Fits by its price, not with its bonus.
        let big = plan(&app, &shop.admin, 480_000, 20_000).await;

        let body = |amount: i64, plan_id: Option<i64>| TopUpOrderRequest {
            amount: Fen(amount),
            plan_id,
        };
        let topups = "/api/member/topups";
        let cases: Vec<(&str, Req, u16, ErrorCode, &str)> = vec![
            (
                "zero",
                app.post(topups).json(&body(0, None)),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "negative",
                app.post(topups).json(&body(-100, None)),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "a price that is not the plan's",
                app.post(topups).json(&body(9_999, Some(offer.id))),
                422,
                ErrorCode::InvalidField,
                "The amount does not match the chosen plan's price",
            ),
            (
                "an unknown plan",
                app.post(topups).json(&body(10_000, Some(offer.id + 999))),
                422,
                ErrorCode::InvalidField,
                "The top-up plan does not exist",
            ),
            (
                "a withdrawn plan",
                app.post(topups).json(&body(5_000, Some(withdrawn.id))),
                422,
                ErrorCode::InvalidField,
                "The top-up plan does not exist",
            ),
            (
                "past the balance cap",
                app.post(topups).json(&body(490_001, None)),
                422,
                ErrorCode::BalanceLimit,
                "Above the balance cap of ¥5,000.00; at most ¥4,900.00 more",
            ),
            (
                "past the balance cap with the bonus",
                app.post(topups).json(&body(480_000, Some(big.id))),
                422,
                ErrorCode::BalanceLimit,
                "Above the balance cap of ¥5,000.00; at most ¥4,900.00 more",
            ),
            (
                "the largest integer",
                app.post(topups).json(&body(i64::MAX, None)),
                422,
                ErrorCode::BalanceLimit,
                "Above the balance cap of ¥5,000.00; at most ¥4,900.00 more",
            ),
        ];
        for (what, req, status, code, message) in cases {
            let reply = req
                .token(&member.token)
                .header(IDEMPOTENCY_KEY, &new_key())
                .lang("en")
                .send()
                .await;
            let error = reply.error(status, code);
            assert_eq!(error.message, message, "{what}");
            let expected = match what {
                "zero" | "negative" => {
                    params(&[("field", "amount"), ("reason", "amount_positive")])
                }
                "a price that is not the plan's" => {
                    params(&[("field", "amount"), ("reason", "plan_amount")])
                }
                "an unknown plan" | "a withdrawn plan" => {
                    params(&[("field", "plan_id"), ("reason", "unknown")])
                }
                _ => params(&[("max", "500000"), ("room", "490000")]),
            };
            assert_eq!(error.params, expected, "{what}");
            assert!(
                rows_of(&app, &member).await.is_empty(),
                "{what} wrote an order"
            );
            assert_eq!(snapshot(&app, &member.token).await, before, "{what}");
        }

        // Only plans, when HQ turns custom amounts off.
        change_settings(&app, &shop.admin, |s| s.allow_custom_topup = false).await;
        let error = start_with_key(&app, &member, &new_key(), 3_000, None)
            .await
            .invalid("plan_id");
        assert_eq!(
            error.params.get("reason").map(String::as_str),
            Some("required")
        );
        change_settings(&app, &shop.admin, |s| s.allow_custom_topup = true).await;

        // A frozen member cannot start one.
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let error = app
            .post(topups)
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &new_key())
            .lang("en")
            .json(&body(3_000, None))
            .send()
            .await
            .error(403, ErrorCode::MemberFrozen);
        assert_eq!(
            error.message,
            "This membership is frozen; please contact the store"
        );
        app.post(&format!("/api/hq/members/{}/unfreeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);

        // No key, no order.
        let error = app
            .post(topups)
            .token(&member.token)
            .lang("en")
            .json(&body(3_000, None))
            .send()
            .await
            .error(400, ErrorCode::IdempotencyKeyMissing);
        assert_eq!(error.message, "Missing Idempotency-Key header");
        assert!(rows_of(&app, &member).await.is_empty());
        assert_eq!(snapshot(&app, &member.token).await, before);

        // The same key twice is the same order (a double tap).
        let key = new_key();
        let first = start_with_key(&app, &member, &key, 3_000, None).await;
        first.status(201);
        let first: TopUpOrderView = first.ok();
        let again = start_with_key(&app, &member, &key, 3_000, None).await;
        again.status(201);
        assert_eq!(again.ok::<TopUpOrderView>(), first);
        assert_eq!(rows_of(&app, &member).await.len(), 1);
        // The same key for another amount is refused.
        let error = app
            .post(topups)
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &key)
            .lang("en")
            .json(&body(3_001, None))
            .send()
            .await
            .error(409, ErrorCode::IdempotencyKeyReused);
        assert_eq!(
            error.message,
            "This Idempotency-Key was used for a different request"
        );
        let rows = rows_of(&app, &member).await;
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].id, rows[0].amount), (first.id, 3_000));
        assert_eq!(snapshot(&app, &member.token).await, before);
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// Issue 10: a callback's nonce was spent before the callback was applied, so
// the gateway's retry after a failure was refused as a replay and the top-up
// waited for a sweep. It is spent in the transaction that applies it.

/// Makes every update of gateway order `id` fail in the database until
/// [`heal_order`] (a real fault, scoped to this test's order).
async fn break_order(app: &TestApp, id: i64) {
    use sea_orm::ConnectionTrait;
    let statements = match app.backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER fault_{id} BEFORE UPDATE ON gateway_orders FOR EACH ROW \
             WHEN NEW.id = {id} BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION fault_{id}() RETURNS trigger AS $$ \
                 BEGIN RAISE EXCEPTION 'injected fault'; END $$ LANGUAGE plpgsql"
            ),
            format!(
                "CREATE TRIGGER fault_{id} BEFORE UPDATE ON gateway_orders FOR EACH ROW \
                 WHEN (NEW.id = {id}) EXECUTE FUNCTION fault_{id}()"
            ),
        ],
    };
    for sql in statements {
        app.writer()
            .execute_unprepared(&sql)
            .await
            .expect("injecting a fault");
    }
}

async fn heal_order(app: &TestApp, id: i64) {
    use sea_orm::ConnectionTrait;
    let statements = match app.backend {
        Backend::Sqlite => vec![format!("DROP TRIGGER fault_{id}")],
        Backend::Postgres => vec![
            format!("DROP TRIGGER fault_{id} ON gateway_orders"),
            format!("DROP FUNCTION fault_{id}()"),
        ],
    };
    for sql in statements {
        app.writer()
            .execute_unprepared(&sql)
            .await
            .expect("removing the fault");
    }
}

dual_test!(
    a_callback_that_failed_is_taken_when_the_gateway_retries_it,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let member = new_member(&app).await;
        let started = start_ok(&app, &member, 9_900, None).await;
        let key = GATEWAY_KEY.as_bytes();
        let now = app.clock.now_ms();
        let success = callback(&app, &started, TradeState::Success, 9_900);
        let nonce = tongka_server::gateway::nonce();

        break_order(&app, started.id).await;
        let reply = notify(&app, key, now, &nonce, &success).await;
        heal_order(&app, started.id).await;
        reply.status(500);
        assert!(!acknowledged(&reply), "{}", reply.body);
        assert_credited(&app, &member, &[]).await;

        // The gateway sends the very same signed callback again.
        let retry = notify(&app, key, now, &nonce, &success).await;
        assert!(acknowledged(&retry), "{}", retry.body);
        let paid = order(&app, &member, started.id).await;
        assert_eq!(paid.state, OrderState::Paid);
        assert_credited(&app, &member, &[9_900]).await;
        // Now it has been taken, a replay is refused and credits nothing more.
        let replay = notify(&app, key, now, &nonce, &success).await;
        replay.status(409);
        assert_credited(&app, &member, &[9_900]).await;
        assert_reconciled(&app).await;
    }
);

// Issue 10: one order whose refresh failed stopped the sweep (for every
// brand) until it expired; now each order is settled on its own.
dual_test!(
    an_order_that_cannot_be_settled_holds_up_no_other,
    |app| async move {
        use sea_orm::{ConnectionTrait, DbBackend, Statement};
        let _sweeps = SWEEPS.read().await;
        let member = new_member(&app).await;
        switches(
            &app,
            Switches {
                drop: true,
                ..Switches::default()
            },
        )
        .await;
        // Two orders paid at the gateway whose callbacks never come; the
        // first (swept first) no longer matches its trade.
        let broken = start_ok(&app, &member, 3_300, None).await;
        let fine = start_ok(&app, &member, 4_400, None).await;
        press(&checkout_of(&broken), "pay").await;
        press(&checkout_of(&fine), "pay").await;
        let sql = match app.backend {
            Backend::Sqlite => "UPDATE gateway_orders SET amount = amount + 1 WHERE id = ?",
            Backend::Postgres => "UPDATE gateway_orders SET amount = amount + 1 WHERE id = $1",
        };
        let backend = match app.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        };
        app.writer()
            .execute_raw(Statement::from_sql_and_values(
                backend,
                sql,
                [broken.id.into()],
            ))
            .await
            .expect("making the first order disagree with its trade");

        app.advance_secs(61);
        let swept = sweep(&app.state).await.expect("the sweep goes on");
        assert!(swept.failed >= 1, "{swept:?}");
        assert_eq!(row(&app, fine.id).await.state, "paid");
        assert_eq!(row(&app, broken.id).await.state, "created");
        assert_credited(&app, &member, &[4_400]).await;
    }
);
