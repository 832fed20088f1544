//! 退卡 (closing a member's stored value) when some of it was topped up
//! online: the store manager looks the member up by phone, sees how much
//! goes back through the gateway and how much in cash, and closes the card.
//! Online top-ups are refunded through the gateway, newest first; the rest
//! is paid in cash at the counter; the bonus is clawed back. Every test ends
//! with the ledger reconciling.
//!
//! These tests have gateway orders, so they follow the `SWEEPS` lock of
//! `gateway.rs`; refunds reach the sandbox in the background and are waited
//! for, never timed.

use crate::gateway::*;
use crate::helpers::*;
use crate::money::*;
use crate::split_payments::{funds, gateway_refunds, split_paid};
use shared::ErrorCode;
use shared::dto::{CloseStoredValue, MemberMoney, StoredValueClosed, TopUpOrderView};
use shared::money::Fen;
use tongka_server::entity::gateway_refund;
use tongka_server::gateway_orders::sweep;

/// `GET /api/staff/member-money?phone=…` (what the manager's screen shows).
async fn look_up(app: &TestApp, staff: &str, phone: &str) -> Reply {
    app.get(&format!("/api/staff/member-money?phone={phone}"))
        .token(staff)
        .lang("en")
        .send()
        .await
}

/// `POST /api/staff/members/{id}/close-stored-value` with `key`.
async fn close_card(app: &TestApp, staff: &str, member_id: i64, key: &str) -> Reply {
    app.post(&format!(
        "/api/staff/members/{member_id}/close-stored-value"
    ))
    .token(staff)
    .header(IDEMPOTENCY_KEY, key)
    .lang("en")
    .json(&CloseStoredValue::default())
    .send()
    .await
}

/// Waits until the gateway refunds of an order are all confirmed; answers
/// them, oldest first.
async fn confirmed_refunds(app: &TestApp, o: &TopUpOrderView) -> Vec<gateway_refund::Model> {
    wait_for(
        &format!("the refunds of order {} to be confirmed", o.id),
        || async {
            let refunds = gateway_refunds(app, o.id).await;
            refunds
                .iter()
                .all(|r| r.state == "succeeded")
                .then_some(refunds)
        },
    )
    .await
}

