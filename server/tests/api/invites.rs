//! Invites (邀请有礼): HQ's programme, binding a newcomer once (two
//! registrations at once, self-invite, rebinding), the inviter's daily cap
//! under twenty registrations at once, and first-payment rewards that wait
//! out the refund window (the job fired twice at once gives them once).
//! On SQLite and PostgreSQL.

use crate::coupons::{cash_coupon, new_template, shelf};
use crate::helpers::*;
use crate::money::*;
use futures_util::future::join_all;
use shared::ErrorCode;
use shared::dto::{
    AuditAction, CouponShelf, EntryKind, InviteBinding, InviteFigures, InviteOffer, InvitePolicy,
    InviteReward, InviteState, InviteTrigger, InvitedFriend, MemberInvites, MemberPointsView,
    MemberSession, Page,
};
use shared::money::Fen;
use tongka_server::entity::{invite, journal_entry};

/// Rewards on registration: 100 points to the inviter, 50 to the friend,
/// at most `cap` inviter rewards a day.
fn on_registration(cap: u32) -> InvitePolicy {
    InvitePolicy {
        enabled: true,
        trigger: InviteTrigger::Registration,
        min_payment: Fen(1_000),
        window_days: 7,
        daily_cap: cap,
        inviter: InviteReward {
            points: 100,
            coupon_template_id: None,
        },
        invitee: InviteReward {
            points: 50,
            coupon_template_id: None,
        },
    }
}

/// Rewards when a first payment of ¥10 or more outlives 7 days: the
/// inviter 100 points, the friend 50 and a coupon of `coupon_id`.
fn on_first_payment(coupon_id: i64) -> InvitePolicy {
    InvitePolicy {
        trigger: InviteTrigger::FirstPayment,
        min_payment: Fen(1_000),
        invitee: InviteReward {
            points: 50,
            coupon_template_id: Some(coupon_id),
        },
        ..on_registration(10)
    }
}

/// `n` newcomers registered through the link with `code`, each with ¥100
/// topped up at `s`'s counter.
async fn friends_with_money(app: &TestApp, s: &Shop, code: &str, n: usize) -> Vec<MemberSession> {
    let mut friends = Vec::new();
    for _ in 0..n {
        let phone = random_phone();
        let session: MemberSession = register_through(app, &phone, code).await.ok();
        topup_ok(app, &s.clerk, &phone, 10_000).await;
        friends.push(session);
    }
    friends
}

async fn set_policy(app: &TestApp, admin: &str, p: &InvitePolicy) -> Reply {
    app.put("/api/hq/invite-policy")
        .token(admin)
        .json(p)
        .send()
        .await
}

async fn mine(app: &TestApp, member: &Member) -> MemberInvites {
    app.get("/api/member/invites")
        .token(&member.token)
        .send()
        .await
        .ok()
}

async fn friends(app: &TestApp, member: &Member) -> Vec<InvitedFriend> {
    let mut all = Vec::new();
    let mut after = String::new();
    loop {
        let page: Page<InvitedFriend> = app
            .get(&format!("/api/member/invites/friends{after}"))
            .token(&member.token)
            .send()
            .await
            .ok();
        all.extend(page.items);
        match page.next_cursor {
            Some(c) => after = format!("?after={c}"),
            None => return all,
        }
    }
}

async fn usable(app: &TestApp, token: &str) -> i64 {
    let p: MemberPointsView = app.get("/api/member/points").token(token).send().await.ok();
    p.usable
}

/// Registers `phone` through the link with `code`.
async fn register_through(app: &TestApp, phone: &str, code: &str) -> Reply {
    let sms = app.send_code(phone).await;
    app.member_login_invited(phone, &sms, true, Some(code))
        .await
}

async fn invites_of(app: &TestApp, invitee: i64) -> Vec<invite::Model> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    invite::Entity::find()
        .filter(invite::Column::InviteeId.eq(invitee))
        .all(&app.db)
        .await
        .expect("reading invites")
}

async fn run_job(app: &TestApp) -> tongka_server::invites::Run {
    tongka_server::invites::reward_due(&app.db, app.clock.now_ms(), Some(app.brand_id))
        .await
        .expect("the invites job")
}

