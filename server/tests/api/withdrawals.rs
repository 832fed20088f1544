//! 提现: the store manager sets a payee account (HQ finance approves it) and
//! asks for a withdrawal, frozen at once; HQ finance approves or rejects;
//! the payout goes through the outbox to the sandbox channel, which pays,
//! refuses or hangs. Money is never paid twice, never frozen for good, never
//! more than the wallet holds.

use crate::helpers::*;
use crate::money::*;
use crate::money_concurrency::{count, race};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use shared::ErrorCode;
use shared::dto::{
    HqPending, MoneySettings, Page, PayeeInput, PayeeView, RejectInput, Role, StaffInbox,
    StaffMessage, WalletView, WithdrawalInput, WithdrawalState, WithdrawalTerms, WithdrawalView,
};
use shared::money::Fen;
use std::time::Duration;
use tongka_server::entity::{journal_entry, payee_account, payout_attempt, sandbox_payout};
use tongka_server::payout::sandbox::Mode;

pub const ACCOUNT_NO: &str = "6222 0202 0011 2233";

/// The manager asks for `payee` and HQ finance approves it.
pub async fn approved_payee(app: &TestApp, shop: &Shop) -> PayeeView {
    let asked: PayeeView = payee(app, &shop.manager, shop.one.id, ACCOUNT_NO)
        .await
        .ok();
    app.post(&format!("/api/hq/payee-changes/{}/approve", asked.id))
        .token(&shop.finance)
        .send()
        .await
        .ok()
}

pub async fn payee(app: &TestApp, token: &str, store_id: i64, account_no: &str) -> Reply {
    app.post(&format!("/api/staff/stores/{store_id}/payee"))
        .token(token)
        .json(&PayeeInput {
            account_name: "上海通卡茶饮有限公司".into(),
            bank_name: "招商银行上海分行".into(),
            account_no: account_no.into(),
        })
        .send()
        .await
}

pub async fn ask(app: &TestApp, token: &str, store_id: i64, amount: i64) -> Reply {
    app.post(&format!("/api/staff/stores/{store_id}/withdrawals"))
        .token(token)
        .header(IDEMPOTENCY_KEY, &new_key())
        .json(&WithdrawalInput {
            amount: Fen(amount),
        })
        .send()
        .await
}

pub async fn ask_ok(app: &TestApp, token: &str, store_id: i64, amount: i64) -> i64 {
    let reply = ask(app, token, store_id, amount).await;
    reply.status(201);
    reply.ok()
}

pub async fn withdrawal(app: &TestApp, token: &str, id: i64) -> WithdrawalView {
    app.get(&format!("/api/staff/withdrawals/{id}"))
        .token(token)
        .send()
        .await
        .ok()
}

pub async fn act(app: &TestApp, token: &str, id: i64, action: &str) -> Reply {
    let path = match action {
        "cancel" => format!("/api/staff/withdrawals/{id}/cancel"),
        _ => format!("/api/hq/withdrawals/{id}/{action}"),
    };
    let req = app.post(&path).token(token);
    let req = if action == "reject" {
        req.json(&RejectInput {
            reason: "金额与对账单不符".into(),
        })
    } else {
        req
    };
    req.send().await
}

pub async fn wallet(app: &TestApp, token: &str, store_id: i64) -> WalletView {
    app.get(&format!("/api/staff/stores/{store_id}/wallet"))
        .token(token)
        .send()
        .await
        .ok()
}

