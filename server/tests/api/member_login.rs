//! Members log in by phone and SMS code; the first login registers them.

use crate::helpers::*;
use shared::ErrorCode;
use shared::dto::{MemberListItem, MemberProfile, MemberSession, Page, SmsCodeSent};
use std::time::Duration;

dual_test!(
    first_login_registers_and_logout_ends_the_session,
    |app| async move {
        let admin = app.login_admin().await;
        let region = app.create_region(&admin, "华东区").await;
        let store = app.create_store(&admin, region.id, "南京西路店").await;
        let phone = random_phone();

        let sent: SmsCodeSent = app.request_code(&phone).await.ok();
        assert_eq!((sent.resend_after, sent.expires_in), (60, 300));
        let outbox = app.outbox(&phone).await;
        assert_eq!(outbox.len(), 1, "one SMS to {phone}");
        assert_eq!(outbox[0].channel, "sms");
        let code = code_in(&outbox[0].body)
            .unwrap_or_else(|| panic!("a 6-digit code in {:?}", outbox[0].body));

        let session: MemberSession = app.member_login_with(&phone, &code, true).await.ok();
        assert!(session.registered, "the first login registers");
        assert_eq!(session.member.phone, phone);
        assert_eq!(
            session.member.home_store.as_deref(),
            Some(store.name.as_str()),
            "new members join the default store"
        );
        assert!(!session.member.frozen);

        let me: MemberProfile = app
            .get("/api/member/me")
            .token(&session.token)
            .send()
            .await
            .ok();
        assert_eq!(me, session.member);

        app.advance_secs(61);
        let again = app.member_session(&phone).await;
        assert!(!again.registered, "a second login is not a registration");
        assert_eq!(again.member.id, session.member.id);
        assert_ne!(again.token, session.token);

        app.post("/api/member/logout")
            .token(&session.token)
            .send()
            .await
            .status(204);
        app.get("/api/member/me")
            .token(&session.token)
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        let still: MemberProfile = app
            .get("/api/member/me")
            .token(&again.token)
            .send()
            .await
            .ok();
        assert_eq!(
            still.id, session.member.id,
            "logging out ends only that session"
        );
    }
);

dual_test!(
    without_a_store_a_new_member_has_no_home_store,
    |app| async move {
        let session = app.member_session(&random_phone()).await;
        assert!(session.registered);
        assert_eq!(session.member.home_store, None);
    }
);

dual_test!(
    registration_needs_consent_and_the_code_survives_a_refusal,
    |app| async move {
        let phone = random_phone();
        let code = app.send_code(&phone).await;

        app.member_login_with(&phone, &code, false)
            .await
            .error(422, ErrorCode::ConsentRequired);
        let admin = app.login_admin().await;
        let members: Page<MemberListItem> =
            app.get("/api/hq/members").token(&admin).send().await.ok();
        assert!(
            members.items.is_empty(),
            "no member without consent: {members:?}"
        );

        let session: MemberSession = app.member_login_with(&phone, &code, true).await.ok();
        assert!(session.registered);

        // Consent is asked once: a member logs in later without it.
        app.advance_secs(61);
        let code = app.send_code(&phone).await;
        let later: MemberSession = app.member_login_with(&phone, &code, false).await.ok();
        assert!(!later.registered);
        assert_eq!(later.member.id, session.member.id);
    }
);

dual_test!(
    wrong_codes_count_down_and_then_lock_the_code,
    |app| async move {
        let phone = random_phone();
        let code = app.send_code(&phone).await;
        let wrong = wrong_code(&code);

        for remaining in [4, 3, 2, 1] {
            let error = app
                .member_login_with(&phone, &wrong, true)
                .await
                .error(400, ErrorCode::WrongSmsCode);
            assert_eq!(error.params.get("remaining"), Some(&remaining.to_string()));
            assert!(
                error.message.contains(&remaining.to_string()),
                "the message says how many tries are left: {}",
                error.message
            );
        }
        app.member_login_with(&phone, &wrong, true)
            .await
            .error(429, ErrorCode::SmsCodeLocked);
        app.member_login_with(&phone, &code, true)
            .await
            .error(429, ErrorCode::SmsCodeLocked);

        // A new code starts afresh.
        app.advance_secs(61);
        let fresh = app.send_code(&phone).await;
        let session: MemberSession = app.member_login_with(&phone, &fresh, true).await.ok();
        assert!(session.registered);
    }
);

dual_test!(a_code_lives_five_minutes, |app| async move {
    let early = random_phone();
    let late = random_phone();
    let early_code = app.send_code(&early).await;
    let late_code = app.send_code(&late).await;

    app.advance(Duration::from_secs(5 * 60 - 1));
    app.member_login_with(&early, &early_code, true)
        .await
        .ok::<MemberSession>();

    app.advance(Duration::from_secs(2));
    app.member_login_with(&late, &late_code, true)
        .await
        .error(400, ErrorCode::SmsCodeExpired);
});

dual_test!(a_code_works_once, |app| async move {
    let phone = random_phone();
    let code = app.send_code(&phone).await;
    app.member_login_with(&phone, &code, true)
        .await
        .ok::<MemberSession>();
    app.member_login_with(&phone, &code, true)
        .await
        .error(400, ErrorCode::SmsCodeExpired);
});

dual_test!(a_new_code_replaces_the_old_one, |app| async move {
    let phone = random_phone();
    let old = app.send_code(&phone).await;
    app.advance_secs(61);
    let new = app.send_code(&phone).await;
    assert_eq!(app.outbox(&phone).await.len(), 2);

    if old != new {
        app.member_login_with(&phone, &old, true)
            .await
            .error(400, ErrorCode::WrongSmsCode);
    }
    app.member_login_with(&phone, &new, true)
        .await
        .ok::<MemberSession>();
});

dual_test!(
    bad_phones_are_refused_and_nothing_is_sent,
    |app| async move {
        for phone in [
            "",
            "   ",
            "1381234567",
            "138123456789",
            "12812345678",
            "1381234567a",
            "+1 415 555 0100",
            "abcdefghijk",
        ] {
            let error = app.request_code(phone).await.invalid("phone");
            let reason = error.params.get("reason").map(String::as_str);
            assert!(
                matches!(reason, Some("phone_format" | "required")),
                "{phone:?}: {error:?}"
            );
            app.member_login_with(phone, "123456", true)
                .await
                .invalid("phone");
        }
        assert_eq!(app.outbox_size().await, 0, "no SMS for a bad phone");

        // What people type for readability is accepted and normalised.
        let phone = random_phone();
        let typed = format!("+86 {} {} {}", &phone[..3], &phone[3..7], &phone[7..]);
        app.request_code(&typed).await.ok::<SmsCodeSent>();
        assert_eq!(
            app.outbox(&phone).await.len(),
            1,
            "the SMS goes to the normalised number"
        );
    }
);

dual_test!(member_sessions_expire_after_thirty_days, |app| async move {
    let token = app.member_login(&random_phone()).await;
    app.advance(Duration::from_secs(30 * 24 * 3600 - 1));
    app.get("/api/member/me")
        .token(&token)
        .send()
        .await
        .ok::<MemberProfile>();
    app.advance(Duration::from_secs(2));
    app.get("/api/member/me")
        .token(&token)
        .send()
        .await
        .error(401, ErrorCode::Unauthenticated);
});
