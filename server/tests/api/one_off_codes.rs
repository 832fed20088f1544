//! One-off pay codes (一次性收款码): the clerk types the bill and shows a QR
//! for exactly that amount at their store; the first member to pay it pays
//! it, within ten minutes, and nobody pays it twice. Every refusal writes
//! nothing; every test ends with the ledger reconciling.

use crate::helpers::*;
use crate::money::*;
use crate::split_payments::store_payments;
use shared::ErrorCode;
use shared::dto::{
    PayRequestInput, PayRequestPublic, PayRequestState, PayRequestView, PaymentReceipt,
    PaymentRequest,
};
use shared::money::Fen;
use std::sync::Arc;
use tokio::task::JoinSet;

/// The clerk (or manager) asks for a one-off code for `amount`.
async fn ask_for_code(app: &TestApp, staff: &str, amount: i64) -> Reply {
    app.post("/api/staff/pay-requests")
        .token(staff)
        .json(&PayRequestInput {
            amount: Fen(amount),
        })
        .send()
        .await
}

/// A one-off code that must be created (201).
async fn code_ok(app: &TestApp, staff: &str, amount: i64) -> PayRequestView {
    let reply = ask_for_code(app, staff, amount).await;
    reply.status(201);
    reply.ok()
}

/// The token the QR carries (`…?r=<token>`).
fn token_of(code: &PayRequestView) -> String {
    code.url
        .split_once("?r=")
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| panic!("no token in {}", code.url))
}

/// What the counter shows while it polls the code.
async fn counter_view(app: &TestApp, staff: &str, id: i64) -> Reply {
    app.get(&format!("/api/staff/pay-requests/{id}"))
        .token(staff)
        .send()
        .await
}

/// What the member's phone shows after scanning the code.
async fn scanned(app: &TestApp, member: &Member, token: &str) -> PayRequestPublic {
    app.get(&format!("/api/member/pay-requests/{token}"))
        .token(&member.token)
        .send()
        .await
        .ok()
}

/// The member pays `amount` at `store_id` with the code's token.
async fn pay_code(
    app: &TestApp,
    member: &Member,
    store_id: i64,
    amount: i64,
    token: &str,
    key: &str,
) -> Reply {
    app.post("/api/member/payments")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, key)
        .lang("en")
        .json(&PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: false,
            points_expected: None,
            payable_expected: None,
            store_id,
            amount: Fen(amount),
            pin: Some(TEST_PIN.into()),
            pay_request: Some(token.into()),
        })
        .send()
        .await
}

const USED: &str = "This pay code was used already or has expired; ask the clerk for a new one";

// ---------------------------------------------------------------------------
// 1. The story at the counter.

