//! 钱包: what members pay at a store accrues in its wallet; refunds take it
//! back; the manager, the region manager and HQ read it, a clerk and other
//! stores' managers do not; HQ sees every wallet, what the brand owes its
//! members and what bonuses cost.

use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{
    BrandMoney, CounterTopUp, Page, TopUpMethod, TopUpPlan, TopUpPlanInput, WalletEntry, WalletView,
};
use shared::money::Fen;

async fn wallet_of(app: &TestApp, token: &str, store_id: i64) -> Reply {
    app.get(&format!("/api/staff/stores/{store_id}/wallet"))
        .token(token)
        .send()
        .await
}

async fn all_entries(app: &TestApp, token: &str, store_id: i64) -> Vec<WalletEntry> {
    let mut items = Vec::new();
    let mut after: Option<i64> = None;
    loop {
        let query = after.map(|a| format!("?after={a}")).unwrap_or_default();
        let page: Page<WalletEntry> = app
            .get(&format!(
                "/api/staff/stores/{store_id}/wallet/entries{query}"
            ))
            .token(token)
            .send()
            .await
            .ok();
        items.extend(page.items);
        match page.next_cursor {
            Some(c) => after = Some(c),
            None => return items,
        }
    }
}

dual_test!(
    a_stores_wallet_grows_with_payments_and_gives_back_refunds,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 100_000).await;
        // Before any payment the wallet is empty, not an error.
        let empty: WalletView = wallet_of(&app, &shop.manager, shop.one.id).await.ok();
        assert_eq!((empty.available, empty.frozen), (Fen(0), Fen(0)));
        assert!(
            all_entries(&app, &shop.manager, shop.one.id)
                .await
                .is_empty()
        );

        // 25 payments: more than one page of entries.
        let mut paid = 0;
        let mut last = None;
        for i in 0..25 {
            let amount = 100 + i;
            last = Some(pay_ok(&app, &member.token, shop.one.id, amount).await);
            paid += amount;
        }
        pay_ok(&app, &member.token, shop.two.id, 5_000).await;
        let last = last.expect("a payment");
        refund_ok(&app, &shop.manager, last.payment_id, 50).await;

        let view: WalletView = wallet_of(&app, &shop.manager, shop.one.id).await.ok();
        assert_eq!(view.store_name, "南京西路店");
        assert_eq!(view.available, Fen(paid - 50));
        assert_eq!(view.frozen, Fen(0));
        // The other store's wallet holds only its own.
        let two: WalletView = wallet_of(&app, &shop.manager_two, shop.two.id).await.ok();
        assert_eq!(two.available, Fen(5_000));

        let entries = all_entries(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            entries.len(),
            26,
            "25 payments and a refund, over two pages"
        );
        assert_eq!(entries.iter().map(|e| e.amount.0).sum::<i64>(), paid - 50);
        // Newest first: the refund, then the last payment.
        assert_eq!(entries[0].kind, "refund");
        assert_eq!(entries[0].amount, Fen(-50));
        assert_eq!(entries[1].kind, "payment");
        assert_eq!(entries[1].op_ref, last.payment_id.to_string());
        assert_eq!(entries[1].amount, Fen(124));
        let masked = entries[1].member_phone_masked.clone().expect("a member");
        assert!(masked.contains('*') && !masked.contains(&member.phone[3..7]));
        assert!(entries.iter().all(|e| e.business_date.len() == 10));
        let mut ids: Vec<i64> = entries.iter().map(|e| e.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), 26, "no entry twice across pages");
        assert_reconciled(&app).await;
    }
);

