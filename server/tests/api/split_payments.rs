//! Split payments (组合支付), told the way a member and a store live them:
//! the bill is more than the member's stored value, so the whole balance is
//! held at once and the rest is paid online at the sandbox checkout. Paid,
//! the store sees one payment of the full amount; given up, expired or paid
//! too late, the held value comes back exactly and any online money goes
//! back through the gateway. Refunds of a split payment send the online part
//! back online and the rest to stored value. Every test ends with the
//! ledger reconciling.
//!
//! These tests have gateway orders open, so they follow the `SWEEPS` lock of
//! `gateway.rs`; callbacks come in real time and are waited for, never timed.

use crate::gateway::*;
use crate::helpers::*;
use crate::money::*;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::ErrorCode;
use shared::dto::{
    CounterTopUp, HistoryItem, OrderState, Page, PaymentListItem, PaymentRequest, ReceiptFeed,
    RefundReceipt, StoreView, TopUpMethod, TopUpOrderView, TopUpReceipt,
};
use shared::money::Fen;
use tongka_server::entity::gateway_refund;
use tongka_server::gateway::TradeState;
use tongka_server::gateway::sandbox::Switches;
use tongka_server::gateway_orders::sweep;

/// The member's side of a split payment.
pub const SPLIT: &str = "/api/member/split-payments";

// ---------------------------------------------------------------------------
// Helpers.

/// `POST /api/member/split-payments` with `key` and `pin`.
pub async fn split_with_key(
    app: &TestApp,
    member: &Member,
    key: &str,
    store_id: i64,
    amount: i64,
    pin: Option<&str>,
) -> Reply {
    app.post(SPLIT)
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, key)
        .json(&PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: false,
            points_expected: None,
            payable_expected: None,
            store_id,
            amount: Fen(amount),
            pin: pin.map(str::to_string),
            pay_request: None,
        })
        .send()
        .await
}

/// Starts a split payment that must be accepted (201), with a fresh key and
/// the test PIN (asked for only when the stored-value part needs it).
pub async fn split_ok(
    app: &TestApp,
    member: &Member,
    store_id: i64,
    amount: i64,
) -> TopUpOrderView {
    let reply = split_with_key(app, member, &new_key(), store_id, amount, Some(TEST_PIN)).await;
    reply.status(201);
    reply.ok()
}

/// Starts a split payment and pays its online part at the checkout; answers
/// the order once the gateway's callback has settled it.
pub async fn split_paid(
    app: &TestApp,
    member: &Member,
    store_id: i64,
    amount: i64,
) -> TopUpOrderView {
    let started = split_ok(app, member, store_id, amount).await;
    assert_eq!(
        press(&checkout_of(&started), "pay").await,
        back_to_app(app, &started)
    );
    wait_for_state(app, member, started.id, OrderState::Paid).await
}

/// A counter top-up with a plan (cash), which must succeed.
pub async fn plan_topup_ok(
    app: &TestApp,
    staff: &str,
    phone: &str,
    plan_pay: i64,
    plan_id: i64,
) -> TopUpReceipt {
    let reply = app
        .post("/api/staff/topups")
        .token(staff)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&CounterTopUp {
            member_phone: phone.into(),
            amount: Fen(plan_pay),
            method: TopUpMethod::Cash,
            plan_id: Some(plan_id),
        })
        .send()
        .await;
    reply.status(201);
    reply.ok()
}

/// The first page of payments the staff member's stores took, newest first.
pub async fn store_payments(app: &TestApp, staff: &str) -> Vec<PaymentListItem> {
    app.get("/api/staff/payments")
        .token(staff)
        .send()
        .await
        .ok::<Page<PaymentListItem>>()
        .items
}

/// Where the counter's live feed stands now (answers at once).
pub async fn feed_cursor(app: &TestApp, staff: &str) -> i64 {
    app.get("/api/staff/receipts/wait")
        .token(staff)
        .send()
        .await
        .ok::<ReceiptFeed>()
        .last_id
}

/// The counter's live feed after `after` (waits up to a second).
pub async fn feed_after(app: &TestApp, staff: &str, after: i64) -> ReceiptFeed {
    app.get(&format!("/api/staff/receipts/wait?after={after}&timeout=1"))
        .token(staff)
        .send()
        .await
        .ok()
}

/// A history line as the member reads it: kind, amount, balance after, store.
type Line = (String, i64, i64, Option<String>);

