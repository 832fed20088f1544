//! Points (issue 18), first part: HQ's policy; points earned on payments in
//! lots with their own expiry, spent as a deduction soonest-expiring first,
//! given back to their lots and taken back (or owed) by refunds; the expiry
//! job on two replicas at once; two payments spending the same points at
//! once. On SQLite and PostgreSQL.

use crate::helpers::*;
use crate::money::*;
use shared::dto::{
    EntryKind, HistoryItem, MemberPointsView, Page, PaymentReceipt, PaymentRequest, PointsPolicy,
};
use shared::money::Fen;
use std::time::Duration;
use tongka_server::entity::{journal_entry, point_lot};
use tongka_server::ledger::Kind;

const DAY: Duration = Duration::from_secs(86_400);

/// 1 point per yuan, lots lasting 30 days, 100 points = ¥1, up to half a
/// bill.
fn policy() -> PointsPolicy {
    PointsPolicy {
        per_yuan: 1,
        expiry_days: 30,
        step: 100,
        step_worth: Fen(100),
        max_share_bp: 5_000,
        remind_days: 30,
        birthday_rate_bp: 10_000,
    }
}

async fn set_policy(app: &TestApp, admin: &str, p: &PointsPolicy) -> Reply {
    app.put("/api/hq/points-policy")
        .token(admin)
        .json(p)
        .send()
        .await
}

async fn points(app: &TestApp, member: &Member) -> MemberPointsView {
    app.get("/api/member/points")
        .token(&member.token)
        .send()
        .await
        .ok()
}

/// A payment of `amount` fen with the member's points.
async fn pay_with_points(app: &TestApp, member: &Member, store_id: i64, amount: i64) -> Reply {
    pay_with_points_pin(app, member, store_id, amount, Some(TEST_PIN)).await
}

/// … with this PIN, or none.
async fn pay_with_points_pin(
    app: &TestApp,
    member: &Member,
    store_id: i64,
    amount: i64,
    pin: Option<&str>,
) -> Reply {
    app.post("/api/member/payments")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: true,
            points_expected: None,
            payable_expected: None,
            store_id,
            amount: Fen(amount),
            pin: pin.map(str::to_string),
            pay_request: None,
        })
        .send()
        .await
}

/// A history entry's points as the member reads them: kind, points moved
/// and left, points owed (negative: repaid).
type PointsLine = (EntryKind, Option<(i64, i64)>, i64);

/// The member's points account as the ledger keeps it, and the sum left in
/// their lots: always equal.
pub async fn account_and_lots(app: &TestApp, member: &Member) -> (i64, i64) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let account =
        tongka_server::ledger::find_account(&app.db, app.brand_id, Kind::MemberPoints, member.id)
            .await
            .expect("account")
            .map(|a| a.id);
    let kept = match account {
        Some(id) => tongka_server::entity::account::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .expect("read")
            .map_or(0, |a| a.balance),
        None => 0,
    };
    let lots: i64 = point_lot::Entity::find()
        .filter(point_lot::Column::MemberId.eq(member.id))
        .all(&app.db)
        .await
        .expect("lots")
        .iter()
        .map(|l| l.left_points)
        .sum();
    (kept, lots)
}

async fn expiry_entries(app: &TestApp) -> Vec<journal_entry::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(app.brand_id))
        .filter(journal_entry::Column::Kind.eq(EntryKind::PointsExpiry.as_str()))
        .all(&app.db)
        .await
        .expect("entries")
}

