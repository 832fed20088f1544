//! Two replicas on one database behave as one server: a receipt taken by
//! one shows on a clerk's screen that is waiting on the other.

use crate::helpers::*;
use crate::money::{new_member, pay_ok, shop, topup_ok};
use shared::dto::ReceiptFeed;
use shared::money::Fen;
use std::time::Duration;

dual_test!(
    a_receipt_taken_by_one_replica_reaches_a_screen_waiting_on_the_other,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let replica = app.second_replica().await;

        // The clerk's workbench is served by the second replica: it learns
        // where the feed stands, then waits for what comes next.
        let start: ReceiptFeed = replica
            .get("/api/staff/receipts/wait")
            .token(&shop.clerk)
            .send()
            .await
            .ok();
        assert!(start.items.is_empty());
        let waiting = {
            let (replica, token) = (replica.clone(), shop.clerk.clone());
            tokio::spawn(async move {
                replica
                    .get(&format!(
                        "/api/staff/receipts/wait?after={}&timeout=20",
                        start.last_id
                    ))
                    .token(&token)
                    .send()
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(
            !waiting.is_finished(),
            "the screen waits while nothing is new"
        );

        // The member pays through the first replica.
        let paid = pay_ok(&app, &member.token, shop.one.id, 1_234).await;

        // The waiting screen on the other replica gets it.
        let feed: ReceiptFeed = waiting.await.expect("the waiting request").ok();
        assert_eq!(feed.items.len(), 1, "{feed:?}");
        assert_eq!(feed.items[0].id, paid.payment_id);
        assert_eq!(feed.items[0].amount, Fen(1_234));
        assert_eq!(feed.last_id, paid.payment_id);
        assert_eq!((feed.today_total, feed.today_count), (Fen(1_234), 1));
    }
);

/// PostgreSQL hands out ids at insert and shows rows at commit, so a payment
/// can become visible after a newer one was already delivered. The screen
/// still gets it (the feed repeats the last seconds' receipts and the app
/// skips those it showed). SQLite commits one writer at a time, so this can
/// only happen on PostgreSQL.
#[test]
fn a_receipt_committed_after_a_newer_one_still_reaches_the_screen() {
    run_test(Backend::Postgres, None, |app| async move {
        use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
        use tongka_server::entity::payment;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let wait = |after: i64| {
            let (app, token) = (app.clone(), shop.clerk.clone());
            async move {
                let feed: ReceiptFeed = app
                    .get(&format!("/api/staff/receipts/wait?after={after}&timeout=1"))
                    .token(&token)
                    .send()
                    .await
                    .ok();
                feed
            }
        };
        let start: ReceiptFeed = app
            .get("/api/staff/receipts/wait")
            .token(&shop.clerk)
            .send()
            .await
            .ok();

        // A payment row whose transaction is slow to commit takes its id
        // now (only the row matters here: the feed reads payments)…
        let slow = app.db.begin().await.expect("a transaction");
        let slow_id = payment::ActiveModel {
            brand_id: Set(app.brand_id),
            store_id: Set(shop.one.id),
            member_id: Set(member.id),
            original: Set(500),
            amount: Set(500),
            principal: Set(500),
            bonus: Set(0),
            refunded_principal: Set(0),
            refunded_bonus: Set(0),
            bonus_settled: Set(0),
            gateway: Set(0),
            refunded_gateway: Set(0),
            gateway_order_id: Set(None),
            created_at: Set(app.clock.now_ms()),
            ..Default::default()
        }
        .insert(&slow)
        .await
        .expect("inserting the slow payment")
        .id;
        // …while a later payment commits first and reaches the screen.
        let paid = pay_ok(&app, &member.token, shop.one.id, 1_000).await;
        assert!(paid.payment_id > slow_id);
        let first = wait(start.last_id).await;
        let ids: Vec<i64> = first.items.iter().map(|i| i.id).collect();
        assert_eq!(ids, [paid.payment_id]);

        // The slow one commits: the next answer carries it although its id
        // is below the last one delivered.
        slow.commit().await.expect("committing the slow payment");
        let second = wait(first.last_id).await;
        let ids: Vec<i64> = second.items.iter().map(|i| i.id).collect();
        assert!(ids.contains(&slow_id), "{ids:?}");
        assert_eq!(second.last_id, paid.payment_id);
    });
}
