//! Money under racing requests: a balance is spent once, the cap and the
//! refundable amount hold, one idempotency key is one movement, and a burst
//! of payments adds up. Never a 500, never a "database is locked".

use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{PaymentReceipt, RefundReceipt, TopUpReceipt};
use shared::money::Fen;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tongka_server::stored_value::batch::BatchStats;

/// Sends what `make` builds `n` times at once, at most `limit` in flight;
/// the replies in the order of `i`.
pub async fn race_bounded<F, Fut>(n: usize, limit: usize, make: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Reply> + Send + 'static,
{
    let gate = Arc::new(Semaphore::new(limit));
    let mut set = JoinSet::new();
    for i in 0..n {
        let request = make(i);
        let gate = gate.clone();
        set.spawn(async move {
            let _permit = gate.acquire_owned().await.expect("the gate stays open");
            (i, request.await)
        });
    }
    let mut replies: Vec<Option<Reply>> = (0..n).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, reply) = joined.expect("a racing request");
        replies[i] = Some(reply);
    }
    replies
        .into_iter()
        .map(|r| r.expect("every request answered"))
        .collect()
}

/// All `n` at once.
pub async fn race<F, Fut>(n: usize, make: F) -> Vec<Reply>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Reply> + Send + 'static,
{
    race_bounded(n, n, make).await
}

pub fn count(replies: &[Reply], status: u16) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

fn json(reply: &Reply) -> serde_json::Value {
    serde_json::from_str(&reply.body)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", reply.what, reply.body))
}

// ---------------------------------------------------------------------------
// 3. Racing spenders.

dual_test!(
    twenty_racing_payments_spend_a_balance_for_three_exactly_three_times,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 3_000).await;
        let stores = [shop.one.id, shop.two.id];
        let replies = race(20, |i| {
            let (app, token) = (app.clone(), member.token.clone());
            async move { pay(&app, &token, stores[i % 2], 1_000).await }
        })
        .await;
        assert_eq!(count(&replies, 201), 3, "{replies:#?}");
        assert_eq!(count(&replies, 422), 17, "{replies:#?}");
        let mut ids = HashSet::new();
        let mut after = Vec::new();
        for reply in &replies {
            if reply.status == 201 {
                let receipt: PaymentReceipt = reply.ok();
                ids.insert(receipt.payment_id);
                after.push(receipt.balance_after.0);
            } else {
                reply.error(422, ErrorCode::InsufficientBalance);
            }
        }
        assert_eq!(ids.len(), 3, "three distinct payments");
        after.sort_unstable();
        assert_eq!(after, vec![0, 1_000, 2_000], "each saw the one before");
        assert_eq!(total(&app, &member.token).await, 0);
        let payments = full_history(&app, &member.token, Some("payment")).await;
        assert_eq!(payments.len(), 3);
        assert_reconciled(&app).await;
    }
);

dual_test!(racing_top_ups_stop_exactly_at_the_cap, |app| async move {
    let shop = shop(&app).await;
    let member = new_member(&app).await;
    let counter = [
        shop.clerk.clone(),
        shop.manager.clone(),
        shop.clerk_two.clone(),
        shop.manager_two.clone(),
    ];
    let replies = race(8, |i| {
        let (app, staff, phone) = (app.clone(), counter[i % 4].clone(), member.phone.clone());
        async move { topup(&app, &staff, &phone, 100_000).await }
    })
    .await;
    assert_eq!(count(&replies, 201), 5, "{replies:#?}");
    for reply in replies.iter().filter(|r| r.status != 201) {
        let error = reply.error(422, ErrorCode::BalanceLimit);
        assert_eq!(error.params.get("room").map(String::as_str), Some("0"));
    }
    let mut after: Vec<i64> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.ok::<TopUpReceipt>().balance_after.0)
        .collect();
    after.sort_unstable();
    assert_eq!(after, vec![100_000, 200_000, 300_000, 400_000, 500_000]);
    assert_eq!(total(&app, &member.token).await, CAP);
    assert_reconciled(&app).await;
});