dual_test!(
    hq_sets_the_points_policy_and_every_wrong_field_is_named,
    |app| async move {
        let shop = shop(&app).await;
        let read: PointsPolicy = app
            .get("/api/hq/points-policy")
            .token(&shop.clerk)
            .send()
            .await
            .ok();
        assert_eq!(read, PointsPolicy::default(), "no earning until HQ sets it");
        // Without a policy a payment earns nothing and points cannot pay.
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let r: PaymentReceipt = pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        assert_eq!(r.points_earned, 0);
        pay_with_points(&app, &member, shop.one.id, 1_000)
            .await
            .invalid_because("use_points", "points_cannot_pay");
        let wrong = [
            (
                PointsPolicy {
                    per_yuan: 101,
                    ..policy()
                },
                "per_yuan",
                "points_rate_range",
            ),
            (
                PointsPolicy {
                    per_yuan: -1,
                    ..policy()
                },
                "per_yuan",
                "points_rate_range",
            ),
            (
                PointsPolicy {
                    expiry_days: 3651,
                    ..policy()
                },
                "expiry_days",
                "points_days_range",
            ),
            (
                PointsPolicy {
                    step: 0,
                    ..policy()
                },
                "step",
                "points_step_range",
            ),
            (
                PointsPolicy {
                    step_worth: Fen(0),
                    ..policy()
                },
                "step_worth",
                "points_worth_range",
            ),
            (
                PointsPolicy {
                    max_share_bp: 10_001,
                    ..policy()
                },
                "max_share_bp",
                "rate_range",
            ),
            (
                PointsPolicy {
                    remind_days: 91,
                    ..policy()
                },
                "remind_days",
                "remind_days_range",
            ),
        ];
        for (p, field, reason) in wrong {
            set_policy(&app, &shop.admin, &p)
                .await
                .invalid_because(field, reason);
        }
        set_policy(&app, &shop.clerk, &policy()).await.status(403);
        let saved: PointsPolicy = set_policy(&app, &shop.admin, &policy()).await.ok();
        assert_eq!(saved, policy());
        let read: PointsPolicy = app
            .get("/api/hq/points-policy")
            .token(&shop.clerk)
            .send()
            .await
            .ok();
        assert_eq!(read, policy());
        // The money settings HQ saves after keep the points policy.
        let money: shared::dto::MoneySettings = app
            .get("/api/hq/money-settings")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        app.put("/api/hq/money-settings")
            .token(&shop.admin)
            .json(&money)
            .send()
            .await
            .status(200);
        let read: PointsPolicy = app
            .get("/api/hq/points-policy")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(read, policy());
    }
);

