//! Stored value: counter top-ups, payments at a store, refunds, the member's
//! history, who may do what, and a seeded model of random sequences. Every
//! test ends with the ledger reconciling. The races live in
//! `money_concurrency.rs`; the shared set-up and request helpers live here.

use crate::helpers::*;
use chrono::{DateTime, Utc};
use shared::ErrorCode;
use shared::dto::{
    BalanceView, CounterMemberView, CounterTopUp, HistoryItem, Page, PaymentListItem,
    PaymentReceipt, PaymentRequest, RefundReceipt, RefundRequest, Role, SetPin, StoreView,
    TopUpMethod, TopUpReceipt,
};
use shared::money::{Fen, Quote};
use std::collections::BTreeMap;

/// The header every value-moving request carries.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
/// The default cap on a member's balance, and the default per-payment
/// maximum: ¥5,000.
pub const CAP: i64 = 500_000;

/// A fresh idempotency key.
pub fn new_key() -> String {
    format!("key-{}", random_hex(24))
}

/// A brand with two open stores in one region (the first is the default),
/// a clerk and a manager at each, and HQ finance.
pub struct Shop {
    pub admin: String,
    pub finance: String,
    pub region_id: i64,
    pub one: StoreView,
    pub two: StoreView,
    pub clerk: String,
    pub manager: String,
    pub clerk_two: String,
    pub manager_two: String,
}

/// Sets up a [`Shop`] in `app`'s brand.
pub async fn shop(app: &TestApp) -> Shop {
    let admin = app.login_admin().await;
    let region = app.create_region(&admin, "华东区").await;
    let one = app.create_store(&admin, region.id, "南京西路店").await;
    let two = app.create_store(&admin, region.id, "徐家汇店").await;
    assert!(one.is_default && !two.is_default);
    let staff = [
        ("clerk.one", Role::Clerk, Some(one.id)),
        ("boss.one", Role::StoreManager, Some(one.id)),
        ("clerk.two", Role::Clerk, Some(two.id)),
        ("boss.two", Role::StoreManager, Some(two.id)),
        ("finance", Role::HqFinance, None),
    ];
    for (account, role, store) in staff {
        app.create_staff(&admin, account, role, None, store).await;
    }
    Shop {
        finance: app.staff_token("finance", STAFF_PASSWORD).await,
        clerk: app.staff_token("clerk.one", STAFF_PASSWORD).await,
        manager: app.staff_token("boss.one", STAFF_PASSWORD).await,
        clerk_two: app.staff_token("clerk.two", STAFF_PASSWORD).await,
        manager_two: app.staff_token("boss.two", STAFF_PASSWORD).await,
        admin,
        region_id: region.id,
        one,
        two,
    }
}

/// A store of `shop`'s region that HQ opened and then closed (not the
/// default store).
pub async fn closed_store(app: &TestApp, shop: &Shop) -> StoreView {
    let mut form = store_input("静安寺店", shop.region_id);
    let opened: StoreView = app
        .post("/api/hq/stores")
        .token(&shop.admin)
        .json(&form)
        .send()
        .await
        .ok();
    form.active = false;
    let closed: StoreView = app
        .put(&format!("/api/hq/stores/{}", opened.id))
        .token(&shop.admin)
        .json(&form)
        .send()
        .await
        .ok();
    assert!(!closed.active);
    closed
}

/// A region manager of `region_id` in `shop`'s brand, logged in.
pub async fn region_manager(app: &TestApp, shop: &Shop, account: &str, region_id: i64) -> String {
    app.create_staff(
        &shop.admin,
        account,
        Role::RegionManager,
        Some(region_id),
        None,
    )
    .await;
    app.staff_token(account, STAFF_PASSWORD).await
}

/// A member who has logged in: phone, id, token.
#[derive(Clone)]
pub struct Member {
    pub phone: String,
    pub id: i64,
    pub token: String,
}

/// Registers a new member.
pub async fn new_member(app: &TestApp) -> Member {
    let phone = random_phone();
    let session = app.member_session(&phone).await;
    Member {
        phone,
        id: session.member.id,
        token: session.token,
    }
}

/// The payment PIN test members set when they pay above the PIN-free limit.
pub const TEST_PIN: &str = "258014";

/// Sets the member's payment PIN to [`TEST_PIN`].
pub async fn set_pin(app: &TestApp, member: &Member) {
    app.put("/api/member/pin")
        .token(&member.token)
        .json(&SetPin {
            pin: TEST_PIN.into(),
            current: None,
        })
        .send()
        .await
        .status(204);
}

/// A cash top-up body.
pub fn topup_body(phone: &str, amount: i64) -> CounterTopUp {
    CounterTopUp {
        member_phone: phone.into(),
        amount: Fen(amount),
        method: TopUpMethod::Cash,
        plan_id: None,
    }
}

/// `POST /api/staff/topups` with `key`.
pub async fn topup_with_key(
    app: &TestApp,
    staff: &str,
    phone: &str,
    amount: i64,
    key: &str,
) -> Reply {
    app.post("/api/staff/topups")
        .token(staff)
        .header(IDEMPOTENCY_KEY, key)
        .json(&topup_body(phone, amount))
        .send()
        .await
}

/// A counter top-up with a fresh key.
pub async fn topup(app: &TestApp, staff: &str, phone: &str, amount: i64) -> Reply {
    topup_with_key(app, staff, phone, amount, &new_key()).await
}

/// A counter top-up that must succeed (201).
pub async fn topup_ok(app: &TestApp, staff: &str, phone: &str, amount: i64) -> TopUpReceipt {
    let reply = topup(app, staff, phone, amount).await;
    reply.status(201);
    reply.ok()
}

/// `POST /api/member/payments` with `key`.
pub async fn pay_with_key(
    app: &TestApp,
    member: &str,
    store_id: i64,
    amount: i64,
    key: &str,
) -> Reply {
    app.post("/api/member/payments")
        .token(member)
        .header(IDEMPOTENCY_KEY, key)
        .json(&PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: false,
            points_expected: None,
            payable_expected: None,
            store_id,
            amount: Fen(amount),
            pin: Some(TEST_PIN.into()),
            pay_request: None,
        })
        .send()
        .await
}

/// A payment with a fresh key.
pub async fn pay(app: &TestApp, member: &str, store_id: i64, amount: i64) -> Reply {
    pay_with_key(app, member, store_id, amount, &new_key()).await
}

