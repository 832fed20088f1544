//! Counter cash (issue 10): a counter top-up credits the member from the
//! store's counter cash, which is HQ's money. A store could keep the cash and
//! withdraw the same money; now what it may withdraw is its wallet less the
//! cash not yet handed in, 日结 shows that cash, and HQ finance records each
//! hand-in (audited). And `reconcile` checks the operations' own rows
//! against the ledger.

use crate::helpers::*;
use crate::money::*;
use crate::withdrawals::{approved_payee, ask, ask_ok, hand_in, set_terms, wallet};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use shared::ErrorCode;
use shared::dto::{AuditEntry, CashHandInReceipt, Page};
use shared::money::Fen;
use tongka_server::ledger::{self, Entry, Kind, Line};

dual_test!(
    counter_cash_is_withdrawn_only_after_it_is_handed_in,
    |app| async move {
        let shop = shop(&app).await;
        set_terms(&app, &shop, 1_000, 0, 0).await;
        approved_payee(&app, &shop).await;
        // The clerk takes ¥500 in cash; the member spends ¥300 at the store.
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 50_000).await;
        pay_ok(&app, &member.token, shop.one.id, 30_000).await;
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            (w.available, w.cash_to_hand_in, w.withdrawable),
            (Fen(30_000), Fen(50_000), Fen(0))
        );
        // Before: the store withdrew the ¥300 and kept the ¥500 as well.
        let e = ask(&app, &shop.manager, shop.one.id, 10_000)
            .await
            .error(422, ErrorCode::WithdrawalAboveAvailable);
        assert_eq!(e.params["available"], "0");
        assert_eq!(e.params["cash"], "50000");
        assert!(e.message.contains("¥500.00"), "{}", e.message);

        // Only HQ finance records a hand-in, never more than the cash held.
        hand_in(&app, &shop.manager, shop.one.id, 10_000)
            .await
            .error(403, ErrorCode::Forbidden);
        hand_in(&app, &shop.admin, shop.one.id, 10_000)
            .await
            .error(403, ErrorCode::Forbidden);
        let over = hand_in(&app, &shop.finance, shop.one.id, 50_001)
            .await
            .error(422, ErrorCode::InvalidField);
        assert_eq!(
            over.message,
            "The amount cannot be more than the cash the store holds"
        );
        // ¥300 handed in (the same key twice records it once).
        let key = new_key();
        let record = |key: String| {
            let (app, finance) = (app.clone(), shop.finance.clone());
            async move {
                app.post(&format!("/api/hq/stores/{}/cash-handins", shop.one.id))
                    .token(&finance)
                    .header(IDEMPOTENCY_KEY, &key)
                    .json(&shared::dto::CashHandInInput {
                        amount: Fen(30_000),
                        reference: "ICBC-DEP-88".into(),
                    })
                    .send()
                    .await
            }
        };
        let first: CashHandInReceipt = record(key.clone()).await.ok();
        let again: CashHandInReceipt = record(key).await.ok();
        assert_eq!(first, again);
        assert_eq!(first.cash_to_hand_in, Fen(20_000));
        let w = wallet(&app, &shop.manager, shop.one.id).await;
        assert_eq!(
            (w.available, w.cash_to_hand_in, w.withdrawable),
            (Fen(30_000), Fen(20_000), Fen(10_000))
        );
        ask(&app, &shop.manager, shop.one.id, 10_001)
            .await
            .error(422, ErrorCode::WithdrawalAboveAvailable);
        ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        let audit: Page<AuditEntry> = app
            .get("/api/hq/audit")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(
            audit
                .items
                .iter()
                .filter(|e| e.action == shared::dto::AuditAction::CashHandIn)
                .count(),
            1
        );
        assert_reconciled(&app).await;
    }
);

