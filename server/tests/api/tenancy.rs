//! Brands are tenants: no token of one brand reaches another's data.

use crate::helpers::*;
use serde_json::json;
use shared::ErrorCode;
use shared::dto::{
    AuditEntry, MemberListItem, MemberProfile, MemberSession, Page, PasswordReset, RegionView,
    StaffView, StoreView,
};

dual_test!(
    one_phone_is_a_separate_member_of_each_brand,
    |app| async move {
        let other = app.other_brand().await;
        let phone = random_phone();

        let here = app.member_session(&phone).await;
        app.patch("/api/member/me")
            .token(&here.token)
            .json(&json!({ "name": "甲" }))
            .send()
            .await
            .ok::<MemberProfile>();
        app.advance_secs(61);
        let there = other.member_session(&phone).await;
        assert!(there.registered, "membership is per brand");
        assert_ne!(there.member.id, here.member.id);
        assert_eq!(
            there.member.name, "",
            "the other brand's profile is not shared"
        );

        let mine: MemberProfile = app
            .get("/api/member/me")
            .token(&here.token)
            .send()
            .await
            .ok();
        assert_eq!((mine.id, mine.name.as_str()), (here.member.id, "甲"));
        let theirs: MemberProfile = other
            .get("/api/member/me")
            .token(&there.token)
            .send()
            .await
            .ok();
        assert_eq!((theirs.id, theirs.name.as_str()), (there.member.id, ""));

        // Each brand's HQ sees its own member only.
        let admin = app.login_admin().await;
        let list: Page<MemberListItem> = app.get("/api/hq/members").token(&admin).send().await.ok();
        assert_eq!(
            list.items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![here.member.id]
        );
        let other_admin = other.login_admin().await;
        let list: Page<MemberListItem> = other
            .get("/api/hq/members")
            .token(&other_admin)
            .send()
            .await
            .ok();
        assert_eq!(
            list.items.iter().map(|m| m.id).collect::<Vec<_>>(),
            vec![there.member.id]
        );
    }
);

dual_test!(
    a_code_sent_for_one_brand_does_not_open_another,
    |app| async move {
        let other = app.other_brand().await;
        let phone = random_phone();
        let code = app.send_code(&phone).await;

        other
            .member_login_with(&phone, &code, true)
            .await
            .error(400, ErrorCode::SmsCodeExpired);
        let session: MemberSession = app.member_login_with(&phone, &code, true).await.ok();
        assert!(session.registered);
    }
);

dual_test!(member_and_staff_tokens_do_not_cross, |app| async move {
    let member = app.member_login(&random_phone()).await;
    let admin = app.login_admin().await;
    app.get("/api/hq/stores")
        .token(&member)
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
    app.get("/api/staff/me")
        .token(&member)
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
    app.get("/api/member/me")
        .token(&admin)
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
});

dual_test!(staff_see_and_touch_only_their_brand, |app| async move {
    let other = app.other_brand().await;
    let admin = app.login_admin().await;
    let other_admin = other.login_admin().await;

    let region = app.create_region(&admin, "华东区").await;
    let store = app.create_store(&admin, region.id, "本品牌店").await;
    let their_region = other.create_region(&other_admin, "华南区").await;
    let their_store = other
        .create_store(&other_admin, their_region.id, "他品牌店")
        .await;
    let their_member = other.member_session(&random_phone()).await.member;
    let their_clerk = other
        .create_staff(
            &other_admin,
            "their.clerk",
            shared::dto::Role::Clerk,
            None,
            Some(their_store.id),
        )
        .await;

    // Reading by id.
    app.get(&format!("/api/hq/stores/{}", their_store.id))
        .token(&admin)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    // Lists.
    let stores: Vec<StoreView> = app.get("/api/hq/stores").token(&admin).send().await.ok();
    assert_eq!(
        stores.iter().map(|s| s.id).collect::<Vec<_>>(),
        vec![store.id]
    );
    let regions: Vec<RegionView> = app.get("/api/hq/regions").token(&admin).send().await.ok();
    assert_eq!(
        regions.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![region.id]
    );
    let members: Page<MemberListItem> = app.get("/api/hq/members").token(&admin).send().await.ok();
    assert!(members.items.is_empty(), "{members:?}");
    let staff: Vec<StaffView> = app.get("/api/hq/staff").token(&admin).send().await.ok();
    assert_eq!(
        staff.iter().map(|s| s.account.as_str()).collect::<Vec<_>>(),
        vec![ADMIN_ACCOUNT]
    );
    let audit: Page<AuditEntry> = app.get("/api/hq/audit").token(&admin).send().await.ok();
    assert!(
        audit.items.iter().all(|e| !e.target.contains("他品牌店")),
        "{audit:?}"
    );

    // Writing.
    let edit = store_input("改名", their_region.id);
    app.put(&format!("/api/hq/stores/{}", their_store.id))
        .token(&admin)
        .json(&edit)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.post(&format!("/api/hq/stores/{}/make-default", their_store.id))
        .token(&admin)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.put(&format!("/api/hq/regions/{}", their_region.id))
        .token(&admin)
        .json(&json!({ "name": "占领" }))
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.post("/api/hq/stores")
        .token(&admin)
        .json(&store_input("越界店", their_region.id))
        .send()
        .await
        .invalid("region_id");
    app.post("/api/hq/staff")
        .token(&admin)
        .json(&staff_create(
            "sneaky",
            shared::dto::Role::Clerk,
            None,
            Some(their_store.id),
        ))
        .send()
        .await
        .invalid("store_id");
    app.post(&format!("/api/hq/members/{}/freeze", their_member.id))
        .token(&admin)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    let reset = PasswordReset {
        password: "Taken0ver1".into(),
    };
    app.post(&format!("/api/hq/staff/{}/reset-password", their_clerk.id))
        .token(&admin)
        .json(&reset)
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    app.post(&format!("/api/hq/staff/{}/deactivate", their_clerk.id))
        .token(&admin)
        .send()
        .await
        .error(404, ErrorCode::NotFound);

    // Nothing of theirs changed.
    let theirs: StoreView = other
        .get(&format!("/api/hq/stores/{}", their_store.id))
        .token(&other_admin)
        .send()
        .await
        .ok();
    assert_eq!(theirs, their_store);
    let their_members: Page<MemberListItem> = other
        .get("/api/hq/members")
        .token(&other_admin)
        .send()
        .await
        .ok();
    assert!(
        their_members.items.iter().all(|m| !m.frozen),
        "{their_members:?}"
    );
    other
        .staff_login("their.clerk", STAFF_PASSWORD)
        .await
        .status(200);
});