dual_test!(a_one_off_code_is_paid_once, |app| async move {
    let shop = shop(&app).await;
    let member = new_member(&app).await;
    let neighbour = new_member(&app).await;
    topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
    topup_ok(&app, &shop.clerk, &neighbour.phone, 10_000).await;

    // The clerk types ¥36.50 and the counter shows a QR for it.
    let code = code_ok(&app, &shop.clerk, 3_650).await;
    assert_eq!(code.store_id, shop.one.id);
    assert_eq!(code.amount, Fen(3_650));
    assert_eq!(code.state, PayRequestState::Open);
    assert_eq!(code.payment_id, None);
    let token = token_of(&code);
    assert!(
        token.len() >= 16 && token.chars().all(|c| c.is_ascii_alphanumeric()),
        "{token}"
    );
    assert_eq!(
        code.url,
        format!(
            "{}/m/{}/pay/{}?r={token}",
            app.address, app.slug, shop.one.id
        )
    );
    assert!(code.svg.contains("<svg"), "{}", code.svg);
    assert_eq!(
        instant(&code.expires_at),
        start_instant() + chrono::Duration::minutes(10)
    );
    // The counter polls it: still open.
    assert_eq!(
        counter_view(&app, &shop.clerk, code.id)
            .await
            .ok::<PayRequestView>(),
        code
    );
    // The store manager sees it too; the other store does not.
    counter_view(&app, &shop.manager, code.id)
        .await
        .ok::<PayRequestView>();
    counter_view(&app, &shop.clerk_two, code.id)
        .await
        .error(404, ErrorCode::NotFound);
    counter_view(&app, &shop.manager_two, code.id)
        .await
        .error(404, ErrorCode::NotFound);

    // The member scans it: the store and the amount, open.
    assert_eq!(
        scanned(&app, &member, &token).await,
        PayRequestPublic {
            store_id: shop.one.id,
            amount: Fen(3_650),
            state: PayRequestState::Open,
        }
    );
    app.get("/api/member/pay-requests/nosuchtoken")
        .token(&member.token)
        .send()
        .await
        .error(404, ErrorCode::NotFound);

    // Tampering with the amount or the store is refused and writes nothing.
    let before = snapshot(&app, &member.token).await;
    let amount_mismatch = "The amount does not match the pay code's amount";
    for (what, store_id, amount) in [
        ("less", shop.one.id, 3_649),
        ("more", shop.one.id, 3_651),
        ("at the other store", shop.two.id, 3_650),
    ] {
        let error = pay_code(&app, &member, store_id, amount, &token, &new_key())
            .await
            .invalid("amount");
        assert_eq!(
            error.params,
            params(&[("field", "amount"), ("reason", "pay_code_amount")]),
            "{what}"
        );
        assert_eq!(error.message, amount_mismatch, "{what}");
    }
    let error = pay_code(&app, &member, shop.one.id, 3_650, "nosuchtoken", &new_key())
        .await
        .invalid("pay_request");
    assert_eq!(
        error.params,
        params(&[("field", "pay_request"), ("reason", "unknown")])
    );
    assert_eq!(error.message, "The pay code does not exist");
    assert_eq!(snapshot(&app, &member.token).await, before);
    assert!(store_payments(&app, &shop.manager).await.is_empty());
    assert_eq!(
        counter_view(&app, &shop.clerk, code.id)
            .await
            .ok::<PayRequestView>(),
        code
    );

    // The member pays it.
    let key = new_key();
    let reply = pay_code(&app, &member, shop.one.id, 3_650, &token, &key).await;
    reply.status(201);
    let receipt: PaymentReceipt = reply.ok();
    assert_eq!(receipt.store_id, shop.one.id);
    assert_eq!(receipt.quote.payable, Fen(3_650));
    assert_eq!(receipt.balance_after, Fen(6_350));
    // The counter's screen turns paid, naming the payment.
    let paid: PayRequestView = counter_view(&app, &shop.clerk, code.id).await.ok();
    assert_eq!(paid.state, PayRequestState::Paid);
    assert_eq!(paid.payment_id, Some(receipt.payment_id));
    assert_eq!(
        scanned(&app, &member, &token).await.state,
        PayRequestState::Paid
    );
    let listed = store_payments(&app, &shop.manager).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id, listed[0].amount),
        (receipt.payment_id, Fen(3_650))
    );

    // A retry of the same request (same key) is the same payment...
    let retry = pay_code(&app, &member, shop.one.id, 3_650, &token, &key).await;
    retry.status(201);
    assert_eq!(retry.ok::<PaymentReceipt>(), receipt);
    // ...but paying the code again is refused, for this member or another.
    let after_paying = snapshot(&app, &member.token).await;
    let neighbour_before = snapshot(&app, &neighbour.token).await;
    for who in [&member, &neighbour] {
        let error = pay_code(&app, who, shop.one.id, 3_650, &token, &new_key())
            .await
            .error(422, ErrorCode::PayCodeUsed);
        assert_eq!(error.message, USED);
    }
    assert_eq!(snapshot(&app, &member.token).await, after_paying);
    assert_eq!(snapshot(&app, &neighbour.token).await, neighbour_before);
    assert_eq!(store_payments(&app, &shop.manager).await, listed);
    assert_eq!(total(&app, &member.token).await, 6_350);
    assert_eq!(total(&app, &neighbour.token).await, 10_000);
    assert_reconciled(&app).await;
});

dual_test!(only_the_counter_makes_one_off_codes, |app| async move {
    let shop = shop(&app).await;

    // The store manager may, for their own store.
    let by_manager = code_ok(&app, &shop.manager_two, 1_000).await;
    assert_eq!(by_manager.store_id, shop.two.id);
    // HQ has no counter.
    for hq in [&shop.admin, &shop.finance] {
        ask_for_code(&app, hq, 1_000)
            .await
            .error(403, ErrorCode::Forbidden);
    }
    // No login, no code.
    app.post("/api/staff/pay-requests")
        .json(&PayRequestInput { amount: Fen(1_000) })
        .send()
        .await
        .status(401);

    // The amount must be a payment the member could make.
    for amount in [0, -1] {
        let error = app
            .post("/api/staff/pay-requests")
            .token(&shop.clerk)
            .lang("en")
            .json(&PayRequestInput {
                amount: Fen(amount),
            })
            .send()
            .await
            .invalid("amount");
        assert_eq!(
            error.params.get("reason").map(String::as_str),
            Some("amount_positive")
        );
        assert_eq!(error.message, "The amount must be more than zero");
    }
    let error = app
        .post("/api/staff/pay-requests")
        .token(&shop.clerk)
        .lang("en")
        .json(&PayRequestInput {
            amount: Fen(CAP + 1),
        })
        .send()
        .await
        .error(422, ErrorCode::AmountTooLarge);
    assert_eq!(error.params, params(&[("max", "500000")]));
    assert_eq!(error.message, "A single payment cannot exceed ¥5,000.00");
    // Exactly the maximum is fine.
    assert_eq!(code_ok(&app, &shop.clerk, CAP).await.amount, Fen(CAP));
    // HQ reads any store's code.
    counter_view(&app, &shop.admin, by_manager.id)
        .await
        .ok::<PayRequestView>();
    assert_reconciled(&app).await;
});

