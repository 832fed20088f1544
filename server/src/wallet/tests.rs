//! The wallet services on a real SQLite database, without an HTTP server:
//! a withdrawal asked for, decided and given back, and the scope rule.

use super::withdraw::{self, Decision};
use super::{payee, views, wallet};
use crate::auth::{Acting, Actor};
use crate::clock::Clock;
use crate::config::Limits;
use crate::db::{begin_write, connect, migrate};
use crate::entity::{brand, payout_attempt, staff, store};
use crate::error::AppError;
use crate::idempotency::IdemKey;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use shared::ErrorCode;
use shared::dto::{PayeeInput, PayeeState, Role, WithdrawalInput, WithdrawalState};
use shared::money::Fen;
use std::sync::atomic::Ordering;

/// The demo brand on a fresh database, its first store holding `earned` in
/// its wallet, and the store's manager and HQ finance as actors.
async fn demo(earned: Fen) -> (AppState, store::Model, Actor, Actor) {
    let db = connect("sqlite::memory:", 1)
        .await
        .expect("in-memory SQLite");
    migrate(&db).await.expect("migrations");
    let clock = Clock::manual(chrono::Utc::now());
    crate::seed::seed_demo(&db, &clock)
        .await
        .expect("demo brand");
    let b = brand::Entity::find()
        .one(&db)
        .await
        .ok()
        .flatten()
        .expect("brand");
    let shop = store::Entity::find()
        .filter(store::Column::BrandId.eq(b.id))
        .order_by_asc(store::Column::Id)
        .one(&db)
        .await
        .ok()
        .flatten()
        .expect("store");
    let actor = |role: Role| {
        let (db, b) = (db.clone(), b.clone());
        async move {
            let s = staff::Entity::find()
                .filter(staff::Column::BrandId.eq(b.id))
                .filter(staff::Column::Role.eq(role.as_str()))
                .order_by_asc(staff::Column::Id)
                .one(&db)
                .await
                .ok()
                .flatten()
                .expect("demo staff");
            Actor {
                brand: b,
                staff_id: s.id,
                role,
                store_id: s.store_id,
                region_id: s.region_id,
            }
        }
    };
    let manager = actor(Role::StoreManager).await;
    let finance = actor(Role::HqFinance).await;
    assert_eq!(manager.store_id, Some(shop.id), "the demo manager's store");
    let tx = begin_write(&db).await.expect("tx");
    let now = clock.now_ms();
    let wallet_id = ledger::account_id(&tx, b.id, Kind::StoreWallet, shop.id, now)
        .await
        .expect("account");
    let bank = ledger::account_id(&tx, b.id, Kind::HqBankClearing, 0, now)
        .await
        .expect("account");
    ledger::post(
        &tx,
        Entry {
            brand_id: b.id,
            kind: "test_grant",
            op_ref: "1".into(),
            store_id: Some(shop.id),
            member_id: None,
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: "test".into(),
            business_date: "2026-12-02".into(),
            at: now,
            lines: vec![Line::fen(bank, -earned), Line::fen(wallet_id, earned)],
        },
    )
    .await
    .expect("earned");
    tx.commit().await.expect("commit");
    let state = AppState::new(
        db,
        clock,
        Limits::default(),
        "http://127.0.0.1:9",
        None,
        b"wallet unit tests",
    )
    .expect("state");
    // Approved payouts stay in the outbox: these tests send nothing.
    state.payouts_paused.store(true, Ordering::SeqCst);
    (state, shop, manager, finance)
}

/// Who acts on a withdrawal (approve, reject, retry).
const FINANCE: Acting = Acting(shared::api::HQ_FINANCE);

