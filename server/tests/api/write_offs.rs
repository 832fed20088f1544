//! The member code and write-off (issue 17): a code taken once within a
//! step, every wrong one told apart and limited when the guesses arrive
//! together; the ticket a scan opens; card uses and free-item coupons
//! written off with it, all or none, once; on SQLite and PostgreSQL.

use crate::cards::{
    buy, card_of, count_card, new_card_type, new_item, next_day, period_card, store_wallet,
};
use crate::coupons::{cash_coupon, claim, new_template};
use crate::helpers::*;
use crate::money::*;
use crate::withdrawals::{approved_payee, ask_ok, hand_in};
use shared::ErrorCode;
use shared::dto::{
    AuditAction, AuditEntry, CardPeriod, CouponKind, CouponState, EntryKind, MemberCodeSecret,
    MemberCoupon, MemberMessage, MemberPulse, MoneySettings, Page, PaymentListItem, PaymentReceipt,
    ScanMemberCode, TicketCharge, UseOf, WriteOffListItem, WriteOffReceipt, WriteOffRequest,
    WriteOffTicket, WriteOffUndoInput,
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

/// `staff` undoes write-off `id` with a fresh key.
async fn undo(app: &TestApp, staff: &str, id: i64) -> Reply {
    app.post(&format!("/api/staff/write-offs/{id}/undo"))
        .token(staff)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&WriteOffUndoInput {
            reason: "顾客选错了项目".into(),
        })
        .send()
        .await
}

/// Why an undo was refused.
#[track_caller]
fn undo_refused(r: Reply) -> String {
    let e = r.error(409, ErrorCode::WriteOffUndoRefused);
    e.params.get("reason").cloned().unwrap_or_default()
}

/// 核销记录 as `staff` sees it (first page).
async fn records(app: &TestApp, staff: &str, query: &str) -> Vec<WriteOffListItem> {
    let page: Page<WriteOffListItem> = app
        .get(&format!("/api/staff/write-offs{query}"))
        .token(staff)
        .send()
        .await
        .ok();
    page.items
}

/// A ticket for `h` at `staff`'s store, and one use and the coupon written
/// off with it.
async fn use_and_coupon(app: &TestApp, staff: &str, h: &Holder, steps: i64) -> WriteOffReceipt {
    let t: WriteOffTicket = scan(app, staff, &code_at(app, &h.code, steps)).await.ok();
    let mut req = one_use(&t.ticket, h.card, h.wash);
    req.coupon_ids = vec![h.coupon.id];
    write_off(app, staff, &req).await.ok()
}

/// The coupon's state as its member sees it, on whichever shelf it is.
async fn coupon_state(app: &TestApp, h: &Holder) -> CouponState {
    for shelf in ["usable", "used", "expired"] {
        let page: Page<MemberCoupon> = app
            .get(&format!("/api/member/coupons?shelf={shelf}"))
            .token(&h.member.token)
            .send()
            .await
            .ok();
        if let Some(c) = page.items.iter().find(|c| c.id == h.coupon.id) {
            return c.state;
        }
    }
    panic!("coupon {} is on no shelf", h.coupon.id)
}