dual_test!(
    racing_refunds_never_return_more_than_was_paid,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let paid = pay_ok(&app, &member.token, shop.one.id, 3_050).await;
        let refunders = [
            shop.manager.clone(),
            shop.admin.clone(),
            shop.finance.clone(),
        ];
        let payment_id = paid.payment_id;
        let replies = race(10, |i| {
            let (app, staff) = (app.clone(), refunders[i % 3].clone());
            async move { refund(&app, &staff, payment_id, 1_000).await }
        })
        .await;
        assert_eq!(count(&replies, 201), 3, "{replies:#?}");
        for reply in replies.iter().filter(|r| r.status != 201) {
            let error = reply.error(422, ErrorCode::RefundTooLarge);
            assert_eq!(
                error.params.get("refundable").map(String::as_str),
                Some("50")
            );
        }
        let mut totals: Vec<i64> = replies
            .iter()
            .filter(|r| r.status == 201)
            .map(|r| r.ok::<RefundReceipt>().refunded_total.0)
            .collect();
        totals.sort_unstable();
        assert_eq!(totals, vec![1_000, 2_000, 3_000]);
        assert_eq!(total(&app, &member.token).await, 10_000 - 50);
        let last = refund_ok(&app, &shop.manager, paid.payment_id, 50).await;
        assert_eq!(last.refunded_total, Fen(3_050));
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 4. One key, one movement.

dual_test!(
    one_idempotency_key_is_one_payment_however_often_it_is_sent,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let key = new_key();
        let store_id = shop.one.id;

        // Ten at once.
        let replies = race(10, |_| {
            let (app, token, key) = (app.clone(), member.token.clone(), key.clone());
            async move { pay_with_key(&app, &token, store_id, 1_000, &key).await }
        })
        .await;
        let first = replies
            .iter()
            .find(|r| r.status == 201)
            .unwrap_or_else(|| panic!("no request went through: {replies:#?}"));
        let receipt: PaymentReceipt = first.ok();
        assert_eq!(receipt.balance_after, Fen(9_000));
        for reply in &replies {
            if reply.status == 201 {
                assert_eq!(json(reply), json(first), "every 201 is the first response");
            } else {
                reply.error(409, ErrorCode::RequestInProgress);
            }
        }
        assert_eq!(total(&app, &member.token).await, 9_000);
        assert_eq!(
            full_history(&app, &member.token, Some("payment"))
                .await
                .len(),
            1
        );

        // A retry later gets the same answer, even a day later (keys live ≥ 24 h).
        let again = pay_with_key(&app, &member.token, shop.one.id, 1_000, &key).await;
        again.status(201);
        assert_eq!(json(&again), json(first));
        app.advance_secs(23 * 3600);
        let later = pay_with_key(&app, &member.token, shop.one.id, 1_000, &key).await;
        later.status(201);
        assert_eq!(json(&later), json(first));
        // The same body with its fields in another order is the same request.
        let reordered = app
            .post("/api/member/payments")
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &key)
            .raw_json(&format!(
                r#"{{ "amount": 1000, "store_id": {} }}"#,
                shop.one.id
            ))
            .send()
            .await;
        reordered.status(201);
        assert_eq!(json(&reordered), json(first));
        assert_eq!(total(&app, &member.token).await, 9_000);

        // The same key for another request is refused.
        pay_with_key(&app, &member.token, shop.one.id, 2_000, &key)
            .await
            .error(409, ErrorCode::IdempotencyKeyReused);
        pay_with_key(&app, &member.token, shop.two.id, 1_000, &key)
            .await
            .error(409, ErrorCode::IdempotencyKeyReused);
        assert_eq!(total(&app, &member.token).await, 9_000);

        // A refusal is replayed too, even once it would no longer apply.
        let broke = new_key();
        let refused = pay_with_key(&app, &member.token, shop.one.id, 20_000, &broke).await;
        let error = refused.error(422, ErrorCode::InsufficientBalance);
        assert_eq!(
            error.params.get("balance").map(String::as_str),
            Some("9000")
        );
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        let replayed = pay_with_key(&app, &member.token, shop.one.id, 20_000, &broke).await;
        replayed.error(422, ErrorCode::InsufficientBalance);
        assert_eq!(json(&replayed), json(&refused));
        assert_eq!(total(&app, &member.token).await, 29_000);
        // With a new key it goes through.
        let through = pay_ok(&app, &member.token, shop.one.id, 20_000).await;
        assert_eq!(through.balance_after, Fen(9_000));

        // Keys belong to their caller: another member's identical key and
        // body is another payment.
        let other = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &other.phone, 5_000).await;
        let theirs = pay_with_key(&app, &other.token, shop.one.id, 1_000, &key).await;
        theirs.status(201);
        let theirs: PaymentReceipt = theirs.ok();
        assert_ne!(theirs.payment_id, receipt.payment_id);
        assert_eq!(theirs.balance_after, Fen(4_000));
        assert_eq!(total(&app, &other.token).await, 4_000);
        assert_eq!(total(&app, &member.token).await, 9_000);
        assert_eq!(
            full_history(&app, &member.token, Some("payment"))
                .await
                .len(),
            2
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    one_idempotency_key_is_one_top_up_and_one_refund,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;

        // Top-ups: five at once with one key credit once.
        let key = new_key();
        let replies = race(5, |_| {
            let (app, clerk, phone, key) = (
                app.clone(),
                shop.clerk.clone(),
                member.phone.clone(),
                key.clone(),
            );
            async move { topup_with_key(&app, &clerk, &phone, 10_000, &key).await }
        })
        .await;
        let first = replies
            .iter()
            .find(|r| r.status == 201)
            .unwrap_or_else(|| panic!("no top-up went through: {replies:#?}"));
        for reply in &replies {
            if reply.status == 201 {
                assert_eq!(json(reply), json(first));
            } else {
                reply.error(409, ErrorCode::RequestInProgress);
            }
        }
        let again = topup_with_key(&app, &shop.clerk, &member.phone, 10_000, &key).await;
        again.status(201);
        assert_eq!(json(&again), json(first));
        assert_eq!(total(&app, &member.token).await, 10_000);
        topup_with_key(&app, &shop.clerk, &member.phone, 10_001, &key)
            .await
            .error(409, ErrorCode::IdempotencyKeyReused);
        // Another clerk with the same key string is another top-up.
        let theirs = topup_with_key(&app, &shop.clerk_two, &member.phone, 10_000, &key).await;
        theirs.status(201);
        assert_eq!(theirs.ok::<TopUpReceipt>().balance_after, Fen(20_000));
        assert_eq!(total(&app, &member.token).await, 20_000);

        // Refunds: one key, one refund.
        let paid = pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        let key = new_key();
        let payment_id = paid.payment_id;
        let replies = race(5, |_| {
            let (app, manager, key) = (app.clone(), shop.manager.clone(), key.clone());
            async move { refund_with_key(&app, &manager, payment_id, 1_000, &key).await }
        })
        .await;
        let first = replies
            .iter()
            .find(|r| r.status == 201)
            .unwrap_or_else(|| panic!("no refund went through: {replies:#?}"));
        for reply in &replies {
            if reply.status == 201 {
                assert_eq!(json(reply), json(first));
            } else {
                reply.error(409, ErrorCode::RequestInProgress);
            }
        }
        let again = refund_with_key(&app, &shop.manager, paid.payment_id, 1_000, &key).await;
        again.status(201);
        assert_eq!(json(&again), json(first));
        assert_eq!(first.ok::<RefundReceipt>().refunded_total, Fen(1_000));
        refund_with_key(&app, &shop.manager, paid.payment_id, 999, &key)
            .await
            .error(409, ErrorCode::IdempotencyKeyReused);
        assert_eq!(total(&app, &member.token).await, 16_000);
        let error = refund(&app, &shop.manager, paid.payment_id, 4_001)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        assert_eq!(
            error.params.get("refundable").map(String::as_str),
            Some("4000")
        );
        assert_eq!(
            full_history(&app, &member.token, Some("refund"))
                .await
                .len(),
            1
        );

        // Keys are per route too: the manager may use one key string for a
        // top-up and for a refund.
        let shared_key = new_key();
        topup_with_key(&app, &shop.manager, &member.phone, 100, &shared_key)
            .await
            .status(201);
        refund_with_key(&app, &shop.manager, paid.payment_id, 100, &shared_key)
            .await
            .status(201);
        assert_eq!(total(&app, &member.token).await, 16_200);
        assert_reconciled(&app).await;
    }
);

