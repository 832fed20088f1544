//! Member levels (issue 18): HQ's levels with validation; a payment that
//! crosses a threshold upgrades the member in its own transaction and says
//! so; the next payment gets the level's discount (the plan's first step)
//! and points multiplier, and the birthday month its multiplier; refunds
//! lower the level only where HQ says; two payments crossing at once count
//! both and upgrade once; points the member was shown are the points
//! booked. On SQLite and PostgreSQL.

use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{
    CouponKind, CouponTemplateInput, Level, LevelsPolicy, MemberCoupon, MemberLevelView,
    MemberPointsView, MemberProfileUpdate, OrderState, PaymentReceipt, PaymentRequest,
    PointsPolicy, TopUpOrderView,
};
use shared::money::Fen;
use shared::plan::PaymentPlan;

fn level(name: &str, threshold: i64, pay_rate_bp: u32, points_rate_bp: u32) -> Level {
    Level {
        id: None,
        name: name.into(),
        threshold: Fen(threshold),
        pay_rate_bp,
        points_rate_bp,
        birthday_coupon_id: None,
        look: "gold".into(),
    }
}

/// 普通 from ¥0; 金卡 from ¥100: 95折 and double points.
fn two_levels() -> LevelsPolicy {
    LevelsPolicy {
        refund_lowers: false,
        levels: vec![
            level("金卡", 10_000, 9_500, 20_000),
            level("普通", 0, 10_000, 10_000),
        ],
    }
}

async fn set_levels(app: &TestApp, token: &str, p: &LevelsPolicy) -> Reply {
    app.put("/api/hq/levels").token(token).json(p).send().await
}

async fn standing(app: &TestApp, member: &Member) -> MemberLevelView {
    app.get("/api/member/level")
        .token(&member.token)
        .send()
        .await
        .ok()
}

/// 1 point a yuan; 100 points pay ¥1, up to half a bill; ×2 in the
/// birthday month.
async fn earn_points(app: &TestApp, admin: &str) {
    let p = PointsPolicy {
        per_yuan: 1,
        expiry_days: 30,
        step: 100,
        step_worth: Fen(100),
        max_share_bp: 5_000,
        remind_days: 30,
        birthday_rate_bp: 20_000,
    };
    app.put("/api/hq/points-policy")
        .token(admin)
        .json(&p)
        .send()
        .await
        .status(200);
}

/// One level, 金卡 (95折, ×2 points), from the first fen.
fn gold_for_all() -> LevelsPolicy {
    let mut p = two_levels();
    p.levels[0].threshold = Fen(0);
    p.levels.truncate(1);
    p
}

fn level_name(v: &MemberLevelView) -> Option<&str> {
    v.level.as_ref().map(|l| l.name.as_str())
}

