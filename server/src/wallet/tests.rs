//! The wallet services on a real SQLite database, without an HTTP server:
//! a withdrawal asked for, decided and given back, and the scope rule.

use super::withdraw::{self, Decision};
use super::{payee, views, wallet};
use crate::auth::{Acting, Actor};
use crate::entity::{payout_attempt, store};
use crate::idempotency::IdemKey;
use crate::state::AppState;
use crate::testing::{self, code, first_with_role, grant_store};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::ErrorCode;
use shared::dto::{PayeeInput, PayeeState, Role, WithdrawalInput, WithdrawalState};
use shared::money::Fen;
use std::sync::atomic::Ordering;

/// The demo brand, its first store holding `earned` in its wallet, and the
/// store's manager and HQ finance as actors.
async fn demo(earned: Fen) -> (AppState, store::Model, Actor, Actor) {
    let d = testing::demo().await;
    let manager = first_with_role(&d.state, &d.brand, Role::StoreManager).await;
    let finance = first_with_role(&d.state, &d.brand, Role::HqFinance).await;
    assert_eq!(
        manager.store_id,
        Some(d.shop.id),
        "the demo manager's store"
    );
    let now = d.state.clock.now_ms();
    grant_store(&d.state.db, d.brand.id, d.shop.id, earned, now).await;
    // Approved payouts stay in the outbox: these tests send nothing.
    d.state.payouts_paused.store(true, Ordering::SeqCst);
    (d.state, d.shop, manager, finance)
}

/// Who acts on a withdrawal (approve, reject, retry).
const FINANCE: Acting = Acting(shared::api::HQ_FINANCE);

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
