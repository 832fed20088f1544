//! Coupons (issue 16), first part: HQ's templates and their figures, the
//! coupon centre, a member's coupons by shelf, staff issuing within a daily
//! quota; the stock, the per-member limit and the quota each fired at
//! once, on SQLite and PostgreSQL.

use crate::cards::{brand_account, store_wallet};
use crate::gateway::{back_to_app, checkout_of, give_up, press, wait_for_state};
use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{
    AuditEntry, CouponIssued, CouponKind, CouponOffer, CouponQuota, CouponShelf, CouponState,
    CouponTemplate, CouponTemplateInput, EntryKind, IssueCoupon, MemberCoupon, MemberMessage,
    MoneySettings, OrderState, Page, PaymentListItem, PaymentReceipt, PaymentRequest,
    RefundReceipt, TopUpOrderView,
};
use shared::money::Fen;
use std::time::Duration;
use tongka_server::config::Limits;
use tongka_server::ledger::Kind;

/// A ¥10-off coupon over ¥50, valid 7 days from receipt, 100 of them, one
/// per member, at every store, claimable and issuable.
pub fn cash_coupon(name: &str) -> CouponTemplateInput {
    CouponTemplateInput {
        name: name.into(),
        kind: CouponKind::Cash,
        off: Fen(1_000),
        rate_bp: 0,
        cap: Fen::ZERO,
        item_id: None,
        min_spend: Fen(5_000),
        valid_from: None,
        valid_until: None,
        valid_days: Some(7),
        stock: 100,
        per_member: 1,
        all_stores: true,
        store_ids: vec![],
        claimable: true,
        issuable: true,
        on_sale: true,
    }
}

/// HQ adds a coupon template.
pub async fn new_template(
    app: &TestApp,
    admin: &str,
    input: &CouponTemplateInput,
) -> CouponTemplate {
    let reply = app
        .post("/api/hq/coupon-templates")
        .token(admin)
        .json(input)
        .send()
        .await;
    reply.status(201);
    reply.ok()
}

/// The member claims one of template `id` (fresh key).
pub async fn claim(app: &TestApp, member: &Member, id: i64) -> Reply {
    app.post(&format!("/api/member/coupon-centre/{id}"))
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .send()
        .await
}

/// The member's coupons on `shelf`.
pub async fn shelf(app: &TestApp, member: &Member, shelf: CouponShelf) -> Vec<MemberCoupon> {
    let page: Page<MemberCoupon> = app
        .get(&format!("/api/member/coupons?shelf={}", shelf.as_str()))
        .token(&member.token)
        .send()
        .await
        .ok();
    page.items
}

/// The coupons that can pay a bill at `store` now, as the pay page asks.
async fn usable_at(app: &TestApp, member: &Member, store: i64) -> Vec<i64> {
    let page: Page<MemberCoupon> = app
        .get(&format!("/api/member/coupons?usable_at={store}"))
        .token(&member.token)
        .send()
        .await
        .ok();
    page.items.into_iter().map(|c| c.id).collect()
}

/// The coupon centre as `member` sees it.
pub async fn centre(app: &TestApp, member: &Member) -> Vec<CouponOffer> {
    app.get("/api/member/coupon-centre")
        .token(&member.token)
        .send()
        .await
        .ok()
}

async fn templates(app: &TestApp, admin: &str) -> Vec<CouponTemplate> {
    app.get("/api/hq/coupon-templates")
        .token(admin)
        .send()
        .await
        .ok()
}

async fn issue(app: &TestApp, staff: &str, phone: &str, template_id: i64) -> Reply {
    app.post("/api/staff/coupons")
        .token(staff)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&IssueCoupon {
            member_phone: phone.into(),
            template_id,
        })
        .send()
        .await
}

/// Sends `input` and expects `field` to be refused for `reason`.
async fn refused(
    app: &TestApp,
    admin: &str,
    input: &CouponTemplateInput,
    field: &str,
    reason: &str,
) {
    app.post("/api/hq/coupon-templates")
        .token(admin)
        .json(input)
        .send()
        .await
        .invalid_because(field, reason);
}

