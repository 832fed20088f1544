//! API keys for machines: scoped like a staff account, shown once, stored
//! hashed, revoked at once, every use in the audit log as the key.

use crate::helpers::*;
use shared::ErrorCode;
use shared::dto::{
    ApiKeyCreated, ApiKeyInput, ApiKeyView, AuditAction, AuditEntry, Page, ReceiptFeed,
    RegionInput, Role, StaffView, WalletView,
};
use std::time::Duration;

async fn new_key(
    app: &TestApp,
    admin: &str,
    name: &str,
    role: Role,
    store_id: Option<i64>,
) -> ApiKeyCreated {
    app.post("/api/hq/api-keys")
        .token(admin)
        .json(&ApiKeyInput {
            name: name.into(),
            role,
            region_id: None,
            store_id,
        })
        .send()
        .await
        .status(201)
        .ok()
}

dual_test!(
    a_key_acts_with_its_role_and_stores_and_never_more,
    |app| async move {
        let admin = app.login_admin().await;
        let region = app.create_region(&admin, "华东").await;
        let a = app.create_store(&admin, region.id, "甲店").await;
        let b = app.create_store(&admin, region.id, "乙店").await;
        let till = new_key(&app, &admin, "收银机", Role::StoreManager, Some(a.id)).await;
        assert!(till.secret.starts_with("tk_") && till.secret.len() > 40);
        assert!(till.secret.starts_with(&till.key.prefix));
        assert_eq!(
            (
                till.key.role,
                till.key.store_id,
                till.key.scope_name.as_deref()
            ),
            (Role::StoreManager, Some(a.id), Some("甲店"))
        );
        let key = till.secret.as_str();

        // Its store: yes. Another store: does not exist. HQ's pages: no.
        let w: WalletView = app
            .get(&format!("/api/staff/stores/{}/wallet", a.id))
            .token(key)
            .send()
            .await
            .ok();
        assert_eq!(w.store_id, a.id);
        app.get(&format!("/api/staff/stores/{}/wallet", b.id))
            .token(key)
            .send()
            .await
            .error(404, ErrorCode::NotFound);
        app.get("/api/hq/members")
            .token(key)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        app.post("/api/hq/regions")
            .token(key)
            .json(&RegionInput {
                name: "西区".into(),
            })
            .send()
            .await
            .error(403, ErrorCode::Forbidden);

        // A clerk's key cannot see the wallet a clerk cannot.
        let clerk = new_key(&app, &admin, "点单屏", Role::Clerk, Some(a.id)).await;
        app.get(&format!("/api/staff/stores/{}/wallet", a.id))
            .token(&clerk.secret)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);

        // Even an HQ admin key cannot make keys or change a password.
        let erp = new_key(&app, &admin, "ERP", Role::HqAdmin, None).await;
        app.post("/api/hq/api-keys")
            .token(&erp.secret)
            .json(&ApiKeyInput {
                name: "more".into(),
                role: Role::HqAdmin,
                region_id: None,
                store_id: None,
            })
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        app.post("/api/staff/password")
            .token(&erp.secret)
            .json(&serde_json::json!({ "current": "x", "new": "abcdef12" }))
            .send()
            .await
            .error(403, ErrorCode::Forbidden);

        // Keys are not staff: no list shows them, nobody edits them there.
        let staff: Vec<StaffView> = app.get("/api/hq/staff").token(&admin).send().await.ok();
        assert!(
            staff.iter().all(|s| !s.name.contains("API key")),
            "{staff:?}"
        );

        // The list never shows a secret; a store manager cannot read it.
        let keys: Vec<ApiKeyView> = app.get("/api/hq/api-keys").token(&admin).send().await.ok();
        assert_eq!(keys.len(), 3);
        let listed = serde_json::to_string(&keys).expect("json");
        for k in [&till, &clerk, &erp] {
            assert!(!listed.contains(&k.secret), "a secret is listed");
        }
        app.get("/api/hq/api-keys")
            .token(key)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        // Bad scope: a store key without a store.
        app.post("/api/hq/api-keys")
            .token(&admin)
            .json(&ApiKeyInput {
                name: "x".into(),
                role: Role::Clerk,
                region_id: None,
                store_id: None,
            })
            .send()
            .await
            .invalid("store_id");
    }
);