/// A payment that must succeed (201).
pub async fn pay_ok(app: &TestApp, member: &str, store_id: i64, amount: i64) -> PaymentReceipt {
    let reply = pay(app, member, store_id, amount).await;
    reply.status(201);
    reply.ok()
}

/// `POST /api/staff/payments/{id}/refunds` with `key`.
pub async fn refund_with_key(
    app: &TestApp,
    staff: &str,
    payment_id: i64,
    amount: i64,
    key: &str,
) -> Reply {
    app.post(&format!("/api/staff/payments/{payment_id}/refunds"))
        .token(staff)
        .header(IDEMPOTENCY_KEY, key)
        .json(&RefundRequest {
            amount: Fen(amount),
        })
        .send()
        .await
}

/// A refund with a fresh key.
pub async fn refund(app: &TestApp, staff: &str, payment_id: i64, amount: i64) -> Reply {
    refund_with_key(app, staff, payment_id, amount, &new_key()).await
}

/// A refund that must succeed (201).
pub async fn refund_ok(app: &TestApp, staff: &str, payment_id: i64, amount: i64) -> RefundReceipt {
    let reply = refund(app, staff, payment_id, amount).await;
    reply.status(201);
    reply.ok()
}

/// The member's balance.
pub async fn balance(app: &TestApp, member: &str) -> BalanceView {
    app.get("/api/member/balance")
        .token(member)
        .send()
        .await
        .ok()
}

/// The member's total balance in fen.
pub async fn total(app: &TestApp, member: &str) -> i64 {
    balance(app, member).await.total.0
}

/// One page of the member's history (`query` starts with `?` or is empty).
pub async fn history_page(app: &TestApp, member: &str, query: &str) -> Page<HistoryItem> {
    app.get(&format!("/api/member/history{query}"))
        .token(member)
        .send()
        .await
        .ok()
}

/// The member's whole history, newest first, following the cursor; `kind`
/// filters when given. Checks each page's shape on the way.
pub async fn full_history(app: &TestApp, member: &str, kind: Option<&str>) -> Vec<HistoryItem> {
    let mut items: Vec<HistoryItem> = Vec::new();
    let mut after: Option<i64> = None;
    for _ in 0..1000 {
        let mut params = Vec::new();
        if let Some(kind) = kind {
            params.push(format!("kind={kind}"));
        }
        if let Some(after) = after {
            params.push(format!("after={after}"));
        }
        let query = if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        };
        let page = history_page(app, member, &query).await;
        assert!(page.items.len() <= 20, "a page holds at most 20 items");
        if page.next_cursor.is_some() {
            assert_eq!(page.items.len(), 20, "only a full page has a next page");
        }
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => after = Some(cursor),
            None => {
                assert!(
                    items.windows(2).all(|w| w[0].id > w[1].id),
                    "history is newest first without repeats: {items:#?}"
                );
                return items;
            }
        }
    }
    panic!("the history never ended");
}

/// Asserts the whole database reconciles: every entry sums to zero, every
/// stored balance is the sum of its lines, no member balance is negative.
pub async fn assert_reconciled(app: &TestApp) {
    // The append-only accounts (store wallets, the brand's own) rolled up
    // first: the reconciliation then checks each stores exactly its rolled
    // lines, and the test goes on with them so.
    tongka_server::ledger::rollup(&app.db)
        .await
        .expect("rolling up");
    let report = tongka_server::ledger::reconcile(&app.db)
        .await
        .expect("running the reconciliation");
    assert!(
        report.is_clean(),
        "[{:?}] the ledger does not reconcile:\n{}",
        app.backend,
        report.problems.join("\n")
    );
}