dual_test!(
    hq_makes_coupon_templates_and_every_wrong_field_is_named,
    |app| async move {
        let shop = shop(&app).await;
        let cash = new_template(&app, &shop.admin, &cash_coupon("满50减10")).await;
        assert_eq!(
            (cash.issued, cash.used, cash.expired, cash.cost),
            (0, 0, 0, Fen::ZERO)
        );
        let mut percent = cash_coupon("九折券");
        percent.kind = CouponKind::Percent;
        percent.rate_bp = 1_000;
        percent.cap = Fen(2_000);
        percent.all_stores = false;
        percent.store_ids = vec![shop.two.id];
        percent.valid_days = None;
        percent.valid_from = Some("2030-01-01".into());
        percent.valid_until = Some("2030-01-31".into());
        let p = new_template(&app, &shop.admin, &percent).await;
        assert_eq!(p.terms.store_ids, vec![shop.two.id]);
        assert_eq!(
            p.terms.off,
            Fen::ZERO,
            "a percent coupon keeps no cash amount"
        );
        // Every wrong field is named.
        let bad = |f: fn(&mut CouponTemplateInput)| {
            let mut i = cash_coupon("坏券");
            f(&mut i);
            i
        };
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.off = Fen::ZERO),
            "off",
            "amount_positive",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| {
                i.kind = CouponKind::Percent;
                i.rate_bp = 10_000;
                i.cap = Fen(100)
            }),
            "rate_bp",
            "coupon_rate_range",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| {
                i.kind = CouponKind::Percent;
                i.rate_bp = 500;
            }),
            "cap",
            "amount_positive",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.kind = CouponKind::Item),
            "item_id",
            "required",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| {
                i.kind = CouponKind::Item;
                i.item_id = Some(999_999)
            }),
            "item_id",
            "unknown",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.min_spend = Fen(-1)),
            "min_spend",
            "amount_format",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.valid_days = None),
            "valid_days",
            "validity_required",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.valid_until = Some("2030-01-01".into())),
            "valid_days",
            "validity_both",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.valid_days = Some(0)),
            "valid_days",
            "days_range",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| {
                i.valid_days = None;
                i.valid_from = Some("2030-02-01".into());
                i.valid_until = Some("2030-01-01".into())
            }),
            "valid_from",
            "date_order",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| {
                i.valid_days = None;
                i.valid_from = Some("2020-01-01".into());
                i.valid_until = Some("2020-01-31".into())
            }),
            "valid_until",
            "date_past",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| {
                i.valid_days = None;
                i.valid_from = Some("1 May".into());
                i.valid_until = Some("2030-01-31".into())
            }),
            "valid_from",
            "date_format",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.stock = 0),
            "stock",
            "stock_range",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.per_member = 101),
            "per_member",
            "per_member_range",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.all_stores = false),
            "store_ids",
            "stores_required",
        )
        .await;
        refused(
            &app,
            &shop.admin,
            &bad(|i| i.name = " ".into()),
            "name",
            "required",
        )
        .await;
        // Names are unique; only HQ admin makes templates.
        app.post("/api/hq/coupon-templates")
            .token(&shop.admin)
            .json(&cash_coupon("满50减10"))
            .send()
            .await
            .error(409, ErrorCode::AlreadyExists);
        app.post("/api/hq/coupon-templates")
            .token(&shop.manager)
            .json(&cash_coupon("店长券"))
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        // Once one is given out its rule is fixed; its name and stock are not.
        let member = new_member(&app).await;
        claim(&app, &member, cash.id).await.status(201);
        let mut change = cash_coupon("满50减10");
        change.off = Fen(2_000);
        app.put(&format!("/api/hq/coupon-templates/{}", cash.id))
            .token(&shop.admin)
            .json(&change)
            .send()
            .await
            .invalid_because("off", "unchangeable");
        let mut change = cash_coupon("满50减10");
        change.stock = 0;
        app.put(&format!("/api/hq/coupon-templates/{}", cash.id))
            .token(&shop.admin)
            .json(&change)
            .send()
            .await
            .invalid_because("stock", "stock_range");
        change.stock = 1;
        change.name = "新客满50减10".into();
        let renamed: CouponTemplate = app
            .put(&format!("/api/hq/coupon-templates/{}", cash.id))
            .token(&shop.admin)
            .json(&change)
            .send()
            .await
            .ok();
        assert_eq!(
            (
                renamed.terms.name.as_str(),
                renamed.terms.stock,
                renamed.issued
            ),
            ("新客满50减10", 1, 1)
        );
        let log: Page<AuditEntry> = app
            .get("/api/hq/audit?action=coupon_template.update")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(log.items.len(), 1, "the rename is audited");
        // Nothing refused was stored.
        assert_eq!(templates(&app, &shop.admin).await.len(), 2);
    }
);

dual_test!(
    a_member_claims_in_the_centre_and_finds_the_coupon_on_its_shelf_until_it_expires,
    |app| async move {
        let shop = shop(&app).await;
        let mut input = cash_coupon("满50减10");
        input.stock = 3;
        input.per_member = 2;
        let t = new_template(&app, &shop.admin, &input).await;
        let mut staff_only = cash_coupon("员工发放券");
        staff_only.claimable = false;
        new_template(&app, &shop.admin, &staff_only).await;
        let member = new_member(&app).await;
        let offers = centre(&app, &member).await;
        assert_eq!(offers.len(), 1, "only what members may claim: {offers:?}");
        assert_eq!(
            (offers[0].left, offers[0].held, offers[0].per_member),
            (3, 0, 2)
        );
        // A claim retried with its key gives one coupon.
        let key = new_key();
        let first: MemberCoupon = app
            .post(&format!("/api/member/coupon-centre/{}", t.id))
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &key)
            .send()
            .await
            .ok();
        let again: MemberCoupon = app
            .post(&format!("/api/member/coupon-centre/{}", t.id))
            .token(&member.token)
            .header(IDEMPOTENCY_KEY, &key)
            .send()
            .await
            .ok();
        assert_eq!(first.id, again.id);
        assert_eq!(first.state, CouponState::Issued);
        assert_eq!(first.rule.off, Fen(1_000));
        assert_eq!(first.rule.min_spend, Fen(5_000));
        claim(&app, &member, t.id).await.status(201);
        claim(&app, &member, t.id)
            .await
            .error(422, ErrorCode::CouponLimitReached);
        let offers = centre(&app, &member).await;
        assert_eq!((offers[0].left, offers[0].held), (1, 2));
        assert_eq!(shelf(&app, &member, CouponShelf::Usable).await.len(), 2);
        assert!(shelf(&app, &member, CouponShelf::Expired).await.is_empty());
        // The last one goes to another member; then none is left.
        let other = new_member(&app).await;
        claim(&app, &other, t.id).await.status(201);
        claim(&app, &new_member(&app).await, t.id)
            .await
            .error(422, ErrorCode::CouponOutOfStock);
        // Off: not claimable, but coupons held stay usable.
        let mut off = input.clone();
        off.on_sale = false;
        app.put(&format!("/api/hq/coupon-templates/{}", t.id))
            .token(&shop.admin)
            .json(&off)
            .send()
            .await
            .status(200);
        claim(&app, &new_member(&app).await, t.id)
            .await
            .error(422, ErrorCode::CouponNotOffered);
        assert_eq!(shelf(&app, &member, CouponShelf::Usable).await.len(), 2);
        // Seven days from receipt, the day of receipt counting: on the
        // eighth day they are expired.
        app.advance(Duration::from_secs(8 * 86_400));
        assert!(shelf(&app, &member, CouponShelf::Usable).await.is_empty());
        let expired = shelf(&app, &member, CouponShelf::Expired).await;
        assert_eq!(expired.len(), 2);
        assert!(expired.iter().all(|c| c.state == CouponState::Expired));
        let figures = templates(&app, &shop.admin)
            .await
            .into_iter()
            .find(|x| x.id == t.id)
            .expect("the template");
        assert_eq!((figures.issued, figures.used, figures.expired), (3, 0, 3));
    }
);