dual_test!(
    hq_sets_levels_and_every_wrong_field_is_named,
    |app| async move {
        let shop = shop(&app).await;
        let none: LevelsPolicy = app
            .get("/api/hq/levels")
            .token(&shop.clerk)
            .send()
            .await
            .ok();
        assert!(none.levels.is_empty());
        let wrong = [
            (level(" ", 1, 10_000, 10_000), "name", "required"),
            (level("普通", 5, 10_000, 10_000), "name", "name_taken"),
            (
                level("金", 0, 10_000, 10_000),
                "threshold",
                "threshold_taken",
            ),
            (
                level("金", -1, 10_000, 10_000),
                "threshold",
                "threshold_range",
            ),
            (
                level("金", 5, 4_999, 10_000),
                "pay_rate_bp",
                "level_rate_range",
            ),
            (
                level("金", 5, 9_000, 100_001),
                "points_rate_bp",
                "multiplier_range",
            ),
            (
                Level {
                    look: "rainbow".into(),
                    ..level("金", 5, 9_000, 10_000)
                },
                "look",
                "unknown",
            ),
            (
                Level {
                    birthday_coupon_id: Some(987_654),
                    ..level("金", 5, 9_000, 10_000)
                },
                "birthday_coupon_id",
                "unknown",
            ),
            (
                Level {
                    id: Some(987_654),
                    ..level("金", 5, 9_000, 10_000)
                },
                "id",
                "unknown",
            ),
        ];
        for (l, field, reason) in wrong {
            let p = LevelsPolicy {
                refund_lowers: false,
                levels: vec![level("普通", 0, 10_000, 10_000), l],
            };
            set_levels(&app, &shop.admin, &p)
                .await
                .invalid_because(field, reason);
        }
        let eleven = LevelsPolicy {
            refund_lowers: false,
            levels: (0..11)
                .map(|i| level(&format!("L{i}"), i * 100, 10_000, 10_000))
                .collect(),
        };
        set_levels(&app, &shop.admin, &eleven)
            .await
            .invalid_because("levels", "levels_count");
        set_levels(&app, &shop.clerk, &two_levels())
            .await
            .status(403);
        // Nothing of the refused ones was saved.
        let still: LevelsPolicy = app
            .get("/api/hq/levels")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert!(still.levels.is_empty());
        let saved: LevelsPolicy = set_levels(&app, &shop.admin, &two_levels()).await.ok();
        let names: Vec<&str> = saved.levels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["普通", "金卡"], "lowest threshold first");
        // Renamed by id, one removed, one added: ids kept where named.
        let gold_id = saved.levels[1].id;
        let mut next = saved.clone();
        next.levels[1].name = "金卡会员".into();
        next.levels.remove(0);
        next.levels.push(level("钻石", 100_000, 9_000, 30_000));
        next.refund_lowers = true;
        let saved: LevelsPolicy = set_levels(&app, &shop.admin, &next).await.ok();
        assert_eq!(saved.levels.len(), 2);
        assert_eq!(saved.levels[0].id, gold_id);
        assert_eq!(saved.levels[0].name, "金卡会员");
        assert!(saved.refund_lowers);
        let read: LevelsPolicy = app
            .get("/api/hq/levels")
            .token(&shop.clerk)
            .send()
            .await
            .ok();
        assert_eq!(read, saved);
    }
);

dual_test!(
    a_payment_crossing_a_threshold_upgrades_the_member_and_the_next_gets_the_level,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        // Paid before HQ had points or any level (on PostgreSQL such
        // payments are booked in batches): they count all the same.
        let first = pay_ok(&app, &member.token, shop.one.id, 4_000).await;
        assert_eq!(first.level_up, None);
        earn_points(&app, &shop.admin).await;
        set_levels(&app, &shop.admin, &two_levels())
            .await
            .status(200);
        let v = standing(&app, &member).await;
        assert_eq!(level_name(&v), Some("普通"));
        assert_eq!((v.spent, v.to_next), (Fen(4_000), Fen(6_000)));
        assert_eq!(v.next.as_ref().map(|l| l.name.as_str()), Some("金卡"));
        // ¥60 crosses ¥100: upgraded by this payment, which is still paid
        // and earns at the level it started at.
        let crossing = pay_ok(&app, &member.token, shop.one.id, 6_000).await;
        let up = crossing.level_up.as_ref().expect("the receipt says so");
        assert_eq!(up.name, "金卡");
        assert_eq!(crossing.quote.member_discount, Fen::ZERO);
        assert_eq!(crossing.points_earned, 60);
        let v = standing(&app, &member).await;
        assert_eq!(level_name(&v), Some("金卡"));
        assert_eq!(v.next, None);
        // The next payment: 5 % off first, double points on what is paid.
        let gold = pay_ok(&app, &member.token, shop.one.id, 10_000).await;
        assert_eq!(gold.quote.member_discount, Fen(500));
        assert_eq!(gold.principal, Fen(9_500));
        assert_eq!(gold.points_earned, 190);
        assert_eq!(gold.level_up, None);
        assert_eq!(
            total(&app, &member.token).await,
            100_000 - 4_000 - 6_000 - 9_500
        );
        // Refunds: the spend goes down, the level stays (HQ's default) …
        let manager = app.staff_token("boss.one", STAFF_PASSWORD).await;
        refund_ok(&app, &manager, crossing.payment_id, 6_000).await;
        let v = standing(&app, &member).await;
        assert_eq!(v.spent, Fen(4_000 + 9_500));
        assert_eq!(level_name(&v), Some("金卡"));
        // … unless HQ lets refunds lower it.
        let mut lowers = two_levels();
        lowers.refund_lowers = true;
        let saved: LevelsPolicy = set_levels(&app, &shop.admin, &lowers).await.ok();
        assert!(saved.refund_lowers);
        let v = standing(&app, &member).await;
        assert_eq!(level_name(&v), Some("金卡"), "¥135 is still above ¥100");
        refund_ok(&app, &manager, gold.payment_id, 9_500).await;
        let v = standing(&app, &member).await;
        assert_eq!(v.spent, Fen(4_000));
        assert_eq!(level_name(&v), Some("普通"));
        let plain = pay_ok(&app, &member.token, shop.one.id, 1_000).await;
        assert_eq!(plain.quote.member_discount, Fen::ZERO);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_birthday_month_multiplies_points_on_top_of_the_level,
    |app| async move {
        let shop = shop(&app).await;
        earn_points(&app, &shop.admin).await;
        set_levels(&app, &shop.admin, &gold_for_all())
            .await
            .status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        // The tests' clock is in March (Shanghai).
        app.patch("/api/member/me")
            .token(&member.token)
            .json(&MemberProfileUpdate {
                birthday: Some("1990-03-31".into()),
                ..Default::default()
            })
            .send()
            .await
            .status(200);
        assert!(standing(&app, &member).await.birthday_month);
        // ¥20 less 5 %: 19 yuan, ×2 by the level, ×2 by the birthday.
        let r = pay_ok(&app, &member.token, shop.one.id, 2_000).await;
        assert_eq!(r.points_earned, 76);
        let v: MemberPointsView = app
            .get("/api/member/points")
            .token(&member.token)
            .send()
            .await
            .ok();
        assert_eq!(v.usable, 76);
    }
);

