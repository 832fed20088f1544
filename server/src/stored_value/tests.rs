//! The stored-value services on a real SQLite database, without an HTTP
//! server: a payment and its refunds booked straight through the services.

use super::payment::{self, Payer};
use super::refund;
use crate::auth::Actor;
use crate::db::begin_write;
use crate::entity::{payment as payment_row, store};
use crate::ledger;
use crate::testing::{self, code};
use sea_orm::{DatabaseConnection, EntityTrait, TransactionTrait};
use shared::ErrorCode;
use shared::dto::{MoneySettings, PaymentRequest, Role};
use shared::money::Fen;

/// The demo brand, its first store and its first member, who has been
/// given `principal` and `bonus`.
async fn demo(principal: Fen, bonus: Fen) -> (DatabaseConnection, Payer, store::Model) {
    let d = testing::demo_with(principal, bonus).await;
    let payer = Payer {
        brand: d.brand,
        member_id: d.member.id,
    };
    (d.state.db.clone(), payer, d.shop)
}

fn bill(shop: &store::Model, amount: i64) -> PaymentRequest {
    PaymentRequest {
        coupon_id: None,
        without_coupon_if_gone: false,
        use_points: false,
        points_expected: None,
        payable_expected: None,
        store_id: shop.id,
        amount: Fen(amount),
        pin: None,
        pay_request: None,
    }
}

#[tokio::test]
async fn a_payment_takes_principal_then_bonus_and_a_refund_gives_both_back() {
    let (db, payer, shop) = demo(Fen(3_000), Fen(1_000)).await;
    let rules = MoneySettings::default();
    let tx = begin_write(&db).await.expect("tx");
    let paid = payment::book(&tx, &payer, &bill(&shop, 3_500), &rules, false, 0)
        .await
        .expect("paid");
    tx.commit().await.expect("commit");
    assert_eq!((paid.principal, paid.bonus), (Fen(3_000), Fen(500)));
    assert_eq!(paid.balance_after, Fen(500));
    let row = payment_row::Entity::find_by_id(paid.payment_id)
        .one(&db)
        .await
        .ok()
        .flatten()
        .expect("payment row");
    assert_eq!(row.plan().payable(), Fen(3_500));

    // More than is left is refused, and nothing moves.
    let tx = begin_write(&db).await.expect("tx");
    let too_much = payment::book(&tx, &payer, &bill(&shop, 501), &rules, false, 0).await;
    assert_eq!(
        code(too_much.expect_err("refused")),
        ErrorCode::InsufficientBalance
    );
    drop(tx);

    let hq = Actor {
        brand: payer.brand.clone(),
        staff_id: 1,
        role: Role::HqFinance,
        store_id: None,
        region_id: None,
        key: None,
    };
    let tx = db.begin().await.expect("tx");
    let back = refund::book(&tx, &hq, paid.payment_id, Fen(3_500), 0)
        .await
        .expect("refunded");
    tx.commit().await.expect("commit");
    assert_eq!((back.principal, back.bonus), (Fen(3_000), Fen(500)));
    let (principal, bonus) = ledger::member_balance(&db, payer.brand.id, payer.member_id)
        .await
        .expect("balance");
    assert_eq!((principal, bonus), (Fen(3_000), Fen(1_000)));

    let tx = db.begin().await.expect("tx");
    let again = refund::book(&tx, &hq, paid.payment_id, Fen(1), 0).await;
    assert_eq!(code(again.expect_err("refused")), ErrorCode::RefundTooLarge);
    drop(tx);
    assert!(ledger::reconcile(&db).await.expect("reconcile").is_clean());
}

#[tokio::test]
async fn a_store_manager_cannot_refund_another_stores_payment() {
    let (db, payer, shop) = demo(Fen(1_000), Fen::ZERO).await;
    let tx = begin_write(&db).await.expect("tx");
    let paid = payment::book(
        &tx,
        &payer,
        &bill(&shop, 100),
        &MoneySettings::default(),
        false,
        0,
    )
    .await
    .expect("paid");
    tx.commit().await.expect("commit");
    let elsewhere = Actor {
        brand: payer.brand.clone(),
        staff_id: 2,
        role: Role::StoreManager,
        store_id: Some(shop.id + 1),
        region_id: None,
        key: None,
    };
    let tx = db.begin().await.expect("tx");
    let refused = refund::book(&tx, &elsewhere, paid.payment_id, Fen(100), 0).await;
    assert_eq!(code(refused.expect_err("refused")), ErrorCode::NotFound);
}