dual_test!(
    sixty_four_members_claiming_the_last_coupon_at_once_leave_one_claimed,
    // Sixty-four members sign up from the test's one address.
    limits = Limits {
        sms_per_ip_hour: 100,
        ..Limits::default()
    },
    |app| async move {
        let shop = shop(&app).await;
        let mut input = cash_coupon("限量1张");
        input.stock = 1;
        let t = new_template(&app, &shop.admin, &input).await;
        let mut members = Vec::new();
        for _ in 0..64 {
            members.push(new_member(&app).await);
        }
        let mut set = tokio::task::JoinSet::new();
        for m in members {
            let app = app.clone();
            set.spawn(async move { claim(&app, &m, t.id).await.status });
        }
        let mut codes = Vec::new();
        while let Some(r) = set.join_next().await {
            codes.push(r.expect("a claim"));
        }
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 1, "{codes:?}");
        assert!(codes.iter().all(|c| *c == 201 || *c == 422), "{codes:?}");
        let t = templates(&app, &shop.admin).await.remove(0);
        assert_eq!(t.issued, 1);
    }
);

dual_test!(
    one_member_claiming_a_limit_of_two_twenty_times_at_once_holds_two,
    |app| async move {
        let shop = shop(&app).await;
        let mut input = cash_coupon("每人两张");
        input.per_member = 2;
        let t = new_template(&app, &shop.admin, &input).await;
        let member = new_member(&app).await;
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let (app, member) = (app.clone(), member.clone());
            set.spawn(async move { claim(&app, &member, t.id).await.status });
        }
        let mut codes = Vec::new();
        while let Some(r) = set.join_next().await {
            codes.push(r.expect("a claim"));
        }
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 2, "{codes:?}");
        assert_eq!(shelf(&app, &member, CouponShelf::Usable).await.len(), 2);
        assert_eq!(templates(&app, &shop.admin).await[0].issued, 2);
    }
);

dual_test!(
    a_store_manager_issues_within_a_daily_quota_of_three_under_ten_at_once,
    |app| async move {
        let shop = shop(&app).await;
        let mut rules: MoneySettings = app
            .get("/api/hq/money-settings")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(rules.coupon_quota, 20, "the default");
        rules.coupon_quota = 3;
        app.put("/api/hq/money-settings")
            .token(&shop.admin)
            .json(&rules)
            .send()
            .await
            .status(200);
        let mut input = cash_coupon("店长赠券");
        input.claimable = false;
        let t = new_template(&app, &shop.admin, &input).await;
        let left = |token: String| {
            let app = app.clone();
            async move {
                let q: CouponQuota = app
                    .get("/api/staff/coupons/quota")
                    .token(&token)
                    .send()
                    .await
                    .ok();
                (q.quota, q.used, q.left)
            }
        };
        assert_eq!(left(shop.manager.clone()).await, (3, 0, 3));
        // A clerk may not issue.
        let member = new_member(&app).await;
        issue(&app, &shop.clerk, &member.phone, t.id)
            .await
            .error(403, ErrorCode::Forbidden);
        let mut members = Vec::new();
        for _ in 0..10 {
            members.push(new_member(&app).await);
        }
        let mut set = tokio::task::JoinSet::new();
        for m in &members {
            let (app, token, phone) = (app.clone(), shop.manager.clone(), m.phone.clone());
            set.spawn(async move { issue(&app, &token, &phone, t.id).await.status });
        }
        let mut codes = Vec::new();
        while let Some(r) = set.join_next().await {
            codes.push(r.expect("an issue"));
        }
        assert_eq!(codes.iter().filter(|c| **c == 201).count(), 3, "{codes:?}");
        assert_eq!(codes.iter().filter(|c| **c == 429).count(), 7, "{codes:?}");
        issue(&app, &shop.manager, &member.phone, t.id)
            .await
            .error(429, ErrorCode::CouponQuotaReached);
        assert_eq!(left(shop.manager.clone()).await, (3, 3, 0));
        // The other store's manager has a quota of their own; the member
        // is told, and the issue is audited.
        let given: CouponIssued = issue(&app, &shop.manager_two, &member.phone, t.id)
            .await
            .ok();
        assert_eq!(given.quota_left, 2);
        assert_eq!(given.coupon.rule.name, "店长赠券");
        let told: Page<MemberMessage> = app
            .get("/api/member/messages")
            .token(&member.token)
            .send()
            .await
            .ok();
        assert_eq!(told.items[0].kind, EntryKind::CouponIssued);
        assert_eq!(told.items[0].note.as_deref(), Some("店长赠券"));
        let log: Page<AuditEntry> = app
            .get("/api/hq/audit?action=coupon.issue")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(log.items.len(), 4);
        // Not a member, not a template of the brand, not issuable.
        issue(&app, &shop.manager_two, "13900000000", t.id)
            .await
            .error(404, ErrorCode::MemberNotRegistered);
        issue(&app, &shop.manager_two, &member.phone, 999_999)
            .await
            .invalid_because("template_id", "unknown");
        let claim_only = new_template(&app, &shop.admin, &{
            let mut i = cash_coupon("仅领取");
            i.issuable = false;
            i
        })
        .await;
        issue(&app, &shop.manager_two, &member.phone, claim_only.id)
            .await
            .error(422, ErrorCode::CouponNotOffered);
        // A new day, a new quota.
        app.advance(Duration::from_secs(86_400));
        let fresh = new_member(&app).await;
        let next_day: CouponIssued = issue(&app, &shop.manager, &fresh.phone, t.id).await.ok();
        assert_eq!(next_day.quota_left, 2);
        // The issue entries move nothing and the books still balance.
        assert_reconciled(&app).await;
    }
);

