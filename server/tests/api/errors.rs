//! Every error a client can provoke comes back as the one JSON envelope with
//! a stable code, never as a 500 or an HTML page.

use crate::helpers::*;
use shared::ErrorCode;
use shared::dto::Health;

dual_test!(the_server_is_healthy, |app| async move {
    let health: Health = app.get("/api/health").send().await.ok();
    assert_eq!(health.status, "ok");
});

dual_test!(unreadable_bodies_are_malformed_requests, |app| async move {
    let login = app.brand_path("staff/login");
    let cases = [
        ("{not json", 400),
        ("", 400),
        (r#"{"account": "admin", "password": "Passw0rd!""#, 400),
        (r#"{"account": 1, "password": "Passw0rd!"}"#, 422),
        (r#"{"account": "admin"}"#, 422),
        ("null", 422),
    ];
    for (body, status) in cases {
        let reply = app.post(&login).raw_json(body).send().await;
        let error = reply.error(status, ErrorCode::MalformedRequest);
        assert!(!error.message.is_empty(), "{body}");
    }
    // No JSON content type at all.
    let reply = app.post(&login).send().await;
    reply.error(415, ErrorCode::MalformedRequest);

    // Wrong types in a member's profile edit and a store form.
    let token = app.member_login(&random_phone()).await;
    app.patch("/api/member/me")
        .token(&token)
        .raw_json(r#"{"name": 42}"#)
        .send()
        .await
        .error(422, ErrorCode::MalformedRequest);
    let admin = app.login_admin().await;
    let store = r#"{"name": "一号店", "region_id": "one", "address": "x", "phone": "021-1", "hours": "x", "active": true}"#;
    app.post("/api/hq/stores")
        .token(&admin)
        .raw_json(store)
        .send()
        .await
        .error(422, ErrorCode::MalformedRequest);
    app.get("/api/hq/members?after=abc")
        .token(&admin)
        .send()
        .await
        .error(400, ErrorCode::MalformedRequest);
});

dual_test!(
    unknown_routes_methods_and_ids_are_enveloped,
    |app| async move {
        let admin = app.login_admin().await;
        let cases: Vec<(Req, u16, ErrorCode)> = vec![
            (app.get("/api/no-such-thing"), 404, ErrorCode::NotFound),
            (app.get("/api/"), 404, ErrorCode::NotFound),
            (app.get("/api"), 404, ErrorCode::NotFound),
            (app.get("/api/member/me/"), 404, ErrorCode::NotFound),
            (app.post("/api/health"), 405, ErrorCode::NotFound),
            (app.post("/api/hq/nothing/here"), 404, ErrorCode::NotFound),
            (
                app.get(&app.brand_path("nothing")),
                404,
                ErrorCode::NotFound,
            ),
            (
                app.get("/api/brands/no-such-brand"),
                404,
                ErrorCode::BrandNotFound,
            ),
            (
                app.request(reqwest::Method::DELETE, "/api/hq/stores")
                    .token(&admin),
                405,
                ErrorCode::NotFound,
            ),
            (
                app.get(&app.brand_path("member/login")),
                405,
                ErrorCode::NotFound,
            ),
            (app.put("/api/member/me"), 405, ErrorCode::NotFound),
            (
                app.get("/api/hq/stores/abc").token(&admin),
                404,
                ErrorCode::NotFound,
            ),
            (
                app.get("/api/hq/stores/99999999999999999999").token(&admin),
                404,
                ErrorCode::NotFound,
            ),
            (
                app.post("/api/hq/members/1.5/freeze").token(&admin),
                404,
                ErrorCode::NotFound,
            ),
            (
                app.put("/api/hq/regions/x")
                    .token(&admin)
                    .json(&serde_json::json!({ "name": "x" })),
                404,
                ErrorCode::NotFound,
            ),
            (
                app.get("/api/hq/stores/999999999").token(&admin),
                404,
                ErrorCode::NotFound,
            ),
            (app.get("/api/member/me"), 401, ErrorCode::Unauthenticated),
            (
                app.get("/api/member/me").token("not-a-token"),
                401,
                ErrorCode::Unauthenticated,
            ),
            (
                app.get("/api/hq/stores").token(""),
                401,
                ErrorCode::Unauthenticated,
            ),
        ];
        for (request, status, code) in cases {
            let reply = request.send().await;
            assert_ne!(reply.status, 500, "{}: {}", reply.what, reply.body);
            reply.error(status, code);
        }
    }
);

dual_test!(errors_speak_the_callers_language, |app| async move {
    let zh = app
        .get("/api/no-such-thing")
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    assert_eq!(zh.message, "找不到该内容");
    let en = app
        .get("/api/no-such-thing")
        .lang("en")
        .send()
        .await
        .error(404, ErrorCode::NotFound);
    assert_eq!(en.message, "Not found");

    let body = serde_json::json!({ "phone": "12345" });
    let en = app
        .post(&app.brand_path("member/sms-code"))
        .lang("en")
        .json(&body)
        .send()
        .await
        .invalid("phone");
    assert_eq!(
        en.message,
        "The phone number must be an 11-digit mainland China mobile number"
    );
    let zh = app
        .post(&app.brand_path("member/sms-code"))
        .lang("zh-CN,zh;q=0.9,en;q=0.8")
        .json(&body)
        .send()
        .await
        .invalid("phone");
    assert_eq!(zh.message, "手机号应为 11 位中国大陆手机号");
    let en = app
        .put("/api/member/me")
        .lang("en")
        .send()
        .await
        .error(405, ErrorCode::NotFound);
    assert!(!en.message.is_empty());
});