/// Runs the payout outbox and status queries of this test's brand.
pub async fn sweep(app: &TestApp) {
    tongka_server::wallet::withdrawals::sweep(&app.state, Some(app.brand_id))
        .await
        .expect("the payout sweep");
    // A send already under way (the one right after an approval) has
    // claimed its attempt and this sweep stood back: wait for it to record
    // the channel's answer.
    for _ in 0..250 {
        let in_flight = payout_attempt::Entity::find()
            .filter(payout_attempt::Column::BrandId.eq(app.brand_id))
            .filter(payout_attempt::Column::State.eq("pending"))
            .filter(payout_attempt::Column::Tries.gt(0))
            .all(&app.db)
            .await
            .expect("reading the outbox");
        if in_flight.is_empty() {
            // That send recorded the channel's answer; ask the channel about
            // what it submitted, as its own follow-up query would.
            tongka_server::wallet::withdrawals::sweep(&app.state, Some(app.brand_id))
                .await
                .expect("the payout sweep");
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("a payout send never recorded its answer");
}

/// Someone with database access copies store two's sealed account number
/// onto store one's approved payee: it no longer matches what HQ approved.
/// Returns store one's payee as it was.
async fn tamper_with_store_ones_payee(app: &TestApp, shop: &Shop) -> payee_account::Model {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let rows = payee_account::Entity::find()
        .filter(payee_account::Column::State.eq("approved"))
        .filter(payee_account::Column::StoreId.is_in([shop.one.id, shop.two.id]))
        .all(&app.db)
        .await
        .expect("payees");
    let of = |store: i64| {
        rows.iter()
            .find(|p| p.store_id == store)
            .expect("a payee")
            .clone()
    };
    let one = of(shop.one.id);
    let mut am = one.clone().into_active_model();
    am.account_no_enc = sea_orm::Set(of(shop.two.id).account_no_enc);
    am.update(&app.writer()).await.expect("tampering");
    one
}

pub fn sandbox(app: &TestApp) -> &tongka_server::payout::sandbox::SandboxPayout {
    app.state
        .payout_sandbox
        .as_deref()
        .expect("tests pay out through the sandbox")
}

/// What the sandbox channel received under a payout number.
pub async fn at_channel(app: &TestApp, payout_no: &str) -> Option<sandbox_payout::Model> {
    sandbox_payout::Entity::find()
        .filter(sandbox_payout::Column::PayoutNo.eq(payout_no))
        .one(&app.db)
        .await
        .expect("reading the sandbox's book")
}

pub async fn attempts_of(app: &TestApp, withdrawal_id: i64) -> Vec<payout_attempt::Model> {
    payout_attempt::Entity::find()
        .filter(payout_attempt::Column::WithdrawalId.eq(withdrawal_id))
        .order_by_asc(payout_attempt::Column::Id)
        .all(&app.db)
        .await
        .expect("reading the outbox")
}

/// Ledger entries of `kind` whose op_ref starts with `prefix`.
pub async fn entries(app: &TestApp, kind: &str, prefix: &str) -> usize {
    journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(app.brand_id))
        .filter(journal_entry::Column::Kind.eq(kind))
        .filter(journal_entry::Column::OpRef.starts_with(prefix))
        .all(&app.db)
        .await
        .expect("reading the ledger")
        .len()
}

/// HQ's settings with a withdrawal minimum and fee.
pub async fn set_terms(app: &TestApp, shop: &Shop, min: i64, fee_fixed: i64, fee_bp: u32) {
    let mut rules: MoneySettings = app
        .get("/api/hq/money-settings")
        .token(&shop.admin)
        .send()
        .await
        .ok();
    rules.withdraw_min = Fen(min);
    rules.withdraw_fee_fixed = Fen(fee_fixed);
    rules.withdraw_fee_bp = fee_bp;
    app.put("/api/hq/money-settings")
        .token(&shop.admin)
        .json(&rules)
        .send()
        .await
        .ok::<MoneySettings>();
}

/// A shop whose first store has `earned` in its wallet and an approved
/// payee account; HQ's minimum ¥10 and no fee.
pub async fn earning_shop(app: &TestApp, earned: i64) -> Shop {
    let shop = shop(app).await;
    set_terms(app, &shop, 1_000, 0, 0).await;
    if earned > 0 {
        let member = new_member(app).await;
        set_pin(app, &member).await;
        topup_ok(app, &shop.clerk, &member.phone, earned).await;
        pay_ok(app, &member.token, shop.one.id, earned).await;
        // The store hands the counter cash of that top-up in to HQ, so the
        // money it earned can be withdrawn.
        hand_in(app, &shop.finance, shop.one.id, earned)
            .await
            .status(201);
    }
    approved_payee(app, &shop).await;
    shop
}

/// HQ finance records `amount` of counter cash handed in by `store_id`.
pub async fn hand_in(app: &TestApp, finance: &str, store_id: i64, amount: i64) -> Reply {
    app.post(&format!("/api/hq/stores/{store_id}/cash-handins"))
        .token(finance)
        .header(IDEMPOTENCY_KEY, &new_key())
        .lang("en")
        .json(&shared::dto::CashHandInInput {
            amount: Fen(amount),
            reference: "BANK-DEP-0001".into(),
        })
        .send()
        .await
}

/// Store two of `shop` earns `amount` and gets its own approved account.
async fn store_two_earns(app: &TestApp, shop: &Shop, amount: i64) {
    let member = new_member(app).await;
    set_pin(app, &member).await;
    topup_ok(app, &shop.clerk_two, &member.phone, amount).await;
    pay_ok(app, &member.token, shop.two.id, amount).await;
    hand_in(app, &shop.finance, shop.two.id, amount)
        .await
        .status(201);
    let asked: PayeeView = payee(app, &shop.manager_two, shop.two.id, "6222020200114455")
        .await
        .ok();
    app.post(&format!("/api/hq/payee-changes/{}/approve", asked.id))
        .token(&shop.finance)
        .send()
        .await
        .status(200);
}

async fn inbox(app: &TestApp, token: &str) -> Page<StaffMessage> {
    app.get("/api/staff/messages")
        .token(token)
        .send()
        .await
        .ok()
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    app.get("/api/staff/messages/unread")
        .token(token)
        .send()
        .await
        .ok::<StaffInbox>()
        .unread
}

dual_test!(
    a_withdrawal_is_asked_approved_and_paid_once,
    |app| async move {
        let shop = shop(&app).await;
        set_terms(&app, &shop, 5_000, 200, 60).await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        pay_ok(&app, &member.token, shop.one.id, 30_000).await;
        pay_ok(&app, &member.token, shop.one.id, 12_345).await;
        // The counter cash of the top-up went to HQ's bank.
        hand_in(&app, &shop.finance, shop.one.id, 100_000)
            .await
            .status(201);

        // No payee account yet: nothing can be asked.
        ask(&app, &shop.manager, shop.one.id, 10_000)
            .await
            .error(422, ErrorCode::PayeeMissing);
        // A bad account number is refused with its field, nothing saved.
        payee(&app, &shop.manager, shop.one.id, "6222-020")
            .await
            .invalid("account_no");
        let asked: PayeeView = payee(&app, &shop.manager, shop.one.id, ACCOUNT_NO)
            .await
            .ok();
        assert_eq!(asked.state, "pending");
        assert_eq!(asked.account_no_masked, "**** 2233");
        // A second change while one waits is refused.
        payee(&app, &shop.manager, shop.one.id, "6222020200119999")
            .await
            .error(409, ErrorCode::PayeeChangePending);
        // Still no approved account: still nothing can be asked.
        ask(&app, &shop.manager, shop.one.id, 10_000)
            .await
            .error(422, ErrorCode::PayeeMissing);
        // The number is stored sealed: the database never holds it in clear.
        let row = payee_account::Entity::find_by_id(asked.id)
            .one(&app.db)
            .await
            .expect("present")
            .expect("present");
        assert!(!row.account_no_enc.contains("6222020200112233"));
        assert!(row.account_no_enc.starts_with("v1:"));
        // HQ finance sees the change waiting and approves it.
        let waiting: Page<PayeeView> = app
            .get("/api/hq/payee-changes?state=pending")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(waiting.items.len(), 1);
        assert_eq!(waiting.items[0].id, asked.id);
        let approved: PayeeView = app
            .post(&format!("/api/hq/payee-changes/{}/approve", asked.id))
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(approved.state, "approved");

        let terms: WithdrawalTerms = app
            .get(&format!(
                "/api/staff/stores/{}/withdrawal-terms",
                shop.one.id
            ))
            .token(&shop.manager)
            .send()
            .await
            .ok();
        assert_eq!(terms.wallet.available, Fen(42_345));
        assert_eq!(
            (terms.min, terms.fee_fixed, terms.fee_bp),
            (Fen(5_000), Fen(200), 60)
        );
        assert_eq!(
            terms.payee.as_ref().map(|p| p.account_no_masked.as_str()),
            Some("**** 2233")
        );
        assert!(terms.pending_payee.is_none());

        // Below HQ's minimum, above what is available: refused, nothing frozen.
        let e = ask(&app, &shop.manager, shop.one.id, 4_999)
            .await
            .error(422, ErrorCode::WithdrawalBelowMinimum);
        assert_eq!(e.params["min"], "5000");
        assert!(e.message.contains("50.00"), "{}", e.message);
        let e = ask(&app, &shop.manager, shop.one.id, 42_346)
            .await
            .error(422, ErrorCode::WithdrawalAboveAvailable);
        assert_eq!(e.params["available"], "42345");
        let still = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((still.available, still.frozen), (Fen(42_345), Fen(0)));

        // ¥400.00: fee ¥2 + 0.6 % (¥2.40) = ¥4.40; frozen at once.
        let id = ask_ok(&app, &shop.manager, shop.one.id, 40_000).await;
        let after = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((after.available, after.frozen), (Fen(2_345), Fen(40_000)));
        let w = withdrawal(&app, &shop.manager, id).await;
        assert_eq!(w.state, WithdrawalState::Requested);
        assert_eq!(
            (w.amount, w.fee, w.payout),
            (Fen(40_000), Fen(440), Fen(39_560))
        );
        assert!(w.payee.contains("**** 2233") && !w.payee.contains("0011"));
        assert!(w.can_cancel && !w.can_decide);
        assert!(withdrawal(&app, &shop.finance, id).await.can_decide);

        // HQ finance approves; the sandbox pays.
        let approved: WithdrawalView = act(&app, &shop.finance, id, "approve").await.ok();
        assert_eq!(approved.decided_by.as_deref(), Some("员工finance"));
        sweep(&app).await;
        let paid = withdrawal(&app, &shop.manager, id).await;
        assert_eq!(paid.state, WithdrawalState::Paid, "{paid:?}");
        assert!(paid.paid_at.is_some());
        let no = paid.payout_no.clone().expect("a payout number");
        let sent = at_channel(&app, &no).await.expect("the channel got it");
        assert_eq!(
            sent.amount, 39_560,
            "the store gets the amount less the fee"
        );
        assert_eq!(sent.account_no_last4, "2233");
        assert_eq!(sent.state, "success");
        // Sweeping again pays nothing more.
        sweep(&app).await;
        sweep(&app).await;
        assert_eq!(attempts_of(&app, id).await.len(), 1);
        assert_eq!(entries(&app, "payout", &no).await, 1);
        let done = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((done.available, done.frozen), (Fen(2_345), Fen(0)));
        // Acting again is refused with the state it is in.
        let e = act(&app, &shop.finance, id, "reject")
            .await
            .error(409, ErrorCode::StateChanged);
        assert_eq!(e.params["state"], "paid");
        act(&app, &shop.manager, id, "cancel")
            .await
            .error(409, ErrorCode::StateChanged);

        // The manager was told in the app: approved, then paid.
        let messages = inbox(&app, &shop.manager).await;
        let states: Vec<&str> = messages
            .items
            .iter()
            .filter(|m| m.topic == "withdrawal")
            .map(|m| m.state.as_str())
            .collect();
        assert_eq!(states, ["paid", "approved"]);
        assert_eq!(
            messages.items.len(),
            3,
            "payee approved, withdrawal approved and paid"
        );
        assert!(messages.items.iter().all(|m| !m.read));
        assert_eq!(unread(&app, &shop.manager).await, 3);
        // Nobody else got them.
        assert_eq!(unread(&app, &shop.manager_two).await, 0);
        app.post("/api/staff/messages/read")
            .token(&shop.manager)
            .send()
            .await
            .status(204);
        assert_eq!(unread(&app, &shop.manager).await, 0);
        // With nothing unread, reading is still a plain success.
        app.post("/api/staff/messages/read")
            .token(&shop.manager_two)
            .send()
            .await
            .status(204);
        assert!(
            inbox(&app, &shop.manager)
                .await
                .items
                .iter()
                .all(|m| m.read)
        );
        // The audit log has every step with who did it.
        let audit = app
            .get("/api/hq/audit")
            .token(&shop.admin)
            .send()
            .await
            .body;
        for action in [
            "payee.request",
            "payee.approve",
            "withdrawal.request",
            "withdrawal.approve",
            "withdrawal.paid",
        ] {
            assert!(audit.contains(action), "{action} audited: {audit}");
        }
        assert_reconciled(&app).await;
    }
);

dual_test!(cancel_and_reject_give_the_money_back, |app| async move {
    let shop = earning_shop(&app, 50_000).await;
    let pending = |token: String| {
        let app = app.clone();
        async move {
            let p: HqPending = app.get("/api/hq/pending").token(&token).send().await.ok();
            (p.withdrawals, p.payee_changes)
        }
    };
    assert_eq!(pending(shop.finance.clone()).await, (0, 0));
    let cancelled = ask_ok(&app, &shop.manager, shop.one.id, 20_000).await;
    let rejected = ask_ok(&app, &shop.manager, shop.one.id, 20_000).await;
    payee(&app, &shop.manager, shop.one.id, "6222020200119999")
        .await
        .status(201);
    // HQ sees what waits for it; a store manager is refused the count.
    assert_eq!(pending(shop.finance.clone()).await, (2, 1));
    assert_eq!(pending(shop.admin.clone()).await, (2, 1));
    app.get("/api/hq/pending")
        .token(&shop.manager)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
    let w = wallet(&app, &shop.manager, shop.one.id).await;
    assert_eq!((w.available, w.frozen), (Fen(10_000), Fen(40_000)));
    // Only the requester cancels; HQ does not cancel for them.
    act(&app, &shop.finance, cancelled, "cancel")
        .await
        .error(403, ErrorCode::Forbidden);
    let c: WithdrawalView = act(&app, &shop.manager, cancelled, "cancel").await.ok();
    assert_eq!(c.state, WithdrawalState::Cancelled);
    // A rejection needs a reason; the reason reaches the store.
    app.post(&format!("/api/hq/withdrawals/{rejected}/reject"))
        .token(&shop.finance)
        .json(&RejectInput {
            reason: "  ".into(),
        })
        .send()
        .await
        .invalid("reason");
    let r: WithdrawalView = act(&app, &shop.finance, rejected, "reject").await.ok();
    assert_eq!(r.state, WithdrawalState::Rejected);
    assert_eq!(r.reason.as_deref(), Some("金额与对账单不符"));
    let w = wallet(&app, &shop.manager, shop.one.id).await;
    assert_eq!((w.available, w.frozen), (Fen(50_000), Fen(0)));
    assert_eq!(pending(shop.finance.clone()).await, (0, 1));
    // Approving either now is refused with its state.
    for (id, state) in [(cancelled, "cancelled"), (rejected, "rejected")] {
        let e = act(&app, &shop.finance, id, "approve")
            .await
            .error(409, ErrorCode::StateChanged);
        assert_eq!(e.params["state"], state);
    }
    let inbox = inbox(&app, &shop.manager).await;
    assert!(inbox.items.iter().any(|m| m.state == "rejected"));
    // The queue filters by state.
    let page: Page<WithdrawalView> = app
        .get("/api/staff/withdrawals?state=rejected")
        .token(&shop.finance)
        .send()
        .await
        .ok();
    assert_eq!(
        page.items.iter().map(|w| w.id).collect::<Vec<_>>(),
        [rejected]
    );
    app.get("/api/staff/withdrawals?state=lost")
        .token(&shop.finance)
        .send()
        .await
        .invalid("state");
    app.get("/api/staff/withdrawals?from=2026-13-01")
        .token(&shop.finance)
        .send()
        .await
        .invalid("from");
    assert_reconciled(&app).await;
});

dual_test!(
    the_queue_filters_by_store_region_state_and_date_and_pages,
    |app| async move {
        let shop = earning_shop(&app, 300_000).await;
        store_two_earns(&app, &shop, 50_000).await;
        let mut one = Vec::new();
        for _ in 0..22 {
            one.push(ask_ok(&app, &shop.manager, shop.one.id, 1_000).await);
        }
        app.advance(Duration::from_secs(86_400));
        let two = ask_ok(&app, &shop.manager_two, shop.two.id, 2_000).await;

        let all = |query: String| {
            let app = app.clone();
            let token = shop.finance.clone();
            async move {
                let mut ids = Vec::new();
                let mut after: Option<i64> = None;
                loop {
                    let cursor = after.map(|a| format!("&after={a}")).unwrap_or_default();
                    let page: Page<WithdrawalView> = app
                        .get(&format!("/api/staff/withdrawals?{query}{cursor}"))
                        .token(&token)
                        .send()
                        .await
                        .ok();
                    ids.extend(page.items.iter().map(|w| w.id));
                    match page.next_cursor {
                        Some(c) => after = Some(c),
                        None => return ids,
                    }
                }
            }
        };
        assert_eq!(all(String::new()).await.len(), 23, "over two pages");
        let of_one = all(format!("store_id={}", shop.one.id)).await;
        let mut expected = one.clone();
        expected.reverse();
        assert_eq!(of_one, expected, "newest first, each once");
        assert_eq!(all(format!("store_id={}", shop.two.id)).await, [two]);
        assert_eq!(all(format!("region_id={}", shop.region_id)).await.len(), 23);
        // Dates are the brand's local days of the request.
        assert_eq!(all("from=2026-03-03&to=2026-03-03".into()).await, [two]);
        assert_eq!(all("to=2026-03-02".into()).await.len(), 22);
        assert_eq!(all("state=requested".into()).await.len(), 23);
        // The store manager sees only their own store's.
        let mine: Page<WithdrawalView> = app
            .get("/api/staff/withdrawals")
            .token(&shop.manager_two)
            .send()
            .await
            .ok();
        assert_eq!(mine.items.iter().map(|w| w.id).collect::<Vec<_>>(), [two]);
    }
);

dual_test!(
    only_finance_acts_and_nobody_outside_sees,
    |app| async move {
        let shop = earning_shop(&app, 50_000).await;
        let region_boss = region_manager(&app, &shop, "east.boss", shop.region_id).await;
        let west = app.create_region(&shop.admin, "华南区").await;
        let west_boss = region_manager(&app, &shop, "west.boss", west.id).await;
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        other
            .create_staff(&other_admin, "finance", Role::HqFinance, None, None)
            .await;
        let other_finance = other.staff_token("finance", STAFF_PASSWORD).await;
        let id = ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        let pending: PayeeView = payee(&app, &shop.manager, shop.one.id, "6222020200117777")
            .await
            .ok();

        // The region manager sees the request and the payee change, acts on neither.
        let seen = withdrawal(&app, &region_boss, id).await;
        assert!(!seen.can_decide && !seen.can_cancel);
        let changes: Page<PayeeView> = app
            .get("/api/hq/payee-changes")
            .token(&region_boss)
            .send()
            .await
            .ok();
        assert!(changes.items.iter().any(|p| p.id == pending.id));
        for action in ["approve", "reject", "retry", "cancel"] {
            act(&app, &region_boss, id, action)
                .await
                .error(403, ErrorCode::Forbidden);
        }
        // HQ admin sees, but approving money is finance's.
        for action in ["approve", "reject", "retry"] {
            act(&app, &shop.admin, id, action)
                .await
                .error(403, ErrorCode::Forbidden);
        }
        app.post(&format!("/api/hq/payee-changes/{}/approve", pending.id))
            .token(&shop.admin)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        // The store manager asks but never approves, not even a payee change.
        for action in ["approve", "reject", "retry"] {
            act(&app, &shop.manager, id, action)
                .await
                .error(403, ErrorCode::Forbidden);
        }
        app.post(&format!("/api/hq/payee-changes/{}/approve", pending.id))
            .token(&shop.manager)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        // Nobody but a store's own manager asks for its money or sets its payee.
        for token in [&shop.admin, &shop.finance, &region_boss] {
            ask(&app, token, shop.one.id, 10_000)
                .await
                .error(403, ErrorCode::Forbidden);
            payee(&app, token, shop.one.id, ACCOUNT_NO)
                .await
                .error(403, ErrorCode::Forbidden);
        }
        // A clerk: refused everything, even at their own store.
        ask(&app, &shop.clerk, shop.one.id, 10_000)
            .await
            .error(403, ErrorCode::Forbidden);
        payee(&app, &shop.clerk, shop.one.id, ACCOUNT_NO)
            .await
            .error(403, ErrorCode::Forbidden);
        app.get(&format!(
            "/api/staff/stores/{}/withdrawal-terms",
            shop.one.id
        ))
        .token(&shop.clerk)
        .send()
        .await
        .error(403, ErrorCode::Forbidden);
        for action in ["approve", "reject", "retry", "cancel"] {
            act(&app, &shop.clerk, id, action)
                .await
                .error(403, ErrorCode::Forbidden);
        }
        app.get("/api/staff/withdrawals")
            .token(&shop.clerk)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        // Another store's manager, another region's manager, another brand's
        // finance: the store and the request do not exist for them.
        for (who, token, other_app) in [
            ("other store's manager", &shop.manager_two, &app),
            ("other region's manager", &west_boss, &app),
            ("other brand's finance", &other_finance, &other),
        ] {
            for action in ["approve", "reject", "retry", "cancel"] {
                let r = act(other_app, token, id, action).await;
                assert_eq!(r.status, 404, "{who} {action}: {}", r.body);
            }
            let r = other_app
                .get(&format!("/api/staff/withdrawals/{id}"))
                .token(token)
                .send()
                .await;
            assert_eq!(r.status, 404, "{who}: {}", r.body);
            let r = ask(other_app, token, shop.one.id, 10_000).await;
            assert!([403, 404].contains(&r.status), "{who}: {}", r.body);
            let r = other_app
                .get(&format!(
                    "/api/staff/stores/{}/withdrawal-terms",
                    shop.one.id
                ))
                .token(token)
                .send()
                .await;
            assert_eq!(r.status, 404, "{who}: {}", r.body);
            let list: Page<WithdrawalView> = other_app
                .get("/api/staff/withdrawals")
                .token(token)
                .send()
                .await
                .ok();
            assert!(
                list.items.iter().all(|w| w.id != id),
                "{who} sees it listed"
            );
        }
        let r = other
            .post(&format!("/api/hq/payee-changes/{}/approve", pending.id))
            .token(&other_finance)
            .send()
            .await;
        assert_eq!(r.status, 404, "{}", r.body);
        // Nothing moved.
        let w = withdrawal(&app, &shop.finance, id).await;
        assert_eq!(w.state, WithdrawalState::Requested);
        let wallet = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            (wallet.available, wallet.frozen),
            (Fen(40_000), Fen(10_000))
        );
    }
);