dual_test!(
    two_payments_crossing_a_threshold_at_once_count_both_and_upgrade_once,
    |app| async move {
        let shop = shop(&app).await;
        set_levels(&app, &shop.admin, &two_levels())
            .await
            .status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        pay_ok(&app, &member.token, shop.one.id, 4_000).await;
        // ¥60 and ¥70 at once: whichever books first crosses ¥100 (to ¥100
        // or ¥110), the other finds it crossed and is paid at 金卡.
        let (a, b) = tokio::join!(
            pay(&app, &member.token, shop.one.id, 6_000),
            pay(&app, &member.token, shop.one.id, 7_000)
        );
        let (a, b): (PaymentReceipt, PaymentReceipt) = (a.ok(), b.ok());
        let ups = [&a, &b].iter().filter(|r| r.level_up.is_some()).count();
        assert_eq!(ups, 1, "one of them upgraded: {a:?} {b:?}");
        // The other was booked at 金卡: 5 % off.
        let later = if a.level_up.is_some() { &b } else { &a };
        assert_eq!(
            later.quote.member_discount,
            Fen(later.quote.original.0 / 20)
        );
        let v = standing(&app, &member).await;
        assert_eq!(v.spent, Fen(4_000) + a.quote.payable + b.quote.payable);
        assert!(v.spent.0 == 16_650 || v.spent.0 == 16_700, "{v:?}");
        assert_eq!(level_name(&v), Some("金卡"));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    points_that_changed_since_the_member_saw_them_refuse_the_payment_and_move_nothing,
    |app| async move {
        let shop = shop(&app).await;
        earn_points(&app, &shop.admin).await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 50_000).await;
        pay_ok(&app, &member.token, shop.one.id, 30_000).await;
        // 300 points: a ¥10 bill takes 500 at most (half), so 300.
        let key = new_key();
        let ask = |expected: i64| PaymentRequest {
            use_points: true,
            points_expected: Some(expected),
            payable_expected: None,
            store_id: shop.one.id,
            amount: Fen(1_000),
            pin: None,
            pay_request: None,
            coupon_id: None,
            without_coupon_if_gone: false,
        };
        let send = |body: PaymentRequest| {
            app.post("/api/member/payments")
                .token(&member.token)
                .header(IDEMPOTENCY_KEY, &key)
                .json(&body)
                .send()
        };
        let before = total(&app, &member.token).await;
        let refused = send(ask(200)).await;
        refused.error(422, ErrorCode::PointsChanged);
        assert_eq!(total(&app, &member.token).await, before);
        // Not recorded under the key: the member, shown 300, pays again.
        let r: PaymentReceipt = send(ask(300)).await.ok();
        assert_eq!(r.points_used, 300);
        assert_eq!(total(&app, &member.token).await, before - 700);
        // The same request again (the answer was lost on the way): its
        // receipt, though the points it was shown are gone now.
        let again = send(ask(300)).await;
        again.status(201);
        let again: PaymentReceipt = again.ok();
        assert_eq!(again.payment_id, r.payment_id);
        assert_eq!(total(&app, &member.token).await, before - 700);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_split_payment_gets_the_level_discount_and_counts_when_it_settles,
    |app| async move {
        let shop = shop(&app).await;
        earn_points(&app, &shop.admin).await;
        set_levels(&app, &shop.admin, &gold_for_all())
            .await
            .status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        // ¥100 at 95折: ¥95, of which ¥50 stored value and ¥45 online.
        let paid = crate::split_payments::split_paid(&app, &member, shop.one.id, 10_000).await;
        assert_eq!((paid.stored_value, paid.amount), (Fen(5_000), Fen(4_500)));
        let v = standing(&app, &member).await;
        assert_eq!(v.spent, Fen(9_500));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_member_sets_their_birthday_once_and_hq_corrects_it_audited,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let set = |birthday: &str| {
            app.patch("/api/member/me")
                .token(&member.token)
                .json(&MemberProfileUpdate {
                    birthday: Some(birthday.into()),
                    ..Default::default()
                })
                .send()
        };
        set("1990-03-15").await.status(200);
        // The same again is fine (the profile form sends it each time) …
        set("1990-03-15").await.status(200);
        // … a change or clearing it is not: staff correct it.
        set("1990-04-01")
            .await
            .invalid_because("birthday", "birthday_set");
        set("").await.invalid_because("birthday", "birthday_set");
        let correct = |token: &str, birthday: &str| {
            app.put(&format!("/api/hq/members/{}/birthday", member.id))
                .token(token)
                .json(&shared::dto::BirthdayCorrection {
                    birthday: birthday.into(),
                })
                .send()
        };
        correct(&shop.clerk, "1990-04-01").await.status(403);
        correct(&shop.admin, "2099-01-01")
            .await
            .invalid_because("birthday", "date_future");
        correct(&shop.admin, "1990-04-01").await.status(200);
        let me: shared::dto::MemberProfile = app
            .get("/api/member/me")
            .token(&member.token)
            .send()
            .await
            .ok();
        assert_eq!(me.birthday.as_deref(), Some("1990-04-01"));
        let log: shared::dto::Page<shared::dto::AuditEntry> = app
            .get("/api/hq/audit")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        let entry = log
            .items
            .iter()
            .find(|e| e.action == shared::dto::AuditAction::MemberBirthday)
            .expect("the correction is audited");
        assert!(entry.target.contains(&format!("#{}", member.id)));
        // Two first birthdays at once (two phones signed in): one is kept,
        // the other refused, never the second silently over the first.
        let other = new_member(&app).await;
        let first = |day: &'static str| {
            app.patch("/api/member/me")
                .token(&other.token)
                .json(&MemberProfileUpdate {
                    birthday: Some(day.into()),
                    ..Default::default()
                })
                .send()
        };
        let (a, b) = tokio::join!(first("1991-07-01"), first("1992-08-02"));
        let kept = [a.status, b.status];
        assert!(kept.contains(&200) && kept.contains(&422), "{kept:?}");
        let me: shared::dto::MemberProfile = app
            .get("/api/member/me")
            .token(&other.token)
            .send()
            .await
            .ok();
        let won = if a.status == 200 {
            "1991-07-01"
        } else {
            "1992-08-02"
        };
        assert_eq!(me.birthday.as_deref(), Some(won));
    }
);