// ---------------------------------------------------------------------------
// 6. A burst.

dual_test!(two_hundred_payments_at_once_add_up, |app| async move {
    let shop = shop(&app).await;
    let mut members = Vec::new();
    for _ in 0..20 {
        members.push(new_member(&app).await);
    }
    let topped = 50_000;
    for (i, member) in members.iter().enumerate() {
        let counter = if i % 2 == 0 {
            &shop.clerk
        } else {
            &shop.clerk_two
        };
        topup_ok(&app, counter, &member.phone, topped).await;
    }
    let mut rng = Rng::new(0xB0A7_5EED);
    let stores = [shop.one.id, shop.two.id];
    let plan: Vec<(usize, i64, i64)> = (0..200)
        .map(|i| (i % 20, *rng.pick(&stores), rng.range(1, 5_000)))
        .collect();
    let replies = race_bounded(plan.len(), 50, |i| {
        let (m, store, amount) = plan[i];
        let (app, token) = (app.clone(), members[m].token.clone());
        async move { pay(&app, &token, store, amount).await }
    })
    .await;
    for reply in &replies {
        reply.status(201);
    }
    let ids: HashSet<i64> = replies
        .iter()
        .map(|r| r.ok::<PaymentReceipt>().payment_id)
        .collect();
    assert_eq!(ids.len(), 200);

    let mut spent = vec![0i64; members.len()];
    for &(m, _, amount) in &plan {
        spent[m] += amount;
    }
    let mut sum = 0;
    for (m, member) in members.iter().enumerate() {
        let balance = total(&app, &member.token).await;
        assert_eq!(balance, topped - spent[m], "member {m}");
        sum += balance;
    }
    assert_eq!(sum, 20 * topped - spent.iter().sum::<i64>());
    assert_reconciled(&app).await;
});