/// The member's history, newest first.
fn told(history: &[HistoryItem]) -> Vec<Line> {
    history
        .iter()
        .map(|h| {
            (
                h.kind.as_str().to_string(),
                h.amount.0,
                h.balance_after.expect("stored value moved").0,
                h.store_name.clone(),
            )
        })
        .collect()
}

/// A history line.
fn line(kind: &str, amount: i64, after: i64, store: &StoreView) -> Line {
    (kind.to_string(), amount, after, Some(store.name.clone()))
}

/// The member's balance as (principal, bonus).
pub async fn funds(app: &TestApp, member: &Member) -> (i64, i64) {
    let b = balance(app, &member.token).await;
    assert_eq!(b.total.0, b.principal.0 + b.bonus.0);
    (b.principal.0, b.bonus.0)
}

/// The gateway refunds queued for an order, oldest first.
pub async fn gateway_refunds(app: &TestApp, order_id: i64) -> Vec<gateway_refund::Model> {
    gateway_refund::Entity::find()
        .filter(gateway_refund::Column::OrderId.eq(order_id))
        .order_by_asc(gateway_refund::Column::Id)
        .all(&app.db)
        .await
        .expect("reading the gateway refunds")
}

// ---------------------------------------------------------------------------
// 1. The happy path.

dual_test!(
    a_member_pays_a_bill_bigger_than_their_balance_partly_online,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        // ¥50 at the counter with a "¥50, get ¥5" plan: ¥55 of stored value.
        let offer = plan(&app, &shop.admin, 5_000, 500).await;
        plan_topup_ok(&app, &shop.clerk, &member.phone, 5_000, offer.id).await;
        assert_eq!(funds(&app, &member).await, (5_000, 500));
        let cursor = feed_cursor(&app, &shop.clerk).await;
        assert!(store_payments(&app, &shop.manager).await.is_empty());

        // The bill is ¥80: the app offers "¥55 from your card, ¥25 online".
        let started = split_ok(&app, &member, shop.one.id, 8_000).await;
        assert_eq!(started.purpose, "payment");
        assert_eq!(started.store_name.as_deref(), Some(shop.one.name.as_str()));
        assert_eq!(
            started.stored_value,
            Fen(5_500),
            "the whole balance is held"
        );
        assert_eq!(started.amount, Fen(2_500), "the rest is paid online");
        assert_eq!(started.bonus, Fen(0));
        assert_eq!(started.state, OrderState::Created);
        assert_eq!(started.payment_id, None);
        assert_eq!(started.balance_after, None);
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
        // The checkout asks for the online part only.
        let page = checkout_page(&checkout).await;
        assert!(page.contains("¥25.00"), "{page}");
        assert!(page.contains("sandbox-pay"), "{page}");

        // Meanwhile the member's card shows nothing left, and the history
        // says why: ¥55 held for the store.
        assert_eq!(funds(&app, &member).await, (0, 0));
        let history = full_history(&app, &member.token, None).await;
        assert_eq!(
            told(&history),
            vec![
                line("hold", -5_500, 0, &shop.one),
                line("topup", 5_500, 5_500, &shop.one),
            ]
        );
        // A hold counts among the payments when the member filters.
        let payments = full_history(&app, &member.token, Some("payment")).await;
        assert_eq!(payments.len(), 1);
        assert_eq!(payments[0].kind, "hold");
        // The store has not been paid yet: nothing on the counter's list.
        assert!(store_payments(&app, &shop.manager).await.is_empty());
        assert!(store_payments(&app, &shop.clerk).await.is_empty());
        assert_eq!(order(&app, &member, started.id).await, started);

        // The member pays ¥25 at the checkout and is sent back to the app.
        assert_eq!(press(&checkout, "pay").await, back_to_app(&app, &started));
        let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
        let payment_id = paid
            .payment_id
            .expect("a settled split payment names its payment");
        assert_eq!(paid.checkout_url, None, "a paid order is not offered again");
        assert_eq!((paid.stored_value, paid.amount), (Fen(5_500), Fen(2_500)));
        assert_eq!(paid.balance_after, None);
        wait_for_acks(&app, &started, 1).await;

        // The store sees one payment of the whole ¥80.
        let listed = store_payments(&app, &shop.manager).await;
        assert_eq!(listed.len(), 1, "{listed:#?}");
        assert_eq!(listed[0].id, payment_id);
        assert_eq!(listed[0].amount, Fen(8_000));
        assert_eq!(listed[0].refunded, Fen(0));
        assert_eq!(listed[0].store_name, shop.one.name);
        assert_eq!(listed[0].member_phone_masked, masked(&member.phone));
        assert_eq!(store_payments(&app, &shop.clerk).await, listed);
        // The counter's live feed shows it as it lands.
        let feed = feed_after(&app, &shop.clerk, cursor).await;
        assert_eq!(feed.items, listed);
        assert_eq!(feed.last_id, payment_id);
        assert_eq!((feed.today_total, feed.today_count), (Fen(8_000), 1));
        // The other store saw nothing.
        assert!(store_payments(&app, &shop.manager_two).await.is_empty());
        let there = feed_cursor(&app, &shop.clerk_two).await;
        let other = feed_after(&app, &shop.clerk_two, there).await;
        assert!(other.items.is_empty(), "{other:?}");

        // The settlement adds nothing to the member's history: the hold
        // already told them.
        assert_eq!(full_history(&app, &member.token, None).await, history);
        assert_eq!(funds(&app, &member).await, (0, 0));
        let trade = inspect(&app, &started).await.trade;
        assert_eq!(
            (trade.state, trade.amount, trade.refunded),
            (TradeState::Success, 2_500, 0)
        );
        // Asking again changes nothing.
        assert_eq!(order(&app, &member, started.id).await, paid);
        assert_eq!(store_payments(&app, &shop.manager).await, listed);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_member_with_nothing_stored_pays_the_whole_bill_online,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        assert_eq!(funds(&app, &member).await, (0, 0));
        // ¥30 with nothing stored: all of it online, nothing held.
        let started = split_ok(&app, &member, shop.one.id, 3_000).await;
        assert_eq!((started.stored_value, started.amount), (Fen(0), Fen(3_000)));
        let page = checkout_page(&checkout_of(&started)).await;
        assert!(page.contains("¥30.00"), "{page}");
        assert_eq!(
            press(&checkout_of(&started), "pay").await,
            back_to_app(&app, &started)
        );
        let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
        assert!(paid.payment_id.is_some());
        wait_for_acks(&app, &started, 1).await;
        let listed = store_payments(&app, &shop.manager).await;
        assert_eq!(listed.len(), 1, "{listed:#?}");
        assert_eq!(listed[0].amount, Fen(3_000));
        assert_eq!(funds(&app, &member).await, (0, 0));
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 2. Refused starts say why and hold nothing.

dual_test!(
    refused_split_payments_say_why_and_hold_nothing,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let before = snapshot(&app, &member.token).await;

        // A closed store and another brand's store.
        let closed = closed_store(&app, &shop).await;
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        let other_region = other.create_region(&other_admin, "华南区").await;
        let foreign = other
            .create_store(&other_admin, other_region.id, "天河城店")
            .await;

        let body = |store_id: i64, amount: i64| PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: false,
            points_expected: None,
            payable_expected: None,
            store_id,
            amount: Fen(amount),
            pin: None,
            pay_request: None,
        };
        let cases: Vec<(&str, PaymentRequest, u16, ErrorCode, &str)> = vec![
            (
                "a bill the balance covers",
                body(shop.one.id, 10_000),
                409,
                ErrorCode::Conflict,
                "Conflicting change; refresh and try again",
            ),
            (
                "a small bill",
                body(shop.one.id, 1),
                409,
                ErrorCode::Conflict,
                "Conflicting change; refresh and try again",
            ),
            (
                "zero",
                body(shop.one.id, 0),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "negative",
                body(shop.one.id, -500),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "above the per-payment maximum",
                body(shop.one.id, CAP + 1),
                422,
                ErrorCode::AmountTooLarge,
                "A single payment cannot exceed ¥5,000.00",
            ),
            (
                "the largest integer",
                body(shop.one.id, i64::MAX),
                422,
                ErrorCode::AmountTooLarge,
                "A single payment cannot exceed ¥5,000.00",
            ),
            (
                "a closed store",
                body(closed.id, 15_000),
                422,
                ErrorCode::StoreClosed,
                "This store is closed",
            ),
            (
                "an unknown store",
                body(999_999_999, 15_000),
                404,
                ErrorCode::NotFound,
                "Not found",
            ),
            (
                "another brand's store",
                body(foreign.id, 15_000),
                404,
                ErrorCode::NotFound,
                "Not found",
            ),
        ];
        for (what, req, status, code, message) in cases {
            let error = app
                .post(SPLIT)
                .token(&member.token)
                .header(IDEMPOTENCY_KEY, &new_key())
                .lang("en")
                .json(&req)
                .send()
                .await
                .error(status, code);
            assert_eq!(error.message, message, "{what}");
            let expected = match code {
                ErrorCode::Conflict => params(&[("reason", "balance_covers")]),
                ErrorCode::InvalidField => {
                    params(&[("field", "amount"), ("reason", "amount_positive")])
                }
                ErrorCode::AmountTooLarge => params(&[("max", "500000")]),
                _ => params(&[]),
            };
            assert_eq!(error.params, expected, "{what}");
            assert!(
                rows_of(&app, &member).await.is_empty(),
                "{what} wrote an order"
            );
            assert_eq!(
                snapshot(&app, &member.token).await,
                before,
                "{what} held money"
            );
        }

        // No key, no order.
        let error = app
            .post(SPLIT)
            .token(&member.token)
            .lang("en")
            .json(&body(shop.one.id, 15_000))
            .send()
            .await
            .error(400, ErrorCode::IdempotencyKeyMissing);
        assert_eq!(error.message, "Missing Idempotency-Key header");

        // A frozen member cannot start one.
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let error = app
            .post(SPLIT)
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &new_key())
            .lang("en")
            .json(&body(shop.one.id, 15_000))
            .send()
            .await
            .error(403, ErrorCode::MemberFrozen);
        assert_eq!(
            error.message,
            "This membership is frozen; please contact the store"
        );
        assert!(rows_of(&app, &member).await.is_empty());
        assert_eq!(snapshot(&app, &member.token).await, before);
        app.post(&format!("/api/hq/members/{}/unfreeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);

        // Thawed, the same bill goes through; then they give up.
        let started = split_ok(&app, &member, shop.one.id, 15_000).await;
        assert_eq!(
            (started.stored_value, started.amount),
            (Fen(10_000), Fen(5_000))
        );
        give_up(&app, &member, started.id).await;
        assert_eq!(funds(&app, &member).await, (10_000, 0));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_stored_value_part_above_the_pin_free_limit_needs_the_pin,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        // ¥300 on the card and a ¥400 bill: ¥300 of stored value is more
        // than the ¥200 PIN-free limit.
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 30_000).await;
        let attempt = |pin: Option<&'static str>| {
            let (app, member) = (app.clone(), member.clone());
            async move {
                app.post(SPLIT)
                    .token(&member.token)
                    .header(IDEMPOTENCY_KEY, &new_key())
                    .lang("en")
                    .json(&PaymentRequest {
                        coupon_id: None,
                        without_coupon_if_gone: false,
                        use_points: false,
                        points_expected: None,
                        payable_expected: None,
                        store_id: shop.one.id,
                        amount: Fen(40_000),
                        pin: pin.map(str::to_string),
                        pay_request: None,
                    })
                    .send()
                    .await
            }
        };

        // No PIN set yet.
        let error = attempt(Some(TEST_PIN))
            .await
            .error(422, ErrorCode::PinNotSet);
        assert_eq!(error.params, params(&[("above", "20000")]));
        assert_eq!(
            error.message,
            "Payments above ¥200.00 need a payment PIN; set one under Me first"
        );
        assert!(rows_of(&app, &member).await.is_empty());
        assert_eq!(funds(&app, &member).await, (30_000, 0));
        set_pin(&app, &member).await;
        let before = snapshot(&app, &member.token).await;
        // Set, but not given.
        let error = attempt(None).await.error(422, ErrorCode::PinRequired);
        assert_eq!(error.params, params(&[("above", "20000")]));
        assert_eq!(
            error.message,
            "Payments above ¥200.00 need your payment PIN"
        );
        // A wrong one.
        let error = attempt(Some("135792"))
            .await
            .error(422, ErrorCode::WrongPin);
        assert_eq!(error.params, params(&[("remaining", "4")]));
        assert_eq!(error.message, "Wrong payment PIN; 4 attempts left");
        assert!(rows_of(&app, &member).await.is_empty());
        assert_eq!(snapshot(&app, &member.token).await, before);

        // The right one: ¥300 held, ¥100 online.
        let reply = attempt(Some(TEST_PIN)).await;
        reply.status(201);
        let started: TopUpOrderView = reply.ok();
        assert_eq!(
            (started.stored_value, started.amount),
            (Fen(30_000), Fen(10_000))
        );
        assert_eq!(funds(&app, &member).await, (0, 0));

        // With ¥150 on the card the stored-value part is within the limit:
        // no PIN is asked for, even of a member who never set one.
        let light = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &light.phone, 15_000).await;
        let reply = split_with_key(&app, &light, &new_key(), shop.one.id, 40_000, None).await;
        reply.status(201);
        let light_order: TopUpOrderView = reply.ok();
        assert_eq!(
            (light_order.stored_value, light_order.amount),
            (Fen(15_000), Fen(25_000))
        );

        // Both give up and get their money back.
        give_up(&app, &member, started.id).await;
        give_up(&app, &light, light_order.id).await;
        assert_eq!(funds(&app, &member).await, (30_000, 0));
        assert_eq!(funds(&app, &light).await, (15_000, 0));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_same_key_twice_is_the_same_split_payment,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 4_000).await;

        // A double tap: the same key twice is one order and one hold.
        let key = new_key();
        let first = split_with_key(&app, &member, &key, shop.one.id, 6_000, None).await;
        first.status(201);
        let first: TopUpOrderView = first.ok();
        assert_eq!((first.stored_value, first.amount), (Fen(4_000), Fen(2_000)));
        let again = split_with_key(&app, &member, &key, shop.one.id, 6_000, None).await;
        again.status(201);
        assert_eq!(again.ok::<TopUpOrderView>(), first);
        // The PIN is not part of the request's identity.
        let with_pin =
            split_with_key(&app, &member, &key, shop.one.id, 6_000, Some(TEST_PIN)).await;
        with_pin.status(201);
        assert_eq!(with_pin.ok::<TopUpOrderView>(), first);
        assert_eq!(rows_of(&app, &member).await.len(), 1);
        let history = full_history(&app, &member.token, None).await;
        assert_eq!(
            told(&history),
            vec![
                line("hold", -4_000, 0, &shop.one),
                line("topup", 4_000, 4_000, &shop.one),
            ]
        );

        // The same key for another bill is refused.
        let error = app
            .post(SPLIT)
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &key)
            .lang("en")
            .json(&PaymentRequest {
                coupon_id: None,
                without_coupon_if_gone: false,
                use_points: false,
                points_expected: None,
                payable_expected: None,
                store_id: shop.one.id,
                amount: Fen(6_001),
                pin: None,
                pay_request: None,
            })
            .send()
            .await
            .error(409, ErrorCode::IdempotencyKeyReused);
        assert_eq!(
            error.message,
            "This Idempotency-Key was used for a different request"
        );
        assert_eq!(rows_of(&app, &member).await.len(), 1);
        assert_eq!(full_history(&app, &member.token, None).await, history);

        // Paid once, settled once, whatever the retries.
        press(&checkout_of(&first), "pay").await;
        let paid = wait_for_state(&app, &member, first.id, OrderState::Paid).await;
        let replay = split_with_key(&app, &member, &key, shop.one.id, 6_000, None).await;
        replay.status(201);
        assert_eq!(replay.ok::<TopUpOrderView>(), paid);
        let listed = store_payments(&app, &shop.manager).await;
        assert_eq!(listed.len(), 1, "{listed:#?}");
        assert_eq!(listed[0].amount, Fen(6_000));
        assert_eq!(full_history(&app, &member.token, None).await, history);
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 3. Orders that close: given up, expired, paid too late.