/// The instant in an RFC 3339 string.
#[track_caller]
pub fn instant(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("{at:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// The masked form of a phone.
pub fn masked(phone: &str) -> String {
    format!("{}****{}", &phone[..3], &phone[7..])
}

pub fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------
// 1. The story a member and a store live through.

dual_test!(
    top_up_pay_refund_in_full_and_read_the_history,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;

        let fresh = balance(&app, &member.token).await;
        assert_eq!(
            fresh,
            BalanceView {
                principal: Fen(0),
                bonus: Fen(0),
                total: Fen(0),
                max_balance: Fen(CAP),
                pin_set: false,
                pin_above: Fen(20_000),
            },
            "a new member has nothing yet"
        );
        assert!(full_history(&app, &member.token, None).await.is_empty());

        // The clerk takes ¥100 in cash.
        let t0 = start_instant();
        let topped = topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        assert_eq!(topped.member_id, member.id);
        assert_eq!(topped.member_phone_masked, masked(&member.phone));
        assert_eq!(topped.amount, Fen(10_000));
        assert_eq!(topped.balance_after, Fen(10_000));
        assert_eq!(instant(&topped.at), t0);
        assert_eq!(
            balance(&app, &member.token).await,
            BalanceView {
                principal: Fen(10_000),
                bonus: Fen(0),
                total: Fen(10_000),
                max_balance: Fen(CAP),
                pin_set: false,
                pin_above: Fen(20_000),
            }
        );

        // The member pays ¥30.50 at the first store.
        app.advance_secs(600);
        let paid = pay_ok(&app, &member.token, shop.one.id, 3_050).await;
        assert_eq!(paid.store_id, shop.one.id);
        assert_eq!(paid.store_name, shop.one.name);
        assert_eq!(
            paid.quote,
            Quote {
                original: Fen(3_050),
                member_discount: Fen(0),
                payable: Fen(3_050),
            }
        );
        assert_eq!((paid.principal, paid.bonus), (Fen(3_050), Fen(0)));
        assert_eq!(paid.balance_after, Fen(6_950));
        assert_eq!(instant(&paid.at), t0 + chrono::Duration::seconds(600));
        let after_pay = balance(&app, &member.token).await;
        assert_eq!(
            (after_pay.principal, after_pay.total),
            (Fen(6_950), Fen(6_950))
        );

        // The store manager refunds ¥10, then the remaining ¥20.50.
        app.advance_secs(600);
        let first = refund_ok(&app, &shop.manager, paid.payment_id, 1_000).await;
        assert_eq!(first.payment_id, paid.payment_id);
        assert_eq!(first.amount, Fen(1_000));
        assert_eq!((first.principal, first.bonus), (Fen(1_000), Fen(0)));
        assert_eq!(first.refunded_total, Fen(1_000));
        assert_eq!(total(&app, &member.token).await, 7_950);
        app.advance_secs(600);
        let second = refund_ok(&app, &shop.manager, paid.payment_id, 2_050).await;
        assert_eq!((second.amount, second.principal), (Fen(2_050), Fen(2_050)));
        assert_eq!(second.refunded_total, Fen(3_050));
        assert_ne!(first.entry_id, second.entry_id);
        assert_eq!(instant(&second.at), t0 + chrono::Duration::seconds(1_800));
        assert_eq!(total(&app, &member.token).await, 10_000);

        // Nothing is left to refund, not even a fen.
        let error = refund(&app, &shop.manager, paid.payment_id, 1)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(
            error.params.get("refundable").map(String::as_str),
            Some("0")
        );
        assert_eq!(total(&app, &member.token).await, 10_000);

        // The history tells it newest first, signed from the member's side.
        let history = full_history(&app, &member.token, None).await;
        let seen: Vec<(&str, i64, i64, Option<&str>)> = history
            .iter()
            .map(|h| {
                (
                    h.kind.as_str(),
                    h.amount.0,
                    h.balance_after.expect("stored value moved").0,
                    h.store_name.as_deref(),
                )
            })
            .collect();
        let one = Some(shop.one.name.as_str());
        assert_eq!(
            seen,
            vec![
                ("refund", 2_050, 10_000, one),
                ("refund", 1_000, 7_950, one),
                ("payment", -3_050, 6_950, one),
                ("topup", 10_000, 10_000, one),
            ]
        );
        assert_eq!(history[0].id, second.entry_id);
        assert_eq!(history[1].id, first.entry_id);
        assert_eq!(history[3].id, topped.entry_id);
        let times: Vec<DateTime<Utc>> = history.iter().map(|h| instant(&h.at)).collect();
        assert_eq!(
            times,
            vec![
                t0 + chrono::Duration::seconds(1_800),
                t0 + chrono::Duration::seconds(1_200),
                t0 + chrono::Duration::seconds(600),
                t0,
            ]
        );

        // Filtered by kind.
        for (kind, ids) in [
            ("refund", vec![second.entry_id, first.entry_id]),
            ("payment", vec![history[2].id]),
            ("topup", vec![topped.entry_id]),
        ] {
            let page = history_page(&app, &member.token, &format!("?kind={kind}")).await;
            assert_eq!(page.next_cursor, None);
            assert_eq!(
                page.items.iter().map(|h| h.id).collect::<Vec<_>>(),
                ids,
                "kind={kind}"
            );
            assert!(page.items.iter().all(|h| h.kind == kind));
        }
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_history_pages_twenty_at_a_time_newest_first,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100).await;
        for i in 0..24 {
            let store = if i % 2 == 0 { shop.one.id } else { shop.two.id };
            pay_ok(&app, &member.token, store, 1).await;
        }
        let first = history_page(&app, &member.token, "").await;
        assert_eq!(first.items.len(), 20);
        let cursor = first.next_cursor.expect("a second page");
        let second = history_page(&app, &member.token, &format!("?after={cursor}")).await;
        assert_eq!(second.items.len(), 5);
        assert_eq!(second.next_cursor, None);
        let all: Vec<HistoryItem> = first.items.into_iter().chain(second.items).collect();
        assert!(all.windows(2).all(|w| w[0].id > w[1].id), "{all:#?}");
        // Oldest last: the top-up, then 1 fen less after each payment.
        assert_eq!(all[24].kind, "topup");
        assert_eq!(all[24].balance_after, Some(Fen(100)));
        for (n, item) in all[..24].iter().rev().enumerate() {
            assert_eq!(item.kind, "payment");
            assert_eq!(item.amount, Fen(-1));
            assert_eq!(item.balance_after, Some(Fen(100 - 1 - n as i64)));
        }
        let names: Vec<Option<&str>> = all[..2].iter().map(|h| h.store_name.as_deref()).collect();
        assert_eq!(
            names,
            vec![Some(shop.two.name.as_str()), Some(shop.one.name.as_str())]
        );

        // The kind filter pages too.
        let payments = full_history(&app, &member.token, Some("payment")).await;
        assert_eq!(payments.len(), 24);
        assert_eq!(
            full_history(&app, &member.token, Some("topup")).await.len(),
            1
        );
        assert!(
            full_history(&app, &member.token, Some("refund"))
                .await
                .is_empty()
        );
        assert_eq!(full_history(&app, &member.token, None).await, all);
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 2. Refused requests say why, in the member's language, and change nothing.

/// What a member sees of their money: the balance and the whole history.
pub async fn snapshot(app: &TestApp, member: &str) -> (BalanceView, Vec<HistoryItem>) {
    (
        balance(app, member).await,
        full_history(app, member, None).await,
    )
}

dual_test!(
    refused_payments_say_why_and_change_nothing,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let before = snapshot(&app, &member.token).await;

        // A closed store (not the default) and a store of another brand.
        let closed = closed_store(&app, &shop).await;
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        let other_region = other.create_region(&other_admin, "华南区").await;
        let foreign = other
            .create_store(&other_admin, other_region.id, "天河城店")
            .await;

        let payments = "/api/member/payments";
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
        let cases: Vec<(&str, Req, u16, ErrorCode, &str)> = vec![
            (
                "zero",
                app.post(payments).json(&body(shop.one.id, 0)),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "negative",
                app.post(payments).json(&body(shop.one.id, -500)),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "above the per-payment maximum",
                app.post(payments).json(&body(shop.one.id, CAP + 1)),
                422,
                ErrorCode::AmountTooLarge,
                "A single payment cannot exceed ¥5,000.00",
            ),
            (
                "the largest integer",
                app.post(payments).json(&body(shop.one.id, i64::MAX)),
                422,
                ErrorCode::AmountTooLarge,
                "A single payment cannot exceed ¥5,000.00",
            ),
            (
                "a fraction of a fen",
                app.post(payments).raw_json(&format!(
                    r#"{{"store_id": {}, "amount": 12.5}}"#,
                    shop.one.id
                )),
                422,
                ErrorCode::MalformedRequest,
                "The request is malformed",
            ),
            (
                "an amount as text",
                app.post(payments).raw_json(&format!(
                    r#"{{"store_id": {}, "amount": "100"}}"#,
                    shop.one.id
                )),
                422,
                ErrorCode::MalformedRequest,
                "The request is malformed",
            ),
            (
                "another brand's store",
                app.post(payments).json(&body(foreign.id, 100)),
                404,
                ErrorCode::NotFound,
                "Not found",
            ),
            (
                "an unknown store",
                app.post(payments).json(&body(999_999_999, 100)),
                404,
                ErrorCode::NotFound,
                "Not found",
            ),
            (
                "a closed store",
                app.post(payments).json(&body(closed.id, 100)),
                422,
                ErrorCode::StoreClosed,
                "This store is closed",
            ),
            (
                "more than the balance",
                app.post(payments).json(&body(shop.one.id, 10_001)),
                422,
                ErrorCode::InsufficientBalance,
                "Insufficient balance (balance ¥100.00)",
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
            if code == ErrorCode::InvalidField {
                assert_eq!(
                    error.params,
                    params(&[("field", "amount"), ("reason", "amount_positive")]),
                    "{what}"
                );
            }
            if code == ErrorCode::AmountTooLarge {
                assert_eq!(error.params.get("max").map(String::as_str), Some("500000"));
            }
            if code == ErrorCode::InsufficientBalance {
                assert_eq!(
                    error.params.get("balance").map(String::as_str),
                    Some("10000")
                );
            }
            assert_eq!(
                snapshot(&app, &member.token).await,
                before,
                "{what} changed the member's money"
            );
        }

        // In Chinese by default.
        let error = pay(&app, &member.token, shop.one.id, 10_001)
            .await
            .error(422, ErrorCode::InsufficientBalance);
        assert_eq!(error.message, "余额不足（当前余额 ¥100.00）");

        // No key, no payment.
        let error = app
            .post(payments)
            .token(&member.token)
            .json(&body(shop.one.id, 100))
            .lang("en")
            .send()
            .await
            .error(400, ErrorCode::IdempotencyKeyMissing);
        assert_eq!(error.message, "Missing Idempotency-Key header");
        assert_eq!(snapshot(&app, &member.token).await, before);

        // A key that is there but unusable says so, rather than "missing".
        let error = app
            .post(payments)
            .token(&member.token)
            .header("Idempotency-Key", &"k".repeat(129))
            .json(&body(shop.one.id, 100))
            .lang("en")
            .send()
            .await
            .error(400, ErrorCode::InvalidField);
        assert_eq!(
            error.message,
            "The Idempotency-Key must be 1–128 visible ASCII characters"
        );
        assert_eq!(snapshot(&app, &member.token).await, before);

        // Frozen: no payment; thawed: the same request goes through.
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let error = pay(&app, &member.token, shop.one.id, 100)
            .await
            .error(403, ErrorCode::MemberFrozen);
        assert!(!error.message.is_empty());
        let error = app
            .post(payments)
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &new_key())
            .json(&body(shop.one.id, 100))
            .lang("en")
            .send()
            .await
            .error(403, ErrorCode::MemberFrozen);
        assert_eq!(
            error.message,
            "This membership is frozen; please contact the store"
        );
        assert_eq!(snapshot(&app, &member.token).await, before);
        app.post(&format!("/api/hq/members/{}/unfreeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let paid = pay_ok(&app, &member.token, shop.one.id, 100).await;
        assert_eq!(paid.balance_after, Fen(9_900));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    home_offers_the_stores_the_member_paid_at_most_recent_first,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let recent = |token: String| {
            let app = &app;
            async move {
                let reply = app
                    .get("/api/member/recent-stores")
                    .token(&token)
                    .send()
                    .await;
                reply.status(200);
                reply
                    .ok::<Vec<shared::dto::StorePublic>>()
                    .into_iter()
                    .map(|s| s.id)
                    .collect::<Vec<i64>>()
            }
        };
        assert!(
            recent(member.token.clone()).await.is_empty(),
            "nothing paid yet"
        );
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        pay_ok(&app, &member.token, shop.one.id, 100).await;
        pay_ok(&app, &member.token, shop.two.id, 100).await;
        pay_ok(&app, &member.token, shop.one.id, 100).await;
        assert_eq!(
            recent(member.token.clone()).await,
            vec![shop.one.id, shop.two.id]
        );
        // Someone else's payments are not theirs.
        let other = new_member(&app).await;
        assert!(recent(other.token.clone()).await.is_empty());
        app.get("/api/member/recent-stores")
            .send()
            .await
            .status(401);
    }
);

dual_test!(
    the_counter_sees_who_a_phone_belongs_to_before_a_top_up,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 12_345).await;
        let look_up = |staff: String, phone: String| {
            let app = &app;
            async move {
                app.get(&format!("/api/staff/counter-member?phone={phone}"))
                    .token(&staff)
                    .lang("en")
                    .send()
                    .await
            }
        };
        // The clerk sees the masked phone and what the member holds.
        let reply = look_up(shop.clerk.clone(), member.phone.clone()).await;
        reply.status(200);
        let seen: CounterMemberView = reply.ok();
        assert_eq!(
            seen.phone_masked,
            format!("{}****{}", &member.phone[..3], &member.phone[7..])
        );
        assert_eq!((seen.principal, seen.bonus), (Fen(12_345), Fen(0)));
        assert!(!seen.frozen);
        // And the cap, so a top-up above it is refused before cash is taken.
        assert_eq!(seen.max_balance, Fen(500_000));
        // Nobody's phone, and another brand's member, read the same.
        let other = app.other_brand().await;
        let outsider = random_phone();
        other.member_session(&outsider).await;
        for phone in [random_phone(), outsider] {
            let reply = look_up(shop.clerk.clone(), phone).await;
            let e = reply.error(404, ErrorCode::MemberNotRegistered);
            assert!(
                e.message.starts_with("No member has this phone number yet"),
                "{}",
                e.message
            );
        }
        // A malformed phone is the field's error; HQ finance does not top up.
        look_up(shop.clerk.clone(), "12345".into())
            .await
            .status(422);
        look_up(shop.finance.clone(), member.phone.clone())
            .await
            .status(403);
        look_up(member.token.clone(), member.phone.clone())
            .await
            .status(401);
    }
);

dual_test!(
    refused_top_ups_say_why_and_change_nothing,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let before = snapshot(&app, &member.token).await;

        // Someone who is a member of another brand only.
        let other = app.other_brand().await;
        let outsider = random_phone();
        other.member_session(&outsider).await;
        let stranger = random_phone();

        let topups = "/api/staff/topups";
        let cases: Vec<(&str, Req, u16, ErrorCode, &str)> = vec![
            (
                "a malformed phone",
                app.post(topups).json(&topup_body("12345", 100)),
                422,
                ErrorCode::InvalidField,
                "The member's phone must be an 11-digit mainland China mobile number",
            ),
            (
                "nobody's phone",
                app.post(topups).json(&topup_body(&stranger, 100)),
                404,
                ErrorCode::MemberNotRegistered,
                "No member has this phone number yet; ask the customer to open the member page on their phone and register first",
            ),
            (
                "a member of another brand",
                app.post(topups).json(&topup_body(&outsider, 100)),
                404,
                ErrorCode::MemberNotRegistered,
                "No member has this phone number yet; ask the customer to open the member page on their phone and register first",
            ),
            (
                "zero",
                app.post(topups).json(&topup_body(&member.phone, 0)),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "negative",
                app.post(topups).json(&topup_body(&member.phone, -100)),
                422,
                ErrorCode::InvalidField,
                "The amount must be more than zero",
            ),
            (
                "a fraction of a fen",
                app.post(topups).raw_json(&format!(
                    r#"{{"member_phone": "{}", "amount": 12.5, "method": "cash"}}"#,
                    member.phone
                )),
                422,
                ErrorCode::MalformedRequest,
                "The request is malformed",
            ),
            (
                "an unknown method",
                app.post(topups).raw_json(&format!(
                    r#"{{"member_phone": "{}", "amount": 100, "method": "bitcoin"}}"#,
                    member.phone
                )),
                422,
                ErrorCode::MalformedRequest,
                "The request is malformed",
            ),
            (
                "past the balance cap",
                app.post(topups)
                    .json(&topup_body(&member.phone, CAP - 10_000 + 1)),
                422,
                ErrorCode::BalanceLimit,
                "Above the balance cap of ¥5,000.00; at most ¥4,900.00 more",
            ),
            (
                "the largest integer",
                app.post(topups).json(&topup_body(&member.phone, i64::MAX)),
                422,
                ErrorCode::BalanceLimit,
                "Above the balance cap of ¥5,000.00; at most ¥4,900.00 more",
            ),
        ];
        for (what, req, status, code, message) in cases {
            let reply = req
                .token(&shop.clerk)
                .header(IDEMPOTENCY_KEY, &new_key())
                .lang("en")
                .send()
                .await;
            let error = reply.error(status, code);
            assert_eq!(error.message, message, "{what}");
            if code == ErrorCode::InvalidField {
                let field = if what.contains("phone") {
                    "member_phone"
                } else {
                    "amount"
                };
                assert_eq!(
                    error.params.get("field").map(String::as_str),
                    Some(field),
                    "{what}"
                );
                if field == "amount" {
                    assert_eq!(
                        error.params.get("reason").map(String::as_str),
                        Some("amount_positive"),
                        "{what}"
                    );
                }
            }
            if code == ErrorCode::BalanceLimit {
                assert_eq!(
                    error.params,
                    params(&[("max", "500000"), ("room", "490000")]),
                    "{what}"
                );
            }
            assert_eq!(
                snapshot(&app, &member.token).await,
                before,
                "{what} changed the member's money"
            );
        }

        // No key, no top-up.
        app.post(topups)
            .token(&shop.clerk)
            .json(&topup_body(&member.phone, 100))
            .send()
            .await
            .error(400, ErrorCode::IdempotencyKeyMissing);

        // A frozen member cannot be topped up either.
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let error = app
            .post(topups)
            .token(&shop.clerk)
            .header(IDEMPOTENCY_KEY, &new_key())
            .json(&topup_body(&member.phone, 100))
            .lang("en")
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
        assert_eq!(snapshot(&app, &member.token).await, before);

        // Up to the cap exactly is fine; then not a fen more.
        let full = topup_ok(&app, &shop.clerk_two, &member.phone, CAP - 10_000).await;
        assert_eq!(full.balance_after, Fen(CAP));
        let error = topup(&app, &shop.clerk, &member.phone, 1)
            .await
            .error(422, ErrorCode::BalanceLimit);
        assert_eq!(error.params, params(&[("max", "500000"), ("room", "0")]));
        // A payment of exactly the per-payment maximum goes through (with
        // the PIN, as it is above the PIN-free limit).
        set_pin(&app, &member).await;
        let paid = pay_ok(&app, &member.token, shop.two.id, CAP).await;
        assert_eq!(paid.balance_after, Fen(0));
        assert_eq!(total(&app, &member.token).await, 0);
        // The second top-up was taken at the second store.
        let history = full_history(&app, &member.token, Some("topup")).await;
        assert_eq!(
            history[0].store_name.as_deref(),
            Some(shop.two.name.as_str())
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    refused_refunds_say_why_and_change_nothing,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let paid = pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        let before = snapshot(&app, &member.token).await;
        for amount in [0, -1] {
            let error = refund(&app, &shop.manager, paid.payment_id, amount)
                .await
                .invalid("amount");
            assert_eq!(
                error.params.get("reason").map(String::as_str),
                Some("amount_positive")
            );
        }
        let error = app
            .post(&format!("/api/staff/payments/{}/refunds", paid.payment_id))
            .token(&shop.manager)
            .header(IDEMPOTENCY_KEY, &new_key())
            .lang("en")
            .json(&RefundRequest { amount: Fen(5_001) })
            .send()
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(error.params, params(&[("refundable", "5000")]));
        assert_eq!(error.message, "More than the refundable ¥50.00");
        let error = refund(&app, &shop.manager, paid.payment_id, i64::MAX)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(error.params, params(&[("refundable", "5000")]));
        app.post(&format!("/api/staff/payments/{}/refunds", paid.payment_id))
            .token(&shop.manager)
            .header(IDEMPOTENCY_KEY, &new_key())
            .raw_json(r#"{"amount": 0.5}"#)
            .send()
            .await
            .error(422, ErrorCode::MalformedRequest);
        app.post(&format!("/api/staff/payments/{}/refunds", paid.payment_id))
            .token(&shop.manager)
            .json(&RefundRequest { amount: Fen(100) })
            .send()
            .await
            .error(400, ErrorCode::IdempotencyKeyMissing);
        for id in ["999999999", "abc"] {
            app.post(&format!("/api/staff/payments/{id}/refunds"))
                .token(&shop.admin)
                .header(IDEMPOTENCY_KEY, &new_key())
                .json(&RefundRequest { amount: Fen(100) })
                .send()
                .await
                .error(404, ErrorCode::NotFound);
        }
        assert_eq!(snapshot(&app, &member.token).await, before);
        // After a partial refund, the refundable amount shrinks.
        refund_ok(&app, &shop.manager, paid.payment_id, 1_234).await;
        let error = refund(&app, &shop.manager, paid.payment_id, 3_767)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(error.params, params(&[("refundable", "3766")]));
        assert_eq!(total(&app, &member.token).await, 5_000 + 1_234);
        assert_reconciled(&app).await;
    }
);

/// Takes `amount` out of a store's wallet the way a paid withdrawal will
/// (there is no withdrawal API yet): a balanced entry from the wallet to
/// another of the store's append-only accounts, posted through the ledger.
async fn pay_out_of_wallet(app: &TestApp, store_id: i64, amount: i64) {
    use tongka_server::ledger::{self, Entry, Kind, Line};
    let now = app.clock.now_ms();
    let tx = tongka_server::db::begin_write(&app.db)
        .await
        .expect("beginning a transaction");
    let wallet = ledger::account_id(&tx, app.brand_id, Kind::StoreWallet, store_id, now)
        .await
        .expect("the store wallet");
    let out = ledger::account_id(&tx, app.brand_id, Kind::CounterClearing, store_id, now)
        .await
        .expect("another store account");
    let entry = Entry {
        brand_id: app.brand_id,
        kind: shared::dto::EntryKind::Adjustment,
        op_ref: random_hex(16),
        store_id: Some(store_id),
        member_id: None,
        member_delta: Fen(0),
        member_balance_after: None,
        actor: "test".into(),
        business_date: ledger::business_date("Asia/Shanghai", now),
        at: now,
        lines: vec![Line::fen(wallet, Fen(-amount)), Line::fen(out, Fen(amount))],
    };
    if let Err(e) = ledger::post(&tx, entry).await {
        panic!("posting the payout: {e:?}");
    }
    tx.commit().await.expect("committing the payout");
}

dual_test!(
    a_store_manager_cannot_overdraw_the_wallet_but_hq_can,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let paid = pay_ok(&app, &member.token, shop.one.id, 6_000).await;
        // ¥50 of the ¥60 the store took has been paid out to it.
        pay_out_of_wallet(&app, shop.one.id, 5_000).await;
        assert_reconciled(&app).await;

        // What is left in the wallet, the manager may refund.
        refund_ok(&app, &shop.manager, paid.payment_id, 1_000).await;
        let error = app
            .post(&format!("/api/staff/payments/{}/refunds", paid.payment_id))
            .token(&shop.manager)
            .header(IDEMPOTENCY_KEY, &new_key())
            .lang("en")
            .json(&RefundRequest { amount: Fen(1) })
            .send()
            .await
            .error(409, ErrorCode::WalletShortfall);
        assert_eq!(error.params, params(&[("available", "0")]));
        assert_eq!(
            error.message,
            "The store wallet cannot cover this (available ¥0.00); HQ must do it"
        );
        assert_eq!(total(&app, &member.token).await, 5_000);

        // HQ may refund past the wallet.
        let by_admin = refund_ok(&app, &shop.admin, paid.payment_id, 2_000).await;
        assert_eq!(by_admin.refunded_total, Fen(3_000));
        let by_finance = refund_ok(&app, &shop.finance, paid.payment_id, 3_000).await;
        assert_eq!(by_finance.refunded_total, Fen(6_000));
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_eq!(
            full_history(&app, &member.token, Some("refund"))
                .await
                .len(),
            3
        );
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 7. Who may move money.

dual_test!(only_the_right_people_move_money, |app| async move {
    let shop = shop(&app).await;
    let region_boss = region_manager(&app, &shop, "east.boss", shop.region_id).await;
    let member = new_member(&app).await;
    topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;

    // Counter top-ups: store staff only.
    for (who, token) in [
        ("HQ admin", &shop.admin),
        ("HQ finance", &shop.finance),
        ("region manager", &region_boss),
    ] {
        let reply = topup(&app, token, &member.phone, 100).await;
        assert_eq!(reply.status, 403, "{who}: {}", reply.body);
        reply.error(403, ErrorCode::Forbidden);
    }
    let by_manager = topup_ok(&app, &shop.manager_two, &member.phone, 100).await;
    assert_eq!(by_manager.balance_after, Fen(20_100));

    // Refunds: the payment's store manager or HQ; a clerk is refused,
    // the other store's manager does not see the payment.
    let paid = pay_ok(&app, &member.token, shop.one.id, 10_000).await;
    refund(&app, &shop.clerk, paid.payment_id, 100)
        .await
        .error(403, ErrorCode::Forbidden);
    let reply = refund(&app, &shop.clerk_two, paid.payment_id, 100).await;
    assert!(
        matches!(reply.status, 403 | 404),
        "another store's clerk: {} {}",
        reply.status,
        reply.body
    );
    refund(&app, &shop.manager_two, paid.payment_id, 100)
        .await
        .error(404, ErrorCode::NotFound);
    refund(&app, &region_boss, paid.payment_id, 100)
        .await
        .error(403, ErrorCode::Forbidden);
    assert_eq!(total(&app, &member.token).await, 10_100);
    let a = refund_ok(&app, &shop.manager, paid.payment_id, 100).await;
    let b = refund_ok(&app, &shop.admin, paid.payment_id, 200).await;
    let c = refund_ok(&app, &shop.finance, paid.payment_id, 300).await;
    assert_eq!(
        (a.refunded_total, b.refunded_total, c.refunded_total),
        (Fen(100), Fen(300), Fen(600))
    );
    assert_eq!(total(&app, &member.token).await, 10_700);

    // Another brand sees neither the payment nor the member.
    let other = app.other_brand().await;
    let other_admin = other.login_admin().await;
    let other_region = other.create_region(&other_admin, "华南区").await;
    let their_store = other
        .create_store(&other_admin, other_region.id, "天河城店")
        .await;
    other
        .create_staff(
            &other_admin,
            "their.clerk",
            Role::Clerk,
            None,
            Some(their_store.id),
        )
        .await;
    let their_clerk = other.staff_token("their.clerk", STAFF_PASSWORD).await;
    refund(&app, &other_admin, paid.payment_id, 100)
        .await
        .error(404, ErrorCode::NotFound);
    // To another brand's clerk the phone is nobody's, as any unknown one.
    topup(&app, &their_clerk, &member.phone, 100)
        .await
        .error(404, ErrorCode::MemberNotRegistered);
    assert_eq!(total(&app, &member.token).await, 10_700);

    // Member tokens do not open staff routes, staff tokens not member routes.
    topup(&app, &member.token, &member.phone, 100)
        .await
        .error(401, ErrorCode::Unauthenticated);
    refund(&app, &member.token, paid.payment_id, 100)
        .await
        .error(401, ErrorCode::Unauthenticated);
    for staff in [&shop.clerk, &shop.admin] {
        app.get("/api/member/balance")
            .token(staff)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        app.get("/api/member/history")
            .token(staff)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        pay(&app, staff, shop.one.id, 100)
            .await
            .error(401, ErrorCode::Unauthenticated);
    }
    // Nobody at all.
    app.get("/api/member/balance")
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
    app.post("/api/staff/topups")
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&topup_body(&member.phone, 100))
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
    assert_eq!(total(&app, &member.token).await, 10_700);
    assert_reconciled(&app).await;
});

dual_test!(
    a_closed_stores_staff_cannot_take_top_ups,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let mut form = store_input(&shop.two.name, shop.region_id);
        form.active = false;
        app.put(&format!("/api/hq/stores/{}", shop.two.id))
            .token(&shop.admin)
            .json(&form)
            .send()
            .await
            .status(200);
        let reply = topup(&app, &shop.clerk_two, &member.phone, 100).await;
        // The contract says only "store open"; either refusal is fair.
        assert!(
            matches!(reply.status, 403 | 422),
            "a closed store's clerk topped up: {} {}",
            reply.status,
            reply.body
        );
        let code = reply.envelope().error.code;
        assert!(
            matches!(code, ErrorCode::Forbidden | ErrorCode::StoreClosed),
            "{}",
            reply.body
        );
        assert_eq!(total(&app, &member.token).await, 0);
        assert!(full_history(&app, &member.token, None).await.is_empty());
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 5. Random sequences against a model, seeded and bounded.

/// xorshift64: small, seeded, deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        assert!(lo <= hi);
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.range(0, items.len() as i64 - 1) as usize]
    }
}