dual_test!(
    hq_sets_the_invite_programme_and_every_wrong_field_is_named,
    |app| async move {
        let admin = app.login_admin().await;
        let inviter = new_member(&app).await;
        let code = mine(&app, &inviter).await.code;
        // Off until HQ switches it on: the link offers nothing.
        let off: InvitePolicy = app
            .get("/api/hq/invite-policy")
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(!off.enabled);
        let offer_path = app.brand_path(&format!("invite?code={code}"));
        app.get(&offer_path)
            .send()
            .await
            .error(422, ErrorCode::InviteOff);

        let good = on_registration(5);
        let bad = |f: &dyn Fn(&mut InvitePolicy)| {
            let mut p = good.clone();
            f(&mut p);
            p
        };
        let other_brand = app.other_brand().await;
        let other_admin = other_brand.login_admin().await;
        let foreign = new_template(&other_brand, &other_admin, &cash_coupon("别家券")).await;
        for (p, field, reason) in [
            (
                bad(&|p| p.inviter.points = 100_001),
                "points",
                "invite_points_range",
            ),
            (
                bad(&|p| p.invitee.points = -1),
                "points",
                "invite_points_range",
            ),
            (
                bad(&|p| {
                    p.trigger = InviteTrigger::FirstPayment;
                    p.min_payment = Fen(0);
                }),
                "min_payment",
                "invite_min_payment_range",
            ),
            (
                bad(&|p| p.window_days = 31),
                "window_days",
                "invite_window_range",
            ),
            (bad(&|p| p.daily_cap = 0), "daily_cap", "invite_cap_range"),
            (
                bad(&|p| {
                    p.inviter = InviteReward::default();
                    p.invitee = InviteReward::default();
                }),
                "points",
                "invite_no_reward",
            ),
            (
                bad(&|p| p.invitee.coupon_template_id = Some(foreign.id)),
                "coupon_id",
                "unknown",
            ),
        ] {
            set_policy(&app, &admin, &p)
                .await
                .invalid_because(field, reason);
        }
        // Nothing was saved by the refusals.
        let still: InvitePolicy = app
            .get("/api/hq/invite-policy")
            .token(&admin)
            .send()
            .await
            .ok();
        assert_eq!(still, off);

        let saved: InvitePolicy = set_policy(&app, &admin, &good).await.ok();
        assert_eq!(saved, good);
        let audit: serde_json::Value = app
            .get("/api/hq/audit?action=invite.policy")
            .token(&admin)
            .send()
            .await
            .ok();
        assert!(
            audit
                .to_string()
                .contains(AuditAction::InvitePolicy.as_str()),
            "the change is audited: {audit}"
        );
        // The link offers the friend's reward; a code of no one is named.
        let offer: InviteOffer = app.get(&offer_path).send().await.ok();
        assert_eq!(offer.invitee.points, 50);
        assert_eq!(offer.trigger, InviteTrigger::Registration);
        app.get(&app.brand_path("invite?code=ZZZZZZZZ"))
            .send()
            .await
            .invalid_because("invite_code", "invite_code_unknown");
        app.get(&app.brand_path("invite?code=12"))
            .send()
            .await
            .invalid_because("invite_code", "invite_code_format");
        // A member's code is theirs for good.
        assert_eq!(mine(&app, &inviter).await.code, code);
        assert!(
            mine(&app, &inviter)
                .await
                .link
                .ends_with(&format!("/m/{}/invite/{code}", app.slug))
        );
    }
);

