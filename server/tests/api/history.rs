//! One history (明细): every movement of a member's money, points, a card's
//! uses and coupons, each with its store, what was left after it and the
//! card or coupon it concerns; filtered by kind and by store, paged by
//! keyset. On SQLite and PostgreSQL.

use crate::cards::{buy, count_card, new_card_type, new_item, take_use};
use crate::coupons::{cash_coupon, new_template};
use crate::helpers::*;
use crate::money::*;
use shared::dto::{
    CountMove, EntryKind, HistoryItem, IssueCoupon, Named, Page, PointsPolicy, SignInPolicy,
};
use shared::money::Fen;
use std::time::Duration;

/// The member's history with this query, following the cursor to the end.
async fn all(app: &TestApp, member: &Member, query: &str) -> Vec<HistoryItem> {
    let mut items = Vec::new();
    let mut after = String::new();
    loop {
        let page: Page<HistoryItem> = app
            .get(&format!("/api/member/history?{query}{after}"))
            .token(&member.token)
            .send()
            .await
            .ok();
        assert!(page.items.len() <= 20);
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => after = format!("&after={c}"),
            None => return items,
        }
    }
}

fn kinds(items: &[HistoryItem]) -> Vec<EntryKind> {
    items.iter().map(|h| h.kind).collect()
}

fn points(delta: i64, after: i64) -> Option<CountMove> {
    Some(CountMove { delta, after })
}