dual_test!(
    giving_up_a_split_payment_gives_the_held_value_back,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let offer = plan(&app, &shop.admin, 5_000, 500).await;
        plan_topup_ok(&app, &shop.clerk, &member.phone, 5_000, offer.id).await;
        let started = split_ok(&app, &member, shop.two.id, 8_000).await;
        let checkout = checkout_of(&started);
        assert_eq!(funds(&app, &member).await, (0, 0));

        // The member changes their mind: the order closes and the ¥55 held
        // comes back, principal and bonus as they were.
        let closed = give_up(&app, &member, started.id).await;
        assert_eq!(closed.state, OrderState::Closed);
        assert_eq!(closed.checkout_url, None);
        assert_eq!(closed.payment_id, None);
        assert_eq!(closed.stored_value, Fen(5_500));
        assert_eq!(funds(&app, &member).await, (5_000, 500));
        let history = full_history(&app, &member.token, None).await;
        assert_eq!(
            told(&history),
            vec![
                line("release", 5_500, 5_500, &shop.two),
                line("hold", -5_500, 0, &shop.two),
                line("topup", 5_500, 5_500, &shop.one),
            ]
        );
        let releases = full_history(&app, &member.token, Some("refund")).await;
        assert_eq!(releases.len(), 1);
        assert_eq!(releases[0].kind, "release");
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
        assert_eq!(order(&app, &member, started.id).await, closed);
        // Giving up twice gives nothing back twice.
        assert_eq!(give_up(&app, &member, started.id).await, closed);
        assert_eq!(full_history(&app, &member.token, None).await, history);
        assert_eq!(funds(&app, &member).await, (5_000, 500));
        assert!(store_payments(&app, &shop.manager_two).await.is_empty());

        // The money is the member's to spend again.
        let paid = pay_ok(&app, &member.token, shop.two.id, 5_500).await;
        assert_eq!((paid.principal, paid.bonus), (Fen(5_000), Fen(500)));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    an_expired_split_payment_gives_the_held_value_back,
    |app| async move {
        // This test's sweep runs 16 minutes ahead: see `SWEEPS`.
        let _alone = SWEEPS.write().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 3_333).await;
        let started = split_ok(&app, &member, shop.one.id, 9_999).await;
        assert_eq!(
            (started.stored_value, started.amount),
            (Fen(3_333), Fen(6_666))
        );
        let checkout = checkout_of(&started);

        // The member walks away; a quarter of an hour later the sweep
        // closes the order at the gateway, then here, and the ¥33.33 held
        // comes back.
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
        assert_eq!(funds(&app, &member).await, (3_333, 0));
        let history = full_history(&app, &member.token, None).await;
        assert_eq!(
            told(&history),
            vec![
                line("release", 3_333, 3_333, &shop.one),
                line("hold", -3_333, 0, &shop.one),
                line("topup", 3_333, 3_333, &shop.one),
            ]
        );
        assert_eq!(
            instant(&history[0].at),
            start_instant() + chrono::Duration::seconds(16 * 60)
        );

        // An old checkout tab: paying does nothing.
        assert_eq!(press(&checkout, "pay").await, checkout);
        assert_eq!(order(&app, &member, started.id).await, closed);
        // Sweeping again gives nothing back twice.
        sweep(&app.state).await.expect("sweeping");
        assert_eq!(full_history(&app, &member.token, None).await, history);
        assert!(store_payments(&app, &shop.manager).await.is_empty());
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_split_payment_paid_after_it_closed_is_refunded_online,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 2_000).await;
        let started = split_ok(&app, &member, shop.one.id, 7_000).await;
        assert_eq!(
            (started.stored_value, started.amount),
            (Fen(2_000), Fen(5_000))
        );
        let checkout = checkout_of(&started);

        // The member gives up; the ¥20 held is back at once.
        let closed = give_up(&app, &member, started.id).await;
        assert_eq!(closed.state, OrderState::Closed);
        assert_eq!(funds(&app, &member).await, (2_000, 0));
        let history = full_history(&app, &member.token, None).await;

        // But their payment crossed the close at the gateway: ¥50 taken.
        switches(
            &app,
            Switches {
                accept_after_close: true,
                ..Switches::default()
            },
        )
        .await;
        assert_eq!(press(&checkout, "pay").await, back_to_app(&app, &started));
        // The store was not paid (the member has the ¥20 back), so the ¥50
        // goes back online.
        let refunded = wait_for_state(&app, &member, started.id, OrderState::Refunded).await;
        assert_eq!(refunded.payment_id, None);
        assert_eq!(refunded.checkout_url, None);
        assert!(row(&app, started.id).await.late);
        assert_eq!(funds(&app, &member).await, (2_000, 0));
        assert_eq!(full_history(&app, &member.token, None).await, history);
        assert!(store_payments(&app, &shop.manager).await.is_empty());
        wait_for_acks(&app, &started, 1).await;

        // The sweep sends the refund through the gateway, once.
        sweep(&app.state).await.expect("sweeping");
        let seen = wait_for_refunded(&app, &started, 5_000).await;
        assert_eq!(seen.trade.state, TradeState::Success);
        let refunds = gateway_refunds(&app, started.id).await;
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(
            (
                refunds[0].amount,
                refunds[0].reason.as_str(),
                refunds[0].state.as_str()
            ),
            (5_000, "late_payment", "succeeded")
        );
        assert_eq!(row(&app, started.id).await.refunded, 5_000);
        sweep(&app.state).await.expect("sweeping");
        assert_eq!(inspect(&app, &started).await.trade.refunded, 5_000);
        assert_eq!(order(&app, &member, started.id).await, refunded);
        assert_eq!(funds(&app, &member).await, (2_000, 0));
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 4. Refunds of a split payment.