dual_test!(
    the_birthday_gift_comes_once_a_year_in_the_birthday_month_even_from_two_replicas_at_once,
    |app| async move {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let shop = shop(&app).await;
        let gift = crate::coupons::new_template(
            &app,
            &shop.admin,
            &crate::coupons::cash_coupon("生日礼券"),
        )
        .await;
        let mut p = two_levels();
        p.levels[1].birthday_coupon_id = Some(gift.id);
        set_levels(&app, &shop.admin, &p).await.status(200);
        let born = |birthday: &'static str| {
            let app = &app;
            async move {
                let m = new_member(app).await;
                app.patch("/api/member/me")
                    .token(&m.token)
                    .json(&MemberProfileUpdate {
                        birthday: Some(birthday.into()),
                        ..Default::default()
                    })
                    .send()
                    .await
                    .status(200);
                m
            }
        };
        let march = born("1990-03-15").await;
        let leap = born("2000-02-29").await;
        let may = born("1990-05-01").await;
        let gifts = |m: &Member| {
            let (db, id) = (app.db.clone(), m.id);
            async move {
                tongka_server::entity::coupon::Entity::find()
                    .filter(tongka_server::entity::coupon::Column::MemberId.eq(id))
                    .all(&db)
                    .await
                    .expect("coupons")
                    .len()
            }
        };
        // The tests' clock: 2 March 2026 in Shanghai. Two replicas at once.
        let now = app.clock.now_ms();
        let (a, b) = tokio::join!(
            tongka_server::levels::birthday_gifts(&app.db, now),
            tongka_server::levels::birthday_gifts(&app.db, now)
        );
        assert_eq!(a.expect("one") + b.expect("other"), 1);
        assert_eq!(
            (gifts(&march).await, gifts(&leap).await, gifts(&may).await),
            (1, 0, 0)
        );
        // Later that month: nothing more.
        let later = now + 20 * 86_400_000;
        assert_eq!(
            tongka_server::levels::birthday_gifts(&app.db, later)
                .await
                .expect("run"),
            0
        );
        // February 2027 has no 29th: the 29 February birthday's gift comes
        // in February all the same (01:00 on 1 Feb in Shanghai is still
        // 31 January in UTC).
        let feb = instant("2027-01-31T17:00:00Z").timestamp_millis();
        tongka_server::levels::birthday_gifts(&app.db, feb)
            .await
            .expect("run");
        assert_eq!(gifts(&leap).await, 1);
        // March 2027: a year on, the March member's second (one per member
        // per template does not hold a yearly gift back).
        let next_march = instant("2027-03-10T02:00:00Z").timestamp_millis();
        tongka_server::levels::birthday_gifts(&app.db, next_march)
            .await
            .expect("run");
        assert_eq!(
            (gifts(&march).await, gifts(&leap).await, gifts(&may).await),
            (2, 1, 0)
        );
        assert_reconciled(&app).await;
    }
);

