//! Daily sign-in (签到): HQ's rewards, once per member per business date in
//! the brand's zone (fired at once), streaks across month ends, and what
//! the member's calendar shows.

use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{MemberPointsView, MemberSignInView, SignInPolicy, SignInResult, StreakReward};

/// 10 points a day, 50 more on the 3rd day in a row, 200 on the 7th.
fn policy() -> SignInPolicy {
    SignInPolicy {
        enabled: true,
        daily_points: 10,
        streak_rewards: vec![
            StreakReward { day: 3, points: 50 },
            StreakReward {
                day: 7,
                points: 200,
            },
        ],
    }
}

async fn set_policy(app: &TestApp, token: &str, p: &SignInPolicy) -> Reply {
    app.put("/api/hq/sign-in-policy")
        .token(token)
        .json(p)
        .send()
        .await
}

async fn sign_in(app: &TestApp, member: &Member) -> Reply {
    app.post("/api/member/sign-in")
        .token(&member.token)
        .send()
        .await
}

async fn signed(app: &TestApp, member: &Member) -> SignInResult {
    sign_in(app, member).await.ok()
}

async fn calendar(app: &TestApp, member: &Member, month: Option<&str>) -> MemberSignInView {
    let q = month.map_or_else(String::new, |m| format!("?month={m}"));
    app.get(&format!("/api/member/sign-in{q}"))
        .token(&member.token)
        .send()
        .await
        .ok()
}

async fn usable(app: &TestApp, member: &Member) -> i64 {
    let p: MemberPointsView = app
        .get("/api/member/points")
        .token(&member.token)
        .send()
        .await
        .ok();
    p.usable
}

/// An hour of the clock.
const HOUR: u64 = 3600;

/// The member logged in again (after the clock moved past their session).
async fn again(app: &TestApp, member: Member) -> Member {
    Member {
        token: app.member_login(&member.phone).await,
        ..member
    }
}

dual_test!(
    hq_sets_sign_in_rewards_and_every_wrong_field_is_named,
    |app| async move {
        let admin = app.login_admin().await;
        let member = new_member(&app).await;
        // Off until HQ switches it on: refused, nothing written.
        let off: SignInPolicy = app
            .get("/api/hq/sign-in-policy")
            .token(&admin)
            .send()
            .await
            .ok();
        assert_eq!(off, SignInPolicy::default());
        sign_in(&app, &member)
            .await
            .error(422, ErrorCode::SignInOff);
        assert!(calendar(&app, &member, None).await.days.is_empty());
        let reward = |day, points| StreakReward { day, points };
        let wrong = [
            (
                SignInPolicy {
                    daily_points: 1_001,
                    ..policy()
                },
                "daily_points",
                "sign_in_points_range",
            ),
            (
                SignInPolicy {
                    daily_points: -1,
                    ..policy()
                },
                "daily_points",
                "sign_in_points_range",
            ),
            (
                SignInPolicy {
                    streak_rewards: vec![reward(1, 10)],
                    ..policy()
                },
                "streak_day",
                "streak_day_range",
            ),
            (
                SignInPolicy {
                    streak_rewards: vec![reward(366, 10)],
                    ..policy()
                },
                "streak_day",
                "streak_day_range",
            ),
            (
                SignInPolicy {
                    streak_rewards: vec![reward(7, 0)],
                    ..policy()
                },
                "streak_points",
                "points_step_range",
            ),
            (
                SignInPolicy {
                    streak_rewards: vec![reward(7, 10), reward(7, 20)],
                    ..policy()
                },
                "streak_day",
                "streak_day_taken",
            ),
            (
                SignInPolicy {
                    streak_rewards: (2..13).map(|d| reward(d, 1)).collect(),
                    ..policy()
                },
                "streak_rewards",
                "streak_rewards_count",
            ),
            (
                SignInPolicy {
                    daily_points: 0,
                    streak_rewards: vec![],
                    enabled: true,
                },
                "daily_points",
                "sign_in_no_reward",
            ),
        ];
        for (p, field, reason) in wrong {
            set_policy(&app, &admin, &p)
                .await
                .invalid_because(field, reason);
        }
        // Still off: nothing of the wrong ones was kept.
        sign_in(&app, &member)
            .await
            .error(422, ErrorCode::SignInOff);
        let clerk = shop(&app).await.clerk;
        set_policy(&app, &clerk, &policy()).await.status(403);
        // Saved with the streak rewards by day.
        let mut unsorted = policy();
        unsorted.streak_rewards.reverse();
        let saved: SignInPolicy = set_policy(&app, &admin, &unsorted).await.ok();
        assert_eq!(saved, policy());
        let read: SignInPolicy = app
            .get("/api/hq/sign-in-policy")
            .token(&clerk)
            .send()
            .await
            .ok();
        assert_eq!(read, policy());
        let log: shared::dto::Page<shared::dto::AuditEntry> = app
            .get("/api/hq/audit?action=sign_in.policy")
            .token(&admin)
            .send()
            .await
            .ok();
        assert_eq!(log.items.len(), 1);
    }
);

