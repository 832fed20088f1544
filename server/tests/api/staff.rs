//! Staff log in with account and password; HQ manages accounts, and taking an
//! account's rights away takes effect at once.

use crate::helpers::*;
use shared::ErrorCode;
use shared::dto::{
    PasswordChange, PasswordReset, Role, StaffSession, StaffUpdate, StaffView, StoreView,
};

/// A brand with one store and a clerk in it: (admin token, store, clerk).
async fn store_with_clerk(app: &TestApp) -> (String, StoreView, StaffView) {
    let admin = app.login_admin().await;
    let region = app.create_region(&admin, "华东区").await;
    let store = app.create_store(&admin, region.id, "南京西路店").await;
    let clerk = app
        .create_staff(&admin, "clerk.liu", Role::Clerk, None, Some(store.id))
        .await;
    (admin, store, clerk)
}

dual_test!(
    wrong_password_and_unknown_account_look_the_same,
    |app| async move {
        let wrong = app
            .staff_login(ADMIN_ACCOUNT, "Wrong1234")
            .await
            .error(401, ErrorCode::WrongCredentials);
        let unknown = app
            .staff_login("nobody", ADMIN_PASSWORD)
            .await
            .error(401, ErrorCode::WrongCredentials);
        let unreadable = app
            .staff_login("No Such!", ADMIN_PASSWORD)
            .await
            .error(401, ErrorCode::WrongCredentials);
        assert_eq!(wrong, unknown, "no hint which of the two was wrong");
        assert_eq!(wrong, unreadable);

        let session: StaffSession = app.staff_login(" ADMIN ", ADMIN_PASSWORD).await.ok();
        assert_eq!(
            session.staff.role,
            Role::HqAdmin,
            "accounts are not case-sensitive"
        );
        assert_eq!(session.brand.slug, app.slug);
        let me: StaffSession = app
            .get("/api/staff/me")
            .token(&session.token)
            .send()
            .await
            .ok();
        assert_eq!(me.staff, session.staff);

        app.post("/api/brands/no-such-brand/staff/login")
            .json(&shared::dto::StaffLoginRequest {
                account: ADMIN_ACCOUNT.into(),
                password: ADMIN_PASSWORD.into(),
            })
            .send()
            .await
            .error(404, ErrorCode::BrandNotFound);

        app.post("/api/staff/logout")
            .token(&session.token)
            .send()
            .await
            .status(204);
        app.get("/api/staff/me")
            .token(&session.token)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
    }
);

dual_test!(a_clerk_works_the_counter_not_hq, |app| async move {
    let (_, store, clerk) = store_with_clerk(&app).await;
    assert_eq!(
        (clerk.role, clerk.store_id, clerk.scope_name.as_deref()),
        (Role::Clerk, Some(store.id), Some("南京西路店"))
    );

    let session: StaffSession = app.staff_login("clerk.liu", STAFF_PASSWORD).await.ok();
    assert_eq!(session.staff.id, clerk.id);
    let token = session.token;

    for path in [
        "/api/hq/regions",
        "/api/hq/members",
        "/api/hq/audit",
        "/api/hq/staff",
    ] {
        app.get(path)
            .token(&token)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
    }
    app.post("/api/hq/stores")
        .token(&token)
        .json(&store_input("二号店", store.region_id))
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    app.post("/api/hq/regions")
        .token(&token)
        .json(&serde_json::json!({ "name": "华北区" }))
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    app.put(&format!("/api/hq/stores/{}", store.id))
        .token(&token)
        .json(&store_input("改名", store.region_id))
        .send()
        .await
        .error(403, ErrorCode::Forbidden);

    // Their own store is readable.
    let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&token).send().await.ok();
    assert_eq!(stores, vec![store.clone()]);
    app.get(&format!("/api/hq/stores/{}", store.id))
        .token(&token)
        .send()
        .await
        .ok::<StoreView>();
});