/// A coupon of `template` the member has just claimed (none without one).
async fn claimed(app: &TestApp, member: &Member, template: Option<i64>) -> Option<MemberCoupon> {
    match template {
        Some(t) => Some(crate::coupons::claim(app, member, t).await.ok()),
        None => None,
    }
}

/// What the member app shows for `bill` at `store`: its plan from the
/// member's balance, level, points (when ticked) and `coupon`, read from the
/// same endpoints the pay page reads.
async fn app_preview(
    app: &TestApp,
    member: &Member,
    (bill, coupon, use_points): (i64, Option<&MemberCoupon>, bool),
) -> PaymentPlan {
    use shared::plan::{Bill, plan};
    let b = balance(app, &member.token).await;
    let pts: MemberPointsView = app
        .get("/api/member/points")
        .token(&member.token)
        .send()
        .await
        .ok();
    let level = standing(app, member).await;
    let rate = shared::money::Bp(level.level.as_ref().map_or(10_000, |l| l.pay_rate_bp));
    plan(&Bill {
        level_rate: rate,
        coupon: coupon.and_then(|c| c.rule.choice()),
        points: if use_points {
            pts.policy.choice(pts.usable)
        } else {
            None
        },
        ..Bill::plain(Fen(bill), b.principal, b.bonus)
    })
}

/// The payment the app sends for `preview` (the coupon only where it takes
/// something off, as the pay page picks it).
fn as_sent(
    store_id: i64,
    (bill, coupon): (i64, Option<&MemberCoupon>),
    preview: &PaymentPlan,
) -> PaymentRequest {
    PaymentRequest {
        use_points: preview.points_used > 0,
        points_expected: (preview.points_used > 0).then_some(preview.points_used),
        payable_expected: Some(preview.payable()),
        store_id,
        amount: Fen(bill),
        pin: Some(TEST_PIN.into()),
        pay_request: None,
        coupon_id: coupon
            .filter(|_| preview.coupon.is_positive())
            .map(|c| c.id),
        without_coupon_if_gone: false,
    }
}