dual_test!(
    only_the_store_its_region_and_hq_read_a_wallet,
    |app| async move {
        let shop = shop(&app).await;
        let region_boss = region_manager(&app, &shop, "east.boss", shop.region_id).await;
        let west = app.create_region(&shop.admin, "华南区").await;
        let west_boss = region_manager(&app, &shop, "west.boss", west.id).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        pay_ok(&app, &member.token, shop.one.id, 1_000).await;

        for (who, token) in [
            ("its manager", &shop.manager),
            ("its region manager", &region_boss),
            ("HQ admin", &shop.admin),
            ("HQ finance", &shop.finance),
        ] {
            let view: WalletView = wallet_of(&app, token, shop.one.id).await.ok();
            assert_eq!(view.available, Fen(1_000), "{who}");
            let entries = all_entries(&app, token, shop.one.id).await;
            assert_eq!(entries.len(), 1, "{who}");
        }
        // A clerk reads no wallet, not even their own store's.
        wallet_of(&app, &shop.clerk, shop.one.id)
            .await
            .error(403, ErrorCode::Forbidden);
        app.get(&format!("/api/staff/stores/{}/wallet/entries", shop.one.id))
            .token(&shop.clerk)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
        // Another store's manager and another region's manager: no such store.
        for (who, token) in [
            ("other store's manager", &shop.manager_two),
            ("other region's manager", &west_boss),
        ] {
            let reply = wallet_of(&app, token, shop.one.id).await;
            assert_eq!(reply.status, 404, "{who}: {}", reply.body);
            let reply = app
                .get(&format!("/api/staff/stores/{}/wallet/entries", shop.one.id))
                .token(token)
                .send()
                .await;
            assert_eq!(reply.status, 404, "{who}: {}", reply.body);
        }
        // Another brand's HQ: no such store either, and their own view is empty.
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        let reply = wallet_of(&other, &other_admin, shop.one.id).await;
        assert_eq!(reply.status, 404, "{}", reply.body);
        let theirs: BrandMoney = other
            .get("/api/hq/money")
            .token(&other_admin)
            .send()
            .await
            .ok();
        assert!(theirs.wallets.iter().all(|w| w.available == Fen(0)));
        // HQ's brand view is HQ admin's and finance's only.
        for token in [&shop.manager, &region_boss, &shop.clerk] {
            app.get("/api/hq/money")
                .token(token)
                .send()
                .await
                .error(403, ErrorCode::Forbidden);
        }
    }
);

dual_test!(
    hq_sees_every_wallet_what_members_are_owed_and_what_bonuses_cost,
    |app| async move {
        let shop = shop(&app).await;
        let plan: TopUpPlan = app
            .post("/api/hq/topup-plans")
            .token(&shop.admin)
            .json(&TopUpPlanInput {
                pay: Fen(10_000),
                bonus: Fen(1_500),
            })
            .send()
            .await
            .ok();
        let a = new_member(&app).await;
        let b = new_member(&app).await;
        app.post("/api/staff/topups")
            .token(&shop.clerk)
            .header(IDEMPOTENCY_KEY, &new_key())
            .json(&CounterTopUp {
                member_phone: a.phone.clone(),
                amount: Fen(10_000),
                method: TopUpMethod::Cash,
                plan_id: Some(plan.id),
            })
            .send()
            .await
            .status(201);
        topup_ok(&app, &shop.clerk_two, &b.phone, 3_000).await;
        // a spends all principal and part of the bonus at store one.
        pay_ok(&app, &a.token, shop.one.id, 10_500).await;
        pay_ok(&app, &b.token, shop.two.id, 1_000).await;

        let money: BrandMoney = app
            .get("/api/hq/money")
            .token(&shop.finance)
            .send()
            .await
            .ok();
        let names: Vec<&str> = money
            .wallets
            .iter()
            .map(|w| w.store_name.as_str())
            .collect();
        assert!(names.contains(&"南京西路店") && names.contains(&"徐家汇店"));
        let of = |id: i64| {
            money
                .wallets
                .iter()
                .find(|w| w.store_id == id)
                .map(|w| w.available)
        };
        // Bonus is settled to the store at 100 % by default.
        assert_eq!(of(shop.one.id), Some(Fen(10_500)));
        assert_eq!(of(shop.two.id), Some(Fen(1_000)));
        assert_eq!(money.wallets_available, Fen(11_500));
        assert_eq!(money.wallets_frozen, Fen(0));
        // Owed: a has 1,000 bonus left, b 2,000 principal.
        assert_eq!(money.liability_principal, Fen(2_000));
        assert_eq!(money.liability_bonus, Fen(1_000));
        assert_eq!(money.liability_held, Fen(0));
        assert_eq!(
            money.liability_principal.0 + money.liability_bonus.0,
            total(&app, &a.token).await + total(&app, &b.token).await
        );
        assert_eq!(money.promotion_expense, Fen(1_500));
        assert_reconciled(&app).await;
    }
);