fn code(e: AppError) -> ErrorCode {
    match e {
        AppError::Api { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}

/// The store's payee account, asked for by its manager and approved by HQ
/// finance.
async fn approved_payee(state: &AppState, shop: &store::Model, manager: &Actor, finance: &Actor) {
    let asked = payee::request(
        state,
        manager,
        shop.id,
        &PayeeInput {
            account_name: "上海通卡茶饮有限公司".into(),
            bank_name: "招商银行上海分行".into(),
            account_no: "6225880112345678".into(),
        },
    )
    .await
    .expect("asked");
    assert_eq!(asked.state, PayeeState::Pending);
    // HQ finance may not approve what they asked for; here the manager asked.
    let approved = payee::decide(state, finance, asked.id, None)
        .await
        .expect("approved");
    assert_eq!(approved.state, PayeeState::Approved);
}

#[tokio::test]
async fn a_withdrawal_freezes_its_amount_and_approval_queues_one_payout() {
    let (state, shop, manager, finance) = demo(Fen(50_000)).await;
    approved_payee(&state, &shop, &manager, &finance).await;
    let asked = withdraw::request(
        &state,
        &manager,
        shop.id,
        IdemKey("unit-1".into()),
        WithdrawalInput {
            amount: Fen(20_000),
        },
    )
    .await
    .expect("asked");
    assert!(asked.status().is_success(), "{}", asked.status());
    let w = wallet(&state.db, &manager, shop.id).await.expect("wallet");
    assert_eq!((w.available, w.frozen), (Fen(30_000), Fen(20_000)));

    let list = views::list(&state, &finance, &Default::default())
        .await
        .expect("list");
    let id = list.items.first().expect("the request").id;
    assert!(list.items[0].can_decide);
    // The store manager who asked sees it but may not approve it.
    let own = withdraw::decide(&state, (&manager, FINANCE), id, Decision::Approve).await;
    assert_eq!(code(own.expect_err("refused")), ErrorCode::Forbidden);

    let approved = withdraw::decide(&state, (&finance, FINANCE), id, Decision::Approve)
        .await
        .expect("approved");
    assert_eq!(approved.state, WithdrawalState::Approved);
    // The same decision again answers with the withdrawal, and queues nothing more.
    let again = withdraw::decide(&state, (&finance, FINANCE), id, Decision::Approve)
        .await
        .expect("same answer");
    assert_eq!(again.state, WithdrawalState::Approved);
    let queued = payout_attempt::Entity::find()
        .filter(payout_attempt::Column::WithdrawalId.eq(id))
        .count(&state.db)
        .await
        .expect("count");
    assert_eq!(queued, 1);
}

#[tokio::test]
async fn a_rejected_withdrawal_gives_the_money_back_and_more_than_the_wallet_is_refused() {
    let (state, shop, manager, finance) = demo(Fen(50_000)).await;
    approved_payee(&state, &shop, &manager, &finance).await;
    let too_much = withdraw::request(
        &state,
        &manager,
        shop.id,
        IdemKey("unit-2".into()),
        WithdrawalInput {
            amount: Fen(50_001),
        },
    )
    .await;
    assert!(too_much.is_err(), "more than the wallet holds");
    withdraw::request(
        &state,
        &manager,
        shop.id,
        IdemKey("unit-3".into()),
        WithdrawalInput {
            amount: Fen(10_000),
        },
    )
    .await
    .expect("asked");
    let id = views::list(&state, &manager, &Default::default())
        .await
        .expect("list")
        .items[0]
        .id;
    let rejected = withdraw::decide(
        &state,
        (&finance, FINANCE),
        id,
        Decision::Reject("账户有误".into()),
    )
    .await
    .expect("rejected");
    assert_eq!(rejected.state, WithdrawalState::Rejected);
    let w = wallet(&state.db, &manager, shop.id).await.expect("wallet");
    assert_eq!((w.available, w.frozen), (Fen(50_000), Fen::ZERO));
}

#[tokio::test]
async fn a_store_outside_the_actors_scope_does_not_exist_for_them() {
    let (state, shop, manager, _) = demo(Fen(1_000)).await;
    let elsewhere = Actor {
        store_id: Some(shop.id + 100),
        ..manager
    };
    let seen = wallet(&state.db, &elsewhere, shop.id).await;
    assert_eq!(code(seen.expect_err("hidden")), ErrorCode::NotFound);
    let terms = views::terms(&state.db, &elsewhere, shop.id).await;
    assert_eq!(code(terms.expect_err("hidden")), ErrorCode::NotFound);
}