/// A payment as the model knows it.
struct Paid {
    id: i64,
    member: usize,
    store: usize,
    amount: i64,
    refunded: i64,
    /// The sum of the amounts of its refund receipts.
    receipts: i64,
}

async fn run_model(app: TestApp, seed: u64) {
    let shop = shop(&app).await;
    let members = [new_member(&app).await, new_member(&app).await];
    for m in &members {
        set_pin(&app, m).await;
    }
    let stores = [shop.one.id, shop.two.id];
    let managers = [shop.manager.clone(), shop.manager_two.clone()];
    let counter = [
        shop.clerk.clone(),
        shop.manager.clone(),
        shop.clerk_two.clone(),
        shop.manager_two.clone(),
    ];
    let mut rng = Rng::new(seed);
    let mut model = [0i64; 2];
    let mut paid: Vec<Paid> = Vec::new();
    let mut log: Vec<String> = Vec::new();

    for step in 0..40 {
        let m = rng.range(0, 1) as usize;
        let member = &members[m];
        match rng.range(0, 9) {
            0..=2 => {
                // Now and then right at the cap, a fen either side.
                let amount = if rng.range(0, 3) == 0 {
                    (CAP - model[m] + rng.range(-2, 2)).max(1)
                } else {
                    rng.range(1, 150_000)
                };
                let staff = rng.pick(&counter);
                log.push(format!("{step}: top up member {m} by {amount}"));
                let reply = topup(&app, staff, &member.phone, amount).await;
                if model[m] + amount > CAP {
                    log.push("  → refused: balance_limit".into());
                    let error = reply.error(422, ErrorCode::BalanceLimit);
                    let room = (CAP - model[m]).max(0).to_string();
                    assert_eq!(error.params.get("room"), Some(&room), "{}", log.join("\n"));
                } else {
                    reply.status(201);
                    let receipt: TopUpReceipt = reply.ok();
                    model[m] += amount;
                    assert_eq!(receipt.balance_after.0, model[m], "{}", log.join("\n"));
                }
            }
            3..=5 => {
                let s = rng.range(0, 1) as usize;
                let amount = rng.range(1, (model[m] + 2_000).min(CAP));
                log.push(format!("{step}: member {m} pays {amount} at store {s}"));
                let reply = pay(&app, &member.token, stores[s], amount).await;
                if amount > model[m] {
                    log.push("  → refused: insufficient_balance".into());
                    let error = reply.error(422, ErrorCode::InsufficientBalance);
                    let balance = model[m].to_string();
                    assert_eq!(
                        error.params.get("balance"),
                        Some(&balance),
                        "{}",
                        log.join("\n")
                    );
                } else {
                    reply.status(201);
                    let receipt: PaymentReceipt = reply.ok();
                    model[m] -= amount;
                    assert_eq!(receipt.balance_after.0, model[m], "{}", log.join("\n"));
                    assert_eq!((receipt.principal.0, receipt.bonus.0), (amount, 0));
                    paid.push(Paid {
                        id: receipt.payment_id,
                        member: m,
                        store: s,
                        amount,
                        refunded: 0,
                        receipts: 0,
                    });
                }
            }
            6..=7 => {
                // A partial refund of something still refundable, by the
                // store's manager or by HQ; sometimes too much first.
                let open: Vec<usize> = (0..paid.len())
                    .filter(|&i| paid[i].refunded < paid[i].amount)
                    .collect();
                if open.is_empty() {
                    continue;
                }
                let i = *rng.pick(&open);
                let p = &mut paid[i];
                let left = p.amount - p.refunded;
                let who = match rng.range(0, 3) {
                    0 => shop.admin.clone(),
                    1 => shop.finance.clone(),
                    _ => managers[p.store].clone(),
                };
                if rng.range(0, 3) == 0 {
                    log.push(format!(
                        "{step}: refund {} of payment {} (too much)",
                        left + 1,
                        p.id
                    ));
                    let error = refund(&app, &who, p.id, left + 1)
                        .await
                        .error(422, ErrorCode::RefundTooLarge);
                    assert_eq!(error.params.get("refundable"), Some(&left.to_string()));
                }
                // The other store's manager does not see it.
                let stranger = &managers[1 - p.store];
                refund(&app, stranger, p.id, 1)
                    .await
                    .error(404, ErrorCode::NotFound);
                let amount = rng.range(1, left);
                log.push(format!("{step}: refund {amount} of payment {}", p.id));
                let receipt = refund_ok(&app, &who, p.id, amount).await;
                p.refunded += amount;
                p.receipts += receipt.amount.0;
                model[p.member] += amount;
                assert_eq!(receipt.amount.0, amount);
                assert_eq!(receipt.refunded_total.0, p.refunded, "{}", log.join("\n"));
                assert_eq!((receipt.principal.0, receipt.bonus.0), (amount, 0));
            }
            8 => {
                // A small payment refunded one fen at a time until full.
                if model[m] < 1 {
                    continue;
                }
                let s = rng.range(0, 1) as usize;
                let amount = rng.range(1, model[m].min(9));
                log.push(format!(
                    "{step}: member {m} pays {amount} at {s}, refunded fen by fen"
                ));
                let receipt = pay_ok(&app, &member.token, stores[s], amount).await;
                model[m] -= amount;
                assert_eq!(receipt.balance_after.0, model[m]);
                let mut receipts = 0;
                for n in 1..=amount {
                    let r = refund_ok(&app, &managers[s], receipt.payment_id, 1).await;
                    receipts += r.amount.0;
                    assert_eq!(r.refunded_total.0, n);
                }
                model[m] += amount;
                let error = refund(&app, &shop.admin, receipt.payment_id, 1)
                    .await
                    .error(422, ErrorCode::RefundTooLarge);
                assert_eq!(
                    error.params.get("refundable").map(String::as_str),
                    Some("0")
                );
                paid.push(Paid {
                    id: receipt.payment_id,
                    member: m,
                    store: s,
                    amount,
                    refunded: amount,
                    receipts,
                });
            }
            _ => {
                // Refund whatever is left of a payment, in one go.
                let open: Vec<usize> = (0..paid.len())
                    .filter(|&i| paid[i].refunded < paid[i].amount)
                    .collect();
                if open.is_empty() {
                    continue;
                }
                let i = *rng.pick(&open);
                let p = &mut paid[i];
                let left = p.amount - p.refunded;
                log.push(format!(
                    "{step}: refund the remaining {left} of payment {}",
                    p.id
                ));
                let receipt = refund_ok(&app, &managers[p.store], p.id, left).await;
                p.refunded += left;
                p.receipts += receipt.amount.0;
                model[p.member] += left;
                assert_eq!(receipt.refunded_total.0, p.amount);
            }
        }
        // Refunds may take a balance past the cap (they are not top-ups);
        // nothing takes it below zero.
        assert!(model.iter().all(|&b| b >= 0));
    }

    // Each member's balance is the model's, and the history adds up to it.
    for (m, member) in members.iter().enumerate() {
        let view = balance(&app, &member.token).await;
        assert_eq!(
            (view.total.0, view.principal.0, view.bonus.0),
            (model[m], model[m], 0),
            "seed {seed}, member {m}:\n{}",
            log.join("\n")
        );
        let history = full_history(&app, &member.token, None).await;
        let sum: i64 = history.iter().map(|h| h.amount.0).sum();
        assert_eq!(sum, model[m], "seed {seed}, member {m}: history sum");
        let mut running = 0;
        for item in history.iter().rev() {
            running += item.amount.0;
            assert_eq!(
                item.balance_after.expect("stored value moved").0,
                running,
                "{item:?}"
            );
            assert!(item.balance_after.expect("stored value moved").0 >= 0);
            let sign_ok = match item.kind.as_str() {
                "topup" | "refund" => item.amount.0 > 0,
                "payment" => item.amount.0 < 0,
                other => panic!("unexpected kind {other}"),
            };
            assert!(sign_ok, "{item:?}");
        }
        let payments = paid.iter().filter(|p| p.member == m).count();
        assert_eq!(
            history.iter().filter(|h| h.kind == "payment").count(),
            payments
        );
    }

    // Each payment's refunds add up to exactly what was refunded, never more.
    for p in &paid {
        assert_eq!(p.receipts, p.refunded);
        assert!(p.refunded <= p.amount);
        let left = p.amount - p.refunded;
        let error = refund(&app, &shop.admin, p.id, left + 1)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(
            error.params.get("refundable"),
            Some(&left.to_string()),
            "payment {}",
            p.id
        );
        let row = {
            use sea_orm::EntityTrait;
            tongka_server::entity::payment::Entity::find_by_id(p.id)
                .one(&app.db)
                .await
                .expect("reading the payment")
                .expect("the payment exists")
        };
        assert_eq!(row.amount, p.amount);
        assert_eq!(row.refunded_principal + row.refunded_bonus, p.refunded);
        assert!(row.refunded_principal <= row.principal && row.refunded_bonus <= row.bonus);
    }
    assert_reconciled(&app).await;
}