dual_test!(
    a_revoked_key_stops_at_once_even_in_a_request_already_waiting,
    |app| async move {
        let admin = app.login_admin().await;
        let region = app.create_region(&admin, "华东").await;
        let a = app.create_store(&admin, region.id, "甲店").await;
        let till = new_key(&app, &admin, "收银机", Role::Clerk, Some(a.id)).await;
        let feed: ReceiptFeed = app
            .get("/api/staff/receipts/wait")
            .token(&till.secret)
            .send()
            .await
            .ok();
        assert!(feed.items.is_empty());

        // The till waits for receipts (nothing comes); HQ revokes its key.
        let waiting = {
            let req = app
                .get("/api/staff/receipts/wait?after=0&timeout=20")
                .token(&till.secret);
            tokio::spawn(async move { req.send().await })
        };
        tokio::time::sleep(Duration::from_millis(800)).await;
        let revoked: ApiKeyView = app
            .post(&format!("/api/hq/api-keys/{}/revoke", till.key.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(revoked.revoked_at.is_some() && revoked.last_used_at.is_some());
        let started = std::time::Instant::now();
        let answer = tokio::time::timeout(Duration::from_secs(10), waiting)
            .await
            .expect("the waiting request ended before its own timeout")
            .expect("task");
        answer.error(401, ErrorCode::Unauthenticated);
        assert!(started.elapsed() < Duration::from_secs(5));

        // And every request after.
        app.get("/api/staff/receipts/wait")
            .token(&till.secret)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        // Revoking twice changes nothing.
        let again: ApiKeyView = app
            .post(&format!("/api/hq/api-keys/{}/revoke", till.key.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert_eq!(again.revoked_at, revoked.revoked_at);
    }
);

dual_test!(
    a_key_of_one_brand_finds_nothing_of_another,
    |app| async move {
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        let other_region = other.create_region(&other_admin, "华北").await;
        let theirs = other
            .create_store(&other_admin, other_region.id, "北京店")
            .await;
        let admin = app.login_admin().await;
        let erp = new_key(&app, &admin, "ERP", Role::HqAdmin, None).await;
        for path in [
            format!("/api/hq/stores/{}", theirs.id),
            format!("/api/staff/stores/{}/wallet", theirs.id),
        ] {
            app.get(&path)
                .token(&erp.secret)
                .send()
                .await
                .error(404, ErrorCode::NotFound);
        }
        // Nor can the other brand's HQ revoke it.
        other
            .post(&format!("/api/hq/api-keys/{}/revoke", erp.key.id))
            .token(&other_admin)
            .send()
            .await
            .error(404, ErrorCode::NotFound);
    }
);

dual_test!(
    every_use_of_a_key_is_in_the_audit_log_as_the_key,
    |app| async move {
        let admin = app.login_admin().await;
        let erp = new_key(&app, &admin, "ERP", Role::HqAdmin, None).await;
        app.get("/api/hq/stores")
            .token(&erp.secret)
            .send()
            .await
            .status(200);
        let region = app.create_region(&erp.secret, "华南").await;
        let log: Page<AuditEntry> = app.get("/api/hq/audit").token(&admin).send().await.ok();
        let by_key: Vec<&AuditEntry> = log
            .items
            .iter()
            .filter(|e| {
                e.actor
                    .as_deref()
                    .is_some_and(|a| a.contains("ERP") && a.contains(&erp.key.prefix))
            })
            .collect();
        let has = |action: AuditAction, target: &str| {
            by_key
                .iter()
                .any(|e| e.action == action && e.target.contains(target))
        };
        assert!(has(AuditAction::ApiKeyUse, "GET /api/hq/stores"), "{log:?}");
        assert!(
            has(AuditAction::ApiKeyUse, "POST /api/hq/regions"),
            "{log:?}"
        );
        assert!(has(AuditAction::RegionCreate, &region.name), "{log:?}");
        assert!(
            log.items.iter().any(
                |e| e.action == AuditAction::ApiKeyCreate && e.target.contains(&erp.key.prefix)
            ),
            "{log:?}"
        );
    }
);