// ---------------------------------------------------------------------------
// The reconciliation is a snapshot: run while money moves, it must not
// report drift that is not there (an operator runs it on a live system).

dual_test!(
    reconciliation_sees_no_drift_while_money_moves,
    |app| async move {
        let shop = shop(&app).await;
        let mut members = Vec::new();
        for _ in 0..5 {
            members.push(new_member(&app).await);
        }
        for member in &members {
            topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        }
        let store_id = shop.one.id;
        let burst = {
            let members = members.clone();
            let app = app.clone();
            tokio::spawn(async move {
                race_bounded(150, 10, |i| {
                    let (app, token) = (app.clone(), members[i % 5].token.clone());
                    async move { pay(&app, &token, store_id, 1 + (i as i64 % 7)).await }
                })
                .await
            })
        };
        let mut runs = 0;
        let mut drift = Vec::new();
        while !burst.is_finished() {
            let report = tongka_server::ledger::reconcile(&app.db)
                .await
                .expect("running the reconciliation");
            runs += 1;
            if !report.is_clean() {
                drift.push(report.problems.join("; "));
            }
        }
        let replies = burst.await.expect("the burst");
        for reply in &replies {
            reply.status(201);
        }
        assert!(runs > 0);
        assert!(
            drift.is_empty(),
            "[{:?}] {} of {runs} reconciliations during the burst reported drift, e.g. {}",
            app.backend,
            drift.len(),
            drift[0]
        );
        assert_reconciled(&app).await;
    }
);

/// Queues `plan`'s payments (token, store, amount, key) all at once behind
/// the payment batcher's hold and lets them go together once every one is
/// queued: what `before` reads of the batcher's counters while they wait,
/// and the replies in the order of `plan`.
async fn fire_held<T>(
    app: &TestApp,
    plan: &[(String, i64, i64, String)],
    before: impl FnOnce(&BatchStats) -> T,
) -> (T, Vec<Reply>) {
    let batcher = app.state.pay_batch.clone();
    let hold = batcher.hold().await;
    let queued_before = batcher.stats.queued.load(Ordering::Relaxed);
    let mut set = JoinSet::new();
    for (i, (token, store, amount, key)) in plan.iter().cloned().enumerate() {
        let app = app.clone();
        set.spawn(async move { (i, pay_with_key(&app, &token, store, amount, &key).await) });
    }
    while batcher.stats.queued.load(Ordering::Relaxed) < queued_before + plan.len() as u64 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let read = before(&batcher.stats);
    drop(hold);
    let mut replies: Vec<Option<Reply>> = (0..plan.len()).map(|_| None).collect();
    while let Some(joined) = set.join_next().await {
        let (i, reply) = joined.expect("a payment");
        replies[i] = Some(reply);
    }
    (read, replies.into_iter().map(Option::unwrap).collect())
}