/// The member pays `amount` at `store` with coupon `coupon` (fresh key;
/// `fallback`: pay without it if it is gone).
async fn pay_with_coupon(
    app: &TestApp,
    member: &Member,
    store: i64,
    amount: i64,
    coupon: i64,
    fallback: bool,
) -> Reply {
    pay_as_shown(app, member, (store, amount), coupon, fallback, None).await
}

/// … as the app sends it: with what the member was shown they pay.
async fn pay_as_shown(
    app: &TestApp,
    member: &Member,
    (store, amount): (i64, i64),
    coupon: i64,
    fallback: bool,
    shown: Option<i64>,
) -> Reply {
    app.post("/api/member/payments")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&PaymentRequest {
            store_id: store,
            amount: Fen(amount),
            pin: Some(TEST_PIN.into()),
            pay_request: None,
            coupon_id: Some(coupon),
            without_coupon_if_gone: fallback,
            use_points: false,
            points_expected: None,
            payable_expected: shown.map(Fen),
        })
        .send()
        .await
}

/// A member with ¥100 and the PIN set, holding one coupon of `input`.
async fn member_with_coupon(
    app: &TestApp,
    shop: &Shop,
    input: &CouponTemplateInput,
) -> (Member, MemberCoupon) {
    let t = new_template(app, &shop.admin, input).await;
    let member = new_member(app).await;
    set_pin(app, &member).await;
    topup_ok(app, &shop.clerk, &member.phone, 10_000).await;
    let coupon: MemberCoupon = claim(app, &member, t.id).await.ok();
    (member, coupon)
}

dual_test!(
    a_coupon_takes_its_amount_off_and_only_a_full_refund_gives_it_back,
    |app| async move {
        let shop = shop(&app).await;
        let (member, coupon) = member_with_coupon(&app, &shop, &cash_coupon("满50减10")).await;
        let paid: PaymentReceipt =
            pay_with_coupon(&app, &member, shop.one.id, 8_000, coupon.id, false)
                .await
                .ok();
        assert_eq!(paid.coupon, Fen(1_000));
        assert_eq!(
            paid.quote.payable,
            Fen(7_000),
            "the member pays the bill less the coupon"
        );
        assert_eq!(total(&app, &member.token).await, 3_000);
        assert_eq!(
            store_wallet(&app, shop.one.id).await,
            8_000,
            "the brand pays the store the coupon's part"
        );
        assert_eq!(
            brand_account(&app, Kind::PromotionExpense, 0).await,
            -1_000,
            "the brand's promotion expense carries it"
        );
        let used = shelf(&app, &member, CouponShelf::Used).await;
        assert_eq!((used.len(), used[0].worth), (1, Fen(1_000)));
        let t = templates(&app, &shop.admin).await.remove(0);
        assert_eq!((t.used, t.cost), (1, Fen(1_000)));
        // A part refunded keeps the coupon used; the rest gives it back.
        refund_ok(&app, &shop.manager, paid.payment_id, 2_000).await;
        assert_eq!(shelf(&app, &member, CouponShelf::Used).await.len(), 1);
        refund_ok(&app, &shop.manager, paid.payment_id, 5_000).await;
        let usable = shelf(&app, &member, CouponShelf::Usable).await;
        assert_eq!(usable.len(), 1, "refunded in full: the coupon is back");
        assert_eq!(
            (usable[0].id, usable[0].state),
            (coupon.id, CouponState::Issued)
        );
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_eq!(store_wallet(&app, shop.one.id).await, 0);
        assert_eq!(brand_account(&app, Kind::PromotionExpense, 0).await, 0);
        let t = templates(&app, &shop.admin).await.remove(0);
        assert_eq!((t.used, t.cost), (0, Fen::ZERO));
        // And pays again.
        pay_with_coupon(&app, &member, shop.one.id, 5_000, coupon.id, false)
            .await
            .status(201);
        assert_eq!(total(&app, &member.token).await, 6_000);
        assert_reconciled(&app).await;
    }
);

/// The payment `id` as the merchant app's 收款记录 lists it to `staff`.
async fn listed(app: &TestApp, staff: &str, id: i64) -> PaymentListItem {
    let page: Page<PaymentListItem> = app
        .get("/api/staff/payments")
        .token(staff)
        .send()
        .await
        .ok();
    page.items.into_iter().find(|p| p.id == id).expect("listed")
}

