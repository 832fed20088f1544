//! A member edits their own profile; a frozen member may only read it.

use crate::helpers::*;
use serde_json::json;
use shared::ErrorCode;
use shared::dto::{MemberListItem, MemberProfile};
use std::time::Duration;

dual_test!(a_member_saves_name_birthday_and_gender, |app| async move {
    let token = app.member_login(&random_phone()).await;

    let body = json!({ "name": "  王小明 ", "birthday": "1990-05-17", "gender": "female" });
    let saved: MemberProfile = app
        .patch("/api/member/me")
        .token(&token)
        .json(&body)
        .send()
        .await
        .ok();
    assert_eq!(saved.name, "王小明", "names are trimmed");
    assert_eq!(saved.birthday.as_deref(), Some("1990-05-17"));
    assert_eq!(saved.gender.as_deref(), Some("female"));
    let me: MemberProfile = app.get("/api/member/me").token(&token).send().await.ok();
    assert_eq!(me, saved);

    // Absent fields stay; an empty one clears.
    let cleared: MemberProfile = app
        .patch("/api/member/me")
        .token(&token)
        .json(&json!({ "gender": "" }))
        .send()
        .await
        .ok();
    assert_eq!(cleared.gender, None);
    assert_eq!(cleared.name, "王小明");
    assert_eq!(cleared.birthday.as_deref(), Some("1990-05-17"));
});

dual_test!(a_bad_birthday_changes_nothing, |app| async move {
    let token = app.member_login(&random_phone()).await;
    app.patch("/api/member/me")
        .token(&token)
        .json(&json!({ "name": "原名" }))
        .send()
        .await
        .ok::<MemberProfile>();
    let before: MemberProfile = app.get("/api/member/me").token(&token).send().await.ok();

    // The clock says 2026-03-02 in Shanghai.
    for (birthday, reason) in [
        ("2026-03-03", "date_future"),
        ("2001-02-29", "date_format"),
        ("1990/05/17", "date_format"),
        ("1899-12-31", "date_format"),
    ] {
        let body = json!({ "name": "新名", "birthday": birthday });
        let error = app
            .patch("/api/member/me")
            .token(&token)
            .json(&body)
            .send()
            .await
            .invalid("birthday");
        assert_eq!(
            error.params.get("reason").map(String::as_str),
            Some(reason),
            "{birthday}"
        );
    }
    let error = app
        .patch("/api/member/me")
        .token(&token)
        .json(&json!({ "gender": "robot" }))
        .send()
        .await
        .invalid("gender");
    assert_eq!(
        error.params.get("reason").map(String::as_str),
        Some("unknown")
    );
    app.patch("/api/member/me")
        .token(&token)
        .json(&json!({ "name": "" }))
        .send()
        .await
        .invalid("member_name");

    let after: MemberProfile = app.get("/api/member/me").token(&token).send().await.ok();
    assert_eq!(after, before, "a refused edit saves nothing");

    let today: MemberProfile = app
        .patch("/api/member/me")
        .token(&token)
        .json(&json!({ "birthday": "2026-03-02" }))
        .send()
        .await
        .ok();
    assert_eq!(
        today.birthday.as_deref(),
        Some("2026-03-02"),
        "born today is allowed"
    );
});

dual_test!(today_is_the_brands_today, |app| async move {
    let token = app.member_login(&random_phone()).await;
    // 16:30 UTC on 2 March is 00:30 on 3 March in Shanghai, the brand's zone.
    app.advance(Duration::from_secs(15 * 3600 + 30 * 60));
    let saved: MemberProfile = app
        .patch("/api/member/me")
        .token(&token)
        .json(&json!({ "birthday": "2026-03-03" }))
        .send()
        .await
        .ok();
    assert_eq!(saved.birthday.as_deref(), Some("2026-03-03"));
});

dual_test!(a_frozen_member_can_read_but_not_edit, |app| async move {
    let session = app.member_session(&random_phone()).await;
    let admin = app.login_admin().await;

    let frozen: MemberListItem = app
        .post(&format!("/api/hq/members/{}/freeze", session.member.id))
        .token(&admin)
        .send()
        .await
        .ok();
    assert!(frozen.frozen);

    let me: MemberProfile = app
        .get("/api/member/me")
        .token(&session.token)
        .send()
        .await
        .ok();
    assert!(me.frozen, "the member sees that they are frozen");
    let body = json!({ "name": "改名" });
    app.patch("/api/member/me")
        .token(&session.token)
        .json(&body)
        .send()
        .await
        .error(403, ErrorCode::MemberFrozen);
    let me: MemberProfile = app
        .get("/api/member/me")
        .token(&session.token)
        .send()
        .await
        .ok();
    assert_eq!(me.name, "", "nothing was saved");

    app.post(&format!("/api/hq/members/{}/unfreeze", session.member.id))
        .token(&admin)
        .send()
        .await
        .ok::<MemberListItem>();
    let me: MemberProfile = app
        .patch("/api/member/me")
        .token(&session.token)
        .json(&body)
        .send()
        .await
        .ok();
    assert_eq!(me.name, "改名");
    assert!(!me.frozen);
});