// ---------------------------------------------------------------------------
// Payments arriving together are booked in one transaction (`pay_batch`),
// on both databases. A batch of every kind: some members with money for only
// part of what they fire, a retried key, a closed store, a payment above
// the PIN-free limit without a PIN. What the batch cannot book it hands
// back to the ordinary path, so each caller gets exactly the answer they
// would get alone (a frozen member and a stale token included).

dual_test!(
    payments_queued_together_are_booked_as_one_batch_with_the_same_answers,
    |app| async move {
        let shop = shop(&app).await;
        let short = new_member(&app).await;
        let rich = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &short.phone, 3_000).await;
        topup_ok(&app, &shop.clerk, &rich.phone, 100_000).await;
        let closed = closed_store(&app, &shop).await;

        // A store's wallet account opens with its first payment, which the
        // batch leaves to the ordinary path.
        pay_ok(&app, &rich.token, shop.one.id, 100).await;
        pay_ok(&app, &rich.token, shop.two.id, 100).await;
        let frozen = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &frozen.phone, 1_000).await;
        app.post(&format!("/api/hq/members/{}/freeze", frozen.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let batcher = app.state.pay_batch.clone();
        let retried = new_key();
        // (who, store, amount, key)
        let mut plan: Vec<(String, i64, i64, String)> = Vec::new();
        for _ in 0..5 {
            plan.push((short.token.clone(), shop.one.id, 1_000, new_key()));
        }
        for i in 0..6 {
            plan.push((rich.token.clone(), shop.two.id, 500 + i, new_key()));
        }
        plan.push((rich.token.clone(), shop.one.id, 700, retried.clone()));
        plan.push((rich.token.clone(), shop.one.id, 700, retried.clone()));
        plan.push((rich.token.clone(), closed.id, 100, new_key()));
        // Above the ¥200 PIN-free limit and no PIN set.
        plan.push((rich.token.clone(), shop.one.id, 30_000, new_key()));
        // A frozen member, and a token that is no session.
        plan.push((frozen.token.clone(), shop.one.id, 100, new_key()));
        plan.push(("not-a-session".to_string(), shop.one.id, 100, new_key()));
        let (batches_before, replies) =
            fire_held(&app, &plan, |stats| stats.batches.load(Ordering::Relaxed)).await;

        // One batch booked everything it could: 3 of the short member's,
        // the rich member's 6 and the first of the retried key.
        assert_eq!(
            batcher.stats.batches.load(Ordering::Relaxed) - batches_before,
            1
        );
        assert_eq!(batcher.stats.largest.load(Ordering::Relaxed), 10);

        // The short member: three paid, each seeing the one before; two
        // refused as if alone.
        let mut after = Vec::new();
        for reply in &replies[0..5] {
            if reply.status == 201 {
                after.push(reply.ok::<PaymentReceipt>().balance_after.0);
            } else {
                reply.error(422, ErrorCode::InsufficientBalance);
            }
        }
        after.sort_unstable();
        assert_eq!(after, vec![0, 1_000, 2_000]);
        // The rich member: six at shop two and the retried key once, each
        // seeing the one before, in whatever order they queued.
        let mut paid: Vec<(i64, i64)> = Vec::new();
        for (i, reply) in replies[5..11].iter().enumerate() {
            let receipt: PaymentReceipt = reply.ok();
            assert_eq!(receipt.store_name, "徐家汇店");
            paid.push((receipt.balance_after.0, 500 + i as i64));
        }
        let first: PaymentReceipt = replies[11].ok();
        let again: PaymentReceipt = replies[12].ok();
        assert_eq!(first.payment_id, again.payment_id, "one key, one payment");
        assert_eq!(first.balance_after, again.balance_after);
        paid.push((first.balance_after.0, 700));
        paid.sort_unstable_by(|a, b| b.cmp(a));
        let mut before = 100_000 - 200;
        for (after, amount) in &paid {
            assert_eq!(after + amount, before, "{paid:?}");
            before = *after;
        }
        let balance = before;
        replies[13].error(422, ErrorCode::StoreClosed);
        replies[14].error(422, ErrorCode::PinNotSet);
        replies[15].error(403, ErrorCode::MemberFrozen);
        replies[16].error(401, ErrorCode::Unauthenticated);
        assert_eq!(total(&app, &frozen.token).await, 1_000);

        assert_eq!(total(&app, &short.token).await, 0);
        assert_eq!(total(&app, &rich.token).await, balance);
        let paid = full_history(&app, &rich.token, Some("payment")).await;
        assert_eq!(paid.len(), 2 + 7);
        // A retry after the batch gets the batch's answer.
        let retry = pay_with_key(&app, &rich.token, shop.one.id, 700, &retried).await;
        assert_eq!(retry.ok::<PaymentReceipt>().payment_id, first.payment_id);
        assert_reconciled(&app).await;
    }
);