dual_test!(
    deactivating_a_clerk_ends_their_sessions_at_once,
    |app| async move {
        let (admin, _, clerk) = store_with_clerk(&app).await;
        let token = app.staff_token("clerk.liu", STAFF_PASSWORD).await;
        app.get("/api/staff/me")
            .token(&token)
            .send()
            .await
            .ok::<StaffSession>();

        let off: StaffView = app
            .post(&format!("/api/hq/staff/{}/deactivate", clerk.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(!off.active);
        app.get("/api/staff/me")
            .token(&token)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        app.get("/api/hq/stores")
            .token(&token)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        app.staff_login("clerk.liu", STAFF_PASSWORD)
            .await
            .error(403, ErrorCode::AccountDeactivated);
        app.staff_login("clerk.liu", "Wrong1234")
            .await
            .error(401, ErrorCode::WrongCredentials);

        let on: StaffView = app
            .post(&format!("/api/hq/staff/{}/activate", clerk.id))
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(on.active);
        app.get("/api/staff/me")
            .token(&token)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        app.staff_login("clerk.liu", STAFF_PASSWORD)
            .await
            .ok::<StaffSession>();
    }
);

dual_test!(an_admin_cannot_lock_themselves_out, |app| async move {
    let session: StaffSession = app.staff_login(ADMIN_ACCOUNT, ADMIN_PASSWORD).await.ok();
    let path = format!("/api/hq/staff/{}/deactivate", session.staff.id);
    app.post(&path)
        .token(&session.token)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    app.get("/api/staff/me")
        .token(&session.token)
        .send()
        .await
        .ok::<StaffSession>();
});

dual_test!(
    a_password_reset_ends_the_clerks_sessions,
    |app| async move {
        let (admin, _, clerk) = store_with_clerk(&app).await;
        let token = app.staff_token("clerk.liu", STAFF_PASSWORD).await;
        let path = format!("/api/hq/staff/{}/reset-password", clerk.id);

        app.post(&path)
            .token(&admin)
            .json(&PasswordReset {
                password: "short1".into(),
            })
            .send()
            .await
            .invalid("password");
        app.get("/api/staff/me")
            .token(&token)
            .send()
            .await
            .ok::<StaffSession>();

        app.post(&path)
            .token(&admin)
            .json(&PasswordReset {
                password: "NewPass123".into(),
            })
            .send()
            .await
            .ok::<StaffView>();
        app.get("/api/staff/me")
            .token(&token)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        app.staff_login("clerk.liu", STAFF_PASSWORD)
            .await
            .error(401, ErrorCode::WrongCredentials);
        app.staff_login("clerk.liu", "NewPass123")
            .await
            .ok::<StaffSession>();
    }
);

dual_test!(
    changing_ones_password_ends_the_other_sessions,
    |app| async move {
        store_with_clerk(&app).await;
        let phone_app = app.staff_token("clerk.liu", STAFF_PASSWORD).await;
        let counter = app.staff_token("clerk.liu", STAFF_PASSWORD).await;

        let wrong = PasswordChange {
            current: "Wrong1234".into(),
            new: "Better123".into(),
        };
        app.post("/api/staff/password")
            .token(&phone_app)
            .json(&wrong)
            .send()
            .await
            .error(422, ErrorCode::WrongCurrentPassword);
        let weak = PasswordChange {
            current: STAFF_PASSWORD.into(),
            new: "letters".into(),
        };
        app.post("/api/staff/password")
            .token(&phone_app)
            .json(&weak)
            .send()
            .await
            .invalid("password");
        app.get("/api/staff/me")
            .token(&counter)
            .send()
            .await
            .ok::<StaffSession>();

        let change = PasswordChange {
            current: STAFF_PASSWORD.into(),
            new: "Better123".into(),
        };
        let fresh: StaffSession = app
            .post("/api/staff/password")
            .token(&phone_app)
            .json(&change)
            .send()
            .await
            .ok();
        assert!(!fresh.token.is_empty());
        app.get("/api/staff/me")
            .token(&counter)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        app.get("/api/staff/me")
            .token(&phone_app)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        let me: StaffSession = app
            .get("/api/staff/me")
            .token(&fresh.token)
            .send()
            .await
            .ok();
        assert_eq!(
            me.staff.account, "clerk.liu",
            "the returned token keeps the caller logged in"
        );

        app.staff_login("clerk.liu", STAFF_PASSWORD)
            .await
            .error(401, ErrorCode::WrongCredentials);
        app.staff_login("clerk.liu", "Better123")
            .await
            .ok::<StaffSession>();
    }
);

dual_test!(account_names_are_unique_per_brand, |app| async move {
    let (admin, store, _) = store_with_clerk(&app).await;
    let again = staff_create("Clerk.Liu", Role::Clerk, None, Some(store.id));
    let error = app
        .post("/api/hq/staff")
        .token(&admin)
        .json(&again)
        .send()
        .await
        .error(409, ErrorCode::AlreadyExists);
    assert_eq!(
        error.params.get("field").map(String::as_str),
        Some("account")
    );

    let no_store = staff_create("clerk.wang", Role::Clerk, None, None);
    app.post("/api/hq/staff")
        .token(&admin)
        .json(&no_store)
        .send()
        .await
        .invalid("store_id");
    let no_region = staff_create("east.boss", Role::RegionManager, None, None);
    app.post("/api/hq/staff")
        .token(&admin)
        .json(&no_region)
        .send()
        .await
        .invalid("region_id");
});

dual_test!(a_new_role_or_scope_takes_effect_at_once, |app| async move {
    let (admin, store, clerk) = store_with_clerk(&app).await;
    let second = app.create_store(&admin, store.region_id, "徐家汇店").await;
    let token = app.staff_token("clerk.liu", STAFF_PASSWORD).await;
    let path = format!("/api/hq/staff/{}", clerk.id);

    // A new name alone keeps the clerk logged in.
    let renamed = StaffUpdate {
        name: "刘小妹".into(),
        role: Role::Clerk,
        region_id: None,
        store_id: Some(store.id),
    };
    let saved: StaffView = app
        .put(&path)
        .token(&admin)
        .json(&renamed)
        .send()
        .await
        .ok();
    assert_eq!(saved.name, "刘小妹");
    app.get("/api/staff/me")
        .token(&token)
        .send()
        .await
        .ok::<StaffSession>();

    // Another store ends the session that carried the old one.
    let moved = StaffUpdate {
        store_id: Some(second.id),
        ..renamed.clone()
    };
    let saved: StaffView = app.put(&path).token(&admin).json(&moved).send().await.ok();
    assert_eq!(
        (saved.store_id, saved.scope_name.as_deref()),
        (Some(second.id), Some("徐家汇店"))
    );
    app.get("/api/staff/me")
        .token(&token)
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
    let token = app.staff_token("clerk.liu", STAFF_PASSWORD).await;
    let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&token).send().await.ok();
    assert_eq!(
        stores.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![second.id]
    );

    // A store manager cannot promote their clerk.
    app.create_staff(
        &admin,
        "manager.chen",
        Role::StoreManager,
        None,
        Some(second.id),
    )
    .await;
    let manager = app.staff_token("manager.chen", STAFF_PASSWORD).await;
    let promoted = StaffUpdate {
        role: Role::StoreManager,
        ..moved.clone()
    };
    app.put(&path)
        .token(&manager)
        .json(&promoted)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let elsewhere = StaffUpdate {
        store_id: Some(store.id),
        ..moved
    };
    app.put(&path)
        .token(&manager)
        .json(&elsewhere)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    app.get("/api/staff/me")
        .token(&token)
        .send()
        .await
        .ok::<StaffSession>();
});
