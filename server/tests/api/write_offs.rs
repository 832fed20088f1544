//! The member code and write-off (issue 17): a code taken once within a
//! step, every wrong one told apart and limited when the guesses arrive
//! together; the ticket a scan opens; card uses and free-item coupons
//! written off with it, all or none, once; on SQLite and PostgreSQL.

use crate::cards::{buy, count_card, new_card_type, new_item, store_wallet};
use crate::coupons::{cash_coupon, claim, new_template};
use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{
    CouponKind, MemberCodeSecret, MemberCoupon, ScanMemberCode, UseOf, WriteOffReceipt,
    WriteOffRequest, WriteOffTicket,
};
use shared::member_code::{self as mc};
use shared::money::Fen;
use std::time::Duration;

/// The member's code secret.
async fn my_code(app: &TestApp, member: &Member) -> MemberCodeSecret {
    app.get("/api/member/code")
        .token(&member.token)
        .send()
        .await
        .ok()
}

/// The member's code `steps` steps from the server's now.
fn code_at(app: &TestApp, s: &MemberCodeSecret, steps: i64) -> String {
    let secret = mc::from_hex(&s.secret).expect("hex");
    let step = mc::step_at(app.clock.now_ms()) + steps;
    mc::member_code(&secret, &s.code_id, step)
}

/// `staff` scans `code`.
async fn scan(app: &TestApp, staff: &str, code: &str) -> Reply {
    app.post("/api/staff/scans")
        .token(staff)
        .json(&ScanMemberCode { code: code.into() })
        .send()
        .await
}

/// Why a scan was refused.
#[track_caller]
fn reason(r: Reply) -> String {
    let e = r.error(422, ErrorCode::MemberCodeRefused);
    e.params.get("reason").cloned().unwrap_or_default()
}

/// `staff` writes off with a fresh key.
async fn write_off(app: &TestApp, staff: &str, req: &WriteOffRequest) -> Reply {
    app.post("/api/staff/write-offs")
        .token(staff)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(req)
        .send()
        .await
}

/// One use of `card`'s `item` with `ticket`.
fn one_use(ticket: &str, card: i64, item: i64) -> WriteOffRequest {
    WriteOffRequest {
        ticket: ticket.into(),
        uses: vec![UseOf {
            card_id: card,
            item_id: item,
            count: 1,
        }],
        coupon_ids: vec![],
    }
}

dual_test!(
    a_member_code_is_taken_once_within_a_step_and_every_wrong_one_is_told_apart,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 8_000).await;
        let s = my_code(&app, &member).await;
        assert_eq!(s.code_id.len(), 10);
        assert_eq!(mc::from_hex(&s.secret).map(|b| b.len()), Some(32));
        assert_eq!(s.server_time_ms, app.clock.now_ms());
        let again = my_code(&app, &member).await;
        assert_eq!(
            (&again.code_id, &again.secret),
            (&s.code_id, &s.secret),
            "one code per member"
        );
        // A step early (the member's clock behind) is taken: a ticket with
        // the member and their balance.
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &s, -1)).await.ok();
        assert_eq!(
            t.member_phone_masked,
            shared::validate::mask_phone(&member.phone)
        );
        assert_eq!((t.balance, t.store_id), (Fen(8_000), shop.one.id));
        // A step late (the clock ahead) too, and the digits typed in groups.
        let late = code_at(&app, &s, 1);
        scan(&app, &shop.clerk, &mc::grouped(&late))
            .await
            .status(201);
        // Reused, or older than the last taken: used, said in the clerk's
        // language.
        let e = scan(&app, &shop.clerk, &late)
            .await
            .error(422, ErrorCode::MemberCodeRefused);
        assert_eq!(e.params.get("reason").map(String::as_str), Some("used"));
        assert_eq!(e.message, "会员码已使用，请会员刷新后再扫");
        assert_eq!(
            reason(scan(&app, &shop.clerk, &code_at(&app, &s, 0)).await),
            "used"
        );
        // Two steps late: expired; a wrong one-time part: forged.
        assert_eq!(
            reason(scan(&app, &shop.clerk, &code_at(&app, &s, -2)).await),
            "expired"
        );
        let mut forged = code_at(&app, &s, 2);
        let last = forged.pop().expect("a digit");
        forged.push(if last == '0' { '1' } else { '0' });
        assert_eq!(reason(scan(&app, &shop.clerk, &forged).await), "forged");
        // Another brand's member code is not this brand's.
        let other = app.other_brand().await;
        let stranger = new_member(&other).await;
        let theirs = my_code(&other, &stranger).await;
        assert_eq!(
            reason(scan(&app, &shop.clerk, &code_at(&app, &theirs, 0)).await),
            "unknown"
        );
        // A store's pay code scanned by mistake, and a WeChat Pay code.
        let pay_code = format!("{}/m/{}/pay/{}", app.address, app.slug, shop.one.id);
        assert_eq!(reason(scan(&app, &shop.clerk, &pay_code).await), "pay_code");
        assert_eq!(
            reason(scan(&app, &shop.clerk, "134567890123456789").await),
            "malformed"
        );
        // HQ does not scan at a counter.
        scan(&app, &shop.admin, &code_at(&app, &s, 2))
            .await
            .status(403);
        // A minute on, the next code is taken.
        app.advance(Duration::from_secs(60));
        scan(&app, &shop.clerk, &code_at(&app, &s, 0))
            .await
            .status(201);
    }
);

