//! What the business areas' unit tests share: the demo brand on a fresh
//! in-memory SQLite database (no HTTP server), its staff as the services
//! see them, money given to a member or a store, and a refusal's code.

use crate::auth::Actor;
use crate::clock::Clock;
use crate::config::Limits;
use crate::db::{begin_write, connect, migrate};
use crate::entity::{brand, member, staff, store};
use crate::error::AppError;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select};
use shared::ErrorCode;
use shared::dto::{EntryKind, Role};
use shared::money::Fen;

/// The demo brand on a fresh database: regions 华东区 (stores 南京西路店,
/// the default, and 徐家汇店) and 华南区 (天河城店), its staff and its
/// first member.
pub struct Demo {
    /// A state over the database, on a clock that moves only when told.
    pub state: AppState,
    /// The demo brand.
    pub brand: brand::Model,
    /// Its first store.
    pub shop: store::Model,
    /// Its first member.
    pub member: member::Model,
}

/// The first row `q` finds (a panic when there is none).
async fn first<E: EntityTrait>(db: &DatabaseConnection, q: Select<E>, what: &str) -> E::Model {
    q.one(db).await.ok().flatten().expect(what)
}

/// A fresh [`Demo`].
pub async fn demo() -> Demo {
    let db = connect("sqlite::memory:", 1)
        .await
        .expect("in-memory SQLite");
    migrate(&db).await.expect("migrations");
    let clock = Clock::manual(chrono::Utc::now());
    crate::seed::seed_demo(&db, &clock)
        .await
        .expect("demo brand");
    let brand = first(&db, brand::Entity::find(), "brand").await;
    let shop = store::Entity::find()
        .filter(store::Column::BrandId.eq(brand.id))
        .order_by_asc(store::Column::Id);
    let shop = first(&db, shop, "store").await;
    let member = member::Entity::find()
        .filter(member::Column::BrandId.eq(brand.id))
        .order_by_asc(member::Column::Id);
    let member = first(&db, member, "member").await;
    let state = AppState::new(
        db,
        clock,
        Limits::default(),
        "http://127.0.0.1:9",
        None,
        b"unit tests",
    )
    .expect("state");
    Demo {
        state,
        brand,
        shop,
        member,
    }
}

/// A fresh [`Demo`] whose first member has been given `principal` and
/// `bonus`.
pub async fn demo_with(principal: Fen, bonus: Fen) -> Demo {
    let d = demo().await;
    let now = d.state.clock.now_ms();
    grant_member(
        &d.state.db,
        d.brand.id,
        d.member.id,
        (principal, bonus),
        now,
    )
    .await;
    d
}

/// A staff row as the services see it.
fn actor_of(brand: brand::Model, s: staff::Model) -> Actor {
    Actor {
        brand,
        staff_id: s.id,
        role: Role::parse(&s.role).expect("role"),
        store_id: s.store_id,
        region_id: s.region_id,
        key: None,
    }
}

/// The demo staff member with this account.
pub async fn actor(state: &AppState, account: &str) -> Actor {
    let s = staff::Entity::find().filter(staff::Column::Account.eq(account));
    let s = first(&state.db, s, "staff").await;
    let b = first(&state.db, brand::Entity::find_by_id(s.brand_id), "brand").await;
    actor_of(b, s)
}

/// The brand's first staff member with this role.
pub async fn first_with_role(state: &AppState, brand: &brand::Model, role: Role) -> Actor {
    let s = staff::Entity::find()
        .filter(staff::Column::BrandId.eq(brand.id))
        .filter(staff::Column::Role.eq(role.as_str()))
        .filter(staff::Column::ApiKey.eq(false))
        .order_by_asc(staff::Column::Id);
    let s = first(&state.db, s, "demo staff").await;
    actor_of(brand.clone(), s)
}

/// Gives a member `principal` and `bonus` (from promotion expense).
pub async fn grant_member(
    db: &DatabaseConnection,
    brand_id: i64,
    member_id: i64,
    (principal, bonus): (Fen, Fen),
    now: i64,
) {
    let tx = begin_write(db).await.expect("tx");
    let funds = ledger::lock_member(&tx, brand_id, member_id, now)
        .await
        .expect("accounts");
    let expense = ledger::account_id(&tx, brand_id, Kind::PromotionExpense, 0, now)
        .await
        .expect("account");
    ledger::post(
        &tx,
        Entry {
            brand_id,
            kind: EntryKind::Adjustment,
            op_ref: format!("member-{member_id}-{now}"),
            store_id: None,
            member_id: Some(member_id),
            member_delta: principal + bonus,
            member_balance_after: Some(principal + bonus),
            actor: "test".into(),
            business_date: "2026-12-02".into(),
            at: now,
            lines: vec![
                Line::fen(expense, -(principal + bonus)),
                Line::fen(funds.principal_account, principal),
                Line::fen(funds.bonus_account, bonus),
            ],
        },
    )
    .await
    .expect("grant");
    tx.commit().await.expect("commit");
}

/// Puts `earned` in a store's wallet (from HQ's bank clearing).
pub async fn grant_store(
    db: &DatabaseConnection,
    brand_id: i64,
    store_id: i64,
    earned: Fen,
    now: i64,
) {
    let tx = begin_write(db).await.expect("tx");
    let wallet = ledger::account_id(&tx, brand_id, Kind::StoreWallet, store_id, now)
        .await
        .expect("account");
    let bank = ledger::account_id(&tx, brand_id, Kind::HqBankClearing, 0, now)
        .await
        .expect("account");
    ledger::post(
        &tx,
        Entry {
            brand_id,
            kind: EntryKind::Adjustment,
            op_ref: format!("store-{store_id}-{now}"),
            store_id: Some(store_id),
            member_id: None,
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: "test".into(),
            business_date: "2026-12-02".into(),
            at: now,
            lines: vec![Line::fen(bank, -earned), Line::fen(wallet, earned)],
        },
    )
    .await
    .expect("earned");
    tx.commit().await.expect("commit");
}

/// The code of a refusal (a panic if it was not one).
pub fn code(e: AppError) -> ErrorCode {
    match e {
        AppError::Api { code, .. } => code,
        other => panic!("not a refusal: {other:?}"),
    }
}