dual_test!(
    signing_in_many_times_at_once_gives_one_reward,
    |app| async move {
        let admin = app.login_admin().await;
        // The app's home offers sign-in only once HQ has it on.
        let offered = || async {
            let b: shared::dto::BrandPublic = app
                .get(&format!("/api/brands/{}", app.slug))
                .send()
                .await
                .ok();
            b.sign_in
        };
        assert!(!offered().await);
        set_policy(&app, &admin, &policy()).await.status(200);
        assert!(offered().await);
        let member = new_member(&app).await;
        // Eight taps arrive together.
        let taps = futures_util::future::join_all((0..8).map(|_| signed(&app, &member))).await;
        let firsts: Vec<_> = taps.iter().filter(|r| r.new).collect();
        assert_eq!(firsts.len(), 1, "{taps:?}");
        for r in &taps {
            assert_eq!(
                (r.date.as_str(), r.streak, r.points, r.bonus),
                ("2026-03-02", 1, 10, 0),
                "every tap answers the one sign-in"
            );
        }
        assert_eq!(usable(&app, &member).await, 10);
        // Again later that day: the first answer, nothing more.
        app.advance_secs(10 * HOUR);
        let again = signed(&app, &member).await;
        assert!(!again.new);
        assert_eq!(usable(&app, &member).await, 10);
        let c = calendar(&app, &member, None).await;
        assert_eq!(
            (c.signed_today, c.streak, c.days.as_slice()),
            (true, 1, &[2][..])
        );
        // Tomorrow is the 2nd day: 10; the day after brings the 3rd-day 50.
        assert_eq!(c.next_points, 10);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_day_turns_at_midnight_in_the_brands_zone_and_a_streak_runs_across_a_month_end,
    |app| async move {
        let admin = app.login_admin().await;
        set_policy(&app, &admin, &policy()).await.status(200);
        let member = new_member(&app).await;
        // The tests start on 2 March at 09:00 in Shanghai. 30 March,
        // 23:59:59 there:
        app.advance_secs((28 * 24 + 14) * HOUR + 59 * 60 + 59);
        let member = again(&app, member).await;
        let before = signed(&app, &member).await;
        assert_eq!((before.date.as_str(), before.streak), ("2026-03-30", 1));
        // One second later it is the 31st: a second day.
        app.advance_secs(1);
        let after = signed(&app, &member).await;
        assert_eq!(
            (after.date.as_str(), after.streak, after.new),
            ("2026-03-31", 2, true)
        );
        let c = calendar(&app, &member, None).await;
        assert_eq!(
            (c.streak, c.next_points),
            (2, 60),
            "tomorrow: day 3 brings 50"
        );
        // 1 April, the third day in a row across the month's end: 10 + 50.
        app.advance_secs(24 * HOUR);
        let third = signed(&app, &member).await;
        assert_eq!(
            (third.date.as_str(), third.streak, third.points, third.bonus),
            ("2026-04-01", 3, 10, 50)
        );
        assert_eq!(usable(&app, &member).await, 10 + 10 + 60);
        // Each month shows its own days.
        let march = calendar(&app, &member, Some("2026-03")).await;
        assert_eq!(march.days, vec![30, 31]);
        let april = calendar(&app, &member, None).await;
        assert_eq!(
            (april.month.as_str(), april.days.as_slice()),
            ("2026-04", &[1][..])
        );
        // A missed day (2 April) restarts the streak on the 3rd.
        app.advance_secs(24 * HOUR);
        let missed = calendar(&app, &member, None).await;
        assert_eq!(
            (missed.signed_today, missed.streak, missed.next_points),
            (false, 3, 10)
        );
        app.advance_secs(24 * HOUR);
        let gap = calendar(&app, &member, None).await;
        assert_eq!(
            (gap.streak, gap.next_points),
            (0, 10),
            "the streak is broken"
        );
        let restart = signed(&app, &member).await;
        assert_eq!(
            (restart.date.as_str(), restart.streak, restart.bonus),
            ("2026-04-03", 1, 0)
        );
        // A month that is not one is named.
        app.get("/api/member/sign-in?month=2026-13")
            .token(&member.token)
            .send()
            .await
            .invalid_because("month", "month_format");
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_brand_in_another_time_zone_signs_in_by_its_own_date,
    |app| async move {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        use tongka_server::entity::brand;
        brand::Entity::update_many()
            .col_expr(brand::Column::TimeZone, Expr::value("America/New_York"))
            .filter(brand::Column::Id.eq(app.brand_id))
            .exec(&app.writer())
            .await
            .expect("moving the brand");
        let admin = app.login_admin().await;
        set_policy(&app, &admin, &policy()).await.status(200);
        let member = new_member(&app).await;
        // 2 March 01:00 UTC is still 1 March, 20:00 in New York.
        let first = signed(&app, &member).await;
        assert_eq!(first.date, "2026-03-01");
        // 03:59:59 UTC is 22:59:59 there: the same day.
        app.advance_secs(2 * HOUR + 59 * 60 + 59);
        assert!(!signed(&app, &member).await.new);
        // 05:00 UTC is midnight in New York (UTC-5 in March before the
        // 8th): the 2nd, a streak of two.
        app.advance_secs(HOUR + 1);
        let second = signed(&app, &member).await;
        assert_eq!((second.date.as_str(), second.streak), ("2026-03-02", 2));
        assert_reconciled(&app).await;
    }
);

dual_test!(a_frozen_member_cannot_sign_in, |app| async move {
    let admin = app.login_admin().await;
    set_policy(&app, &admin, &policy()).await.status(200);
    let member = new_member(&app).await;
    app.post(&format!("/api/hq/members/{}/freeze", member.id))
        .token(&admin)
        .send()
        .await
        .status(200);
    sign_in(&app, &member)
        .await
        .error(403, ErrorCode::MemberFrozen);
    assert_eq!(usable(&app, &member).await, 0);
    assert!(calendar(&app, &member, None).await.days.is_empty());
});
