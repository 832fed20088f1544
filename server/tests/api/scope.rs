//! Region and store staff see and change only their part of the chain; the
//! server checks it on every request.

use crate::helpers::*;
use sea_orm::{ActiveModelTrait, Set};
use shared::ErrorCode;
use shared::dto::{MemberListItem, Page, RegionView, Role, StaffView, StoreInput, StoreView};
use tongka_server::entity::member;

/// Two regions: east with two stores, south with one.
struct Chain {
    admin: String,
    east: RegionView,
    south: RegionView,
    east_one: StoreView,
    east_two: StoreView,
    south_one: StoreView,
}

async fn chain(app: &TestApp) -> Chain {
    let admin = app.login_admin().await;
    let east = app.create_region(&admin, "华东区").await;
    let south = app.create_region(&admin, "华南区").await;
    let east_one = app.create_store(&admin, east.id, "南京西路店").await;
    let east_two = app.create_store(&admin, east.id, "徐家汇店").await;
    let south_one = app.create_store(&admin, south.id, "天河城店").await;
    Chain {
        admin,
        east,
        south,
        east_one,
        east_two,
        south_one,
    }
}

fn ids(stores: &[StoreView]) -> Vec<i64> {
    stores.iter().map(|s| s.id).collect()
}

dual_test!(a_region_manager_sees_their_region_only, |app| async move {
    let c = chain(&app).await;
    app.create_staff(
        &c.admin,
        "east.boss",
        Role::RegionManager,
        Some(c.east.id),
        None,
    )
    .await;
    let token = app.staff_token("east.boss", STAFF_PASSWORD).await;

    let regions: Vec<RegionView> = app.get("/api/hq/regions").token(&token).send().await.ok();
    assert_eq!(
        regions,
        vec![RegionView {
            id: c.east.id,
            name: "华东区".into(),
            store_count: 2
        }]
    );
    let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&token).send().await.ok();
    assert_eq!(ids(&stores), vec![c.east_one.id, c.east_two.id]);
    app.get(&format!("/api/hq/stores/{}", c.south_one.id))
        .token(&token)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.get(&format!("/api/hq/stores/{}", c.east_two.id))
        .token(&token)
        .send()
        .await
        .ok::<StoreView>();

    // Shaping the chain is HQ's.
    app.post("/api/hq/regions")
        .token(&token)
        .json(&serde_json::json!({ "name": "华北区" }))
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    app.post("/api/hq/stores")
        .token(&token)
        .json(&store_input("新店", c.east.id))
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let moved = StoreInput {
        region_id: c.south.id,
        ..store_input("徐家汇店", c.east.id)
    };
    app.put(&format!("/api/hq/stores/{}", c.east_two.id))
        .token(&token)
        .json(&moved)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let clerk = staff_create("east.clerk", Role::Clerk, None, Some(c.east_one.id));
    app.post("/api/hq/staff")
        .token(&token)
        .json(&clerk)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    app.get("/api/hq/audit")
        .token(&token)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);

    // Members: those whose home store is in the region, not the whole brand.
    let east_member = app.insert_member(&random_phone(), "东区会员").await;
    let south_member = app.insert_member(&random_phone(), "南区会员").await;
    let homeless = app.insert_member(&random_phone(), "无门店会员").await;
    for (m, store) in [
        (&east_member, c.east_one.id),
        (&south_member, c.south_one.id),
    ] {
        let mut am: member::ActiveModel = m.clone().into();
        am.home_store_id = Set(Some(store));
        am.update(&app.writer())
            .await
            .expect("setting the home store");
    }
    let page: Page<MemberListItem> = app.get("/api/hq/members").token(&token).send().await.ok();
    let seen: Vec<i64> = page.items.iter().map(|m| m.id).collect();
    assert_eq!(
        seen,
        vec![east_member.id],
        "only the east member, not {south_member:?} or {homeless:?}"
    );
    let all: Page<MemberListItem> = app.get("/api/hq/members").token(&c.admin).send().await.ok();
    assert_eq!(all.items.len(), 3, "HQ sees every member");
});

dual_test!(a_store_manager_manages_their_own_store, |app| async move {
    let c = chain(&app).await;
    // Their store is not the default one, so closing it would otherwise be allowed.
    let mine = c.east_two.clone();
    app.create_staff(
        &c.admin,
        "manager.chen",
        Role::StoreManager,
        None,
        Some(mine.id),
    )
    .await;
    let other_clerk = app
        .create_staff(
            &c.admin,
            "south.clerk",
            Role::Clerk,
            None,
            Some(c.south_one.id),
        )
        .await;
    let token = app.staff_token("manager.chen", STAFF_PASSWORD).await;

    let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&token).send().await.ok();
    assert_eq!(ids(&stores), vec![mine.id]);
    app.get(&format!("/api/hq/stores/{}", c.east_one.id))
        .token(&token)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.get("/api/hq/regions")
        .token(&token)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);

    // Clerks of their own store, and nothing else.
    let clerk: StaffView = app
        .post("/api/hq/staff")
        .token(&token)
        .json(&staff_create("xiao.liu", Role::Clerk, None, Some(mine.id)))
        .send()
        .await
        .ok();
    assert_eq!(clerk.store_id, Some(mine.id));
    let elsewhere = staff_create("xiao.wang", Role::Clerk, None, Some(c.south_one.id));
    app.post("/api/hq/staff")
        .token(&token)
        .json(&elsewhere)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let peer = staff_create("manager.two", Role::StoreManager, None, Some(mine.id));
    app.post("/api/hq/staff")
        .token(&token)
        .json(&peer)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let staff: Vec<StaffView> = app.get("/api/hq/staff").token(&token).send().await.ok();
    let accounts: Vec<&str> = staff.iter().map(|s| s.account.as_str()).collect();
    assert_eq!(accounts, vec!["manager.chen", "xiao.liu"]);
    app.post(&format!("/api/hq/staff/{}/deactivate", other_clerk.id))
        .token(&token)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.post(&format!("/api/hq/staff/{}/deactivate", clerk.id))
        .token(&token)
        .send()
        .await
        .ok::<StaffView>();

    // Phone and hours are theirs to keep current; region and opening are HQ's.
    let path = format!("/api/hq/stores/{}", mine.id);
    let moved = StoreInput {
        region_id: c.south.id,
        ..store_input(&mine.name, mine.region_id)
    };
    app.put(&path)
        .token(&token)
        .json(&moved)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let closed = StoreInput {
        active: false,
        ..store_input(&mine.name, mine.region_id)
    };
    app.put(&path)
        .token(&token)
        .json(&closed)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let untouched: StoreView = app.get(&path).token(&token).send().await.ok();
    assert_eq!(untouched, mine);

    let edit = StoreInput {
        phone: "021-5555-0000".into(),
        hours: "08:00-23:00".into(),
        ..store_input(&mine.name, mine.region_id)
    };
    let saved: StoreView = app.put(&path).token(&token).json(&edit).send().await.ok();
    assert_eq!(
        (saved.phone.as_str(), saved.hours.as_str()),
        ("021-5555-0000", "08:00-23:00")
    );
    let read: StoreView = app.get(&path).token(&c.admin).send().await.ok();
    assert_eq!(read, saved);
    assert_eq!((read.region_id, read.active), (c.east.id, true));

    // Another store of the brand is out of reach.
    let theirs = format!("/api/hq/stores/{}", c.east_one.id);
    app.put(&theirs)
        .token(&token)
        .json(&store_input(&c.east_one.name, c.east.id))
        .send()
        .await
        .error(404, ErrorCode::NotFound);
});