dual_test!(
    a_write_off_of_two_uses_of_one_card_is_undone_and_the_history_gives_both_back,
    |app| async move {
        // Two uses of one card in one write-off: the undo names the card's
        // uses once (PostgreSQL's posting refuses an account named twice:
        // this answered 500 there before).
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &h.code, 0))
            .await
            .ok();
        let mut req = one_use(&t.ticket, h.card, h.wash);
        req.uses[0].count = 2;
        let done: WriteOffReceipt = write_off(&app, &shop.clerk, &req).await.ok();
        assert_eq!(
            card_of(&app, &h.member, h.card).await.card.uses_left,
            Some(1)
        );
        undo(&app, &shop.manager, done.id).await.status(201);
        assert_eq!(
            card_of(&app, &h.member, h.card).await.card.uses_left,
            Some(3)
        );
        assert_eq!(store_wallet(&app, shop.one.id).await, 0);
        // The member's history: the undo gives both uses back to the card.
        let history: Page<shared::dto::HistoryItem> = app
            .get("/api/member/history?kind=cards")
            .token(&h.member.token)
            .send()
            .await
            .ok();
        let undone = &history.items[0];
        assert_eq!(undone.kind, EntryKind::WriteOffUndo);
        assert_eq!(
            undone.uses,
            Some(shared::dto::CountMove { delta: 2, after: 3 })
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    two_undos_of_one_write_off_at_once_give_back_once_and_the_member_is_told,
    |app| async move {
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        let done = use_and_coupon(&app, &shop.clerk, &h, 0).await;
        assert_eq!(done.amount, Fen(10_000 + 5_000));
        assert_eq!(store_wallet(&app, shop.one.id).await, 15_000);
        assert_eq!(
            card_of(&app, &h.member, h.card).await.card.uses_left,
            Some(2)
        );
        assert_eq!(coupon_state(&app, &h).await, CouponState::Used);
        // 核销记录: the store sees it with its lines named; the other store
        // does not; HQ sees every store's.
        let mine = records(&app, &shop.clerk, "").await;
        assert_eq!(mine.len(), 1);
        let listed = &mine[0];
        assert_eq!((listed.id, listed.amount), (done.id, Fen(15_000)));
        assert_eq!(listed.lines.len(), 2);
        assert!(listed.lines[0].source.starts_with("洗车卡") && !listed.lines[0].coupon);
        assert!(listed.lines[1].source.starts_with("免费洗车") && listed.lines[1].coupon);
        assert!(listed.lines[0].item_name.starts_with("洗车"));
        assert_eq!(listed.undone_at, None);
        assert!(records(&app, &shop.manager_two, "").await.is_empty());
        assert_eq!(records(&app, &shop.admin, "").await.len(), 1);
        // A clerk may not undo; another store's manager does not see it.
        undo(&app, &shop.clerk, done.id).await.status(403);
        undo(&app, &shop.manager_two, done.id)
            .await
            .error(404, ErrorCode::NotFound);
        // A reason is required.
        app.post(&format!("/api/staff/write-offs/{}/undo", done.id))
            .token(&shop.manager)
            .header(IDEMPOTENCY_KEY, &new_key())
            .json(&WriteOffUndoInput { reason: " ".into() })
            .send()
            .await
            .invalid_because("reason", "required");
        // The manager and HQ at once: one undoes it, the other is told.
        let (a, b) = tokio::join!(
            undo(&app, &shop.manager, done.id),
            undo(&app, &shop.finance, done.id)
        );
        let mut got = [a.status, b.status];
        got.sort_unstable();
        assert_eq!(got, [201, 409], "{} / {}", a.body, b.body);
        let (won, lost) = if a.status == 201 { (a, b) } else { (b, a) };
        assert_eq!(undo_refused(lost), "undone");
        let shown: WriteOffListItem = won.ok();
        assert!(shown.undone_at.is_some() && shown.undone_by.is_some());
        // Everything back once: the use, the coupon, the store's money.
        assert_eq!(store_wallet(&app, shop.one.id).await, 0);
        assert_eq!(
            card_of(&app, &h.member, h.card).await.card.uses_left,
            Some(3)
        );
        assert_eq!(coupon_state(&app, &h).await, CouponState::Issued);
        assert_eq!(
            records(&app, &shop.clerk, "").await[0].undone_at,
            shown.undone_at
        );
        // Told: a message, and the audit log names the reason.
        let told: Page<MemberMessage> = app
            .get("/api/member/messages")
            .token(&h.member.token)
            .send()
            .await
            .ok();
        assert_eq!(told.items[0].kind, EntryKind::WriteOffUndo);
        assert_eq!(told.items[0].store_name.as_deref(), Some("南京西路店"));
        let log: Page<AuditEntry> = app
            .get("/api/hq/audit?action=write_off.undo")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(log.items.len(), 1);
        assert_eq!(log.items[0].action, AuditAction::WriteOffUndo);
        assert_eq!(log.items[0].note.as_deref(), Some("顾客选错了项目"));
        // The use given back is taken again with a new code.
        app.advance(Duration::from_secs(30));
        let again = use_and_coupon(&app, &shop.clerk, &h, 0).await;
        assert_eq!(again.lines[0].uses_left, Some(2));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    an_undo_past_the_window_or_the_card_end_is_refused_and_a_short_store_needs_hq,
    |app| async move {
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        // Past HQ's window (24 hours by default): refused.
        let old = use_and_coupon(&app, &shop.clerk, &h, 0).await;
        app.advance(Duration::from_secs(24 * 3600 + 60));
        let e = undo(&app, &shop.manager, old.id)
            .await
            .error(409, ErrorCode::WriteOffUndoRefused);
        assert_eq!(e.params.get("hours").map(String::as_str), Some("24"));
        assert_eq!(e.message, "已超过可撤销时间（核销后 24 小时内）");
        // The store has paid most of its wallet out: its manager cannot
        // take back more than it holds; HQ can (the store owes it).
        let h2 = holder(&app, &shop).await;
        let fresh = use_and_coupon(&app, &shop.clerk, &h2, 0).await;
        let held = store_wallet(&app, shop.one.id).await;
        assert_eq!(held, 2 * 15_000);
        approved_payee(&app, &shop).await;
        hand_in(&app, &shop.finance, shop.one.id, 2 * 50_000)
            .await
            .status(201);
        ask_ok(&app, &shop.manager, shop.one.id, held - 5_000).await;
        undo(&app, &shop.manager, fresh.id)
            .await
            .error(409, ErrorCode::WalletShortfall);
        assert_eq!(
            card_of(&app, &h2.member, h2.card).await.card.uses_left,
            Some(2)
        );
        undo(&app, &shop.finance, fresh.id).await.status(201);
        assert_eq!(store_wallet(&app, shop.one.id).await, 5_000 - 15_000);
        assert_eq!(
            card_of(&app, &h2.member, h2.card).await.card.uses_left,
            Some(3)
        );
        // HQ widens the window to three days (a wrong one is named); a card
        // that has reached its end: its uses are not undone.
        let mut rules: MoneySettings = app
            .get("/api/hq/money-settings")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(rules.write_off_undo_hours, 24);
        rules.write_off_undo_hours = 0;
        app.put("/api/hq/money-settings")
            .token(&shop.admin)
            .json(&rules)
            .send()
            .await
            .invalid_because("write_off_undo_hours", "undo_hours_range");
        rules.write_off_undo_hours = 72;
        app.put("/api/hq/money-settings")
            .token(&shop.admin)
            .json(&rules)
            .send()
            .await
            .status(200);
        let wash = new_item(&app, &shop.admin, &format!("打蜡{}", random_hex(4)), 8_000).await;
        let mut month = count_card(&format!("月卡{}", random_hex(4)), 9_000, 3, &[wash.id]);
        month.valid_days = Some(1);
        let ty = new_card_type(&app, &shop.admin, &month).await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        let card: shared::dto::CardReceipt = buy(&app, &member, ty.id, Some(TEST_PIN)).await.ok();
        let code = my_code(&app, &member).await;
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &code, 0)).await.ok();
        let used: WriteOffReceipt = write_off(
            &app,
            &shop.clerk,
            &one_use(&t.ticket, card.card.id, wash.id),
        )
        .await
        .ok();
        next_day(&app);
        next_day(&app);
        assert_eq!(
            undo_refused(undo(&app, &shop.finance, used.id).await),
            "card_expired"
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_write_off_keeps_the_cards_rules_store_day_limit_end_and_a_frozen_member,
    |app| async move {
        let shop = shop(&app).await;
        let wash = new_item(&app, &shop.admin, &format!("洗车{}", random_hex(4)), 5_000).await;
        // Honoured only at store one.
        let mut here = count_card(&format!("本店卡{}", random_hex(4)), 10_000, 5, &[wash.id]);
        here.honoured_everywhere = false;
        here.honoured_store_ids = vec![shop.one.id];
        let here = new_card_type(&app, &shop.admin, &here).await;
        // A month card, one use a day.
        let mut monthly = period_card(
            &format!("月卡{}", random_hex(4)),
            20_000,
            CardPeriod::Month,
            &[wash.id],
        );
        monthly.per_day_limit = Some(1);
        let monthly = new_card_type(&app, &shop.admin, &monthly).await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 50_000).await;
        let local: shared::dto::CardReceipt =
            buy(&app, &member, here.id, Some(TEST_PIN)).await.ok();
        let period: shared::dto::CardReceipt =
            buy(&app, &member, monthly.id, Some(TEST_PIN)).await.ok();
        let code = my_code(&app, &member).await;
        // At store two the local card is not offered, nor taken.
        let t: WriteOffTicket = scan(&app, &shop.clerk_two, &code_at(&app, &code, 0))
            .await
            .ok();
        let offered: Vec<i64> = t.cards.iter().map(|c| c.card.id).collect();
        assert_eq!(offered, vec![period.card.id]);
        assert_eq!(t.cards[0].usable, Some(1));
        write_off(
            &app,
            &shop.clerk_two,
            &one_use(&t.ticket, local.card.id, wash.id),
        )
        .await
        .error(422, ErrorCode::CardNotHonouredHere);
        // The month card: one use today, the second refused, and gone from
        // the next ticket; tomorrow it is back.
        let first: WriteOffReceipt = write_off(
            &app,
            &shop.clerk_two,
            &one_use(&t.ticket, period.card.id, wash.id),
        )
        .await
        .ok();
        write_off(
            &app,
            &shop.clerk_two,
            &one_use(&t.ticket, period.card.id, wash.id),
        )
        .await
        .error(422, ErrorCode::DailyLimitReached);
        // Undone (no money moved), today's use is back.
        undo(&app, &shop.manager_two, first.id).await.status(201);
        write_off(
            &app,
            &shop.clerk_two,
            &one_use(&t.ticket, period.card.id, wash.id),
        )
        .await
        .status(201);
        app.advance(Duration::from_secs(30));
        let t: WriteOffTicket = scan(&app, &shop.clerk_two, &code_at(&app, &code, 0))
            .await
            .ok();
        assert!(t.cards.is_empty(), "{:?}", t.cards);
        next_day(&app);
        let t: WriteOffTicket = scan(&app, &shop.clerk_two, &code_at(&app, &code, 0))
            .await
            .ok();
        assert_eq!(t.cards.len(), 1);
        // A frozen member: no ticket, and an open ticket writes nothing off.
        let t: WriteOffTicket = {
            app.advance(Duration::from_secs(30));
            scan(&app, &shop.clerk, &code_at(&app, &code, 0)).await.ok()
        };
        app.post(&format!("/api/hq/members/{}/freeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        write_off(
            &app,
            &shop.clerk,
            &one_use(&t.ticket, local.card.id, wash.id),
        )
        .await
        .error(403, ErrorCode::MemberFrozen);
        app.advance(Duration::from_secs(30));
        scan(&app, &shop.clerk, &code_at(&app, &code, 0))
            .await
            .error(403, ErrorCode::MemberFrozen);
        // A card past its end: not offered, and refused.
        app.post(&format!("/api/hq/members/{}/unfreeze", member.id))
            .token(&shop.admin)
            .send()
            .await
            .status(200);
        for _ in 0..32 {
            next_day(&app);
        }
        let clerk_two = app.staff_token("clerk.two", STAFF_PASSWORD).await;
        let t: WriteOffTicket = scan(&app, &clerk_two, &code_at(&app, &code, 0)).await.ok();
        assert!(t.cards.is_empty(), "{:?}", t.cards);
        write_off(
            &app,
            &clerk_two,
            &one_use(&t.ticket, period.card.id, wash.id),
        )
        .await
        .error(409, ErrorCode::CardClosed);
        assert_reconciled(&app).await;
    }
);

/// `staff` takes `amount` with `ticket` (a coupon, a PIN) under `key`.
async fn charge(
    app: &TestApp,
    staff: &str,
    key: &str,
    (ticket, amount): (&str, i64),
    coupon_id: Option<i64>,
    pin: Option<&str>,
) -> Reply {
    app.post("/api/staff/ticket-charges")
        .token(staff)
        .header(IDEMPOTENCY_KEY, key)
        .json(&TicketCharge {
            ticket: ticket.into(),
            amount: Fen(amount),
            coupon_id,
            pin: pin.map(Into::into),
        })
        .send()
        .await
}

dual_test!(
    a_clerk_charges_by_member_code_with_a_coupon_and_the_pin_above_hqs_amount,
    |app| async move {
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        // ¥500 topped up, ¥300 of it on the card: ¥200 left; ¥300 more.
        topup_ok(&app, &shop.clerk, &h.member.phone, 30_000).await;
        let ten_off = new_template(
            &app,
            &shop.admin,
            &cash_coupon(&format!("满50减10{}", random_hex(4))),
        )
        .await;
        let cash: MemberCoupon = claim(&app, &h.member, ten_off.id).await.ok();
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &h.code, 0))
            .await
            .ok();
        assert_eq!(t.balance, Fen(50_000));
        assert_eq!(
            t.pay_coupons.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![cash.id]
        );
        assert_eq!(
            t.coupons.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![h.coupon.id]
        );
        // ¥12.50 under the PIN-free amount: taken, once under its key.
        let key = new_key();
        let paid: PaymentReceipt = charge(&app, &shop.clerk, &key, (&t.ticket, 1_250), None, None)
            .await
            .ok();
        let again: PaymentReceipt = charge(&app, &shop.clerk, &key, (&t.ticket, 1_250), None, None)
            .await
            .ok();
        assert_eq!(paid, again);
        assert_eq!(
            (paid.principal + paid.bonus, paid.store_id),
            (Fen(1_250), shop.one.id)
        );
        assert_eq!(paid.balance_after, Fen(50_000 - 1_250));
        // It is the store's payment like any other.
        let listed: Page<PaymentListItem> = app
            .get("/api/staff/payments")
            .token(&shop.clerk)
            .send()
            .await
            .ok();
        assert_eq!(listed.items[0].id, paid.payment_id);
        // ¥250 with the ¥10 coupon (¥240 from stored value): above ¥200 the
        // member's PIN is asked for, a wrong one refused.
        charge(
            &app,
            &shop.clerk,
            &new_key(),
            (&t.ticket, 25_000),
            Some(cash.id),
            None,
        )
        .await
        .error(422, ErrorCode::PinRequired);
        charge(
            &app,
            &shop.clerk,
            &new_key(),
            (&t.ticket, 25_000),
            Some(cash.id),
            Some("000000"),
        )
        .await
        .error(422, ErrorCode::WrongPin);
        let big: PaymentReceipt = charge(
            &app,
            &shop.clerk,
            &new_key(),
            (&t.ticket, 25_000),
            Some(cash.id),
            Some(TEST_PIN),
        )
        .await
        .ok();
        assert_eq!(big.coupon, Fen(1_000));
        assert_eq!(big.balance_after, Fen(50_000 - 1_250 - 24_000));
        // More than is left: refused, nothing moves.
        charge(
            &app,
            &shop.clerk,
            &new_key(),
            (&t.ticket, 30_000),
            None,
            Some(TEST_PIN),
        )
        .await
        .error(422, ErrorCode::InsufficientBalance);
        // Another clerk's ticket, or an old one, takes nothing.
        charge(
            &app,
            &shop.manager,
            &new_key(),
            (&t.ticket, 100),
            None,
            None,
        )
        .await
        .error(422, ErrorCode::TicketExpired);
        app.advance(Duration::from_secs(121));
        charge(&app, &shop.clerk, &new_key(), (&t.ticket, 100), None, None)
            .await
            .error(422, ErrorCode::TicketExpired);
        assert_eq!(total(&app, &h.member.token).await, 50_000 - 1_250 - 24_000);
        assert_eq!(store_wallet(&app, shop.one.id).await, 1_250 + 25_000);
        assert_reconciled(&app).await;
    }
);