dual_test!(
    the_history_shows_every_movement_with_what_was_left_by_kind_and_store,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        // 1 point per yuan; 10 points a day for signing in.
        app.put("/api/hq/points-policy")
            .token(&shop.admin)
            .json(&PointsPolicy {
                per_yuan: 1,
                expiry_days: 30,
                step: 100,
                step_worth: Fen(100),
                max_share_bp: 5_000,
                remind_days: 30,
                birthday_rate_bp: 10_000,
            })
            .send()
            .await
            .status(200);
        app.put("/api/hq/sign-in-policy")
            .token(&shop.admin)
            .json(&SignInPolicy {
                enabled: true,
                daily_points: 10,
                streak_rewards: vec![],
            })
            .send()
            .await
            .status(200);
        // ¥200 in at store one; ¥30 paid at store two (30 points); a
        // sign-in (10 points); a coupon from store one's manager; a
        // 3-use card bought for ¥100 and used once at store one; the
        // payment refunded in full (its 30 points taken back).
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        let paid = pay_ok(&app, &member.token, shop.two.id, 3_000).await;
        app.post("/api/member/sign-in")
            .token(&member.token)
            .send()
            .await
            .status(200);
        let t = new_template(&app, &shop.admin, &cash_coupon("满30减5")).await;
        app.post("/api/staff/coupons")
            .token(&shop.manager)
            .header(IDEMPOTENCY_KEY, &new_key())
            .json(&IssueCoupon {
                member_phone: member.phone.clone(),
                template_id: t.id,
            })
            .send()
            .await
            .status(201);
        let wash = new_item(&app, &shop.admin, "精致洗车", 5_000).await;
        let card_type = new_card_type(
            &app,
            &shop.admin,
            &count_card("洗车3次卡", 10_000, 3, &[wash.id]),
        )
        .await;
        let bought: shared::dto::CardReceipt = buy(&app, &member, card_type.id, None).await.ok();
        take_use(&app, bought.card.id, shop.one.id, wash.id)
            .await
            .expect("a use");
        refund_ok(&app, &shop.manager_two, paid.payment_id, 3_000).await;
        // 31 days on, the sign-in's 10 points lapse.
        app.advance(Duration::from_secs(31 * 86_400));
        let now = app.state.clock.now_ms();
        tongka_server::points::expire_due(&app.db, now, Some(app.brand_id))
            .await
            .expect("expiry");
        // (Logged in again: a month has passed.)
        let member = Member {
            token: app.member_login(&member.phone).await,
            ..member
        };

        let history = all(&app, &member, "").await;
        use EntryKind::*;
        assert_eq!(
            kinds(&history),
            vec![
                PointsExpiry,
                Refund,
                CardUse,
                CardSale,
                CouponIssued,
                SignIn,
                Payment,
                TopUp
            ],
            "{history:#?}"
        );
        let [expiry, refund, used, sale, coupon, sign_in, payment, topup] = &history[..] else {
            unreachable!()
        };
        // Money: what moved and the balance after, where it moved.
        assert_eq!(
            (topup.amount, topup.balance_after, topup.points),
            (Fen(20_000), Some(Fen(20_000)), None)
        );
        assert_eq!(topup.store_name.as_deref(), Some("南京西路店"));
        assert_eq!(
            (payment.amount, payment.balance_after, payment.points),
            (Fen(-3_000), Some(Fen(17_000)), points(30, 30))
        );
        assert_eq!(payment.store_name.as_deref(), Some("徐家汇店"));
        // Points with nothing else: a sign-in, and the lapse.
        assert_eq!(
            (sign_in.amount, sign_in.balance_after, sign_in.points),
            (Fen(0), None, points(10, 40))
        );
        assert_eq!(sign_in.store_name, None);
        // The coupon by name, from the store that gave it.
        assert_eq!(coupon.subject.as_deref(), Some("满30减5"));
        assert_eq!(coupon.store_name.as_deref(), Some("南京西路店"));
        assert_eq!((coupon.balance_after, coupon.points), (None, None));
        // The card: bought with stored value (its uses in), then one use.
        assert_eq!(sale.subject.as_deref(), Some("洗车3次卡"));
        assert_eq!(
            (sale.amount, sale.balance_after, sale.uses),
            (
                Fen(-10_000),
                Some(Fen(7_000)),
                Some(CountMove { delta: 3, after: 3 })
            )
        );
        assert_eq!(sale.store_name.as_deref(), Some("南京西路店"));
        assert_eq!(used.subject.as_deref(), Some("洗车3次卡"));
        assert_eq!(
            used.uses,
            Some(CountMove {
                delta: -1,
                after: 2
            })
        );
        assert_eq!((used.balance_after, used.points), (None, None));
        assert_eq!(used.store_name.as_deref(), Some("南京西路店"));
        // The refund: money back, the payment's points taken back.
        assert_eq!(
            (refund.amount, refund.balance_after, refund.points),
            (Fen(3_000), Some(Fen(10_000)), points(-30, 10))
        );
        assert_eq!(refund.points_owed, 0);
        assert_eq!(expiry.points, points(-10, 0));

        // By kind: points are every entry that moved them, whatever it was.
        assert_eq!(
            kinds(&all(&app, &member, "kind=points").await),
            vec![PointsExpiry, Refund, SignIn, Payment]
        );
        assert_eq!(
            kinds(&all(&app, &member, "kind=cards").await),
            vec![CardUse, CardSale]
        );
        assert_eq!(
            kinds(&all(&app, &member, "kind=coupons").await),
            vec![CouponIssued]
        );
        assert_eq!(
            kinds(&all(&app, &member, "kind=sign_in").await),
            vec![SignIn]
        );
        assert!(all(&app, &member, "kind=invite").await.is_empty());
        // By store, and by both.
        let at_two = format!("store={}", shop.two.id);
        assert_eq!(
            kinds(&all(&app, &member, &at_two).await),
            vec![Refund, Payment]
        );
        assert!(
            all(&app, &member, &format!("store={}&kind=cards", shop.two.id))
                .await
                .is_empty()
        );
        // The store filter offers the stores the history names.
        let stores: Vec<Named> = app
            .get("/api/member/history-stores")
            .token(&member.token)
            .send()
            .await
            .ok();
        let mut ids: Vec<i64> = stores.iter().map(|s| s.id).collect();
        ids.sort();
        let mut want = vec![shop.one.id, shop.two.id];
        want.sort();
        assert_eq!(ids, want);
        // A kind or store it does not know is named, in the member's words.
        app.get("/api/member/history?kind=bogus")
            .token(&member.token)
            .send()
            .await
            .invalid("kind");
        app.get("/api/member/history?store=999999999")
            .token(&member.token)
            .send()
            .await
            .invalid("store");
        // Another member sees none of it.
        let other = new_member(&app).await;
        assert!(all(&app, &other, "").await.is_empty());
    }
);

dual_test!(
    the_history_pages_by_keyset_under_a_filter,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        // 23 top-ups at store one and 22 at store two, alternating.
        for i in 0..45 {
            let clerk = if i % 2 == 0 {
                &shop.clerk
            } else {
                &shop.clerk_two
            };
            topup_ok(&app, clerk, &member.phone, 1_000 + i).await;
        }
        let at_one = all(&app, &member, &format!("store={}", shop.one.id)).await;
        assert_eq!(at_one.len(), 23);
        assert!(
            at_one
                .iter()
                .all(|h| h.store_name.as_deref() == Some("南京西路店"))
        );
        // Newest first, none twice, balances falling as the list goes back.
        let ids: Vec<i64> = at_one.iter().map(|h| h.id).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
        let after: Vec<i64> = at_one
            .iter()
            .map(|h| h.balance_after.expect("stored value moved").0)
            .collect();
        assert!(after.windows(2).all(|w| w[0] > w[1]), "{after:?}");
        let everything = all(&app, &member, "kind=topup").await;
        assert_eq!(everything.len(), 45);
        assert_eq!(
            everything[0].balance_after,
            Some(Fen((0..45).map(|i| 1_000 + i).sum()))
        );
    }
);