dual_test!(
    the_apps_preview_is_what_the_server_books_for_a_table_of_bills,
    |app| async move {
        use crate::coupons::{cash_coupon, new_template};
        let _sweeps = crate::gateway::SWEEPS.read().await;
        let shop = shop(&app).await;
        earn_points(&app, &shop.admin).await;
        // One level from ¥0 at 93.5 %: every level discount rounds.
        let mut p = gold_for_all();
        p.levels[0].pay_rate_bp = 9_350;
        set_levels(&app, &shop.admin, &p).await.status(200);
        // HQ's coupons: ¥10 off over ¥50 (after the level discount), and
        // 15 % off up to ¥3 with no minimum.
        let cash = new_template(
            &app,
            &shop.admin,
            &CouponTemplateInput {
                per_member: 20,
                ..cash_coupon("满50减10")
            },
        )
        .await;
        let percent = new_template(
            &app,
            &shop.admin,
            &CouponTemplateInput {
                kind: CouponKind::Percent,
                off: Fen::ZERO,
                rate_bp: 1_500,
                cap: Fen(300),
                min_spend: Fen::ZERO,
                per_member: 20,
                ..cash_coupon("85折")
            },
        )
        .await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        // Points to spend: a ¥200 payment at 93.5 % earns 187 × 2.
        pay_ok(&app, &member.token, shop.one.id, 20_000).await;
        // (bill in fen, coupon template, with points): paid from stored value.
        let table = [
            (1, None, false),
            (1, None, true),
            (99, None, true),
            (1_001, None, false),
            (1_001, None, true),
            (12_345, None, true),
            (25_001, None, true),
            (7, None, false),
            // Under the minimum once the level takes its part.
            (5_300, Some(cash.id), true),
            (5_400, Some(cash.id), true),
            (6_001, Some(cash.id), false),
            (1, Some(percent.id), true),
            (1_999, Some(percent.id), true),
            (2_003, Some(percent.id), false),
            (9_999, Some(percent.id), true),
        ];
        // How many rows a coupon and points each took something off (the
        // table is meant to cover both, alone and together).
        let mut took = (0, 0, 0);
        for (bill, template, use_points) in table {
            let coupon = claimed(&app, &member, template).await;
            // What the member app shows …
            let preview = app_preview(&app, &member, (bill, coupon.as_ref(), use_points)).await;
            // … and what the server books, told what the member saw.
            let r: PaymentReceipt = app
                .post("/api/member/payments")
                .token(&member.token)
                .header(IDEMPOTENCY_KEY, &new_key())
                .json(&as_sent(shop.one.id, (bill, coupon.as_ref()), &preview))
                .send()
                .await
                .ok();
            let booked = (
                r.quote.member_discount,
                r.coupon,
                r.points_off,
                r.points_used,
                r.principal,
                r.bonus,
                r.quote.payable,
            );
            let shown = (
                preview.level_discount,
                preview.coupon,
                preview.points,
                preview.points_used,
                preview.principal,
                preview.bonus,
                preview.payable(),
            );
            assert_eq!(
                booked, shown,
                "bill {bill} fen, coupon {template:?}, points {use_points}"
            );
            let (c, p) = (r.coupon.is_positive(), r.points_used > 0);
            took = (
                took.0 + usize::from(c),
                took.1 + usize::from(p),
                took.2 + usize::from(c && p),
            );
        }
        assert_eq!(took, (5, 7, 3), "(coupon, points, both) rows");
        // Split payments: a member with ¥40 left and the points their ¥160
        // earned pays more; the rest online. What the order holds and asks the
        // gateway for is what the app showed; each is given up after.
        let short = new_member(&app).await;
        set_pin(&app, &short).await;
        topup_ok(&app, &shop.clerk, &short.phone, 20_000).await;
        pay_ok(&app, &short.token, shop.one.id, 16_000).await;
        let split_table = [
            (10_000, None, false),
            (10_000, None, true),
            (12_345, Some(cash.id), true),
            (8_001, Some(percent.id), false),
            (30_003, Some(percent.id), true),
        ];
        for (bill, template, use_points) in split_table {
            let coupon = claimed(&app, &short, template).await;
            let preview = app_preview(&app, &short, (bill, coupon.as_ref(), use_points)).await;
            assert!(preview.online.is_positive(), "bill {bill}: {preview:?}");
            let o: TopUpOrderView = app
                .post(crate::split_payments::SPLIT)
                .token(&short.token)
                .header(IDEMPOTENCY_KEY, &new_key())
                .json(&as_sent(shop.one.id, (bill, coupon.as_ref()), &preview))
                .send()
                .await
                .ok();
            let booked = (o.stored_value, o.points_off, o.points_used, o.amount);
            let shown = (
                preview.principal + preview.bonus,
                preview.points,
                preview.points_used,
                preview.online,
            );
            assert_eq!(
                booked, shown,
                "split bill {bill} fen, coupon {template:?}, points {use_points}"
            );
            assert_eq!(
                (preview.coupon.is_positive(), preview.points_used > 0),
                (template.is_some(), use_points),
                "split bill {bill} fen: the row takes what it names off"
            );
            let closed = crate::gateway::give_up(&app, &short, o.id).await;
            assert_eq!(closed.state, OrderState::Closed, "bill {bill}");
        }
        assert_reconciled(&app).await;
    }
);