dual_test!(
    a_refused_payout_gives_the_money_back_and_a_retry_is_a_new_attempt,
    |app| async move {
        let shop = earning_shop(&app, 30_000).await;
        let id = ask_ok(&app, &shop.manager, shop.one.id, 30_000).await;
        // HQ admin switches the sandbox channel (audited); nobody else can.
        app.post("/api/hq/sandbox/payout-mode")
            .token(&shop.finance)
            .json(&serde_json::json!({"mode": "fail"}))
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        let switched: serde_json::Value = app
            .post("/api/hq/sandbox/payout-mode")
            .token(&shop.admin)
            .json(&serde_json::json!({"mode": "fail"}))
            .send()
            .await
            .ok();
        assert_eq!(switched["mode"], "fail");
        assert_eq!(
            sandbox(&app)
                .mode(app.brand_id)
                .await
                .expect("the sandbox mode"),
            Mode::Fail
        );
        act(&app, &shop.finance, id, "approve").await.status(200);
        sweep(&app).await;
        let failed = withdrawal(&app, &shop.manager, id).await;
        assert_eq!(failed.state, WithdrawalState::Failed);
        assert!(failed.reason.is_some());
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            (w.available, w.frozen),
            (Fen(30_000), Fen(0)),
            "failed unfreezes"
        );
        assert!(withdrawal(&app, &shop.finance, id).await.can_decide);
        // Retry: a new attempt with its own number, frozen again, paid.
        sandbox(&app)
            .set_mode(app.brand_id, Mode::Succeed)
            .await
            .expect("setting the sandbox mode");
        let retried: WithdrawalView = act(&app, &shop.finance, id, "retry").await.ok();
        assert_eq!(retried.attempts, 2);
        sweep(&app).await;
        let paid = withdrawal(&app, &shop.manager, id).await;
        assert_eq!(paid.state, WithdrawalState::Paid);
        let attempts = attempts_of(&app, id).await;
        assert_eq!(attempts.len(), 2);
        assert_ne!(attempts[0].payout_no, attempts[1].payout_no);
        assert_eq!(attempts[0].state, "failed");
        assert_eq!(attempts[1].state, "paid");
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((w.available, w.frozen), (Fen(0), Fen(0)));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_hung_payout_stays_frozen_until_a_query_days_later_settles_it,
    |app| async move {
        let shop = earning_shop(&app, 60_000).await;
        let paid_later = ask_ok(&app, &shop.manager, shop.one.id, 20_000).await;
        let failed_later = ask_ok(&app, &shop.manager, shop.one.id, 20_000).await;
        sandbox(&app)
            .set_mode(app.brand_id, Mode::Hang)
            .await
            .expect("setting the sandbox mode");
        act(&app, &shop.finance, paid_later, "approve")
            .await
            .status(200);
        sweep(&app).await;
        sandbox(&app)
            .set_mode(app.brand_id, Mode::HangFail)
            .await
            .expect("setting the sandbox mode");
        act(&app, &shop.finance, failed_later, "approve")
            .await
            .status(200);
        sweep(&app).await;
        for id in [paid_later, failed_later] {
            assert_eq!(
                withdrawal(&app, &shop.manager, id).await.state,
                WithdrawalState::Unknown
            );
        }
        // Hours pass, queries say "processing": a timeout never unfreezes.
        for _ in 0..3 {
            app.advance(Duration::from_secs(6 * 3600));
            sweep(&app).await;
        }
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((w.available, w.frozen), (Fen(20_000), Fen(40_000)));
        // Two days on, the channel has settled both; the next query finds out.
        app.advance(Duration::from_secs(2 * 86_400));
        sweep(&app).await;
        assert_eq!(
            withdrawal(&app, &shop.manager, paid_later).await.state,
            WithdrawalState::Paid
        );
        assert_eq!(
            withdrawal(&app, &shop.manager, failed_later).await.state,
            WithdrawalState::Failed
        );
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((w.available, w.frozen), (Fen(40_000), Fen(0)));
        let no = withdrawal(&app, &shop.manager, paid_later)
            .await
            .payout_no
            .expect("present");
        assert_eq!(entries(&app, "payout", &no).await, 1, "paid once");
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_server_stopped_between_approval_and_sending_pays_once_after_restart,
    |app| async move {
        let shop = earning_shop(&app, 30_000).await;
        let id = ask_ok(&app, &shop.manager, shop.one.id, 25_000).await;
        // This server stops sending: approval commits, nothing leaves.
        app.state
            .payouts_paused
            .store(true, std::sync::atomic::Ordering::SeqCst);
        act(&app, &shop.finance, id, "approve").await.status(200);
        sweep(&app).await;
        let queued = attempts_of(&app, id).await;
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].state, "pending");
        let no = queued[0].payout_no.clone();
        assert!(at_channel(&app, &no).await.is_none(), "nothing sent yet");
        assert_eq!(
            withdrawal(&app, &shop.manager, id).await.state,
            WithdrawalState::Approved
        );
        // Another server on the same database takes over the outbox.
        let restarted = app.second_replica().await;
        sweep(&restarted).await;
        assert_eq!(
            withdrawal(&restarted, &shop.manager, id).await.state,
            WithdrawalState::Paid
        );
        // The first one comes back and sweeps too: nothing is paid twice.
        app.state
            .payouts_paused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        sweep(&app).await;
        sweep(&restarted).await;
        let rec = at_channel(&app, &no).await.expect("sent");
        assert_eq!(rec.submits, 1);
        assert_eq!(entries(&app, "payout", &no).await, 1);

        // Sent, but the answer was lost before we recorded it: the restart
        // sends the same number again and the channel pays it once.
        let id2 = ask_ok(&app, &shop.manager, shop.one.id, 5_000).await;
        app.state
            .payouts_paused
            .store(true, std::sync::atomic::Ordering::SeqCst);
        act(&app, &shop.finance, id2, "approve").await.status(200);
        let a = attempts_of(&app, id2).await.remove(0);
        let order = tongka_server::payout::PayoutOrder {
            brand_id: app.brand_id,
            payout_no: a.payout_no.clone(),
            amount: a.amount,
            account_name: "上海通卡茶饮有限公司".into(),
            bank_name: "招商银行上海分行".into(),
            account_no: "6222020200112233".into(),
        };
        use tongka_server::payout::Payout;
        sandbox(&app)
            .submit(&order)
            .await
            .expect("the channel takes it");
        let restarted = app.second_replica().await;
        sweep(&restarted).await;
        assert_eq!(
            withdrawal(&app, &shop.manager, id2).await.state,
            WithdrawalState::Paid
        );
        let rec = at_channel(&app, &a.payout_no).await.expect("present");
        assert_eq!(rec.submits, 2, "sent twice");
        assert_eq!(entries(&app, "payout", &a.payout_no).await, 1, "paid once");
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((w.available, w.frozen), (Fen(0), Fen(0)));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    racing_requests_approvals_and_cancels_move_the_money_once,
    |app| async move {
        let shop = earning_shop(&app, 10_000).await;
        app.create_staff(&shop.admin, "finance.two", Role::HqFinance, None, None)
            .await;
        let finance_two = app.staff_token("finance.two", STAFF_PASSWORD).await;

        // Five withdrawals of ¥60 race for ¥100: one is frozen.
        let replies = race(5, |_| {
            let app = app.clone();
            let token = shop.manager.clone();
            let store = shop.one.id;
            async move { ask(&app, &token, store, 6_000).await }
        })
        .await;
        assert_eq!(
            count(&replies, 201),
            1,
            "{:?}",
            replies.iter().map(|r| &r.body).collect::<Vec<_>>()
        );
        for r in replies.iter().filter(|r| r.status != 201) {
            r.error(422, ErrorCode::WithdrawalAboveAvailable);
        }
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!((w.available, w.frozen), (Fen(4_000), Fen(6_000)));
        let id: i64 = replies
            .iter()
            .find(|r| r.status == 201)
            .expect("present")
            .ok();

        // Two finance staff approve at once: one approval, one payout.
        let tokens = [shop.finance.clone(), finance_two.clone()];
        let replies = race(2, |i| {
            let app = app.clone();
            let token = tokens[i].clone();
            async move { act(&app, &token, id, "approve").await }
        })
        .await;
        assert_eq!(count(&replies, 200), 1);
        assert_eq!(count(&replies, 409), 1);
        sweep(&app).await;
        assert_eq!(attempts_of(&app, id).await.len(), 1);
        let no = withdrawal(&app, &shop.manager, id)
            .await
            .payout_no
            .expect("present");
        assert_eq!(at_channel(&app, &no).await.expect("present").amount, 6_000);
        assert_eq!(entries(&app, "payout", &no).await, 1, "paid once");

        // A cancel races an approve: exactly one wins, and the money agrees.
        let id = ask_ok(&app, &shop.manager, shop.one.id, 4_000).await;
        let replies = race(2, |i| {
            let app = app.clone();
            let (token, action) = if i == 0 {
                (shop.manager.clone(), "cancel")
            } else {
                (shop.finance.clone(), "approve")
            };
            async move { act(&app, &token, id, action).await }
        })
        .await;
        assert_eq!(
            count(&replies, 200),
            1,
            "{} / {}",
            replies[0].body,
            replies[1].body
        );
        assert_eq!(count(&replies, 409), 1);
        sweep(&app).await;
        let end = withdrawal(&app, &shop.manager, id).await;
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        if replies[0].status == 200 {
            assert_eq!(end.state, WithdrawalState::Cancelled);
            assert_eq!((w.available, w.frozen), (Fen(4_000), Fen(0)));
        } else {
            assert_eq!(end.state, WithdrawalState::Paid);
            assert_eq!((w.available, w.frozen), (Fen(0), Fen(0)));
        }
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_withdrawal_racing_payments_and_refunds_never_overdraws,
    |app| async move {
        let shop = earning_shop(&app, 20_000).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        let refundable = pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        // Available now ¥250. Twenty ¥10 payments, a refund of ¥50 and a
        // withdrawal of all ¥250 at once.
        let replies = race(22, |i| {
            let app = app.clone();
            let member = member.token.clone();
            let manager = shop.manager.clone();
            let store = shop.one.id;
            let payment = refundable.payment_id;
            async move {
                match i {
                    0 => ask(&app, &manager, store, 25_000).await,
                    1 => refund(&app, &manager, payment, 5_000).await,
                    _ => pay(&app, &member, store, 1_000).await,
                }
            }
        })
        .await;
        assert_eq!(count(&replies[2..], 201), 20, "every payment lands");
        let withdrew = replies[0].status == 201;
        let refunded = replies[1].status == 201;
        if !withdrew {
            replies[0].error(422, ErrorCode::WithdrawalAboveAvailable);
        }
        if !refunded {
            replies[1].error(409, ErrorCode::WalletShortfall);
        }
        assert!(withdrew || refunded, "at least one fits whatever the order");
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        let expected =
            25_000 + 20_000 - if withdrew { 25_000 } else { 0 } - if refunded { 5_000 } else { 0 };
        assert_eq!(w.available, Fen(expected));
        assert!(w.available.0 >= 0);
        assert_eq!(w.frozen, Fen(if withdrew { 25_000 } else { 0 }));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_payout_that_cannot_be_sent_holds_up_no_other_and_stays_frozen,
    |app| async move {
        let shop = earning_shop(&app, 20_000).await;
        store_two_earns(&app, &shop, 20_000).await;
        tamper_with_store_ones_payee(&app, &shop).await;

        let a = ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        let b = ask_ok(&app, &shop.manager_two, shop.two.id, 10_000).await;
        app.state
            .payouts_paused
            .store(true, std::sync::atomic::Ordering::SeqCst);
        act(&app, &shop.finance, a, "approve").await.status(200);
        act(&app, &shop.finance, b, "approve").await.status(200);
        app.state
            .payouts_paused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        sweep(&app).await;
        // Store one's payout is never sent to the wrong account; store two's
        // goes out regardless.
        assert_eq!(
            withdrawal(&app, &shop.manager_two, b).await.state,
            WithdrawalState::Paid
        );
        let stuck = withdrawal(&app, &shop.manager, a).await;
        assert_eq!(stuck.state, WithdrawalState::Approved);
        let no = stuck.payout_no.expect("a number");
        assert!(at_channel(&app, &no).await.is_none(), "nothing sent");
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            (w.available, w.frozen),
            (Fen(10_000), Fen(10_000)),
            "stays frozen"
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_withdrawal_follows_its_store_into_another_region,
    |app| async move {
        let shop = earning_shop(&app, 20_000).await;
        let east = region_manager(&app, &shop, "east.boss", shop.region_id).await;
        let west_region = app.create_region(&shop.admin, "华南区").await;
        let west = region_manager(&app, &shop, "west.boss", west_region.id).await;
        let id = ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        let sees = |token: String| {
            let app = app.clone();
            async move {
                let one = app
                    .get(&format!("/api/staff/withdrawals/{id}"))
                    .token(&token)
                    .send()
                    .await
                    .status;
                let list: Page<WithdrawalView> = app
                    .get("/api/staff/withdrawals")
                    .token(&token)
                    .send()
                    .await
                    .ok();
                (one, list.items.iter().any(|w| w.id == id))
            }
        };
        assert_eq!(sees(east.clone()).await, (200, true));
        assert_eq!(sees(west.clone()).await, (404, false));
        // HQ moves the store to the other region: its requests go with it.
        app.put(&format!("/api/hq/stores/{}", shop.one.id))
            .token(&shop.admin)
            .json(&store_input("南京西路店", west_region.id))
            .send()
            .await
            .status(200);
        assert_eq!(sees(east).await, (404, false));
        assert_eq!(sees(west).await, (200, true));
        let by_region: Page<WithdrawalView> = app
            .get(&format!(
                "/api/staff/withdrawals?region_id={}",
                west_region.id
            ))
            .token(&shop.finance)
            .send()
            .await
            .ok();
        assert_eq!(
            by_region.items.iter().map(|w| w.id).collect::<Vec<_>>(),
            [id]
        );
    }
);

/// A `tongka serve` process of its own, killed (SIGKILL) when dropped.
struct TongkaProcess {
    child: std::process::Child,
    url: String,
}

impl TongkaProcess {
    /// Starts `tongka serve` on `database_url`, its payouts held unsent
    /// when `paused`, and waits until it listens.
    async fn start(database_url: &str, paused: bool) -> TongkaProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tongka"));
        cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", database_url)
            .env("TONGKA_DATA_KEY", GATEWAY_KEY)
            .env("TONGKA_GATEWAY_KEY", GATEWAY_KEY)
            .env(
                "TONGKA_SITE_DIR",
                crate::databases::process_dir().join("no-site"),
            )
            .env(
                "TONGKA_PAYOUTS_PAUSED",
                if paused { "true" } else { "false" },
            )
            .env_remove("TONGKA_SEED_DEMO")
            // The sandbox payout channel runs in demo mode only.
            .env("TONGKA_DEMO", "true")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        let child = cmd.spawn().expect("starting tongka serve");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "tongka serve did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        TongkaProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for TongkaProcess {
    fn drop(&mut self) {
        // SIGKILL: no shutdown, no last sweep.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

dual_test!(
    a_tongka_process_killed_between_approval_and_sending_pays_once_after_restart,
    |app| async move {
        // Its own database: a whole `tongka serve` sweeps every brand it sees.
        let (url, db) = crate::databases::separate_database(app.backend).await;
        let slug = format!("p-{}", random_hex(10));
        let clock = tongka_server::clock::Clock::System;
        let brand_id = new_brand(&db, &clock, &slug).await;
        let on = |address: &str| TestApp {
            address: address.to_string(),
            db: db.clone(),
            slug: slug.clone(),
            brand_id,
            clock: clock.clone(),
            ..app.clone()
        };
        let first = TongkaProcess::start(&url, true).await;
        let a = on(&first.url);
        let shop = earning_shop(&a, 30_000).await;
        let id = ask_ok(&a, &shop.manager, shop.one.id, 25_000).await;
        act(&a, &shop.finance, id, "approve").await.status(200);
        let queued = attempts_of(&a, id).await;
        assert_eq!(queued.len(), 1);
        assert_eq!(queued[0].state, "pending", "approved, not sent");
        let no = queued[0].payout_no.clone();
        assert!(at_channel(&a, &no).await.is_none());
        // The process dies between approval and sending.
        drop(first);

        // Restarted, it finds the payout in the outbox and sends it.
        let second = TongkaProcess::start(&url, false).await;
        let b = on(&second.url);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let w = withdrawal(&b, &shop.manager, id).await;
            if w.state == WithdrawalState::Paid {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never paid after the restart: {w:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let rec = at_channel(&b, &no).await.expect("sent");
        assert_eq!(rec.submits, 1, "sent once");
        assert_eq!(rec.amount, 25_000);
        assert_eq!(entries(&b, "payout", &no).await, 1, "paid once");
        let w = wallet(&b, &shop.manager, shop.one.id).await;
        assert_eq!((w.available, w.frozen), (Fen(5_000), Fen(0)));
        assert_reconciled(&b).await;
        drop(second);
    }
);

/// A payout channel as real ones answer: it pays a number once and refuses
/// the same number sent again ("duplicate"), and takes its time over the
/// first submission.
struct StrictChannel {
    seen: std::sync::Mutex<std::collections::HashSet<String>>,
    first_answer_after: Duration,
}

#[async_trait::async_trait]
impl tongka_server::payout::Payout for StrictChannel {
    async fn submit(
        &self,
        order: &tongka_server::payout::PayoutOrder,
    ) -> Result<tongka_server::payout::Submitted, tongka_server::payout::Unreachable> {
        let first = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(order.payout_no.clone());
        if first {
            tokio::time::sleep(self.first_answer_after).await;
            Ok(tongka_server::payout::Submitted::Accepted)
        } else {
            Ok(tongka_server::payout::Submitted::Refused(
                "duplicate payout number".into(),
            ))
        }
    }

    async fn query(
        &self,
        payout_no: &str,
    ) -> Result<tongka_server::payout::PayoutStatus, tongka_server::payout::Unreachable> {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .contains(payout_no);
        Ok(if seen {
            tongka_server::payout::PayoutStatus::Paid
        } else {
            tongka_server::payout::PayoutStatus::NotFound
        })
    }
}

// Issue 10: two senders of one payout overlapping (the send after approval
// and the sweep, or two replicas) ended it paid at the channel and "failed"
// here, the money back in the wallet as well. Each sender claims the send
// from the state it saw, and settles only from there.
dual_test!(
    two_senders_overlapping_pay_once_and_the_books_say_paid,
    |app| async move {
        let shop = earning_shop(&app, 30_000).await;
        let id = ask_ok(&app, &shop.manager, shop.one.id, 25_000).await;
        app.state
            .payouts_paused
            .store(true, std::sync::atomic::Ordering::SeqCst);
        act(&app, &shop.finance, id, "approve").await.status(200);
        assert_eq!(attempts_of(&app, id).await[0].state, "pending");

        let channel = std::sync::Arc::new(StrictChannel {
            seen: Default::default(),
            first_answer_after: Duration::from_millis(400),
        });
        let replica = |app: &TestApp| tongka_server::state::AppState {
            payout: channel.clone(),
            payouts_paused: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
            ..app.state.clone()
        };
        let (one, two) = (replica(&app), replica(&app));
        let brand = app.brand_id;
        let first = tokio::spawn(async move {
            tongka_server::wallet::withdrawals::send_pending(&one, Some(brand)).await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let second = tongka_server::wallet::withdrawals::send_pending(&two, Some(brand)).await;
        second.expect("the second sender");
        first
            .await
            .expect("the first sender ran")
            .expect("the first sender");
        // Whatever is still open is settled by asking the channel.
        tongka_server::wallet::withdrawals::sweep(&replica(&app), Some(brand))
            .await
            .expect("the payout sweep");

        assert_eq!(
            withdrawal(&app, &shop.manager, id).await.state,
            WithdrawalState::Paid
        );
        let a = attempts_of(&app, id).await;
        assert_eq!(a.len(), 1);
        assert_eq!(entries(&app, "payout", &a[0].payout_no).await, 1);
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(w.frozen, Fen(0));
        assert_eq!(
            w.available,
            Fen(5_000),
            "the money left once and came back never"
        );
        assert_reconciled(&app).await;
    }
);

// Issue 12: what a job could not handle is kept for the brand's HQ admin
// (and nobody else) until a run handles it.
dual_test!(
    a_payout_that_cannot_be_sent_is_listed_for_its_brands_hq_admin_until_it_goes,
    |app| async move {
        use shared::dto::{JobFailure, JobName, Page};
        let shop = earning_shop(&app, 20_000).await;
        store_two_earns(&app, &shop, 20_000).await;
        let one = tamper_with_store_ones_payee(&app, &shop).await;
        use sea_orm::{ActiveModelTrait, IntoActiveModel};

        let a = ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        app.state
            .payouts_paused
            .store(true, std::sync::atomic::Ordering::SeqCst);
        act(&app, &shop.finance, a, "approve").await.status(200);
        app.state
            .payouts_paused
            .store(false, std::sync::atomic::Ordering::SeqCst);
        sweep(&app).await;
        sweep(&app).await;
        let no = withdrawal(&app, &shop.manager, a)
            .await
            .payout_no
            .expect("a number");
        let listed = || async {
            app.get("/api/hq/job-failures")
                .token(&shop.admin)
                .send()
                .await
                .ok::<Page<JobFailure>>()
                .items
        };
        let items = listed().await;
        assert_eq!(items.len(), 1, "{items:?}");
        assert_eq!((items[0].job, &items[0].item), (JobName::Payouts, &no));
        assert!(items[0].error.contains("does not match"), "{items:?}");
        // Each run that tries it again counts.
        tongka_server::wallet::withdrawals::sweep(&app.state, Some(app.brand_id))
            .await
            .expect("the payout sweep");
        let again = listed().await;
        assert_eq!(again.len(), 1, "{again:?}");
        assert_eq!(again[0].attempts, items[0].attempts + 1);
        // Only HQ admin, and only the brand's own.
        app.get("/api/hq/job-failures")
            .token(&shop.finance)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        let theirs = other
            .get("/api/hq/job-failures")
            .token(&other_admin)
            .send()
            .await
            .ok::<Page<JobFailure>>();
        assert!(theirs.items.is_empty(), "{theirs:?}");
        // The platform's view names the brand.
        let report = tongka_server::jobs::report(&app.db, app.clock.now_ms())
            .await
            .expect("the platform's view");
        assert!(
            report.contains(&format!("brand {} · payouts · {no}", app.slug)),
            "{report}"
        );

        // Put right, the next run pays it and the item leaves the list.
        let mut am = one.clone().into_active_model();
        am.account_no_enc = sea_orm::Set(one.account_no_enc.clone());
        am.update(&app.writer()).await.expect("putting it right");
        sweep(&app).await;
        assert_eq!(
            withdrawal(&app, &shop.manager, a).await.state,
            WithdrawalState::Paid
        );
        assert!(listed().await.is_empty());
        assert_reconciled(&app).await;
    }
);

dual_test!(
    finance_reads_a_payee_number_in_full_audited_and_the_store_reads_why_it_was_rejected,
    |app| async move {
        let shop = shop(&app).await;
        let asked: PayeeView = payee(&app, &shop.manager, shop.one.id, "6222020200117777")
            .await
            .ok();
        assert!(!asked.account_no_masked.contains("020011"), "{asked:?}");
        let reveal = |token: String| {
            let app = app.clone();
            async move {
                app.post(&format!("/api/hq/payee-changes/{}/reveal", asked.id))
                    .token(&token)
                    .send()
                    .await
            }
        };
        // Finance only.
        for token in [&shop.admin, &shop.manager, &shop.clerk] {
            reveal(token.clone()).await.error(403, ErrorCode::Forbidden);
        }
        let seen: shared::dto::PayeeNumber = reveal(shop.finance.clone()).await.ok();
        assert_eq!(seen.account_no, "6222020200117777");
        // Each look is audited, without the number.
        let audit: Page<shared::dto::AuditEntry> = app
            .get("/api/hq/audit?action=payee.reveal")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(audit.items.len(), 1);
        let look = &audit.items[0];
        assert!(
            look.actor.as_deref().unwrap_or("").contains("finance"),
            "{look:?}"
        );
        assert!(!format!("{look:?}").contains("6222020200117777"));
        // Another brand's finance: not found.
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        other
            .create_staff(&other_admin, "finance", Role::HqFinance, None, None)
            .await;
        let other_finance = other.staff_token("finance", STAFF_PASSWORD).await;
        other
            .post(&format!("/api/hq/payee-changes/{}/reveal", asked.id))
            .token(&other_finance)
            .send()
            .await
            .error(404, ErrorCode::NotFound);

        // Rejected: the store manager reads why, until they ask again.
        app.post(&format!("/api/hq/payee-changes/{}/reject", asked.id))
            .token(&shop.finance)
            .json(&RejectInput {
                reason: "户名与营业执照不符".into(),
            })
            .send()
            .await
            .status(200);
        let terms = |app: TestApp| {
            let manager = shop.manager.clone();
            async move {
                let t: WithdrawalTerms = app
                    .get(&format!(
                        "/api/staff/stores/{}/withdrawal-terms",
                        shop.one.id
                    ))
                    .token(&manager)
                    .send()
                    .await
                    .ok();
                t
            }
        };
        let t = terms(app.clone()).await;
        let rejected = t.rejected_payee.expect("the rejection is shown");
        assert_eq!(rejected.reason.as_deref(), Some("户名与营业执照不符"));
        assert_eq!(t.pending_payee, None);
        payee(&app, &shop.manager, shop.one.id, "6222020200118888")
            .await
            .status(201);
        let t = terms(app.clone()).await;
        assert_eq!(t.rejected_payee, None, "the new request replaces the news");
        assert!(t.pending_payee.is_some());
    }
);