dual_test!(
    points_are_earned_in_lots_spent_soonest_first_expire_and_refunds_put_them_back,
    |app| async move {
        let shop = shop(&app).await;
        set_policy(&app, &shop.admin, &policy()).await.status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;

        // ¥123.45 earns 123 (whole yuan); ten days later ¥200 earns 200.
        let first = pay_ok(&app, &member.token, shop.one.id, 12_345).await;
        assert_eq!(first.points_earned, 123);
        let first_expiry = app.clock.now_ms() + 30 * 86_400_000;
        app.clock.advance(10 * DAY);
        let second = pay_ok(&app, &member.token, shop.two.id, 20_000).await;
        assert_eq!(second.points_earned, 200);
        let p = points(&app, &member).await;
        assert_eq!((p.usable, p.next_expiring, p.owed), (323, 123, 0));
        assert_eq!(
            p.next_expiry
                .as_deref()
                .map(|t| instant(t).timestamp_millis()),
            Some(first_expiry)
        );
        assert_eq!(
            p.lots
                .iter()
                .map(|l| (l.left, l.payment_id))
                .collect::<Vec<_>>(),
            vec![
                (123, Some(first.payment_id)),
                (200, Some(second.payment_id))
            ]
        );

        // ¥10 with points: half the bill at most, in whole steps of 100
        // points = ¥1: 300 points pay ¥3, the soonest lot first.
        let reply = pay_with_points(&app, &member, shop.one.id, 1_000).await;
        reply.status(201);
        let with: PaymentReceipt = reply.ok();
        assert_eq!((with.points_used, with.points_off), (300, Fen(300)));
        assert_eq!(
            (with.principal + with.bonus, with.points_earned),
            (Fen(700), 7)
        );
        let p = points(&app, &member).await;
        assert_eq!(
            p.lots.iter().map(|l| l.left).collect::<Vec<_>>(),
            vec![23, 7],
            "123 from the first lot, 177 from the second"
        );
        assert_eq!(p.usable, 30);

        // Refunded in full: the 300 points go back where they came from,
        // the 7 it earned are taken back.
        refund_ok(&app, &shop.manager, with.payment_id, 700).await;
        let p = points(&app, &member).await;
        assert_eq!(
            p.lots.iter().map(|l| l.left).collect::<Vec<_>>(),
            vec![123, 200]
        );
        assert_eq!((p.usable, p.owed), (323, 0));
        assert_eq!(account_and_lots(&app, &member).await, (323, 323));

        // Past the first lot's expiry it counts for nothing at once, before
        // any job has run.
        app.clock.advance(21 * DAY);
        // (A month on, the member and the manager sign in again.)
        let member = Member {
            token: app.member_session(&member.phone).await.token,
            ..member
        };
        let manager = app.staff_token("boss.one", STAFF_PASSWORD).await;
        let p = points(&app, &member).await;
        assert_eq!((p.usable, p.lots.len()), (200, 1));
        // The expiry job on two replicas at once: the lot expires once,
        // stamped with its expiry instant.
        let now = app.clock.now_ms();
        let mine = Some(app.brand_id);
        let (a, b) = tokio::join!(
            tongka_server::points::expire_due(&app.db, now, mine),
            tongka_server::points::expire_due(&app.db, now, mine)
        );
        assert_eq!(
            a.expect("job") + b.expect("job"),
            1,
            "one lot, expired once"
        );
        let expired = expiry_entries(&app).await;
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].created_at, first_expiry);
        assert_eq!(
            tongka_server::points::expire_due(&app.db, now, mine)
                .await
                .expect("job"),
            0,
            "safe twice"
        );
        assert_eq!(account_and_lots(&app, &member).await, (200, 200));

        // Points earned and spent before the refund: what cannot be taken
        // back is owed, and repaid first from the next earning.
        let third = pay_ok(&app, &member.token, shop.one.id, 10_000).await;
        assert_eq!(third.points_earned, 100);
        let spend = pay_with_points(&app, &member, shop.one.id, 2_000).await;
        spend.status(201);
        let spend: PaymentReceipt = spend.ok();
        assert_eq!(
            spend.points_used, 300,
            "the 200 left, then 100 of the new lot"
        );
        assert_eq!(spend.points_earned, 17, "the ¥17 paid with money");
        assert_eq!(points(&app, &member).await.usable, 17);
        refund_ok(&app, &manager, third.payment_id, 10_000).await;
        let p = points(&app, &member).await;
        assert_eq!((p.usable, p.owed), (17, 100));
        let next = pay_ok(&app, &member.token, shop.one.id, 6_000).await;
        assert_eq!(next.points_earned, 60);
        let p = points(&app, &member).await;
        assert_eq!((p.usable, p.owed), (17, 40), "60 repaid what was owed");
        assert_eq!(account_and_lots(&app, &member).await, (17, 17));
        // The history's points say so: the spending payment (300 used, 17
        // earned), the refund that left 100 owed, the payment that repaid 60.
        let h: Page<HistoryItem> = app
            .get("/api/member/history?kind=points")
            .token(&member.token)
            .send()
            .await
            .ok();
        let told: Vec<PointsLine> = h
            .items
            .iter()
            .take(3)
            .map(|i| (i.kind, i.points.map(|p| (p.delta, p.after)), i.points_owed))
            .collect();
        assert_eq!(
            told,
            [
                (EntryKind::Payment, None, -60),
                (EntryKind::Refund, None, 100),
                (EntryKind::Payment, Some((-283, 17)), 0),
            ]
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    two_payments_spending_the_same_points_at_once_spend_them_once,
    |app| async move {
        let shop = shop(&app).await;
        set_policy(
            &app,
            &shop.admin,
            &PointsPolicy {
                max_share_bp: 10_000,
                ..policy()
            },
        )
        .await
        .status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        pay_ok(&app, &member.token, shop.one.id, 30_000).await;
        assert_eq!(points(&app, &member).await.usable, 300);
        // Each alone would pay ¥3 of its ¥5 with all 300 points.
        let (a, b) = tokio::join!(
            pay_with_points(&app, &member, shop.one.id, 500),
            pay_with_points(&app, &member, shop.two.id, 500)
        );
        let (a, b): (PaymentReceipt, PaymentReceipt) = (a.ok(), b.ok());
        let mut used = [a.points_used, b.points_used];
        used.sort_unstable();
        assert_eq!(used, [0, 300], "the points paid one of them");
        let earned = a.points_earned + b.points_earned;
        assert_eq!(earned, 2 + 5, "¥2 and ¥5 paid with money");
        assert_eq!(points(&app, &member).await.usable, earned);
        assert_eq!(account_and_lots(&app, &member).await, (earned, earned));
        assert_reconciled(&app).await;
    }
);

/// `POST /api/member/split-payments` with points, as the member was shown
/// `expected` of them.
async fn split_with_points(
    app: &TestApp,
    member: &Member,
    store_id: i64,
    amount: i64,
    expected: Option<i64>,
) -> Reply {
    app.post(crate::split_payments::SPLIT)
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&PaymentRequest {
            coupon_id: None,
            without_coupon_if_gone: false,
            use_points: true,
            points_expected: expected,
            payable_expected: None,
            store_id,
            amount: Fen(amount),
            pin: Some(TEST_PIN.into()),
            pay_request: None,
        })
        .send()
        .await
}

