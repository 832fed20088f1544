//! The chain's services on a real SQLite database, without an HTTP server:
//! the demo brand's regions and stores shaped and read by its staff.

use super::{regions, stores};
use crate::entity::{audit_log, region};
use crate::state::AppState;
use crate::testing::{self, actor, code};
use sea_orm::{EntityTrait, QueryOrder};
use shared::ErrorCode;
use shared::dto::{RegionInput, StoreInput, StoreView};

/// A fresh database with the demo brand ([`testing::demo`]).
async fn demo() -> AppState {
    testing::demo().await.state
}

/// The demo brand's regions, in order.
async fn region_ids(state: &AppState) -> Vec<i64> {
    region::Entity::find()
        .order_by_asc(region::Column::Id)
        .all(&state.db)
        .await
        .expect("regions")
        .into_iter()
        .map(|r| r.id)
        .collect()
}

fn input(s: &StoreView) -> StoreInput {
    StoreInput {
        name: s.name.clone(),
        region_id: s.region_id,
        address: s.address.clone(),
        phone: s.phone.clone(),
        hours: s.hours.clone(),
        active: s.active,
    }
}

#[tokio::test]
async fn each_role_sees_the_stores_of_its_scope() {
    let state = demo().await;
    let hq = actor(&state, "admin").await;
    let east = actor(&state, "east").await;
    let clerk = actor(&state, "clerk").await;
    let all = stores::list(&state, &hq).await.expect("hq list");
    assert_eq!(all.len(), 3);
    let mine = stores::list(&state, &east).await.expect("east list");
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|s| s.region_name == "华东区"));
    let own = stores::list(&state, &clerk).await.expect("clerk list");
    assert_eq!(own.len(), 1);
    assert_eq!(Some(own[0].id), clerk.store_id);
    // A store outside the scope does not exist for them.
    let south = all.iter().find(|s| s.name == "天河城店").expect("south");
    let refused = stores::get(&state, &east, south.id).await.expect_err("404");
    assert_eq!(code(refused), ErrorCode::NotFound);
    let regions = regions::list(&state, &east).await.expect("regions");
    assert_eq!(regions.len(), 1);
    assert_eq!(
        (regions[0].name.as_str(), regions[0].store_count),
        ("华东区", 2)
    );
}

#[tokio::test]
async fn hq_opens_moves_and_makes_default_and_the_store_manager_only_edits() {
    let state = demo().await;
    let hq = actor(&state, "admin").await;
    let manager = actor(&state, "manager").await;
    let [east, south] = region_ids(&state).await[..] else {
        panic!("two regions")
    };
    let mut req = StoreInput {
        name: "五角场店".into(),
        region_id: east,
        address: "上海市杨浦区淞沪路 1 号".into(),
        phone: "021-6500-1004".into(),
        hours: "10:00-22:00".into(),
        active: false,
    };
    let opened = stores::create(&state, &hq, req.clone())
        .await
        .expect("created");
    assert!(!opened.active && !opened.is_default);
    // Same name again: already exists.
    let twice = stores::create(&state, &hq, req.clone())
        .await
        .expect_err("409");
    assert_eq!(code(twice), ErrorCode::AlreadyExists);
    req.region_id = south;
    req.active = true;
    let moved = stores::update(&state, &hq, opened.id, req)
        .await
        .expect("moved");
    assert_eq!((moved.region_name.as_str(), moved.active), ("华南区", true));
    let default = stores::make_default(&state, &hq, moved.id)
        .await
        .expect("default");
    assert!(default.is_default);
    let all = stores::list(&state, &hq).await.expect("list");
    assert_eq!(all.iter().filter(|s| s.is_default).count(), 1);
    // The default store cannot close.
    let mut closing = input(&default);
    closing.active = false;
    let refused = stores::update(&state, &hq, default.id, closing)
        .await
        .expect_err("409");
    assert_eq!(code(refused), ErrorCode::DefaultStoreClosed);
    // The store manager edits their store's details, but never closes it.
    let own_id = manager.store_id.expect("store");
    let own = stores::get(&state, &manager, own_id).await.expect("own");
    let mut edit = input(&own);
    edit.hours = "09:00-21:00".into();
    let edited = stores::update(&state, &manager, own_id, edit.clone())
        .await
        .expect("edit");
    assert_eq!(edited.hours, "09:00-21:00");
    edit.active = false;
    let refused = stores::update(&state, &manager, own_id, edit)
        .await
        .expect_err("403");
    assert_eq!(code(refused), ErrorCode::Forbidden);
    let actions: Vec<String> = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Id)
        .all(&state.db)
        .await
        .expect("audit")
        .into_iter()
        .map(|a| a.action)
        .filter(|a| a.starts_with("store."))
        .collect();
    assert_eq!(
        actions,
        [
            "store.create",
            "store.update",
            "store.make_default",
            "store.update"
        ]
    );
}

#[tokio::test]
async fn regions_are_created_and_renamed_once_per_name() {
    let state = demo().await;
    let hq = actor(&state, "admin").await;
    let name = |n: &str| RegionInput { name: n.into() };
    let north = regions::create(&state, &hq, name("华北区"))
        .await
        .expect("created");
    assert_eq!(north.store_count, 0);
    let taken = regions::rename(&state, &hq, north.id, name("华东区"))
        .await
        .expect_err("409");
    assert_eq!(code(taken), ErrorCode::AlreadyExists);
    let renamed = regions::rename(&state, &hq, north.id, name("西北区"))
        .await
        .expect("renamed");
    assert_eq!(renamed.name, "西北区");
    let unknown = regions::rename(&state, &hq, 9_999, name("东北区"))
        .await
        .expect_err("404");
    assert_eq!(code(unknown), ErrorCode::NotFound);
}
