//! Regions and stores, and the brand's one default store.

use crate::helpers::*;
use serde_json::json;
use shared::ErrorCode;
use shared::dto::{RegionView, StoreInput, StoreView};

async fn stores(app: &TestApp, token: &str) -> Vec<StoreView> {
    app.get("/api/hq/stores").token(token).send().await.ok()
}

fn defaults(stores: &[StoreView]) -> Vec<i64> {
    stores
        .iter()
        .filter(|s| s.is_default)
        .map(|s| s.id)
        .collect()
}

dual_test!(
    there_is_always_exactly_one_default_store,
    |app| async move {
        let admin = app.login_admin().await;
        let region = app.create_region(&admin, "华东区").await;
        let first = app.create_store(&admin, region.id, "一号店").await;
        let second = app.create_store(&admin, region.id, "二号店").await;
        let third = app.create_store(&admin, region.id, "三号店").await;
        assert!(first.is_default, "the first store becomes the default");
        assert!(!second.is_default && !third.is_default);
        assert_eq!(first.region_name, "华东区");

        let moved: StoreView = app
            .post(&format!("/api/hq/stores/{}/make-default", second.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(moved.is_default);
        assert_eq!(defaults(&stores(&app, &admin).await), vec![second.id]);
        // Doing it twice changes nothing.
        app.post(&format!("/api/hq/stores/{}/make-default", second.id))
            .token(&admin)
            .send()
            .await
            .ok::<StoreView>();
        assert_eq!(defaults(&stores(&app, &admin).await), vec![second.id]);

        // New members join the default store.
        let member = app.member_session(&random_phone()).await.member;
        assert_eq!(member.home_store.as_deref(), Some("二号店"));

        // The default cannot close; another store can, and a closed store cannot become the default.
        let close = |s: &StoreView| StoreInput {
            active: false,
            ..store_input(&s.name, s.region_id)
        };
        app.put(&format!("/api/hq/stores/{}", second.id))
            .token(&admin)
            .json(&close(&second))
            .send()
            .await
            .error(409, ErrorCode::DefaultStoreClosed);
        let closed: StoreView = app
            .put(&format!("/api/hq/stores/{}", first.id))
            .token(&admin)
            .json(&close(&first))
            .send()
            .await
            .ok();
        assert!(!closed.active);
        let error = app
            .post(&format!("/api/hq/stores/{}/make-default", first.id))
            .token(&admin)
            .send()
            .await
            .invalid("store_id");
        assert_eq!(
            error.params.get("reason").map(String::as_str),
            Some("store_closed")
        );

        let now = stores(&app, &admin).await;
        assert_eq!(defaults(&now), vec![second.id]);
        assert!(
            now.iter()
                .find(|s| s.id == second.id)
                .is_some_and(|s| s.active),
            "the default store stays open"
        );
    }
);

dual_test!(names_are_unique_within_a_brand, |app| async move {
    let admin = app.login_admin().await;
    let region = app.create_region(&admin, "华东区").await;
    app.create_store(&admin, region.id, "一号店").await;

    let error = app
        .post("/api/hq/stores")
        .token(&admin)
        .json(&store_input("一号店", region.id))
        .send()
        .await
        .error(409, ErrorCode::AlreadyExists);
    assert_eq!(error.params.get("field").map(String::as_str), Some("name"));
    let error = app
        .post("/api/hq/regions")
        .token(&admin)
        .json(&json!({ "name": "华东区" }))
        .send()
        .await
        .error(409, ErrorCode::AlreadyExists);
    assert_eq!(error.params.get("field").map(String::as_str), Some("name"));
    assert_eq!(stores(&app, &admin).await.len(), 1);

    // Renaming into a taken name is refused too.
    let second = app.create_store(&admin, region.id, "二号店").await;
    let rename = store_input("一号店", region.id);
    app.put(&format!("/api/hq/stores/{}", second.id))
        .token(&admin)
        .json(&rename)
        .send()
        .await
        .error(409, ErrorCode::AlreadyExists);
    let south = app.create_region(&admin, "华南区").await;
    app.put(&format!("/api/hq/regions/{}", south.id))
        .token(&admin)
        .json(&json!({ "name": "华东区" }))
        .send()
        .await
        .error(409, ErrorCode::AlreadyExists);
    let renamed: RegionView = app
        .put(&format!("/api/hq/regions/{}", south.id))
        .token(&admin)
        .json(&json!({ "name": "华南大区" }))
        .send()
        .await
        .ok();
    assert_eq!(renamed.name, "华南大区");

    // Another brand may use the same names.
    let other = app.other_brand().await;
    let other_admin = other.login_admin().await;
    let their_region = other.create_region(&other_admin, "华东区").await;
    other
        .create_store(&other_admin, their_region.id, "一号店")
        .await;
});

dual_test!(a_store_needs_a_region_and_valid_details, |app| async move {
    let admin = app.login_admin().await;
    let region = app.create_region(&admin, "华东区").await;

    let error = app
        .post("/api/hq/stores")
        .token(&admin)
        .json(&store_input("一号店", region.id + 100_000))
        .send()
        .await
        .invalid("region_id");
    assert_eq!(
        error.params.get("reason").map(String::as_str),
        Some("unknown")
    );
    for (input, field) in [
        (
            StoreInput {
                name: "  ".into(),
                ..store_input("x", region.id)
            },
            "name",
        ),
        (
            StoreInput {
                phone: "call us".into(),
                ..store_input("一号店", region.id)
            },
            "phone",
        ),
        (
            StoreInput {
                address: String::new(),
                ..store_input("一号店", region.id)
            },
            "address",
        ),
        (
            StoreInput {
                hours: String::new(),
                ..store_input("一号店", region.id)
            },
            "hours",
        ),
    ] {
        app.post("/api/hq/stores")
            .token(&admin)
            .json(&input)
            .send()
            .await
            .invalid(field);
    }
    app.post("/api/hq/regions")
        .token(&admin)
        .json(&json!({ "name": "" }))
        .send()
        .await
        .invalid("name");
    assert!(stores(&app, &admin).await.is_empty(), "nothing was created");

    // Moving a store to an unknown region is refused as well.
    let store = app.create_store(&admin, region.id, "一号店").await;
    let moved = store_input("一号店", region.id + 100_000);
    app.put(&format!("/api/hq/stores/{}", store.id))
        .token(&admin)
        .json(&moved)
        .send()
        .await
        .invalid("region_id");
});

dual_test!(
    only_an_empty_region_is_deleted_by_hq_admin_and_audited,
    |app| async move {
        let admin = app.login_admin().await;
        let east = app.create_region(&admin, "华东区").await;
        let empty = app.create_region(&admin, "西北区").await;
        let managed = app.create_region(&admin, "华南区").await;
        app.create_store(&admin, east.id, "南京西路店").await;
        app.create_staff(
            &admin,
            "south.boss",
            shared::dto::Role::RegionManager,
            Some(managed.id),
            None,
        )
        .await;
        let delete = |id: i64, token: String| {
            let app = app.clone();
            async move {
                app.request(reqwest::Method::DELETE, &format!("/api/hq/regions/{id}"))
                    .token(&token)
                    .send()
                    .await
            }
        };
        // A region with a store, or with its manager, stays, and says why.
        let e = delete(east.id, admin.clone())
            .await
            .error(409, ErrorCode::RegionNotEmpty);
        assert_eq!(
            e.message,
            "这个区域还有 1 家门店、0 位区域经理，移走后才能删除"
        );
        delete(managed.id, admin.clone())
            .await
            .error(409, ErrorCode::RegionNotEmpty);
        // Only HQ admin deletes.
        app.create_staff(&admin, "finance", shared::dto::Role::HqFinance, None, None)
            .await;
        let finance = app.staff_token("finance", STAFF_PASSWORD).await;
        delete(empty.id, finance)
            .await
            .error(403, ErrorCode::Forbidden);
        // An empty one goes, once.
        delete(empty.id, admin.clone()).await.status(204);
        delete(empty.id, admin.clone())
            .await
            .error(404, ErrorCode::NotFound);
        let left: Vec<RegionView> = app.get("/api/hq/regions").token(&admin).send().await.ok();
        let names: Vec<&str> = left.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert!(!names.contains(&"西北区"));
        let audit: shared::dto::Page<shared::dto::AuditEntry> =
            app.get("/api/hq/audit").token(&admin).send().await.ok();
        assert_eq!(
            audit.items[0].action,
            shared::dto::AuditAction::RegionDelete
        );
        assert!(audit.items[0].target.contains("西北区"));
    }
);