/// Asserts a refund's shares are the largest-remainder split of the
/// cumulative refund: each part's running total is the exact proportional
/// share rounded down or up, never past the part.
fn assert_proportional(parts: [i64; 3], refunded: [i64; 3]) {
    let total: i64 = parts.iter().sum();
    let after: i64 = refunded.iter().sum();
    for (part, done) in parts.iter().zip(refunded) {
        let exact = i128::from(*part) * i128::from(after);
        let floor = (exact / i128::from(total)) as i64;
        let ceil = floor + i64::from(exact % i128::from(total) != 0);
        assert!(
            (floor..=ceil).contains(&done) && done <= *part,
            "refunded {refunded:?} of {parts:?}: not a largest-remainder split"
        );
    }
}

dual_test!(
    refunding_a_split_payment_sends_the_online_part_back_online,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        // ¥100 with a ¥10 bonus at the counter, then a ¥150 bill:
        // ¥100 principal + ¥10 bonus from the card, ¥40 online.
        let offer = plan(&app, &shop.admin, 10_000, 1_000).await;
        plan_topup_ok(&app, &shop.clerk, &member.phone, 10_000, offer.id).await;
        let paid = split_paid(&app, &member, shop.one.id, 15_000).await;
        assert_eq!((paid.stored_value, paid.amount), (Fen(11_000), Fen(4_000)));
        let payment_id = paid.payment_id.expect("a settled payment");
        let parts = [10_000, 1_000, 4_000];

        // The manager refunds ¥30: in proportion, ¥20 principal, ¥2 bonus,
        // ¥8 back to the card or wallet that paid online.
        let first = refund_ok(&app, &shop.manager, payment_id, 3_000).await;
        assert_eq!(first.payment_id, payment_id);
        assert_eq!(
            (first.amount, first.principal, first.bonus, first.gateway),
            (Fen(3_000), Fen(2_000), Fen(200), Fen(800))
        );
        assert_eq!(first.refunded_total, Fen(3_000));
        // Only the stored-value parts come back to the card.
        assert_eq!(funds(&app, &member).await, (2_000, 200));
        sweep(&app.state).await.expect("sweeping");
        wait_for_refunded(&app, &paid, 800).await;

        // More than is left is refused, and says how much is.
        let error = app
            .post(&format!("/api/staff/payments/{payment_id}/refunds"))
            .token(&shop.manager)
            .header(IDEMPOTENCY_KEY, &new_key())
            .lang("en")
            .json(&shared::dto::RefundRequest {
                amount: Fen(12_001),
            })
            .send()
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(error.params, params(&[("refundable", "12000")]));
        assert_eq!(error.message, "More than the refundable ¥120.00");

        // The rest in pieces, down to a single fen, adds up exactly.
        let mut receipts: Vec<RefundReceipt> = vec![first];
        let mut refunded = [2_000, 200, 800];
        for piece in [1, 1, 7, 4_321, 1, 999, 2_500, 13, 1, 1] {
            let r = refund_ok(&app, &shop.manager, payment_id, piece).await;
            assert_eq!(r.amount, Fen(piece));
            assert_eq!(r.principal.0 + r.bonus.0 + r.gateway.0, piece, "{r:?}");
            refunded[0] += r.principal.0;
            refunded[1] += r.bonus.0;
            refunded[2] += r.gateway.0;
            assert_eq!(r.refunded_total, Fen(refunded.iter().sum()));
            assert_proportional(parts, refunded);
            // The online part goes back online, and only it.
            sweep(&app.state).await.expect("sweeping");
            wait_for_refunded(&app, &paid, refunded[2]).await;
            assert_eq!(funds(&app, &member).await, (refunded[0], refunded[1]));
            receipts.push(r);
        }
        // The fen right after ¥30 goes to principal (largest remainder).
        assert_eq!(
            (
                receipts[1].principal,
                receipts[1].bonus,
                receipts[1].gateway
            ),
            (Fen(1), Fen(0), Fen(0))
        );
        let left = 15_000 - refunded.iter().sum::<i64>();
        assert!(left > 0);
        let last = refund_ok(&app, &shop.manager, payment_id, left).await;
        refunded[0] += last.principal.0;
        refunded[1] += last.bonus.0;
        refunded[2] += last.gateway.0;
        receipts.push(last);
        assert_eq!(refunded, parts, "every part comes back exactly");
        assert_eq!(receipts.last().map(|r| r.refunded_total), Some(Fen(15_000)));

        // Not a fen more.
        let error = refund(&app, &shop.manager, payment_id, 1)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(error.params, params(&[("refundable", "0")]));

        // The gateway got back exactly the ¥40 paid online, in as many
        // refunds as had an online part; the card got back exactly ¥110.
        sweep(&app.state).await.expect("sweeping");
        let seen = wait_for_refunded(&app, &paid, 4_000).await;
        assert_eq!(seen.trade.state, TradeState::Success);
        let refunds = gateway_refunds(&app, paid.id).await;
        let online: Vec<i64> = receipts
            .iter()
            .map(|r| r.gateway.0)
            .filter(|g| *g > 0)
            .collect();
        assert_eq!(refunds.iter().map(|r| r.amount).collect::<Vec<_>>(), online);
        assert!(
            refunds
                .iter()
                .all(|r| r.state == "succeeded" && r.reason == "payment_refund"),
            "{refunds:?}"
        );
        assert_eq!(row(&app, paid.id).await.refunded, 4_000);
        assert_eq!(funds(&app, &member).await, (10_000, 1_000));

        // The member's history shows each refund's stored-value part.
        let history = full_history(&app, &member.token, None).await;
        for r in &receipts {
            let item = history
                .iter()
                .find(|h| h.id == r.entry_id)
                .unwrap_or_else(|| panic!("refund {r:?} is not in the history"));
            assert_eq!(item.kind, "refund");
            assert_eq!(item.amount, Fen(r.principal.0 + r.bonus.0), "{r:?}");
        }
        assert_eq!(
            history
                .iter()
                .filter(|h| h.kind == "refund")
                .map(|h| h.amount.0)
                .sum::<i64>(),
            11_000
        );
        // The store's list shows the payment refunded in full.
        let listed = store_payments(&app, &shop.manager).await;
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].amount, listed[0].refunded, listed[0].online),
            (Fen(15_000), Fen(15_000), Fen(4_000)),
            "marked as split: ¥40 of it online"
        );
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// The gateway is down.