dual_test!(
    a_payment_its_coupon_covered_in_full_is_voided_once_and_the_coupon_comes_back,
    |app| async move {
        let shop = shop(&app).await;
        let mut big = cash_coupon("百元券");
        big.off = Fen(10_000);
        big.min_spend = Fen::ZERO;
        let (member, coupon) = member_with_coupon(&app, &shop, &big).await;
        let paid: PaymentReceipt =
            pay_with_coupon(&app, &member, shop.one.id, 6_000, coupon.id, false)
                .await
                .ok();
        assert_eq!(paid.quote.payable, Fen::ZERO);
        assert_eq!(store_wallet(&app, shop.one.id).await, 6_000);
        // The list tells the clerk what the coupon took and that there is
        // something to give back.
        let before = listed(&app, &shop.manager, paid.payment_id).await;
        assert_eq!(
            (before.amount, before.coupon, before.refunded_in_full),
            (Fen::ZERO, Fen(6_000), false)
        );
        // A refund of zero is refused for a payment with money to refund.
        let (m2, c2) = member_with_coupon(&app, &shop, &cash_coupon("满50减10")).await;
        let paid_money: PaymentReceipt =
            pay_with_coupon(&app, &m2, shop.one.id, 8_000, c2.id, false)
                .await
                .ok();
        refund(&app, &shop.manager, paid_money.payment_id, 0)
            .await
            .invalid_because("amount", "amount_positive");
        refund(&app, &shop.manager, paid.payment_id, -1)
            .await
            .invalid_because("amount", "amount_positive");
        // Two voids at once: one goes through, the other is told it is done.
        let (a, b) = tokio::join!(
            refund(&app, &shop.manager, paid.payment_id, 0),
            refund(&app, &shop.manager, paid.payment_id, 0),
        );
        let (done, again) = if a.status == 201 { (a, b) } else { (b, a) };
        let receipt: RefundReceipt = done.ok();
        assert_eq!(
            (receipt.amount, receipt.refunded_total),
            (Fen::ZERO, Fen::ZERO)
        );
        let e = again.error(422, ErrorCode::RefundTooLarge);
        assert_eq!(e.message, "这笔支付已全部退回");
        let usable = shelf(&app, &member, CouponShelf::Usable).await;
        assert_eq!(
            usable.iter().map(|c| (c.id, c.state)).collect::<Vec<_>>(),
            vec![(coupon.id, CouponState::Issued)],
            "voided: the coupon is back, once"
        );
        assert_eq!(total(&app, &member.token).await, 10_000);
        // The store gives back the coupon's part (and keeps the other
        // payment's ¥80); the brand's expense is only that other coupon.
        assert_eq!(store_wallet(&app, shop.one.id).await, 8_000);
        assert_eq!(brand_account(&app, Kind::PromotionExpense, 0).await, -1_000);
        assert!(
            listed(&app, &shop.manager, paid.payment_id)
                .await
                .refunded_in_full
        );
        refund(&app, &shop.manager, paid.payment_id, 0)
            .await
            .error(422, ErrorCode::RefundTooLarge);
        // The coupon pays again.
        pay_with_coupon(&app, &member, shop.one.id, 3_000, coupon.id, false)
            .await
            .status(201);
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_coupon_is_refused_below_its_minimum_elsewhere_before_or_after_its_dates_and_for_others,
    |app| async move {
        let shop = shop(&app).await;
        let (member, coupon) = member_with_coupon(&app, &shop, &cash_coupon("满50减10")).await;
        let why = |r: Reply| {
            let e = r.error(422, ErrorCode::CouponNotUsable);
            e.params.get("reason").cloned().unwrap_or_default()
        };
        // Below the minimum spend: refused, nothing moves.
        assert_eq!(
            why(pay_with_coupon(&app, &member, shop.one.id, 4_999, coupon.id, false).await),
            "min_spend"
        );
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_eq!(shelf(&app, &member, CouponShelf::Usable).await.len(), 1);
        // Another member's coupon is not theirs to name.
        let other = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &other.phone, 10_000).await;
        pay_with_coupon(&app, &other, shop.one.id, 8_000, coupon.id, false)
            .await
            .invalid_because("coupon_id", "unknown");
        // Only at its stores.
        let mut there = cash_coupon("徐家汇专享");
        there.all_stores = false;
        there.store_ids = vec![shop.two.id];
        let (m2, c2) = member_with_coupon(&app, &shop, &there).await;
        // The pay page offers it at its store only.
        assert_eq!(usable_at(&app, &m2, shop.two.id).await, vec![c2.id]);
        assert!(usable_at(&app, &m2, shop.one.id).await.is_empty());
        assert_eq!(usable_at(&app, &member, shop.one.id).await, vec![coupon.id]);
        assert_eq!(
            why(pay_with_coupon(&app, &m2, shop.one.id, 8_000, c2.id, false).await),
            "store"
        );
        pay_with_coupon(&app, &m2, shop.two.id, 8_000, c2.id, false)
            .await
            .status(201);
        // Not before its first day.
        let mut later = cash_coupon("元旦券");
        later.valid_days = None;
        later.valid_from = Some("2099-01-01".into());
        later.valid_until = Some("2099-01-31".into());
        let (m3, c3) = member_with_coupon(&app, &shop, &later).await;
        assert!(
            usable_at(&app, &m3, shop.one.id).await.is_empty(),
            "not yet"
        );
        assert_eq!(
            why(pay_with_coupon(&app, &m3, shop.one.id, 8_000, c3.id, false).await),
            "not_yet"
        );
        // A free-item coupon is written off at the counter, not paid with.
        let wash = crate::cards::new_item(&app, &shop.admin, "精致洗车", 5_000).await;
        let mut free = cash_coupon("免费洗车");
        free.kind = CouponKind::Item;
        free.item_id = Some(wash.id);
        let (m4, c4) = member_with_coupon(&app, &shop, &free).await;
        assert!(
            usable_at(&app, &m4, shop.one.id).await.is_empty(),
            "an item"
        );
        assert_eq!(
            why(pay_with_coupon(&app, &m4, shop.one.id, 8_000, c4.id, false).await),
            "item_only"
        );
        // A percent coupon stops at its cap; a coupon larger than the bill
        // takes the bill to zero, never below.
        let mut percent = cash_coupon("九折券");
        percent.kind = CouponKind::Percent;
        percent.rate_bp = 1_000;
        percent.cap = Fen(500);
        percent.min_spend = Fen::ZERO;
        let (m5, c5) = member_with_coupon(&app, &shop, &percent).await;
        let capped: PaymentReceipt = pay_with_coupon(&app, &m5, shop.one.id, 8_000, c5.id, false)
            .await
            .ok();
        assert_eq!(
            (capped.coupon, capped.quote.payable),
            (Fen(500), Fen(7_500))
        );
        let mut big = cash_coupon("百元券");
        big.off = Fen(10_000);
        big.min_spend = Fen::ZERO;
        let (m6, c6) = member_with_coupon(&app, &shop, &big).await;
        let free_bill: PaymentReceipt =
            pay_with_coupon(&app, &m6, shop.one.id, 6_000, c6.id, false)
                .await
                .ok();
        assert_eq!(
            (free_bill.coupon, free_bill.quote.payable),
            (Fen(6_000), Fen::ZERO)
        );
        assert_eq!(total(&app, &m6.token).await, 10_000);
        // Expired after its seven days.
        app.advance(Duration::from_secs(8 * 86_400));
        assert_eq!(
            why(pay_with_coupon(&app, &member, shop.one.id, 8_000, coupon.id, false).await),
            "expired"
        );
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    one_coupon_in_two_payments_at_once_is_used_by_one,
    |app| async move {
        let shop = shop(&app).await;
        // Refused: exactly one of the two goes through.
        let (member, coupon) = member_with_coupon(&app, &shop, &cash_coupon("满50减10")).await;
        let (a, b) = tokio::join!(
            pay_with_coupon(&app, &member, shop.one.id, 6_000, coupon.id, false),
            pay_with_coupon(&app, &member, shop.two.id, 6_000, coupon.id, false),
        );
        let mut codes = [a.status, b.status];
        codes.sort_unstable();
        assert_eq!(codes, [201, 422], "{} / {}", a.body, b.body);
        assert_eq!(total(&app, &member.token).await, 10_000 - 5_000);
        // Paying without it when it is gone: both go through, one with it,
        // though both were shown ¥40 (the member agreed to pay in full if
        // it was gone).
        let mut input = cash_coupon("满50减10（二）");
        input.per_member = 1;
        let (member, coupon) = member_with_coupon(&app, &shop, &input).await;
        let shown = Some(4_000);
        let (a, b) = tokio::join!(
            pay_as_shown(&app, &member, (shop.one.id, 5_000), coupon.id, true, shown),
            pay_as_shown(&app, &member, (shop.two.id, 5_000), coupon.id, true, shown),
        );
        let (a, b): (PaymentReceipt, PaymentReceipt) = (a.ok(), b.ok());
        let mut offs = [a.coupon.0, b.coupon.0];
        offs.sort_unstable();
        assert_eq!(offs, [0, 1_000]);
        assert_eq!(total(&app, &member.token).await, 10_000 - 4_000 - 5_000);
        assert_eq!(shelf(&app, &member, CouponShelf::Used).await.len(), 1);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_split_payment_holds_its_coupon_until_the_gateway_leg_is_paid_or_given_up,
    |app| async move {
        let _sweeps = crate::gateway::SWEEPS.read().await;
        let shop = shop(&app).await;
        let (member, coupon) = member_with_coupon(&app, &shop, &cash_coupon("满50减10")).await;
        let split = |amount: i64| {
            app.post(crate::split_payments::SPLIT)
                .token(&member.token)
                .header(IDEMPOTENCY_KEY, &new_key())
                .json(&PaymentRequest {
                    store_id: shop.one.id,
                    amount: Fen(amount),
                    pin: Some(TEST_PIN.into()),
                    pay_request: None,
                    coupon_id: Some(coupon.id),
                    without_coupon_if_gone: false,
                    use_points: false,
                    points_expected: None,
                    payable_expected: None,
                })
                .send()
        };
        // ¥200 with ¥100 stored: ¥10 off, ¥100 held, ¥90 online.
        let started: TopUpOrderView = split(20_000).await.ok();
        assert_eq!(
            (started.amount, started.stored_value),
            (Fen(9_000), Fen(10_000))
        );
        let held = shelf(&app, &member, CouponShelf::Usable).await;
        assert_eq!(held[0].state, CouponState::Reserved);
        // No other payment can use it meanwhile.
        let e = pay_with_coupon(&app, &member, shop.one.id, 6_000, coupon.id, false)
            .await
            .error(422, ErrorCode::CouponNotUsable);
        assert_eq!(e.params.get("reason").map(String::as_str), Some("in_use"));
        // Given up: the coupon and the stored value come back.
        give_up(&app, &member, started.id).await;
        let back = shelf(&app, &member, CouponShelf::Usable).await;
        assert_eq!(back[0].state, CouponState::Issued);
        assert_eq!(total(&app, &member.token).await, 10_000);
        // Paid: the coupon is used and the store gets the whole bill.
        let started: TopUpOrderView = split(20_000).await.ok();
        assert_eq!(
            press(&checkout_of(&started), "pay").await,
            back_to_app(&app, &started)
        );
        wait_for_state(&app, &member, started.id, OrderState::Paid).await;
        let used = shelf(&app, &member, CouponShelf::Used).await;
        assert_eq!((used.len(), used[0].worth), (1, Fen(1_000)));
        assert_eq!(total(&app, &member.token).await, 0);
        assert_eq!(store_wallet(&app, shop.one.id).await, 20_000);
        assert_eq!(brand_account(&app, Kind::PromotionExpense, 0).await, -1_000);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    random_payments_with_coupons_account_for_every_fen,
    |app| async move {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use tongka_server::entity::{coupon, payment};
        // Some payments go through the gateway: orders are open.
        let _sweeps = crate::gateway::SWEEPS.read().await;
        const DEFAULT_SEED: u64 = 0x16c0_900d;
        let seed = std::env::var("COUPON_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(DEFAULT_SEED);
        let mut rng = Rng::new(seed);
        let shop = shop(&app).await;
        let mut kinds = vec![cash_coupon("满50减10")];
        let mut percent = cash_coupon("八五折");
        percent.kind = CouponKind::Percent;
        percent.rate_bp = 1_500;
        percent.cap = Fen(1_200);
        percent.min_spend = Fen::ZERO;
        kinds.push(percent);
        let mut big = cash_coupon("大额券");
        big.off = Fen(30_000);
        big.min_spend = Fen(100);
        kinds.push(big);
        let mut templates = Vec::new();
        for k in &mut kinds {
            k.per_member = 100;
            k.stock = 10_000;
            templates.push(new_template(&app, &shop.admin, k).await);
        }
        let mut members = Vec::new();
        for _ in 0..3 {
            let m = new_member(&app).await;
            set_pin(&app, &m).await;
            members.push(m);
        }
        // What each member should hold, from every receipt.
        let mut totals = [0i64; 3];
        let mut payments: Vec<(usize, i64)> = Vec::new();
        let (mut splits, mut with_coupon, mut given_back, mut voided) = (0, 0, 0, 0);
        for step in 0..90 {
            let who = rng.range(0, 2) as usize;
            let m = &members[who];
            match rng.range(0, 11) {
                0..=2 => {
                    let amount = rng.range(1, 30_000);
                    topup_ok(&app, &shop.clerk, &m.phone, amount).await;
                    totals[who] += amount;
                }
                3 | 4 => {
                    let t = rng.pick(&templates).id;
                    claim(&app, m, t).await.status(201);
                }
                5..=8 => {
                    let usable = shelf(&app, m, CouponShelf::Usable).await;
                    let coupon = (rng.range(0, 2) > 0)
                        .then(|| usable.iter().find(|c| c.state == CouponState::Issued))
                        .flatten()
                        .map(|c| c.id);
                    let store = rng.pick(&[shop.one.id, shop.two.id]).to_owned();
                    let amount = rng.range(1, 40_000);
                    let body = PaymentRequest {
                        store_id: store,
                        amount: Fen(amount),
                        pin: Some(TEST_PIN.into()),
                        pay_request: None,
                        coupon_id: coupon,
                        without_coupon_if_gone: false,
                        use_points: false,
                        points_expected: None,
                        payable_expected: None,
                    };
                    let reply = app
                        .post("/api/member/payments")
                        .token(&m.token)
                        .header(IDEMPOTENCY_KEY, &new_key())
                        .json(&body)
                        .send()
                        .await;
                    match reply.status {
                        201 => {
                            let r: PaymentReceipt = reply.ok();
                            totals[who] -= (r.principal + r.bonus).0;
                            with_coupon += usize::from(r.coupon.is_positive());
                            payments.push((who, r.payment_id));
                        }
                        422 => {
                            let e = reply.envelope().error;
                            match e.code {
                                ErrorCode::InsufficientBalance => {
                                    // The gateway pays the rest; half the
                                    // time the member gives up instead.
                                    let started: TopUpOrderView = app
                                        .post(crate::split_payments::SPLIT)
                                        .token(&m.token)
                                        .header(IDEMPOTENCY_KEY, &new_key())
                                        .json(&body)
                                        .send()
                                        .await
                                        .ok();
                                    splits += 1;
                                    if rng.range(0, 1) == 0 {
                                        give_up(&app, m, started.id).await;
                                    } else {
                                        press(&checkout_of(&started), "pay").await;
                                        let paid =
                                            wait_for_state(&app, m, started.id, OrderState::Paid)
                                                .await;
                                        totals[who] -= started.stored_value.0;
                                        payments.push((who, paid.payment_id.expect("a payment")));
                                    }
                                }
                                ErrorCode::CouponNotUsable => {
                                    assert_eq!(
                                        e.params.get("reason").map(String::as_str),
                                        Some("min_spend"),
                                        "step {step}: {e:?}"
                                    );
                                }
                                other => panic!("step {step}: {other:?} {}", reply.body),
                            }
                        }
                        other => panic!("step {step}: {other} {}", reply.body),
                    }
                }
                9 | 10 if !payments.is_empty() => {
                    // Half the time one that used a coupon, if any did.
                    let with: Vec<(usize, i64)> = {
                        let mut v = Vec::new();
                        for (who, id) in &payments {
                            let p = payment::Entity::find_by_id(*id)
                                .one(&app.db)
                                .await
                                .expect("db")
                                .expect("payment");
                            if p.coupon > 0 {
                                v.push((*who, *id));
                            }
                        }
                        v
                    };
                    let (payer, id) = if !with.is_empty() && rng.range(0, 1) == 0 {
                        *rng.pick(&with)
                    } else {
                        *rng.pick(&payments)
                    };
                    let p = payment::Entity::find_by_id(id)
                        .one(&app.db)
                        .await
                        .expect("db")
                        .expect("payment");
                    let left = p.plan().payable().0
                        - p.refunded_principal
                        - p.refunded_bonus
                        - p.refunded_gateway;
                    if left > 0 {
                        let amount = if rng.range(0, 1) == 0 {
                            left
                        } else {
                            rng.range(1, left)
                        };
                        let r = refund_ok(&app, &shop.admin, id, amount).await;
                        totals[payer] += (r.principal + r.bonus).0;
                        given_back += usize::from(amount == left && p.coupon > 0);
                    } else if p.coupon > 0 && p.refunded_coupon == 0 {
                        // The coupon paid it all: voided, the coupon back.
                        let r = refund_ok(&app, &shop.admin, id, 0).await;
                        assert_eq!(r.amount, Fen::ZERO);
                        (given_back, voided) = (given_back + 1, voided + 1);
                    } else {
                        refund(&app, &shop.admin, id, 1)
                            .await
                            .error(422, ErrorCode::RefundTooLarge);
                    }
                }
                _ => app.advance(Duration::from_secs(rng.range(1, 3) as u64 * 86_400)),
            }
        }
        for (i, m) in members.iter().enumerate() {
            assert_eq!(total(&app, &m.token).await, totals[i], "member {i}");
        }
        // Coupon states agree with the payments and the brand's expense.
        // (Tests share the database: each has its own brand.)
        let used = coupon::Entity::find()
            .filter(coupon::Column::BrandId.eq(app.brand_id))
            .filter(coupon::Column::State.eq(CouponState::Used.as_str()))
            .all(&app.db)
            .await
            .expect("db");
        let all_payments = payment::Entity::find()
            .filter(payment::Column::BrandId.eq(app.brand_id))
            .all(&app.db)
            .await
            .expect("db");
        for p in &all_payments {
            let refunded = p.refunded_principal + p.refunded_bonus + p.refunded_gateway;
            let in_full = refunded == p.plan().payable().0;
            let holders: Vec<_> = used.iter().filter(|c| c.payment_id == Some(p.id)).collect();
            if p.coupon > 0 && p.refunded_coupon == 0 {
                assert_eq!(holders.len(), 1, "payment {} used one coupon", p.id);
                assert_eq!(holders[0].worth, p.coupon);
            } else {
                assert!(holders.is_empty(), "payment {} holds no used coupon", p.id);
                // Given back with the last fen refunded (or the void), whole.
                assert_eq!(p.refunded_coupon, p.coupon, "payment {}", p.id);
                assert!(p.coupon == 0 || in_full, "payment {}", p.id);
            }
        }
        let worth: i64 = used.iter().map(|c| c.worth).sum();
        assert_eq!(brand_account(&app, Kind::PromotionExpense, 0).await, -worth);
        let reserved = coupon::Entity::find()
            .filter(coupon::Column::BrandId.eq(app.brand_id))
            .filter(coupon::Column::State.eq(CouponState::Reserved.as_str()))
            .all(&app.db)
            .await
            .expect("db");
        assert!(reserved.is_empty(), "no gateway leg is left open");
        assert_reconciled(&app).await;
        if seed == DEFAULT_SEED {
            // The default run covers what it claims to.
            assert!(
                with_coupon > 0 && splits > 0 && given_back > 0 && voided > 0,
                "{with_coupon} {splits} {given_back} {voided}"
            );
        }
    }
);

dual_test!(
    a_rule_change_waits_for_a_coupon_being_given_and_then_refuses,
    |app| async move {
        use sea_orm::sea_query::{Expr, ExprTrait};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use tongka_server::entity::coupon_template;
        let shop = shop(&app).await;
        let t = new_template(&app, &shop.admin, &cash_coupon("改规则券")).await;
        // A coupon being given: its stock counter raised, not yet committed.
        let giving = app.begin_outside().await;
        coupon_template::Entity::update_many()
            .col_expr(
                coupon_template::Column::Issued,
                Expr::col(coupon_template::Column::Issued).add(1),
            )
            .filter(coupon_template::Column::Id.eq(t.id))
            .exec(&giving)
            .await
            .expect("the counter");
        let mut longer = t.terms.clone();
        longer.valid_days = Some(30);
        let change = {
            let (app, admin) = (app.clone(), shop.admin.clone());
            tokio::spawn(async move {
                app.put(&format!("/api/hq/coupon-templates/{}", t.id))
                    .token(&admin)
                    .json(&longer)
                    .send()
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        giving.commit().await.expect("given");
        // The change waited and then saw one given out: the rule stays.
        change
            .await
            .expect("the change")
            .invalid_because("valid_days", "unchangeable");
    }
);

dual_test!(
    a_coupon_given_while_its_rule_changes_carries_the_new_rule,
    |app| async move {
        use sea_orm::sea_query::Expr;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        use tongka_server::entity::coupon_template;
        let shop = shop(&app).await;
        let t = new_template(&app, &shop.admin, &cash_coupon("改规则券")).await;
        let member = new_member(&app).await;
        // HQ's change of 7 days to 30 holds the template's row, not yet
        // committed, when the claim arrives …
        let changing = app.begin_outside().await;
        coupon_template::Entity::update_many()
            .col_expr(coupon_template::Column::ValidDays, Expr::value(30i64))
            .filter(coupon_template::Column::Id.eq(t.id))
            .exec(&changing)
            .await
            .expect("the change");
        let claiming = {
            let (app, member) = (app.clone(), member.clone());
            tokio::spawn(async move { claim(&app, &member, t.id).await })
        };
        // … which waits for it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        changing.commit().await.expect("changed");
        let given: MemberCoupon = claiming.await.expect("the claim").ok();
        // Another member's coupon claimed afterwards has the 30 days too.
        let later = new_member(&app).await;
        let after: MemberCoupon = claim(&app, &later, t.id).await.ok();
        assert_eq!(
            given.last_day, after.last_day,
            "the coupon took the rule committed"
        );
    }
);

dual_test!(
    a_free_item_coupon_written_off_pays_the_store_the_item_from_promotion_once,
    |app| async move {
        use tongka_server::coupons::redeem::write_off_item;
        use tongka_server::error::AppError;
        let shop = shop(&app).await;
        let wash = crate::cards::new_item(&app, &shop.admin, "精致洗车", 5_000).await;
        let mut free = cash_coupon("免费洗车");
        free.kind = CouponKind::Item;
        free.item_id = Some(wash.id);
        free.all_stores = false;
        free.store_ids = vec![shop.one.id];
        let (member, coupon) = member_with_coupon(&app, &shop, &free).await;
        let b = crate::cards::brand_row(&app).await;
        let off = |store: i64, id: i64| {
            let (app, b) = (app.clone(), b.clone());
            async move {
                write_off_item(&app.state, &b, (id, store), "staff:test")
                    .await
                    .map_err(|e| {
                        let code = crate::cards::code_of(&e);
                        let AppError::Api { params, .. } = e else {
                            unreachable!()
                        };
                        (code, params.get("reason").cloned().unwrap_or_default())
                    })
            }
        };
        let not_usable = |why: &str| Err((ErrorCode::CouponNotUsable, why.to_string()));
        // Not at a store outside its scope.
        assert_eq!(off(shop.two.id, coupon.id).await, not_usable("store"));
        // Two scans at once at its store: one writes it off.
        let (a, b2) = tokio::join!(off(shop.one.id, coupon.id), off(shop.one.id, coupon.id));
        assert!(
            (a == Ok(Fen(5_000)) && b2 == not_usable("used"))
                || (b2 == Ok(Fen(5_000)) && a == not_usable("used")),
            "{a:?} / {b2:?}"
        );
        assert_eq!(store_wallet(&app, shop.one.id).await, 5_000);
        assert_eq!(brand_account(&app, Kind::PromotionExpense, 0).await, -5_000);
        let used = shelf(&app, &member, CouponShelf::Used).await;
        assert_eq!((used.len(), used[0].worth), (1, Fen(5_000)));
        let t = templates(&app, &shop.admin).await.remove(0);
        assert_eq!((t.used, t.cost), (1, Fen(5_000)));
        // A cash coupon is used when paying, not written off.
        let (_, cash) = member_with_coupon(&app, &shop, &cash_coupon("满50减10")).await;
        assert_eq!(off(shop.one.id, cash.id).await, not_usable("not_item"));
        assert_eq!(total(&app, &member.token).await, 10_000);
        assert_reconciled(&app).await;
    }
);