dual_test!(
    closing_a_card_sends_online_top_ups_back_online,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;

        // ¥100 topped up online, ¥50 in cash at the counter, ¥20 spent.
        let online = top_up_online(&app, &member, 10_000).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        pay_ok(&app, &member.token, shop.one.id, 2_000).await;
        assert_eq!(funds(&app, &member).await, (13_000, 0));

        // The manager looks the member up: ¥130 of principal, of which
        // ¥100 would go back to the card that paid online.
        let expected = MemberMoney {
            member_id: member.id,
            phone_masked: masked(&member.phone),
            name: String::new(),
            frozen: false,
            principal: Fen(13_000),
            bonus: Fen(0),
            via_gateway: Fen(10_000),
        };
        for staff in [&shop.manager, &shop.admin, &shop.finance] {
            assert_eq!(
                look_up(&app, staff, &member.phone)
                    .await
                    .ok::<MemberMoney>(),
                expected
            );
        }
        // A clerk may not; a bad or unknown phone is said so.
        look_up(&app, &shop.clerk, &member.phone)
            .await
            .error(403, ErrorCode::Forbidden);
        let error = look_up(&app, &shop.manager, "12345")
            .await
            .invalid("member_phone");
        assert_eq!(
            error.message,
            "The member's phone must be an 11-digit mainland China mobile number"
        );
        look_up(&app, &shop.manager, &random_phone())
            .await
            .error(404, ErrorCode::MemberNotRegistered);
        // A clerk cannot close a card either.
        close_card(&app, &shop.clerk, member.id, &new_key())
            .await
            .error(403, ErrorCode::Forbidden);
        assert_eq!(funds(&app, &member).await, (13_000, 0));

        // The manager closes the card: ¥100 back online, ¥30 in cash.
        let key = new_key();
        let reply = close_card(&app, &shop.manager, member.id, &key).await;
        reply.status(201);
        let closed: StoredValueClosed = reply.ok();
        assert_eq!(closed.principal_refunded, Fen(13_000));
        assert_eq!(closed.via_gateway, Fen(10_000));
        assert_eq!(closed.cash, Fen(3_000));
        assert_eq!(closed.bonus_clawed_back, Fen(0));
        assert_eq!(instant(&closed.at), start_instant());

        // The card is empty, and the history says so.
        assert_eq!(funds(&app, &member).await, (0, 0));
        let history = full_history(&app, &member.token, None).await;
        assert_eq!(history[0].id, closed.entry_id);
        assert_eq!(history[0].kind, "close");
        assert_eq!(history[0].amount, Fen(-13_000));
        assert_eq!(history[0].balance_after, Some(Fen(0)));
        assert_eq!(
            history[0].store_name.as_deref(),
            Some(shop.one.name.as_str())
        );

        // The ¥100 reaches the card that paid it: the server sends it in the
        // background right after 退卡, no sweep needed.
        let seen = wait_for_refunded(&app, &online, 10_000).await;
        assert_eq!(seen.trade.amount, 10_000);
        let refunds = confirmed_refunds(&app, &online).await;
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(
            (refunds[0].amount, refunds[0].reason.as_str()),
            (10_000, "close")
        );
        assert_eq!(row(&app, online.id).await.refunded, 10_000);
        // A sweep sends nothing twice.
        sweep(&app.state).await.expect("sweeping");
        assert_eq!(inspect(&app, &online).await.trade.refunded, 10_000);

        // Nothing is left: the lookup shows zero, a retry of the same
        // request is the same answer, a new one is refused.
        let after = look_up(&app, &shop.manager, &member.phone)
            .await
            .ok::<MemberMoney>();
        assert_eq!(
            (after.principal, after.bonus, after.via_gateway),
            (Fen(0), Fen(0), Fen(0))
        );
        let again = close_card(&app, &shop.manager, member.id, &key).await;
        again.status(201);
        assert_eq!(again.ok::<StoredValueClosed>(), closed);
        let error = close_card(&app, &shop.manager, member.id, &new_key())
            .await
            .error(422, ErrorCode::NothingToRefund);
        assert_eq!(error.message, "There is no stored value to refund");
        assert_eq!(inspect(&app, &online).await.trade.refunded, 10_000);
        assert_eq!(full_history(&app, &member.token, None).await, history);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    closing_a_card_refunds_the_newest_online_top_up_first,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;

        // ¥100 online, then ¥60 online, then ¥120 spent: ¥40 left.
        let older = top_up_online(&app, &member, 10_000).await;
        let newer = top_up_online(&app, &member, 6_000).await;
        pay_ok(&app, &member.token, shop.one.id, 12_000).await;
        let money: MemberMoney = look_up(&app, &shop.manager, &member.phone).await.ok();
        assert_eq!(
            (money.principal, money.via_gateway),
            (Fen(4_000), Fen(4_000))
        );

        // 退卡: the ¥40 goes back from the newest top-up, all of it online.
        let reply = close_card(&app, &shop.manager, member.id, &new_key()).await;
        reply.status(201);
        let closed: StoredValueClosed = reply.ok();
        assert_eq!(
            (closed.principal_refunded, closed.via_gateway, closed.cash),
            (Fen(4_000), Fen(4_000), Fen(0))
        );
        assert_eq!(funds(&app, &member).await, (0, 0));
        wait_for_refunded(&app, &newer, 4_000).await;
        let refunds = confirmed_refunds(&app, &newer).await;
        assert_eq!(
            refunds.iter().map(|r| r.amount).collect::<Vec<_>>(),
            vec![4_000]
        );
        // Nothing from the older one.
        sweep(&app.state).await.expect("sweeping");
        assert!(gateway_refunds(&app, older.id).await.is_empty());
        assert_eq!(inspect(&app, &older).await.trade.refunded, 0);
        assert_eq!(inspect(&app, &newer).await.trade.refunded, 4_000);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_online_part_of_a_split_payment_is_not_given_back_on_closing_a_card,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;

        // ¥50 in cash, an ¥80 bill (¥50 from the card, ¥30 online), then
        // ¥40 more in cash. The ¥30 paid the store; it never was stored
        // value, so none of the ¥40 left goes back through the gateway.
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        let split = split_paid(&app, &member, shop.one.id, 8_000).await;
        assert_eq!((split.stored_value, split.amount), (Fen(5_000), Fen(3_000)));
        topup_ok(&app, &shop.clerk, &member.phone, 4_000).await;
        let money: MemberMoney = look_up(&app, &shop.manager, &member.phone).await.ok();
        assert_eq!(
            (money.principal, money.via_gateway),
            (Fen(4_000), Fen(0)),
            "only online top-ups go back online"
        );
        let reply = close_card(&app, &shop.manager, member.id, &new_key()).await;
        reply.status(201);
        let closed: StoredValueClosed = reply.ok();
        assert_eq!(
            (closed.principal_refunded, closed.via_gateway, closed.cash),
            (Fen(4_000), Fen(0), Fen(4_000))
        );
        sweep(&app.state).await.expect("sweeping");
        assert!(gateway_refunds(&app, split.id).await.is_empty());
        assert_eq!(inspect(&app, &split).await.trade.refunded, 0);

        // The store can still refund the bill in full: ¥50 to the card,
        // ¥30 back online.
        let payment_id = split.payment_id.expect("a settled payment");
        let back = refund_ok(&app, &shop.manager, payment_id, 8_000).await;
        assert_eq!(
            (back.principal, back.bonus, back.gateway),
            (Fen(5_000), Fen(0), Fen(3_000))
        );
        sweep(&app.state).await.expect("sweeping");
        wait_for_refunded(&app, &split, 3_000).await;
        let refunds = confirmed_refunds(&app, &split).await;
        assert_eq!(
            refunds
                .iter()
                .map(|r| (r.amount, r.reason.as_str()))
                .collect::<Vec<_>>(),
            vec![(3_000, "payment_refund")]
        );
        assert_eq!(funds(&app, &member).await, (5_000, 0));
        assert_reconciled(&app).await;
    }
);