dual_test!(
    one_code_scanned_by_two_clerks_at_once_opens_one_ticket,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let s = my_code(&app, &member).await;
        for round in 0..3 {
            let code = code_at(&app, &s, 0);
            let (a, b) = tokio::join!(
                scan(&app, &shop.clerk, &code),
                scan(&app, &shop.clerk_two, &code)
            );
            let mut got = [a.status, b.status];
            got.sort_unstable();
            assert_eq!(got, [201, 422], "round {round}: {} / {}", a.body, b.body);
            app.advance(Duration::from_secs(30));
        }
    }
);

dual_test!(
    wrong_codes_arriving_together_are_limited_per_code_id_and_per_store,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        let s = my_code(&app, &member).await;
        let wrong: Vec<String> = (0..12)
            .map(|i| format!("{}{}{:06}", mc::PREFIX, s.code_id, 100_000 + i))
            .filter(|c| *c != code_at(&app, &s, 0))
            .take(10)
            .collect();
        let replies =
            futures_util::future::join_all(wrong.iter().map(|c| scan(&app, &shop.clerk, c))).await;
        let checked = replies.iter().filter(|r| r.status == 422).count();
        let locked = replies.iter().filter(|r| r.status == 429).count();
        assert_eq!(checked + locked, 10);
        // At most five are checked (those whose check ends after the key
        // locked are answered "locked" too).
        assert!(checked <= 5, "at most five guesses are checked: {checked}");
        // The code id is locked: even the member's right code waits.
        scan(&app, &shop.clerk_two, &code_at(&app, &s, 0))
            .await
            .error(429, ErrorCode::TooManyAttempts);
        app.advance(Duration::from_secs(61));
        scan(&app, &shop.clerk_two, &code_at(&app, &s, 0))
            .await
            .status(201);
        // Unknown codes at one store: at most twenty checked, then the
        // store waits; the other store does not.
        let unknown: Vec<String> = (0..30)
            .map(|i| format!("{}{:010}{:06}", mc::PREFIX, 9_000_000_000u64 + i, 123_456))
            .collect();
        let replies =
            futures_util::future::join_all(unknown.iter().map(|c| scan(&app, &shop.clerk, c)))
                .await;
        let checked = replies.iter().filter(|r| r.status == 422).count();
        assert!(checked <= 20, "at most twenty are checked: {checked}");
        assert_eq!(
            checked + replies.iter().filter(|r| r.status == 429).count(),
            30
        );
        scan(&app, &shop.manager, &code_at(&app, &s, 1))
            .await
            .error(429, ErrorCode::TooManyAttempts);
        scan(&app, &shop.clerk_two, &code_at(&app, &s, 1))
            .await
            .status(201);
    }
);

/// A member holding a 3-use washing card (¥300) and a free-wash coupon.
struct Holder {
    member: Member,
    card: i64,
    wash: i64,
    coupon: MemberCoupon,
    code: MemberCodeSecret,
}

async fn holder(app: &TestApp, shop: &Shop) -> Holder {
    let wash = new_item(app, &shop.admin, &format!("洗车{}", random_hex(4)), 5_000).await;
    let ty = new_card_type(
        app,
        &shop.admin,
        &count_card(&format!("洗车卡{}", random_hex(4)), 30_000, 3, &[wash.id]),
    )
    .await;
    let member = new_member(app).await;
    set_pin(app, &member).await;
    topup_ok(app, &shop.clerk, &member.phone, 50_000).await;
    let card: shared::dto::CardReceipt = buy(app, &member, ty.id, Some(TEST_PIN)).await.ok();
    let mut free = cash_coupon(&format!("免费洗车{}", random_hex(4)));
    free.kind = CouponKind::Item;
    free.item_id = Some(wash.id);
    free.min_spend = Fen::ZERO;
    let t = new_template(app, &shop.admin, &free).await;
    let coupon: MemberCoupon = claim(app, &member, t.id).await.ok();
    let code = my_code(app, &member).await;
    Holder {
        member,
        card: card.card.id,
        wash: wash.id,
        coupon,
        code,
    }
}

