//! Request bodies are read strictly (issue 10): JSON objects only, no field
//! the endpoint does not know, no control characters in text, at most 64 KB;
//! and the links a store prints are built from the configured public URL,
//! never from the request's headers. Each refusal changes nothing.

use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{MemberProfile, PayCode, PayRequestView};

dual_test!(a_json_array_is_not_a_payment, |app| async move {
    let shop = shop(&app).await;
    let member = new_member(&app).await;
    topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
    let before = snapshot(&app, &member.token).await;

    // `[store_id, 100]` once paid ¥1 (serde reads a struct from an array).
    let body = format!("[{}, 100]", shop.one.id);
    let error = app
        .post("/api/member/payments")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .lang("en")
        .raw_json(&body)
        .send()
        .await
        .error(422, ErrorCode::MalformedRequest);
    assert_eq!(error.message, "The request is malformed");
    for body in ["\"x\"", "12", "null", "true"] {
        app.post(&app.brand_path("staff/login"))
            .raw_json(body)
            .send()
            .await
            .error(422, ErrorCode::MalformedRequest);
    }
    assert_eq!(snapshot(&app, &member.token).await, before);
});

dual_test!(an_unknown_field_is_refused_by_name, |app| async move {
    let shop = shop(&app).await;
    let member = new_member(&app).await;
    topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
    let before = snapshot(&app, &member.token).await;

    // A misspelt `amount` must not mean "no amount".
    let body = format!(r#"{{"store_id": {}, "amout": 100}}"#, shop.one.id);
    let reply = app
        .post("/api/member/payments")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .lang("en")
        .raw_json(&body)
        .send()
        .await;
    let error = reply.error(422, ErrorCode::UnknownField);
    assert_eq!(error.params, params(&[("field", "amout")]));
    assert_eq!(
        error.message,
        "The request has a field this endpoint does not take: amout"
    );
    let zh = app
        .post(&app.brand_path("staff/login"))
        .raw_json(r#"{"account": "admin", "password": "Passw0rd!", "remember": true}"#)
        .send()
        .await
        .error(422, ErrorCode::UnknownField);
    assert_eq!(zh.message, "请求中有无法识别的字段：remember");
    assert_eq!(snapshot(&app, &member.token).await, before);
});

dual_test!(
    control_characters_in_text_are_refused_and_nothing_is_stored,
    |app| async move {
        let token = app.member_login(&random_phone()).await;
        let profile = |app: TestApp, token: String| async move {
            app.get("/api/member/me")
                .token(&token)
                .send()
                .await
                .ok::<MemberProfile>()
        };
        let before = profile(app.clone(), token.clone()).await;
        // A NUL once gave a 500 on PostgreSQL and was stored on SQLite; a
        // newline does not belong in a name either.
        for name in ["小\u{0}明", "小\u{1b}[31m明", "小\n明", "\u{7f}"] {
            let body = serde_json::json!({ "name": name });
            let error = app
                .patch("/api/member/me")
                .token(&token)
                .lang("en")
                .json(&body)
                .send()
                .await
                .error(422, ErrorCode::InvalidField);
            assert_eq!(
                error.params,
                params(&[("field", "name"), ("reason", "control_chars")]),
                "{name:?}"
            );
            assert_eq!(
                error.message,
                "The name contains control characters that are not allowed"
            );
        }
        assert_eq!(profile(app.clone(), token.clone()).await, before);
        // Plain text still goes through.
        app.patch("/api/member/me")
            .token(&token)
            .json(&serde_json::json!({ "name": "小明" }))
            .send()
            .await
            .status(200);
    }
);

dual_test!(
    a_body_above_64_kb_gets_413_in_the_envelope,
    |app| async move {
        let login = app.brand_path("staff/login");
        for size in [65 * 1024, 1024 * 1024] {
            let body = format!(
                r#"{{"account": "admin", "password": "{}"}}"#,
                "x".repeat(size)
            );
            let error = app
                .post(&login)
                .lang("en")
                .raw_json(&body)
                .send()
                .await
                .error(413, ErrorCode::PayloadTooLarge);
            assert_eq!(
                error.message,
                "The request body is too large (at most 64 KB)"
            );
        }
        // A 10 MB upload is answered as soon as its length is known, before
        // the body is read (over raw TCP: an HTTP client stops at the first
        // write the server no longer reads, a browser reads the answer).
        let (status, body) = ten_megabytes_announced(&app, &login).await;
        assert_eq!(status, 413, "{body}");
        let envelope: shared::error::ErrorEnvelope =
            serde_json::from_str(&body).unwrap_or_else(|e| panic!("{body}: {e}"));
        assert_eq!(envelope.error.code, ErrorCode::PayloadTooLarge);
        // Just under the limit is read (and refused for what it says).
        let body = format!(
            r#"{{"account": "admin", "password": "{}"}}"#,
            "x".repeat(60 * 1024)
        );
        app.post(&login)
            .raw_json(&body)
            .send()
            .await
            .error(401, ErrorCode::WrongCredentials);
    }
);

dual_test!(
    pay_code_links_use_the_configured_public_url,
    |app| async move {
        let shop = shop(&app).await;
        let evil = "evil.example";
        let code: PayCode = app
            .get(&format!("/api/staff/stores/{}/pay-code", shop.one.id))
            .token(&shop.clerk)
            .header("x-forwarded-host", evil)
            .header("x-forwarded-proto", "https")
            .send()
            .await
            .ok();
        let expected = format!("{}/m/{}/pay/{}", app.address, app.slug, shop.one.id);
        assert_eq!(code.url, expected);
        assert!(!code.svg.contains(evil));

        let one_off: PayRequestView = app
            .post("/api/staff/pay-requests")
            .token(&shop.clerk)
            .header("x-forwarded-host", evil)
            .json(&shared::dto::PayRequestInput {
                amount: shared::money::Fen(1_000),
            })
            .send()
            .await
            .ok();
        assert!(
            one_off
                .url
                .starts_with(&format!("{}/m/{}/pay/", app.address, app.slug)),
            "{}",
            one_off.url
        );
    }
);

/// Announces a 10 MB JSON body to `path`, sends its first megabyte and reads
/// the answer: its status and body.
async fn ten_megabytes_announced(app: &TestApp, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connecting to the test server");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        10 * 1024 * 1024
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("sending the head");
    let mut chunk = b"{\"account\": \"".to_vec();
    chunk.resize(1024 * 1024, b'x');
    // The server may close its side early; what it answered is still read.
    let _ = stream.write_all(&chunk).await;
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).to_string();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {answer:?}"));
    let body = answer
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    (status, body)
}

dual_test!(
    a_control_character_in_an_address_is_refused_not_a_500,
    |app| async move {
        let admin = app.login_admin().await;
        for path in [
            "/api/hq/members?q=%00".to_string(),
            "/api/hq/members?q=a%1Fb".to_string(),
            format!("/api/brands/{}%00", app.slug),
        ] {
            app.get(&path)
                .token(&admin)
                .send()
                .await
                .error(400, ErrorCode::MalformedRequest);
        }
        // Percent-encoded text that is not a control character still works.
        app.get("/api/hq/members?q=%E5%BC%A0")
            .token(&admin)
            .send()
            .await
            .status(200);
    }
);

// A guess that is never settled (a dropped request) must not hold a slot
// for ever: a full window with no lock locks, and the lock runs out.
dual_test!(
    pin_slots_left_by_dropped_guesses_end_in_a_lock_that_runs_out,
    |app| async move {
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        use tongka_server::entity::member_pin;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        set_pin(&app, &member).await;
        // Five guesses claimed their slots and never came back.
        let row = member_pin::Entity::find_by_id(member.id)
            .one(&app.db)
            .await
            .expect("reading the PIN")
            .expect("a PIN row");
        let mut am = row.into_active_model();
        am.failures = Set(5);
        am.update(&app.writer())
            .await
            .expect("leaving five slots taken");

        let store_id = shop.one.id;
        let pay = |pin: &'static str| {
            let (app, member) = (app.clone(), member.clone());
            async move {
                app.post("/api/member/payments")
                    .token(&member.token)
                    .header(IDEMPOTENCY_KEY, &new_key())
                    .json(&shared::dto::PaymentRequest {
                        coupon_id: None,
                        without_coupon_if_gone: false,
                        use_points: false,
                        points_expected: None,
                        payable_expected: None,
                        store_id,
                        amount: shared::money::Fen(30_000),
                        pin: Some(pin.into()),
                        pay_request: None,
                    })
                    .send()
                    .await
            }
        };
        pay(TEST_PIN).await.error(429, ErrorCode::PinLocked);
        app.advance_secs(30 * 60);
        pay(TEST_PIN).await.status(201);
    }
);