// Issue 10: a refund the gateway refused left the money nowhere (gateway
// clearing credited, the refund marked failed, never sent again). Now it is
// sent again with backoff; refused for good, it is a task for HQ finance,
// who sends the money back to the member's stored value or records it paid
// outside, each a ledger entry, audited. (A database of its own: the
// gateway here refuses every refund, and refunds are swept across brands.)
dual_test!(
    a_refused_refund_is_retried_then_settled_by_hq_finance,
    |app| async move {
        let app = spawn_app_with_own_database(app.backend).await;
        let shop = shop(&app).await;
        let (one, two) = (new_member(&app).await, new_member(&app).await);
        let online_one = top_up_online(&app, &one, 10_000).await;
        let online_two = top_up_online(&app, &two, 4_000).await;
        switches(
            &app,
            tongka_server::gateway::sandbox::Switches {
                refuse_refunds: true,
                ..Default::default()
            },
        )
        .await;
        for m in [&one, &two] {
            close_card(&app, &shop.manager, m.id, &new_key())
                .await
                .status(201);
        }
        let refund_of = |order: i64| {
            let app = app.clone();
            async move { gateway_refunds(&app, order).await.remove(0) }
        };
        // The send right after 退卡 is refused: sent again a minute later.
        let first = wait_for("the first refusal", || async {
            let r = refund_of(online_one.id).await;
            (r.attempts == 1).then_some(r)
        })
        .await;
        assert_eq!(first.state, "pending");
        assert!(first.failure.is_some_and(|f| f.contains("REFUND_REFUSED")));
        let send = || tongka_server::gateway_orders::send_refunds(&app.state);
        send().await.expect("sending refunds");
        assert_eq!(
            refund_of(online_one.id).await.attempts,
            1,
            "not before its time"
        );
        // Then after 5 min, 30 min and 2 h: refused five times in all, it is
        // handed to HQ finance.
        for (wait, attempts) in [(60, 2), (5 * 60, 3), (30 * 60, 4), (2 * 3600, 5)] {
            app.advance_secs(wait);
            send().await.expect("sending refunds");
            assert_eq!(refund_of(online_one.id).await.attempts, attempts);
        }
        assert_eq!(refund_of(online_one.id).await.state, "failed");
        let pending: shared::dto::HqPending = app
            .get("/api/hq/pending")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(pending.refund_tasks, 2);
        let tasks: shared::dto::Page<shared::dto::RefundTask> = app
            .get("/api/hq/refund-tasks")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(tasks.items.len(), 2);
        let task_one = tasks
            .items
            .iter()
            .find(|t| t.amount == Fen(10_000))
            .expect("member one's refund")
            .clone();
        let task_two = tasks
            .items
            .iter()
            .find(|t| t.amount == Fen(4_000))
            .expect("member two's refund")
            .clone();
        assert_eq!(task_one.member_phone_masked, masked(&one.phone));
        assert_eq!(task_one.reason, "close");

        let resolve = |token: String, id: i64, body: serde_json::Value| {
            let app = app.clone();
            async move {
                app.post(&format!("/api/hq/refund-tasks/{id}/resolve"))
                    .token(&token)
                    .lang("en")
                    .json(&body)
                    .send()
                    .await
            }
        };
        resolve(
            shop.manager.clone(),
            task_one.id,
            serde_json::json!({"way": "stored_value"}),
        )
        .await
        .error(403, ErrorCode::Forbidden);
        resolve(
            shop.finance.clone(),
            task_two.id,
            serde_json::json!({"way": "paid_outside"}),
        )
        .await
        .invalid("reference");
        // One back to the member's balance, the other paid by transfer.
        let done: shared::dto::RefundTask = resolve(
            shop.finance.clone(),
            task_one.id,
            serde_json::json!({"way": "stored_value"}),
        )
        .await
        .ok();
        assert_eq!(
            done.resolution,
            Some(shared::dto::RefundResolution::StoredValue)
        );
        assert_eq!(funds(&app, &one).await, (10_000, 0));
        resolve(
            shop.finance.clone(),
            task_one.id,
            serde_json::json!({"way": "stored_value"}),
        )
        .await
        .error(409, ErrorCode::StateChanged);
        let paid: shared::dto::RefundTask = resolve(
            shop.finance.clone(),
            task_two.id,
            serde_json::json!({"way": "paid_outside", "reference": "CMB-TRF-7731"}),
        )
        .await
        .ok();
        assert_eq!(paid.resolution_ref.as_deref(), Some("CMB-TRF-7731"));
        assert_eq!(funds(&app, &two).await, (0, 0));
        let pending: shared::dto::HqPending = app
            .get("/api/hq/pending")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(pending.refund_tasks, 0);
        let audit: shared::dto::Page<shared::dto::AuditEntry> = app
            .get("/api/hq/audit")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(
            audit
                .items
                .iter()
                .filter(|e| e.action == shared::dto::AuditAction::GatewayRefundResolve)
                .count(),
            2
        );
        let _ = online_two;
        assert_reconciled(&app).await;
    }
);

