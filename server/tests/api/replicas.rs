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