dual_test!(
    reconcile_checks_refunds_frozen_money_gateway_refunds_and_counter_cash,
    |app| async move {
        // A database of its own: the rows are broken on purpose.
        let app = spawn_app_with_own_database(app.backend).await;
        let shop = crate::withdrawals::earning_shop(&app, 30_000).await;
        let w = ask_ok(&app, &shop.manager, shop.one.id, 10_000).await;
        let member = new_member(&app).await;
        set_pin(&app, &member).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let p = pay_ok(&app, &member.token, shop.one.id, 5_000).await;
        let problems = || async {
            tongka_server::ledger::reconcile(&app.db)
                .await
                .expect("reconciling")
                .problems
        };
        assert_eq!(problems().await, Vec::<String>::new());
        let run = |sql: String| {
            let db = app.writer();
            async move { db.execute_unprepared(&sql).await.expect("breaking a row") }
        };

        // A payment refunded beyond what was paid.
        run(format!(
            "UPDATE payments SET refunded_principal = principal + 1 WHERE id = {}",
            p.payment_id
        ))
        .await;
        let found = problems().await;
        assert!(
            found
                .iter()
                .any(|p| p.contains("refunded") && p.starts_with("payment")),
            "{found:?}"
        );
        // An open withdrawal marked cancelled without its money given back.
        run(format!(
            "UPDATE withdrawals SET state = 'cancelled' WHERE id = {w}"
        ))
        .await;
        let found = problems().await;
        assert!(found.iter().any(|p| p.contains("frozen")), "{found:?}");
        // A gateway order refunded through the gateway beyond its amount.
        let order = tongka_server::entity::gateway_order::ActiveModel {
            brand_id: Set(app.brand_id),
            member_id: Set(member.id),
            purpose: Set("topup".into()),
            order_no: Set(format!("T{}", random_hex(10))),
            amount: Set(1_000),
            bonus: Set(0),
            state: Set("paid".into()),
            idem_key: Set(random_hex(8)),
            body_hash: Set(random_hex(8)),
            created_at: Set(0),
            expires_at: Set(0),
            late: Set(false),
            refunded: Set(0),
            original: Set(1_000),
            sv_principal: Set(0),
            sv_bonus: Set(0),
            ..Default::default()
        }
        .insert(&app.writer())
        .await
        .expect("an order");
        tongka_server::entity::gateway_refund::ActiveModel {
            brand_id: Set(app.brand_id),
            order_id: Set(order.id),
            refund_no: Set(format!("R{}", random_hex(10))),
            amount: Set(1_001),
            state: Set("pending".into()),
            reason: Set("test".into()),
            attempts: Set(0),
            created_at: Set(0),
            ..Default::default()
        }
        .insert(&app.writer())
        .await
        .expect("a refund");
        let found = problems().await;
        assert!(
            found.iter().any(|p| p.starts_with("gateway order")),
            "{found:?}"
        );
        // More counter cash handed in than the store took.
        let tx = app.begin_outside().await;
        let clearing = ledger::account_id(&tx, app.brand_id, Kind::CounterClearing, shop.two.id, 0)
            .await
            .expect("the counter account");
        let bank = ledger::account_id(&tx, app.brand_id, Kind::HqBankClearing, 0, 0)
            .await
            .expect("the bank account");
        ledger::post(
            &tx,
            Entry {
                brand_id: app.brand_id,
                kind: shared::dto::EntryKind::CashHandIn,
                op_ref: random_hex(8),
                store_id: Some(shop.two.id),
                member_id: None,
                member_delta: Fen(0),
                member_balance_after: None,
                actor: "test".into(),
                business_date: "2026-03-02".into(),
                at: 0,
                lines: vec![Line::fen(clearing, Fen(700)), Line::fen(bank, Fen(-700))],
            },
        )
        .await
        .expect("posting");
        tx.commit().await.expect("committing");
        let found = problems().await;
        assert!(
            found
                .iter()
                .any(|p| p.contains("more counter cash than it took")),
            "{found:?}"
        );
    }
);