dual_test!(
    rollups_at_once_while_members_pay_leave_every_wallet_as_it_was,
    |app| async move {
        use futures_util::future::join_all;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        use tongka_server::entity::{account, journal_line};
        use tongka_server::ledger::{self, Kind};
        let s = shop(&app).await;
        let mut members = Vec::new();
        for _ in 0..20 {
            let m = new_member(&app).await;
            // At store two: store one holds no counter cash, so all its
            // wallet may be withdrawn.
            topup_ok(&app, &s.clerk_two, &m.phone, 10_000).await;
            members.push(m);
        }
        // A backlog of 2,000 lines on store two's wallet (2,000 entries of
        // one fen from HQ's bank clearing), then eight rollups at once (as
        // on eight replicas) over it and the top-ups' lines; then twenty
        // payments at store one and eight more rollups, all at once.
        {
            let now = app.clock.now_ms();
            let tx = tongka_server::db::begin_write(&app.db)
                .await
                .expect("a transaction");
            let wallet = ledger::account_id(&tx, app.brand_id, Kind::StoreWallet, s.two.id, now)
                .await
                .expect("store two's wallet");
            let bank = ledger::account_id(&tx, app.brand_id, Kind::HqBankClearing, 0, now)
                .await
                .expect("HQ's bank clearing");
            for i in 0..2_000 {
                ledger::post(
                    &tx,
                    ledger::Entry {
                        brand_id: app.brand_id,
                        kind: shared::dto::EntryKind::Adjustment,
                        op_ref: format!("backlog-{i}"),
                        store_id: Some(s.two.id),
                        member_id: None,
                        member_delta: Fen::ZERO,
                        member_balance_after: None,
                        actor: "test".into(),
                        business_date: "2026-12-02".into(),
                        at: now,
                        lines: vec![
                            ledger::Line::fen(bank, Fen(-1)),
                            ledger::Line::fen(wallet, Fen(1)),
                        ],
                    },
                )
                .await
                .expect("a backlog entry");
            }
            tx.commit().await.expect("commit");
        }
        for r in join_all((0..8).map(|_| ledger::rollup(&app.db))).await {
            r.expect("a rollup");
        }
        assert_eq!(crate::cards::store_wallet(&app, s.two.id).await, 2_000);
        let pays = join_all(members.iter().map(|m| pay(&app, &m.token, s.one.id, 1_000)));
        let rolls = join_all((0..8).map(|_| ledger::rollup(&app.db)));
        let (paid, rolled) = tokio::join!(pays, rolls);
        let receipts: Vec<shared::dto::PaymentReceipt> = paid
            .into_iter()
            .map(|r| {
                r.status(201);
                r.ok()
            })
            .collect();
        for r in rolled {
            r.expect("a rollup");
        }
        // What landed after them is rolled next time (other tests' rollups
        // may roll some of this one's lines too: counts are not asserted).
        ledger::rollup(&app.db).await.expect("a rollup");
        let wallet_account =
            ledger::find_account(&app.db, app.brand_id, Kind::StoreWallet, s.one.id)
                .await
                .expect("reading accounts")
                .expect("store one's wallet");
        let wallet_lines = journal_line::Entity::find()
            .filter(journal_line::Column::AccountId.eq(wallet_account.id))
            .count(&app.db)
            .await
            .expect("counting lines");
        assert_eq!(wallet_lines, 20, "a line per payment");
        // The manager sees every payment; the wallet stores all of it, so
        // reading it sums nothing.
        let view: WalletView = wallet_of(&app, &s.manager, s.one.id).await.ok();
        assert_eq!(view.available, Fen(20_000));
        let stored = account::Entity::find_by_id(wallet_account.id)
            .one(&app.db)
            .await
            .expect("reading the wallet")
            .expect("the wallet");
        assert_eq!(stored.balance, 20_000);
        let unrolled = journal_line::Entity::find()
            .filter(journal_line::Column::AccountId.eq(wallet_account.id))
            .filter(journal_line::Column::Rolled.eq(false))
            .count(&app.db)
            .await
            .expect("counting lines");
        assert_eq!(unrolled, 0);
        // A refund after the rollup takes from the rolled-up wallet, and a
        // withdrawal asks against both.
        refund_ok(&app, &s.manager, receipts[0].payment_id, 1_000).await;
        let view: WalletView = wallet_of(&app, &s.manager, s.one.id).await.ok();
        assert_eq!(view.available, Fen(19_000));
        crate::withdrawals::approved_payee(&app, &s).await;
        crate::withdrawals::ask_ok(&app, &s.manager, s.one.id, 10_000).await;
        let e = crate::withdrawals::ask(&app, &s.manager, s.one.id, 10_000)
            .await
            .error(422, ErrorCode::WithdrawalAboveAvailable);
        assert_eq!(e.params["available"], "9000");
        let view: WalletView = wallet_of(&app, &s.manager, s.one.id).await.ok();
        assert_eq!((view.available, view.frozen), (Fen(9_000), Fen(10_000)));
        assert_reconciled(&app).await;
    }
);