/// The member's pulse, waiting up to `timeout` seconds past `seen`.
async fn pulse(
    app: &TestApp,
    member: &Member,
    seen: Option<MemberPulse>,
    timeout: u64,
) -> MemberPulse {
    let query = match seen {
        Some(p) => format!(
            "?entry={}&card_event={}&code_step={}&timeout={timeout}",
            p.entry, p.card_event, p.code_step
        ),
        None => String::new(),
    };
    app.get(&format!("/api/member/pulse{query}"))
        .token(&member.token)
        .send()
        .await
        .ok()
}

dual_test!(
    the_members_open_app_hears_its_code_taken_and_the_write_off_at_once,
    |app| async move {
        let shop = shop(&app).await;
        let h = holder(&app, &shop).await;
        let first = pulse(&app, &h.member, None, 0).await;
        // Nothing moves: a short wait answers where it stood.
        assert_eq!(pulse(&app, &h.member, Some(first), 1).await, first);
        // The clerk scans while the app waits: it hears the code taken
        // (and moves to the next code) long before its 25 s are up.
        let started = std::time::Instant::now();
        let code = code_at(&app, &h.code, 0);
        let (scanned, ticket) = tokio::join!(pulse(&app, &h.member, Some(first), 25), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            scan(&app, &shop.clerk, &code).await
        });
        let t: WriteOffTicket = ticket.ok();
        assert!(scanned.code_step > first.code_step);
        assert_eq!(scanned.card_event, first.card_event);
        // Then the write-off: its card event and entries.
        let (used, done) = tokio::join!(pulse(&app, &h.member, Some(scanned), 25), async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            write_off(&app, &shop.clerk, &one_use(&t.ticket, h.card, h.wash)).await
        });
        done.status(201);
        assert!(used.card_event > scanned.card_event && used.entry > scanned.entry);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        // Another member's pulse does not move with it.
        let other = new_member(&app).await;
        let theirs = pulse(&app, &other, None, 0).await;
        assert_eq!((theirs.card_event, theirs.code_step), (0, 0));
    }
);