dual_test!(
    random_sequences_of_payments_refunds_splits_and_clock_moves_keep_points_and_spend_true,
    |app| async move {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use tongka_server::entity::point_lot;
        let shop = shop(&app).await;
        earn_points(&app, &shop.admin).await;
        set_levels(&app, &shop.admin, &two_levels())
            .await
            .status(200);
        let mut members = Vec::new();
        for _ in 0..2 {
            let m = new_member(&app).await;
            set_pin(&app, &m).await;
            members.push(m);
        }
        let (mut clerk, mut manager) = (shop.clerk.clone(), shop.manager.clone());
        // Per member: what they spent (net of refunds), by the model.
        let mut spent = [0i64; 2];
        // Payments: (member, id, money paid, money refunded).
        let mut paid: Vec<(usize, i64, i64, i64)> = Vec::new();
        let mut rng = crate::money::Rng::new(0x5eed_1e7e15);
        for step in 0..36 {
            let who = rng.range(0, 1) as usize;
            let m = &members[who];
            match rng.range(0, 9) {
                // Pay, with points or not, topping up first if short.
                0..=4 => {
                    let amount = rng.range(1, 30_000);
                    if total(&app, &m.token).await < amount {
                        topup_ok(&app, &clerk, &m.phone, 40_000).await;
                    }
                    let pts = rng.range(0, 1) == 1;
                    let r: PaymentReceipt = app
                        .post("/api/member/payments")
                        .token(&m.token)
                        .header(IDEMPOTENCY_KEY, &new_key())
                        .json(&PaymentRequest {
                            use_points: pts,
                            points_expected: None,
                            payable_expected: None,
                            store_id: shop.one.id,
                            amount: Fen(amount),
                            pin: Some(TEST_PIN.into()),
                            pay_request: None,
                            coupon_id: None,
                            without_coupon_if_gone: false,
                        })
                        .send()
                        .await
                        .ok();
                    spent[who] += r.quote.payable.0;
                    paid.push((who, r.payment_id, r.quote.payable.0, 0));
                }
                // Refund part or all of one of the payments.
                5..=6 => {
                    let open: Vec<usize> =
                        (0..paid.len()).filter(|&i| paid[i].2 > paid[i].3).collect();
                    if open.is_empty() {
                        continue;
                    }
                    let i = *rng.pick(&open);
                    let (owner, id, money, back) = paid[i];
                    let amount = if rng.range(0, 1) == 0 {
                        money - back
                    } else {
                        rng.range(1, money - back)
                    };
                    let r = refund(&app, &manager, id, amount).await;
                    r.status(201);
                    paid[i].3 += amount;
                    spent[owner] -= amount;
                }
                // A split payment: more than the balance, the rest online.
                7 => {
                    let over = total(&app, &m.token).await + rng.range(100, 5_000);
                    let o = crate::split_payments::split_paid(&app, m, shop.one.id, over).await;
                    let money = (o.stored_value + o.amount).0;
                    spent[who] += money;
                    paid.push((who, o.payment_id.expect("paid"), money, 0));
                }
                // Days pass; the expiry job runs; everyone signs in again.
                _ => {
                    app.clock.advance(std::time::Duration::from_secs(
                        86_400 * rng.range(1, 40) as u64,
                    ));
                    tongka_server::points::expire_due(
                        &app.db,
                        app.clock.now_ms(),
                        Some(app.brand_id),
                    )
                    .await
                    .expect("expiry job");
                    clerk = app.staff_token("clerk.one", STAFF_PASSWORD).await;
                    manager = app.staff_token("boss.one", STAFF_PASSWORD).await;
                    for m in &mut members {
                        m.token = app.member_login(&m.phone).await;
                    }
                }
            }
            // After every step, for both members: the points account is
            // the sum of the lots, what they may use is what is left in
            // lots not yet expired, and the spend is the model's.
            let now = app.clock.now_ms();
            for (i, m) in members.iter().enumerate() {
                let (kept, lots) = crate::points::account_and_lots(&app, m).await;
                assert_eq!(kept, lots, "step {step}: account and lots");
                let live: i64 = point_lot::Entity::find()
                    .filter(point_lot::Column::MemberId.eq(m.id))
                    .filter(point_lot::Column::ExpiresAt.gt(now))
                    .all(&app.db)
                    .await
                    .expect("lots")
                    .iter()
                    .map(|l| l.left_points)
                    .sum();
                let v: MemberPointsView = app
                    .get("/api/member/points")
                    .token(&m.token)
                    .send()
                    .await
                    .ok();
                assert_eq!(v.usable, live, "step {step}: usable");
                assert!(v.usable >= 0 && v.owed >= 0, "step {step}: {v:?}");
                assert_eq!(
                    standing(&app, m).await.spent,
                    Fen(spent[i]),
                    "step {step}: spend"
                );
            }
        }
        assert_reconciled(&app).await;
    }
);