// A client that retries a payment it never saw answered (a timeout on a
// phone) sends a key already recorded. Queued with others, the retry gets
// its recorded receipt and only it goes the ordinary way: the batch books
// the rest. Before the batch looked the keys up, the retry's key row
// conflicted at the write and the whole batch was handed back, every
// payment in it booked alone.

dual_test!(
    a_retry_queued_with_others_gets_its_receipt_and_the_others_share_a_batch,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let other = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        topup_ok(&app, &shop.clerk, &other.phone, 100_000).await;
        // The stores' wallets open with a first payment each.
        pay_ok(&app, &member.token, shop.one.id, 100).await;
        pay_ok(&app, &member.token, shop.two.id, 100).await;
        let retried = new_key();
        let first: PaymentReceipt = pay_with_key(&app, &member.token, shop.one.id, 700, &retried)
            .await
            .ok();

        let batcher = app.state.pay_batch.clone();
        // (who, store, amount, key): the retry among fresh payments of
        // both members.
        let mut plan: Vec<(String, i64, i64, String)> = Vec::new();
        for i in 0..3 {
            plan.push((member.token.clone(), shop.two.id, 200 + i, new_key()));
            plan.push((other.token.clone(), shop.one.id, 300 + i, new_key()));
        }
        plan.push((member.token.clone(), shop.one.id, 700, retried.clone()));
        let ((batches_before, handed_before), replies) = fire_held(&app, &plan, |stats| {
            (
                stats.batches.load(Ordering::Relaxed),
                stats.handed_back.load(Ordering::Relaxed),
            )
        })
        .await;

        // The retry: the receipt it was given the first time, not a second
        // payment.
        let again: PaymentReceipt = replies[6].ok();
        assert_eq!(again.payment_id, first.payment_id, "one key, one payment");
        assert_eq!(again.balance_after, first.balance_after);
        // The six others paid, booked in one batch; only the retry was
        // handed back.
        let mut ids = HashSet::new();
        for reply in &replies[0..6] {
            ids.insert(reply.ok::<PaymentReceipt>().payment_id);
        }
        assert_eq!(ids.len(), 6);
        assert_eq!(
            (
                batcher.stats.batches.load(Ordering::Relaxed) - batches_before,
                batcher.stats.handed_back.load(Ordering::Relaxed) - handed_before,
            ),
            (1, 1),
            "(batches committed, payments handed back)"
        );
        let spent: i64 = (0..3).map(|i| 200 + i).sum();
        assert_eq!(total(&app, &member.token).await, 100_000 - 900 - spent);
        let spent: i64 = (0..3).map(|i| 300 + i).sum();
        assert_eq!(total(&app, &other.token).await, 100_000 - spent);
        assert_eq!(
            full_history(&app, &member.token, Some("payment"))
                .await
                .len(),
            3 + 3
        );
        assert_reconciled(&app).await;
    }
);