// Issue 10: a database error while closing a card (HQ naming the store)
// was answered "422 unknown store" and recorded under the idempotency key
// for good, so the retry got the same refusal. Only business refusals are
// recorded: the error is a 500 and the retry with the same key goes
// through. (A database of its own: its `stores` table goes away for a
// moment.)
dual_test!(
    a_database_error_is_not_recorded_as_the_answer_for_good,
    |app| async move {
        use sea_orm::ConnectionTrait;
        let app = spawn_app_with_own_database(app.backend).await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        let close = |key: String| {
            let (app, finance) = (app.clone(), shop.finance.clone());
            let store_id = shop.one.id;
            async move {
                app.post(&format!(
                    "/api/staff/members/{}/close-stored-value",
                    member.id
                ))
                .token(&finance)
                .header(IDEMPOTENCY_KEY, &key)
                .json(&CloseStoredValue {
                    store_id: Some(store_id),
                })
                .send()
                .await
            }
        };
        let key = new_key();
        app.writer()
            .execute_unprepared("ALTER TABLE stores RENAME TO stores_away")
            .await
            .expect("taking the stores away");
        let failed = close(key.clone()).await;
        app.writer()
            .execute_unprepared("ALTER TABLE stores_away RENAME TO stores")
            .await
            .expect("putting the stores back");
        failed.error(500, ErrorCode::Internal);
        assert_eq!(funds(&app, &member).await, (5_000, 0));
        // The same request again: it goes through.
        let closed: StoredValueClosed = close(key).await.ok();
        assert_eq!(closed.principal_refunded, Fen(5_000));
        assert_eq!(funds(&app, &member).await, (0, 0));
        assert_reconciled(&app).await;
    }
);