dual_test!(
    the_clerks_ticket_greets_the_member_by_level_with_their_points,
    |app| async move {
        use shared::dto::{Level, LevelsPolicy, PointsPolicy};
        let shop = shop(&app).await;
        // 1 point a yuan; 银卡 from ¥100 spent, 98折.
        app.put("/api/hq/points-policy")
            .token(&shop.admin)
            .json(&PointsPolicy {
                per_yuan: 1,
                ..PointsPolicy::default()
            })
            .send()
            .await
            .status(200);
        let silver = Level {
            id: None,
            name: "银卡".into(),
            threshold: Fen(10_000),
            pay_rate_bp: 9_800,
            points_rate_bp: 10_000,
            birthday_coupon_id: None,
            look: "silver".into(),
        };
        app.put("/api/hq/levels")
            .token(&shop.admin)
            .json(&LevelsPolicy {
                refund_lowers: false,
                levels: vec![silver],
            })
            .send()
            .await
            .status(200);
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        let s = my_code(&app, &member).await;
        // Before: no level, no points, the full price.
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &s, 0)).await.ok();
        assert_eq!((t.level, t.points, t.pay_rate_bp), (None, 0, 10_000));
        // ¥150 paid: 银卡 and 150 points, the next bill 98折.
        pay_ok(&app, &member.token, shop.one.id, 15_000).await;
        app.advance_secs(60);
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &s, 0)).await.ok();
        let level = t.level.expect("a level");
        assert_eq!(
            (level.name.as_str(), level.look.as_str()),
            ("银卡", "silver")
        );
        assert_eq!((t.points, t.pay_rate_bp), (150, 9_800));
        assert_eq!(t.balance, Fen(5_000));
    }
);

dual_test!(
    a_charge_retried_after_its_ticket_ran_out_gets_its_receipt_and_charges_once,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 5_000).await;
        let s = my_code(&app, &member).await;
        let t: WriteOffTicket = scan(&app, &shop.clerk, &code_at(&app, &s, 0)).await.ok();
        let key = new_key();
        let paid: PaymentReceipt = charge(&app, &shop.clerk, &key, (&t.ticket, 1_000), None, None)
            .await
            .ok();
        // The clerk's phone lost the answer and retries after the ticket's
        // two minutes: the receipt of the charge that went through.
        app.advance_secs(121);
        let again: PaymentReceipt = charge(&app, &shop.clerk, &key, (&t.ticket, 1_000), None, None)
            .await
            .ok();
        assert_eq!(paid, again);
        assert_eq!(total(&app, &member.token).await, 4_000, "charged once");
        // A new charge with the ticket that ran out is refused.
        charge(
            &app,
            &shop.clerk,
            &new_key(),
            (&t.ticket, 1_000),
            None,
            None,
        )
        .await
        .error(422, ErrorCode::TicketExpired);
        assert_reconciled(&app).await;
    }
);
