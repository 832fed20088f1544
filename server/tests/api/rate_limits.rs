//! SMS sending is rate limited per phone (1/min, 5/h, 10/day) across the
//! deployment and per client address; the server's clock is moved, never
//! waited for.

use crate::helpers::*;
use shared::dto::SmsCodeSent;
use shared::error::ApiError;
use shared::{ErrorCode, Lang};
use tongka_server::config::Limits;

/// Asserts a `rate_limited` refusal and returns its `retry_after` in seconds.
#[track_caller]
fn retry_after(reply: &Reply) -> u64 {
    let error: ApiError = reply.error(429, ErrorCode::RateLimited);
    let secs = error
        .params
        .get("retry_after")
        .unwrap_or_else(|| panic!("retry_after in {error:?}"));
    secs.parse()
        .unwrap_or_else(|e| panic!("retry_after {secs:?}: {e}"))
}

dual_test!(
    one_code_a_minute_in_the_callers_language,
    |app| async move {
        let phone = random_phone();
        app.request_code(&phone).await.ok::<SmsCodeSent>();

        let refused = app.request_code(&phone).await;
        assert_eq!(retry_after(&refused), 60);
        assert_eq!(
            refused.envelope().error.message,
            "发送太频繁，请 1 分钟后再试",
            "Chinese by default"
        );
        let body = serde_json::json!({ "phone": phone });
        let english = app
            .post(&app.brand_path("member/sms-code"))
            .lang("en-US,en;q=0.9")
            .json(&body)
            .send()
            .await;
        assert_eq!(retry_after(&english), 60);
        assert_eq!(
            english.envelope().error.message,
            "Too many requests; try again in 1 min"
        );
        assert_eq!(
            app.outbox(&phone).await.len(),
            1,
            "a refused request sends nothing"
        );

        app.advance_secs(30);
        assert_eq!(
            retry_after(&app.request_code(&phone).await),
            30,
            "the wait counts down"
        );
        let zh = app.request_code(&phone).await.envelope().error.message;
        assert_eq!(zh, "发送太频繁，请 30 秒后再试");

        app.advance_secs(30);
        app.request_code(&phone).await.ok::<SmsCodeSent>();
        assert_eq!(app.outbox(&phone).await.len(), 2);
    }
);

dual_test!(five_an_hour_and_ten_a_day, |app| async move {
    let phone = random_phone();
    // Seconds since the first send, as the server's clock sees them.
    let mut t: u64 = 0;
    let mut step = |secs: u64| {
        app.advance_secs(secs);
        t += secs;
        t
    };

    app.request_code(&phone).await.ok::<SmsCodeSent>();
    for _ in 1..5 {
        step(61);
        app.request_code(&phone).await.ok::<SmsCodeSent>();
    }
    // Sent at 0, 61, 122, 183, 244: the sixth waits until the first leaves the hour.
    let now = step(61);
    let wait = retry_after(&app.request_code(&phone).await);
    assert_eq!(
        wait,
        3600 - now,
        "retry_after points to when the oldest send leaves the hour"
    );
    step(wait - 1);
    assert_eq!(retry_after(&app.request_code(&phone).await), 1);
    step(1);
    app.request_code(&phone).await.ok::<SmsCodeSent>();

    // Four more in the second hour make ten today.
    for _ in 0..4 {
        step(61);
        app.request_code(&phone).await.ok::<SmsCodeSent>();
    }
    assert_eq!(app.outbox(&phone).await.len(), 10);

    // Past the hourly limit, the daily one holds.
    let now = step(3600);
    let refused = app.request_code(&phone).await;
    let wait = retry_after(&refused);
    assert_eq!(
        wait,
        24 * 3600 - now,
        "the eleventh waits until the first leaves the day"
    );
    let english = app
        .post(&app.brand_path("member/sms-code"))
        .lang("en")
        .json(&serde_json::json!({ "phone": phone }))
        .send()
        .await;
    let message = english.error(429, ErrorCode::RateLimited).message;
    assert_eq!(
        message,
        shared::error::message(
            ErrorCode::RateLimited,
            &refused.envelope().error.params,
            Lang::En
        )
    );
    assert!(
        message.ends_with(" h"),
        "a wait of hours reads in hours: {message}"
    );
    assert_eq!(app.outbox(&phone).await.len(), 10);

    step(wait);
    app.request_code(&phone).await.ok::<SmsCodeSent>();
});

dual_test!(the_phone_limit_holds_across_brands, |app| async move {
    let other = app.other_brand().await;
    let phone = random_phone();
    app.request_code(&phone).await.ok::<SmsCodeSent>();
    assert_eq!(
        retry_after(&other.request_code(&phone).await),
        60,
        "one phone, one allowance, whatever the brand"
    );
    assert_eq!(other.outbox(&phone).await.len(), 0);
});

dual_test!(
    one_client_address_cannot_flood_many_phones,
    limits = Limits {
        sms_per_ip_hour: 3,
        ..Limits::default()
    },
    |app| async move {
        for _ in 0..3 {
            app.request_code(&random_phone()).await.ok::<SmsCodeSent>();
        }
        let fourth = random_phone();
        assert_eq!(retry_after(&app.request_code(&fourth).await), 3600);
        assert_eq!(app.outbox(&fourth).await.len(), 0);

        // Another address is not held back by this one.
        let elsewhere = TestApp {
            client: client_with_own_address(),
            ..app.clone()
        };
        elsewhere.request_code(&fourth).await.ok::<SmsCodeSent>();

        app.advance_secs(3600);
        app.request_code(&random_phone()).await.ok::<SmsCodeSent>();
    }
);