dual_test!(
    a_newcomer_is_bound_once_never_to_themself_and_never_again,
    |app| async move {
        let admin = app.login_admin().await;
        set_policy(&app, &admin, &on_registration(5))
            .await
            .ok::<InvitePolicy>();
        let a = new_member(&app).await;
        let b = new_member(&app).await;
        let (code_a, code_b) = (mine(&app, &a).await.code, mine(&app, &b).await.code);

        // One phone registers through A's link and B's at the same moment
        // (the same SMS code, two taps): one registration, one binding,
        // one reward each side.
        let phone = random_phone();
        let sms = app.send_code(&phone).await;
        let replies = join_all([
            app.member_login_invited(&phone, &sms, true, Some(&code_a)),
            app.member_login_invited(&phone, &sms, true, Some(&code_b)),
        ])
        .await;
        let sessions: Vec<MemberSession> = replies
            .into_iter()
            .filter(|r| r.status == 200)
            .map(|r| r.ok())
            .collect();
        assert_eq!(sessions.len(), 1, "one of the two logins registers");
        let friend = &sessions[0];
        assert_eq!(friend.invite, Some(InviteBinding::Bound));
        let bound = invites_of(&app, friend.member.id).await;
        assert_eq!(bound.len(), 1, "one binding");
        let first = bound[0].inviter_id;
        assert!(first == a.id || first == b.id);
        assert_eq!(usable(&app, &friend.token).await, 50);
        let (inviter, other) = if first == a.id { (&a, &b) } else { (&b, &a) };
        assert_eq!(usable(&app, &inviter.token).await, 100);
        assert_eq!(usable(&app, &other.token).await, 0);

        // Logging in again through the other link does not rebind.
        let other_code = mine(&app, other).await.code;
        app.advance_secs(61);
        let sms = app.send_code(&phone).await;
        let again: MemberSession = app
            .member_login_invited(&phone, &sms, true, Some(&other_code))
            .await
            .ok();
        assert_eq!(again.invite, Some(InviteBinding::AlreadyMember));
        // An old link whose code is no one's does not keep a member out.
        app.advance_secs(61);
        let sms = app.send_code(&phone).await;
        let stale: MemberSession = app
            .member_login_invited(&phone, &sms, true, Some("ZZZZZZZZ"))
            .await
            .ok();
        assert_eq!(stale.invite, Some(InviteBinding::AlreadyMember));
        assert_eq!(
            invites_of(&app, friend.member.id).await[0].inviter_id,
            first
        );
        assert_eq!(usable(&app, &friend.token).await, 50);
        assert_eq!(mine(&app, other).await.invited, 0);

        // A member's own code binds nothing.
        app.advance_secs(61);
        let own = mine(&app, &a).await.code;
        let sms = app.send_code(&a.phone).await;
        let selfish: MemberSession = app
            .member_login_invited(&a.phone, &sms, true, Some(&own))
            .await
            .ok();
        assert_eq!(selfish.invite, Some(InviteBinding::OwnCode));
        assert!(invites_of(&app, a.id).await.is_empty());

        // An unknown code is refused and changes nothing: the SMS code
        // still registers the newcomer, without an inviter.
        let newcomer = random_phone();
        let sms = app.send_code(&newcomer).await;
        app.member_login_invited(&newcomer, &sms, true, Some("ZZZZZZZZ"))
            .await
            .invalid_because("invite_code", "invite_code_unknown");
        let plain: MemberSession = app.member_login_with(&newcomer, &sms, true).await.ok();
        assert!(plain.registered && plain.invite.is_none());
        assert!(invites_of(&app, plain.member.id).await.is_empty());

        // The inviter sees the friend, masked, rewarded.
        let list = friends(&app, inviter).await;
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].phone_masked, masked(&phone));
        assert_eq!(list[0].state, InviteState::Rewarded);
        assert_eq!(list[0].points, 100);
        let seen = mine(&app, inviter).await;
        assert_eq!(
            (
                seen.invited,
                seen.converted,
                seen.conversion_bp,
                seen.points_earned
            ),
            (1, 1, 10_000, 100)
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_inviters_daily_cap_holds_under_twenty_registrations_at_once,
    |app| async move {
        let admin = app.login_admin().await;
        set_policy(&app, &admin, &on_registration(5))
            .await
            .ok::<InvitePolicy>();
        let inviter = new_member(&app).await;
        let code = mine(&app, &inviter).await.code;
        let phones: Vec<String> = (0..20).map(|_| random_phone()).collect();
        let mut codes = Vec::new();
        for p in &phones {
            codes.push(app.send_code(p).await);
        }
        let replies = join_all(
            phones
                .iter()
                .zip(&codes)
                .map(|(p, c)| app.member_login_invited(p, c, true, Some(&code))),
        )
        .await;
        let mut friends_tokens = Vec::new();
        for r in replies {
            let s: MemberSession = r.ok();
            assert_eq!(s.invite, Some(InviteBinding::Bound));
            friends_tokens.push(s.token);
        }
        // Every friend got theirs; the inviter five, the cap.
        for t in &friends_tokens {
            assert_eq!(usable(&app, t).await, 50);
        }
        assert_eq!(usable(&app, &inviter.token).await, 500);
        let list = friends(&app, &inviter).await;
        assert_eq!(list.len(), 20, "every friend listed, across pages");
        assert_eq!(list.iter().filter(|f| f.capped).count(), 15);
        assert_eq!(list.iter().filter(|f| f.points == 100).count(), 5);
        let figures: InviteFigures = app.get("/api/hq/invites").token(&admin).send().await.ok();
        assert_eq!((figures.invited, figures.converted), (20, 20));
        assert_eq!(figures.capped, 15);
        assert_eq!(figures.points_given, 20 * 50 + 5 * 100);
        assert_eq!(figures.top[0].member_id, inviter.id);
        assert_eq!(figures.top[0].invited, 20);
        // The next day the cap starts again.
        app.advance_secs(86_400);
        let inviter_token = app.member_login(&inviter.phone).await;
        let next: MemberSession = register_through(&app, &random_phone(), &code).await.ok();
        assert_eq!(next.invite, Some(InviteBinding::Bound));
        assert_eq!(usable(&app, &inviter_token).await, 600);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_first_payment_rewards_both_once_it_outlives_its_refund_window,
    |app| async move {
        let s = shop(&app).await;
        let coupon = new_template(&app, &s.admin, &cash_coupon("新人礼")).await;
        let policy = on_first_payment(coupon.id);
        set_policy(&app, &s.admin, &policy)
            .await
            .ok::<InvitePolicy>();
        let inviter = new_member(&app).await;
        let code = mine(&app, &inviter).await.code;
        let friends_list = friends_with_money(&app, &s, &code, 3).await;
        let [small, refunded, kept] = [&friends_list[0], &friends_list[1], &friends_list[2]];
        // Registering gives nothing yet.
        assert_eq!(usable(&app, &small.token).await, 0);
        // ¥5 is below the minimum; ¥20 counts, but one is refunded in
        // its window.
        pay_ok(&app, &small.token, s.one.id, 500).await;
        let r = pay_ok(&app, &refunded.token, s.one.id, 2_000).await;
        pay_ok(&app, &kept.token, s.one.id, 2_000).await;
        let states = |list: &[InvitedFriend]| {
            let mut v: Vec<InviteState> = list.iter().map(|f| f.state).collect();
            v.sort_by_key(|s| s.as_str());
            v
        };
        assert_eq!(
            states(&friends(&app, &inviter).await),
            [
                InviteState::Pending,
                InviteState::Pending,
                InviteState::Waiting
            ]
        );
        app.advance_secs(3 * 86_400);
        refund_ok(&app, &s.manager, r.payment_id, 2_000).await;
        // Six days in, nothing is due.
        app.advance_secs(3 * 86_400);
        assert_eq!(run_job(&app).await, tongka_server::invites::Run::default());
        // Past the window: the job, fired twice at once, gives the kept
        // payment's rewards once, and reopens the refunded one.
        app.advance_secs(2 * 86_400);
        let (one, two) = tokio::join!(run_job(&app), run_job(&app));
        assert_eq!(one.rewarded + two.rewarded, 1);
        assert_eq!(one.reopened + two.reopened, 1);
        assert_eq!(one.failed + two.failed, 0);
        assert_eq!(run_job(&app).await, tongka_server::invites::Run::default());

        let tokens = [
            app.member_login(&inviter.phone).await,
            app.member_login(&small.member.phone).await,
            app.member_login(&refunded.member.phone).await,
            app.member_login(&kept.member.phone).await,
        ];
        assert_eq!(usable(&app, &tokens[0]).await, 100);
        assert_eq!(usable(&app, &tokens[1]).await, 0);
        assert_eq!(usable(&app, &tokens[2]).await, 0);
        assert_eq!(usable(&app, &tokens[3]).await, 50);
        let kept_member = Member {
            phone: kept.member.phone.clone(),
            id: kept.member.id,
            token: tokens[3].clone(),
        };
        let coupons = shelf(&app, &kept_member, CouponShelf::Usable).await;
        assert_eq!(coupons.len(), 1, "the friend's coupon");
        assert_eq!(coupons[0].rule.template_id, coupon.id);
        // The friend's history files both rewards under invites.
        let invited: Page<shared::dto::HistoryItem> = app
            .get("/api/member/history?kind=invite")
            .token(&kept_member.token)
            .send()
            .await
            .ok();
        let mut told: Vec<(EntryKind, Option<String>, Option<i64>)> = invited
            .items
            .iter()
            .map(|h| (h.kind, h.subject.clone(), h.points.map(|p| p.delta)))
            .collect();
        told.sort_by_key(|t| t.0.as_str());
        assert_eq!(
            told,
            [
                (EntryKind::CouponIssued, Some("新人礼".to_string()), None),
                (EntryKind::InviteReward, None, Some(50)),
            ]
        );
        let inviter_now = Member {
            token: tokens[0].clone(),
            ..inviter.clone()
        };
        assert_eq!(
            states(&friends(&app, &inviter_now).await),
            [
                InviteState::Rewarded,
                InviteState::Waiting,
                InviteState::Waiting
            ]
        );
        let seen = mine(&app, &inviter_now).await;
        assert_eq!((seen.invited, seen.converted, seen.pending), (3, 1, 0));
        assert_eq!(seen.conversion_bp, 3_333);
        // One reward entry per side, in the ledger.
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        let entries = journal_entry::Entity::find()
            .filter(journal_entry::Column::BrandId.eq(app.brand_id))
            .filter(journal_entry::Column::Kind.eq(EntryKind::InviteReward.as_str()))
            .count(&app.db)
            .await
            .expect("counting entries");
        assert_eq!(entries, 2);
        // The refunded friend's next payment counts.
        let refunded_token = &tokens[2];
        pay_ok(&app, refunded_token, s.one.id, 1_000).await;
        app.advance_secs(8 * 86_400);
        assert_eq!(run_job(&app).await.rewarded, 1);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_second_payment_made_while_the_first_waited_counts_when_the_first_is_refunded,
    |app| async move {
        let s = shop(&app).await;
        let coupon = new_template(&app, &s.admin, &cash_coupon("新人礼")).await;
        set_policy(&app, &s.admin, &on_first_payment(coupon.id))
            .await
            .ok::<InvitePolicy>();
        let inviter = new_member(&app).await;
        let code = mine(&app, &inviter).await.code;
        let friend = friends_with_money(&app, &s, &code, 1).await.remove(0);
        // ¥20 today; a day on ¥5 (below the minimum), two days on ¥15,
        // both inside the first one's window; then the first is refunded
        // whole.
        let first = pay_ok(&app, &friend.token, s.one.id, 2_000).await;
        app.advance_secs(86_400);
        let token = app.member_login(&friend.member.phone).await;
        pay_ok(&app, &token, s.one.id, 500).await;
        app.advance_secs(86_400);
        let second = pay_ok(&app, &token, s.two.id, 1_500).await;
        let second_at = {
            use sea_orm::EntityTrait;
            tongka_server::entity::payment::Entity::find_by_id(second.payment_id)
                .one(&app.db)
                .await
                .expect("reading the payment")
                .expect("the payment")
                .created_at
        };
        refund_ok(&app, &s.manager, first.payment_id, 2_000).await;
        // Past the first one's window: nothing given, and the invite waits
        // out the ¥15 payment's own window rather than for a third.
        app.advance_secs(5 * 86_400 + 60);
        let run = run_job(&app).await;
        assert_eq!((run.rewarded, run.reopened, run.failed), (0, 1, 0));
        let inv = &invites_of(&app, friend.member.id).await[0];
        assert_eq!(inv.state, InviteState::Pending.as_str());
        assert_eq!(inv.payment_id, Some(second.payment_id));
        assert_eq!(inv.due_at, Some(second_at + 7 * 86_400_000));
        assert_eq!(run_job(&app).await, tongka_server::invites::Run::default());
        let token = app.member_login(&friend.member.phone).await;
        assert_eq!(usable(&app, &token).await, 0);
        // Past the second one's window: both rewarded, once.
        app.advance_secs(2 * 86_400);
        let (one, two) = tokio::join!(run_job(&app), run_job(&app));
        assert_eq!(one.rewarded + two.rewarded, 1);
        assert_eq!(run_job(&app).await, tongka_server::invites::Run::default());
        let token = app.member_login(&friend.member.phone).await;
        assert_eq!(usable(&app, &token).await, 50);
        let inviter_token = app.member_login(&inviter.phone).await;
        assert_eq!(usable(&app, &inviter_token).await, 100);
        let inviter_now = Member {
            token: inviter_token,
            ..inviter.clone()
        };
        let seen = mine(&app, &inviter_now).await;
        assert_eq!((seen.invited, seen.converted, seen.pending), (1, 1, 0));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_reward_that_cannot_be_given_waits_and_holds_up_no_one_and_nothing_is_given_while_off,
    |app| async move {
        let s = shop(&app).await;
        // One coupon in stock: the first friend's reward takes it.
        let mut one = cash_coupon("只剩一张");
        one.stock = 1;
        one.per_member = 5;
        let coupon = new_template(&app, &s.admin, &one).await;
        let policy = on_first_payment(coupon.id);
        set_policy(&app, &s.admin, &policy)
            .await
            .ok::<InvitePolicy>();
        let inviter = new_member(&app).await;
        let code = mine(&app, &inviter).await.code;
        let friends_list = friends_with_money(&app, &s, &code, 2).await;
        for friend in &friends_list {
            pay_ok(&app, &friend.token, s.one.id, 2_000).await;
            app.advance_secs(60);
        }
        app.advance_secs(8 * 86_400);
        // The first is rewarded; the second's coupon is out: nothing of its
        // rewards is given, it is recorded and waits an hour.
        let run = run_job(&app).await;
        assert_eq!((run.rewarded, run.failed), (1, 1));
        let second = &invites_of(&app, friends_list[1].member.id).await[0];
        assert_eq!(second.state, InviteState::Pending.as_str());
        assert_eq!(
            second.due_at,
            Some(app.clock.now_ms() + tongka_server::invites::RETRY_MS)
        );
        assert_eq!(run_job(&app).await, tongka_server::invites::Run::default());
        // HQ cannot pick a coupon that is off sale; with points only, and
        // the programme off, nothing is given even when the hour is up.
        let mut off_sale = cash_coupon("停发券");
        off_sale.on_sale = false;
        let off_sale = new_template(&app, &s.admin, &off_sale).await;
        let mut bad = policy.clone();
        bad.inviter.coupon_template_id = Some(off_sale.id);
        set_policy(&app, &s.admin, &bad)
            .await
            .invalid_because("coupon_id", "coupon_off_sale");
        let points_only = InvitePolicy {
            enabled: false,
            invitee: InviteReward {
                points: 50,
                coupon_template_id: None,
            },
            ..policy.clone()
        };
        let admin = app.login_admin().await;
        set_policy(&app, &admin, &points_only)
            .await
            .ok::<InvitePolicy>();
        app.advance_secs(3_601);
        assert_eq!(run_job(&app).await, tongka_server::invites::Run::default());
        // On again: given, once.
        let on = InvitePolicy {
            enabled: true,
            ..points_only
        };
        set_policy(&app, &admin, &on).await.ok::<InvitePolicy>();
        assert_eq!(run_job(&app).await.rewarded, 1);
        let token = app.member_login(&friends_list[1].member.phone).await;
        assert_eq!(usable(&app, &token).await, 50);
        assert_reconciled(&app).await;
    }
);