dual_test!(
    a_clerk_writes_off_uses_and_a_free_item_coupon_with_the_ticket_all_or_none_once,
    |app| async move {
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &h.code, 0))
            .await
            .ok();
        // The ticket shows what is usable here.
        assert_eq!(t.cards.len(), 1);
        assert_eq!((t.cards[0].card.id, t.cards[0].usable), (h.card, Some(3)));
        assert_eq!(t.cards[0].items[0].id, h.wash);
        assert_eq!(
            t.coupons.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![h.coupon.id]
        );
        // Refused as a whole: four uses of three, nothing moves.
        let mut too_many = one_use(&t.ticket, h.card, h.wash);
        too_many.uses[0].count = 4;
        too_many.coupon_ids = vec![h.coupon.id];
        write_off(&app, &shop.clerk, &too_many)
            .await
            .error(422, ErrorCode::NoUsesLeft);
        assert_eq!(store_wallet(&app, shop.one.id).await, 0);
        // Two uses and the coupon, under one key: a retry is the same one.
        let mut req = one_use(&t.ticket, h.card, h.wash);
        req.uses[0].count = 2;
        req.coupon_ids = vec![h.coupon.id];
        let key = new_key();
        let send = || {
            app.post("/api/staff/write-offs")
                .token(&shop.clerk)
                .header(IDEMPOTENCY_KEY, &key)
                .json(&req)
                .send()
        };
        let done: WriteOffReceipt = send().await.ok();
        let again: WriteOffReceipt = send().await.ok();
        assert_eq!(done, again);
        assert_eq!(done.lines.len(), 3);
        assert_eq!(done.lines[1].uses_left, Some(1));
        // Each use settles a third of ¥300; the coupon pays the item's ¥50.
        assert_eq!(done.amount, Fen(10_000 + 10_000 + 5_000));
        assert_eq!(store_wallet(&app, shop.one.id).await, 25_000);
        // Another clerk, or this one after two minutes: the ticket is gone.
        write_off(&app, &shop.manager, &one_use(&t.ticket, h.card, h.wash))
            .await
            .error(422, ErrorCode::TicketExpired);
        app.advance(Duration::from_secs(121));
        write_off(&app, &shop.clerk, &one_use(&t.ticket, h.card, h.wash))
            .await
            .error(422, ErrorCode::TicketExpired);
        // Nothing to write off, zero uses, someone else's card: named.
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &h.code, 0))
            .await
            .ok();
        let empty = WriteOffRequest {
            ticket: t.ticket.clone(),
            uses: vec![],
            coupon_ids: vec![],
        };
        write_off(&app, &shop.clerk, &empty)
            .await
            .invalid_because("uses", "write_off_empty");
        let mut zero = one_use(&t.ticket, h.card, h.wash);
        zero.uses[0].count = 0;
        write_off(&app, &shop.clerk, &zero)
            .await
            .invalid_because("count", "write_off_count_range");
        let other = holder(&app, &shop).await;
        write_off(
            &app,
            &shop.clerk,
            &one_use(&t.ticket, other.card, other.wash),
        )
        .await
        .invalid_because("card_id", "unknown");
        let mut not_theirs = empty.clone();
        not_theirs.coupon_ids = vec![other.coupon.id];
        write_off(&app, &shop.clerk, &not_theirs)
            .await
            .invalid_because("coupon_id", "unknown");
        assert_reconciled(&app).await;
    }
);

dual_test!(
    the_last_use_and_one_coupon_taken_by_two_write_offs_at_once_go_once,
    |app| async move {
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        let first: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &h.code, 0))
            .await
            .ok();
        let mut two = one_use(&first.ticket, h.card, h.wash);
        two.uses[0].count = 2;
        write_off(&app, &shop.clerk, &two).await.status(201);
        // Two clerks at two stores, each with a ticket of their own.
        let a: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &h.code, 1))
            .await
            .ok();
        app.advance(Duration::from_secs(30));
        let b: WriteOffTicket = scan(&app, &shop.clerk_two, &code_at(&app, &h.code, 1))
            .await
            .ok();
        let (use_a, use_b) = (
            one_use(&a.ticket, h.card, h.wash),
            one_use(&b.ticket, h.card, h.wash),
        );
        let (x, y) = tokio::join!(
            write_off(&app, &shop.clerk, &use_a),
            write_off(&app, &shop.clerk_two, &use_b),
        );
        let mut got = [x.status, y.status];
        got.sort_unstable();
        assert_eq!(got, [201, 422], "{} / {}", x.body, y.body);
        let coupon = |ticket: &str| WriteOffRequest {
            ticket: ticket.into(),
            uses: vec![],
            coupon_ids: vec![h.coupon.id],
        };
        let (coupon_a, coupon_b) = (coupon(&a.ticket), coupon(&b.ticket));
        let (x, y) = tokio::join!(
            write_off(&app, &shop.clerk, &coupon_a),
            write_off(&app, &shop.clerk_two, &coupon_b),
        );
        let mut got = [x.status, y.status];
        got.sort_unstable();
        assert_eq!(got, [201, 422], "{} / {}", x.body, y.body);
        // The card's ¥300 went to the stores, three uses, and one ¥50 coupon.
        let paid = store_wallet(&app, shop.one.id).await + store_wallet(&app, shop.two.id).await;
        assert_eq!(paid, 30_000 + 5_000);
        assert_eq!(total(&app, &h.member.token).await, 50_000 - 30_000);
        assert_reconciled(&app).await;
    }
);