/// What the member's points-held account keeps (split payments' gateway
/// legs running).
async fn points_held(app: &TestApp, member: &Member) -> i64 {
    use sea_orm::EntityTrait;
    let account = tongka_server::ledger::find_account(
        &app.db,
        app.brand_id,
        Kind::MemberPointsHold,
        member.id,
    )
    .await
    .expect("account");
    match account {
        Some(a) => tongka_server::entity::account::Entity::find_by_id(a.id)
            .one(&app.db)
            .await
            .expect("read")
            .map_or(0, |a| a.balance),
        None => 0,
    }
}

/// 100 points a yuan, each 100 points worth ¥1, up to half a bill.
fn rich() -> PointsPolicy {
    PointsPolicy {
        per_yuan: 100,
        ..policy()
    }
}

dual_test!(
    a_split_payment_holds_its_points_while_the_gateway_leg_runs,
    |app| async move {
        use crate::gateway::{checkout_of, give_up, press, wait_for_state};
        let _sweeps = crate::gateway::SWEEPS.read().await;
        let shop = shop(&app).await;
        set_policy(&app, &shop.admin, &rich()).await.status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 8_000).await;
        // ¥50 paid: 5,000 points (¥50 of them), ¥30 left.
        pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        let before = points(&app, &member).await;
        assert_eq!(before.usable, 5_000);

        // A ¥100 bill: ¥50 of points (half the bill), the ¥30 stored and
        // ¥20 online. Shown 4,000 points, it is refused and nothing is held.
        split_with_points(&app, &member, shop.one.id, 10_000, Some(4_000))
            .await
            .error(422, shared::ErrorCode::PointsChanged);
        assert_eq!(points(&app, &member).await.usable, 5_000);
        assert_eq!(total(&app, &member.token).await, 3_000);
        let reply = split_with_points(&app, &member, shop.one.id, 10_000, Some(5_000)).await;
        reply.status(201);
        let started: shared::dto::TopUpOrderView = reply.ok();
        assert_eq!(started.amount, Fen(2_000), "¥20 left to pay online");
        assert_eq!(started.stored_value, Fen(3_000));
        assert_eq!(
            (started.points_used, started.points_off),
            (5_000, Fen(5_000))
        );
        // Held: they pay nothing else meanwhile, and the member sees why.
        let during = points(&app, &member).await;
        assert_eq!((during.usable, during.held), (0, 5_000));
        assert_eq!(points_held(&app, &member).await, 5_000);
        assert_eq!(account_and_lots(&app, &member).await, (0, 0));
        let refused = pay_with_points(&app, &member, shop.two.id, 100).await;
        refused.error(422, shared::ErrorCode::InsufficientBalance);

        // Given up: the points go back to the lot they came from.
        give_up(&app, &member, started.id).await;
        let back = points(&app, &member).await;
        assert_eq!((back.usable, back.held), (5_000, 0));
        assert_eq!(back.lots, before.lots, "the same lot, the same expiry");
        assert_eq!(points_held(&app, &member).await, 0);
        assert_eq!(account_and_lots(&app, &member).await, (5_000, 5_000));
        assert_eq!(total(&app, &member.token).await, 3_000);

        // Again, and paid at the checkout: one payment of ¥100 with ¥50 of
        // points, earning on the member's own ¥50 (stored ¥30, online ¥20).
        let reply = split_with_points(&app, &member, shop.one.id, 10_000, Some(5_000)).await;
        reply.status(201);
        let started: shared::dto::TopUpOrderView = reply.ok();
        assert_eq!(
            press(&checkout_of(&started), "pay").await,
            crate::gateway::back_to_app(&app, &started)
        );
        let paid = wait_for_state(&app, &member, started.id, shared::dto::OrderState::Paid).await;
        let payment_id = paid.payment_id.expect("settled");
        assert_eq!(points_held(&app, &member).await, 0);
        let after = points(&app, &member).await;
        assert_eq!(after.usable, 5_000, "earned 5,000 on ¥50 of own money");
        assert_eq!(after.lots.len(), 1);
        assert_eq!(after.lots[0].payment_id, Some(payment_id));
        assert_eq!(account_and_lots(&app, &member).await, (5_000, 5_000));
        // The store sees the member's ¥50 of it, ¥20 online.
        let store = crate::split_payments::store_payments(&app, &shop.manager).await;
        let item = store.iter().find(|p| p.id == payment_id).expect("listed");
        assert_eq!((item.amount, item.online), (Fen(5_000), Fen(2_000)));

        // Refunded in full: the points spent come back to the first lot,
        // those earned go.
        refund_ok(&app, &shop.manager, payment_id, 5_000).await;
        let refunded = points(&app, &member).await;
        assert_eq!(refunded.usable, 5_000);
        assert_eq!(refunded.lots, before.lots);
        assert_eq!(account_and_lots(&app, &member).await, (5_000, 5_000));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_split_payment_and_a_payment_fired_at_once_never_spend_the_same_points,
    |app| async move {
        let _sweeps = crate::gateway::SWEEPS.read().await;
        let shop = shop(&app).await;
        set_policy(&app, &shop.admin, &rich()).await.status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        assert_eq!(points(&app, &member).await.usable, 5_000);
        // Both want the 5,000 points and the ¥50 stored: a ¥100 payment
        // (¥50 of points, ¥50 stored) and a ¥200 split payment (¥50 of
        // points, ¥50 stored, ¥100 online).
        let (a, b) = tokio::join!(
            pay_with_points(&app, &member, shop.one.id, 10_000),
            split_with_points(&app, &member, shop.two.id, 20_000, Some(5_000))
        );
        let paid = a.status == 201;
        let held = b.status == 201;
        assert!(paid || held, "one of them went through");
        let mut used = 0;
        if paid {
            let r: PaymentReceipt = a.ok();
            used += r.points_used;
        }
        if held {
            let o: shared::dto::TopUpOrderView = b.ok();
            // After the payment it holds only what that payment earned.
            used += o.points_used;
            assert_eq!(points_held(&app, &member).await, o.points_used);
        }
        if !paid {
            a.error(422, shared::ErrorCode::InsufficientBalance);
        }
        if !held {
            b.error(422, shared::ErrorCode::PointsChanged);
        }
        let (account, lots) = account_and_lots(&app, &member).await;
        assert_eq!(account, lots);
        let earned: i64 = if paid { 5_000 } else { 0 };
        assert_eq!(
            account + points_held(&app, &member).await,
            5_000 + earned - if paid { 5_000 } else { 0 },
            "every point is in a lot or held, none spent twice (used {used})"
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_pin_is_asked_for_what_stored_value_pays_after_the_points,
    |app| async move {
        let shop = shop(&app).await;
        // 100 points a yuan: a ¥50 payment earns 5,000 (¥50 of points).
        let rich = PointsPolicy {
            per_yuan: 100,
            ..policy()
        };
        set_policy(&app, &shop.admin, &rich).await.status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 55_000).await;
        pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        assert_eq!(points(&app, &member).await.usable, 5_000);
        // ¥250 with ¥50 of points: ¥200 from stored value, within the
        // PIN-free limit: no PIN asked.
        let r = pay_with_points_pin(&app, &member, shop.one.id, 25_000, None).await;
        r.status(201);
        let r: PaymentReceipt = r.ok();
        assert_eq!((r.points_off, r.principal), (Fen(5_000), Fen(20_000)));
        // ¥300 of stored value and 20,000 points left: a ¥500 bill is ¥200
        // of points and ¥300 of stored value (without the points it could
        // not be paid from stored value at all): the PIN is checked, and a
        // wrong one is refused as wrong.
        pay_with_points_pin(&app, &member, shop.one.id, 50_000, Some("000000"))
            .await
            .error(422, shared::ErrorCode::WrongPin);
        let right = pay_with_points_pin(&app, &member, shop.one.id, 50_000, Some(TEST_PIN)).await;
        right.status(201);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_refund_after_the_earned_points_expired_takes_back_the_expired_ones_not_owed,
    |app| async move {
        let shop = shop(&app).await;
        set_policy(&app, &shop.admin, &policy()).await.status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let paid = pay_ok(&app, &member.token, shop.one.id, 10_000).await;
        assert_eq!(paid.points_earned, 100);
        app.clock.advance(31 * DAY);
        let now = app.clock.now_ms();
        tongka_server::points::expire_due(&app.db, now, Some(app.brand_id))
            .await
            .expect("job");
        let manager = app.staff_token("boss.one", STAFF_PASSWORD).await;
        refund_ok(&app, &manager, paid.payment_id, 10_000).await;
        let member = Member {
            token: app.member_session(&member.phone).await.token,
            ..member
        };
        let p = points(&app, &member).await;
        assert_eq!((p.usable, p.owed), (0, 0), "expired points are not owed");
        assert_eq!(account_and_lots(&app, &member).await, (0, 0));
        assert_reconciled(&app).await;
    }
);

/// The member's messages (first page), newest first.
async fn messages(app: &TestApp, member: &Member) -> Vec<shared::dto::MemberMessage> {
    let page: shared::dto::Page<shared::dto::MemberMessage> = app
        .get("/api/member/messages")
        .token(&member.token)
        .send()
        .await
        .ok();
    page.items
}

/// Whether `member` agrees to SMS reminders, after saying `agree` (none:
/// as it is), as their profile shows it.
async fn sms_agreed(app: &TestApp, member: &Member, agree: Option<bool>) -> bool {
    let p: shared::dto::MemberProfile = match agree {
        Some(a) => app
            .patch("/api/member/me")
            .token(&member.token)
            .json(&shared::dto::MemberProfileUpdate {
                points_sms: Some(a),
                ..Default::default()
            })
            .send()
            .await
            .ok(),
        None => app
            .get("/api/member/me")
            .token(&member.token)
            .send()
            .await
            .ok(),
    };
    p.points_sms
}

/// The reminder job for this test's brand, at the test clock's now.
async fn remind(app: &TestApp) -> tongka_server::points::reminders::Reminded {
    tongka_server::points::reminders::remind_due(
        &app.db,
        &*app.state.sms,
        app.state.clock.now_ms(),
        Some(app.brand_id),
    )
    .await
    .expect("reminding")
}

dual_test!(
    points_about_to_expire_are_reminded_in_the_daytime_at_most_once_a_week,
    |app| async move {
        let shop = shop(&app).await;
        // Lots last 30 days; members are told 10 days before.
        let p = PointsPolicy {
            remind_days: 10,
            ..policy()
        };
        set_policy(&app, &shop.admin, &p).await.status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        let lot = points(&app, &member).await;
        assert_eq!(lot.usable, 50);
        let expiry = lot.next_expiry.clone().expect("an expiry");
        // A second member, with 30 points, agrees to SMS reminders; the
        // first did not.
        let agreed = new_member(&app).await;
        set_pin(&app, &agreed).await;
        topup_ok(&app, &shop.clerk, &agreed.phone, 3_000).await;
        pay_ok(&app, &agreed.token, shop.one.id, 3_000).await;
        assert!(
            !sms_agreed(&app, &agreed, None).await,
            "not agreed by default"
        );
        assert!(sms_agreed(&app, &agreed, Some(true)).await);
        let agreed_at = || async {
            use sea_orm::EntityTrait;
            tongka_server::entity::member::Entity::find_by_id(agreed.id)
                .one(&app.db)
                .await
                .expect("member")
                .expect("member")
                .points_sms_at
        };
        let first = agreed_at().await;
        assert!(first.is_some());
        // Said again (a double tap) later: still agreed since the first time.
        app.advance_secs(60);
        assert!(sms_agreed(&app, &agreed, Some(true)).await);
        assert_eq!(agreed_at().await, first);
        // A third, with 20 points, agreed and was then frozen by HQ: told in
        // 消息, not texted.
        let frozen = new_member(&app).await;
        set_pin(&app, &frozen).await;
        topup_ok(&app, &shop.clerk, &frozen.phone, 2_000).await;
        pay_ok(&app, &frozen.token, shop.one.id, 2_000).await;
        assert!(sms_agreed(&app, &frozen, Some(true)).await);
        app.post(&format!("/api/hq/members/{}/freeze", frozen.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        let texts = |phone: String| {
            let app = &app;
            async move {
                app.outbox(&phone)
                    .await
                    .into_iter()
                    .map(|n| n.body)
                    .filter(|b| b.contains("积分"))
                    .collect::<Vec<_>>()
            }
        };
        let kinds = |m: &[shared::dto::MemberMessage]| {
            m.iter()
                .filter(|m| m.kind == EntryKind::PointsReminder)
                .count()
        };
        // The tests start at 09:00 in Shanghai: 30 days away, nothing yet.
        assert_eq!(remind(&app).await.sent, 0);

        // Day 21, 23:00: within 10 days, but night.
        app.advance_secs((21 * 24 + 14) * 3600);
        assert_eq!(remind(&app).await.sent, 0);
        assert_eq!(kinds(&messages(&app, &member).await), 0);

        // Day 22, 10:00: two runners at once remind once.
        app.advance_secs(11 * 3600);
        let (a, b) = tokio::join!(remind(&app), remind(&app));
        assert_eq!(a.sent + b.sent, 3, "three members, once: {a:?} {b:?}");
        assert_eq!(kinds(&messages(&app, &frozen).await), 1);
        assert_eq!(texts(frozen.phone.clone()).await, Vec::<String>::new());
        // The SMS goes only to the member who agreed, once, with what
        // expires and the day (30 days after 2026-03-02).
        assert_eq!(texts(member.phone.clone()).await, Vec::<String>::new());
        let sent = texts(agreed.phone.clone()).await;
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert!(
            sent[0].contains("30 积分将于 2026-04-01 到期"),
            "{}",
            sent[0]
        );
        // It is worth sending until 21:00 that evening, not at night.
        let queued = app.outbox(&agreed.phone).await.pop().expect("the SMS");
        let local = |at| tongka_server::clock::local_time(at, "Asia/Shanghai");
        let day = local(queued.created_at)[..10].to_string();
        assert_eq!(local(queued.deliver_by), format!("{day} 21:00:00"));
        let told = messages(&app, &member).await;
        assert_eq!(kinds(&told), 1);
        let m = &told[0];
        assert_eq!(m.kind, EntryKind::PointsReminder);
        assert_eq!((m.points, m.until.as_deref()), (50, Some(expiry.as_str())));
        assert!(m.unread);

        // Three days on: not again within the week.
        app.advance_secs(3 * 24 * 3600);
        assert_eq!(remind(&app).await.sent, 0);
        // A week after the first, still before they expire: once more;
        // the member who took the SMS back is told in 消息 only.
        assert!(!sms_agreed(&app, &agreed, Some(false)).await);
        app.advance_secs(4 * 24 * 3600);
        assert_eq!(remind(&app).await.sent, 3);
        assert_eq!(kinds(&messages(&app, &member).await), 2);
        assert_eq!(kinds(&messages(&app, &agreed).await), 2);
        assert_eq!(texts(agreed.phone.clone()).await.len(), 1);
        // Expired: nothing is left to remind of.
        app.advance_secs(8 * 24 * 3600);
        tongka_server::points::expire_due(&app.db, app.state.clock.now_ms(), Some(app.brand_id))
            .await
            .expect("expiring");
        assert_eq!(account_and_lots(&app, &member).await, (0, 0));
        assert_eq!(remind(&app).await.sent, 0);
        assert_reconciled(&app).await;
    }
);

// A payment at a brand whose payments earn points is handed back by the
// payment batch (the ordinary path books the points); once a batch has seen
// that of a store, its payments go the ordinary way for a while without
// queueing (and taking a write turn) first. Each still earns its points.
dual_test!(
    payments_where_points_are_earned_go_the_ordinary_way_without_queueing,
    |app| async move {
        use std::sync::atomic::Ordering::Relaxed;
        let shop = shop(&app).await;
        set_policy(&app, &shop.admin, &policy()).await.status(200);
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        let stats = app.state.pay_batch.stats.clone();

        let queued = stats.queued.load(Relaxed);
        let first = pay_ok(&app, &member.token, shop.one.id, 1_000).await;
        assert_eq!(first.points_earned, 10);
        assert_eq!(
            stats.queued.load(Relaxed),
            queued + 1,
            "the first is queued"
        );
        let second = pay_ok(&app, &member.token, shop.one.id, 2_000).await;
        assert_eq!(second.points_earned, 20);
        assert_eq!(
            stats.queued.load(Relaxed),
            queued + 1,
            "a payment at a store seen earning points was queued"
        );
        // Ten seconds on, the store is looked at again.
        app.clock.advance(Duration::from_secs(10));
        let third = pay_ok(&app, &member.token, shop.one.id, 3_000).await;
        assert_eq!(third.points_earned, 30);
        assert_eq!(stats.queued.load(Relaxed), queued + 2);
        assert_eq!(points(&app, &member).await.usable, 60);
        assert_eq!(stats.booked.load(Relaxed), 0, "the batch booked a payment");
        assert_reconciled(&app).await;
    }
);