// ---------------------------------------------------------------------------
// 2. Ten minutes, then it is gone.

dual_test!(an_expired_one_off_code_cannot_be_paid, |app| async move {
    let shop = shop(&app).await;
    let member = new_member(&app).await;
    topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
    let code = code_ok(&app, &shop.clerk, 2_000).await;
    let token = token_of(&code);

    // Ten minutes on the dot: still payable.
    app.advance_secs(10 * 60);
    assert_eq!(
        counter_view(&app, &shop.clerk, code.id)
            .await
            .ok::<PayRequestView>()
            .state,
        PayRequestState::Open
    );
    // A second later it has expired, for the counter and for the member.
    app.advance_secs(1);
    let expired: PayRequestView = counter_view(&app, &shop.clerk, code.id).await.ok();
    assert_eq!(expired.state, PayRequestState::Expired);
    assert_eq!(expired.payment_id, None);
    assert_eq!(
        scanned(&app, &member, &token).await.state,
        PayRequestState::Expired
    );

    // Paying it now is refused and writes nothing.
    let before = snapshot(&app, &member.token).await;
    let error = pay_code(&app, &member, shop.one.id, 2_000, &token, &new_key())
        .await
        .error(422, ErrorCode::PayCodeUsed);
    assert_eq!(error.message, USED);
    assert_eq!(snapshot(&app, &member.token).await, before);
    assert!(store_payments(&app, &shop.manager).await.is_empty());
    assert_eq!(
        counter_view(&app, &shop.clerk, code.id)
            .await
            .ok::<PayRequestView>(),
        expired
    );

    // The clerk makes a new one, which works.
    let fresh = code_ok(&app, &shop.clerk, 2_000).await;
    let reply = pay_code(
        &app,
        &member,
        shop.one.id,
        2_000,
        &token_of(&fresh),
        &new_key(),
    )
    .await;
    reply.status(201);
    assert_eq!(reply.ok::<PaymentReceipt>().balance_after, Fen(8_000));
    assert_reconciled(&app).await;
});

// ---------------------------------------------------------------------------
// 3. A crowd at the counter.

dual_test!(
    ten_members_racing_for_one_code_pay_it_once,
    |app| async move {
        let shop = shop(&app).await;
        let mut members = Vec::new();
        for _ in 0..10 {
            let member = new_member(&app).await;
            topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
            members.push(member);
        }
        let code = code_ok(&app, &shop.clerk, 2_000).await;
        let token = Arc::new(token_of(&code));

        // All ten scan the same QR and press pay at once.
        let mut set = JoinSet::new();
        for (i, member) in members.iter().cloned().enumerate() {
            let (app, token, store_id) = (app.clone(), token.clone(), shop.one.id);
            set.spawn(async move {
                let reply = pay_code(&app, &member, store_id, 2_000, &token, &new_key()).await;
                (i, reply)
            });
        }
        let mut replies = Vec::new();
        while let Some(joined) = set.join_next().await {
            replies.push(joined.expect("a racing payment"));
        }
        let winners: Vec<&(usize, Reply)> =
            replies.iter().filter(|(_, r)| r.status == 201).collect();
        assert_eq!(winners.len(), 1, "{replies:#?}");
        for (_, reply) in &replies {
            if reply.status != 201 {
                reply.error(422, ErrorCode::PayCodeUsed);
            }
        }
        let (winner, reply) = winners[0];
        let receipt: PaymentReceipt = reply.ok();

        // One payment, by the winner; everyone else keeps their ¥50.
        let listed = store_payments(&app, &shop.manager).await;
        assert_eq!(listed.len(), 1, "{listed:#?}");
        assert_eq!(listed[0].id, receipt.payment_id);
        assert_eq!(
            listed[0].member_phone_masked,
            masked(&members[*winner].phone)
        );
        for (i, member) in members.iter().enumerate() {
            let expected = if i == *winner { 3_000 } else { 5_000 };
            assert_eq!(total(&app, &member.token).await, expected, "member {i}");
        }
        let paid: PayRequestView = counter_view(&app, &shop.clerk, code.id).await.ok();
        assert_eq!(paid.state, PayRequestState::Paid);
        assert_eq!(paid.payment_id, Some(receipt.payment_id));
        assert_reconciled(&app).await;
    }
);