dual_test!(
    when_the_gateway_is_down_nothing_is_charged_and_the_hold_comes_back,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        // A replica whose gateway does not answer (nothing listens there).
        let down = app
            .replica_with_gateway(Some("http://127.0.0.1:9/gw"))
            .await;

        // A top-up cannot start: clear words, nothing credited.
        let reply = down
            .post("/api/member/topups")
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &new_key())
            .header("Accept-Language", "en")
            .json(&shared::dto::TopUpOrderRequest {
                amount: Fen(10_000),
                plan_id: None,
            })
            .send()
            .await;
        let error = reply.error(503, ErrorCode::GatewayUnavailable);
        assert_eq!(
            error.message,
            "The payment channel is unavailable; nothing was charged. Try again later"
        );

        // A split payment cannot reach the checkout: the ¥50 held for it
        // comes straight back, and the history says so.
        let key = new_key();
        split_with_key(&down, &member, &key, shop.one.id, 8_000, None)
            .await
            .error(503, ErrorCode::GatewayUnavailable);
        assert_eq!(balance(&app, &member.token).await.total, Fen(5_000));
        let history = full_history(&app, &member.token, None).await;
        let kinds: Vec<&str> = history.iter().map(|h| h.kind.as_str()).collect();
        assert_eq!(kinds, ["release", "hold", "topup"], "{history:?}");
        assert_eq!(
            (history[0].amount, history[1].amount),
            (Fen(5_000), Fen(-5_000))
        );
        // The same key again finds that order closed: no second hold.
        let again: TopUpOrderView = split_with_key(&app, &member, &key, shop.one.id, 8_000, None)
            .await
            .ok();
        assert_eq!(
            (again.state, again.checkout_url),
            (OrderState::Closed, None)
        );
        assert_eq!(balance(&app, &member.token).await.total, Fen(5_000));
        assert_reconciled(&app).await;
    }
);