dual_test!(random_sequences_match_the_model_seed_1, |app| async move {
    run_model(app, 0x5EED_0001).await;
});

dual_test!(random_sequences_match_the_model_seed_2, |app| async move {
    run_model(app, 0x0BAD_CAFE_1234_5678).await;
});

dual_test!(random_sequences_match_the_model_seed_3, |app| async move {
    run_model(app, 42).await;
});

dual_test!(
    the_payments_list_finds_by_amount_or_phone_digits,
    |app| async move {
        let shop = shop(&app).await;
        let (a, b) = (new_member(&app).await, new_member(&app).await);
        for m in [&a, &b] {
            topup_ok(&app, &shop.clerk, &m.phone, 10_000).await;
        }
        pay_ok(&app, &a.token, shop.one.id, 3_050).await;
        pay_ok(&app, &a.token, shop.one.id, 1_200).await;
        pay_ok(&app, &b.token, shop.one.id, 3_050).await;
        let find = |q: &str| {
            let (app, token) = (app.clone(), shop.manager.clone());
            let q = q.to_string();
            async move {
                app.get(&format!("/api/staff/payments?q={q}"))
                    .token(&token)
                    .send()
                    .await
            }
        };
        let by_amount: Page<PaymentListItem> = find("%C2%A530.50").await.ok();
        assert_eq!(by_amount.items.len(), 2);
        assert!(by_amount.items.iter().all(|p| p.amount == Fen(3_050)));
        let tail = &a.phone[7..];
        let by_phone: Page<PaymentListItem> = find(tail).await.ok();
        assert!(
            by_phone.items.len() >= 2
                && by_phone
                    .items
                    .iter()
                    .all(|p| p.member_phone_masked.ends_with(tail)),
            "{by_phone:?}"
        );
        let nothing: Page<PaymentListItem> = find("9999.99").await.ok();
        assert!(nothing.items.is_empty());
        let e = find("abc").await.invalid("q");
        assert_eq!(
            e.message,
            "搜索内容应为金额（如 30.50）或会员手机号后 4 位以上"
        );
    }
);