/// A ¥`amount` payment (split when `split`) as the member was shown it: they
/// pay `shown` of it.
async fn pay_as_shown(
    app: &TestApp,
    member: &Member,
    store_id: i64,
    (amount, shown, split): (i64, i64, bool),
) -> Reply {
    let path = if split {
        crate::split_payments::SPLIT
    } else {
        "/api/member/payments"
    };
    app.post(path)
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: false,
            points_expected: None,
            payable_expected: Some(Fen(shown)),
            store_id,
            amount: Fen(amount),
            pin: Some(TEST_PIN.into()),
            pay_request: None,
        })
        .send()
        .await
}

dual_test!(
    a_level_lost_since_the_member_saw_the_price_refuses_the_payment_and_moves_nothing,
    |app| async move {
        let _sweeps = crate::gateway::SWEEPS.read().await;
        let shop = shop(&app).await;
        set_levels(&app, &shop.admin, &gold_for_all())
            .await
            .status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        // The member's page shows ¥95 for ¥100 at 金卡; HQ then ends the
        // levels before they pay.
        let none = LevelsPolicy {
            refund_lowers: false,
            levels: vec![],
        };
        set_levels(&app, &shop.admin, &none).await.status(200);
        for split in [false, true] {
            let (amount, shown) = if split {
                (30_000, 28_500)
            } else {
                (10_000, 9_500)
            };
            let refused = pay_as_shown(&app, &member, shop.one.id, (amount, shown, split)).await;
            let e = refused.error(422, ErrorCode::PriceChanged);
            assert_eq!(
                e.params.get("payable").map(String::as_str),
                Some(amount.to_string().as_str()),
                "the price now"
            );
            assert_eq!(total(&app, &member.token).await, 20_000, "nothing moved");
        }
        // Shown the new price, it goes through.
        let r: PaymentReceipt = pay_as_shown(&app, &member, shop.one.id, (10_000, 10_000, false))
            .await
            .ok();
        assert_eq!(r.quote.payable, Fen(10_000));
        assert_reconciled(&app).await;
    }
);
