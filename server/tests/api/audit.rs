//! The audit log (issue 14): every staff action typed, so the apps read it
//! in the user's language; refunds, counter top-ups and failed logins in
//! it; changes with their before and after; filters by who, what, store
//! and date.

use crate::helpers::*;
use crate::money::*;
use shared::ErrorCode;
use shared::dto::{
    AuditAction, AuditChange, AuditEntry, AuditField, AuditValue, MoneySettings, Page,
};
use shared::money::Fen;

async fn log(app: &TestApp, token: &str, query: &str) -> Page<AuditEntry> {
    app.get(&format!("/api/hq/audit{query}"))
        .token(token)
        .send()
        .await
        .ok()
}

fn one(log: &Page<AuditEntry>, action: AuditAction) -> &AuditEntry {
    let found: Vec<&AuditEntry> = log.items.iter().filter(|e| e.action == action).collect();
    assert_eq!(found.len(), 1, "{action:?} in {log:#?}");
    found[0]
}

dual_test!(
    refunds_top_ups_failed_logins_and_changes_are_audited_and_filterable,
    |app| async move {
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &member.phone, 10_000).await;
        let paid = pay_ok(&app, &member.token, shop.one.id, 3_000).await;
        refund_ok(&app, &shop.manager, paid.payment_id, 1_000).await;
        app.staff_login("clerk.one", "not-the-password-1")
            .await
            .error(401, ErrorCode::WrongCredentials);
        let before: MoneySettings = app
            .get("/api/hq/money-settings")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        let after = MoneySettings {
            max_payment: Fen(300_000),
            ..before.clone()
        };
        app.put("/api/hq/money-settings")
            .token(&shop.admin)
            .json(&after)
            .send()
            .await
            .status(200);
        let renamed = store_input("徐家汇二店", shop.region_id);
        app.put(&format!("/api/hq/stores/{}", shop.two.id))
            .token(&shop.admin)
            .json(&renamed)
            .send()
            .await
            .status(200);

        let all = log(&app, &shop.finance, "").await;
        let topup = one(&all, AuditAction::MemberCounterTopUp);
        assert_eq!(topup.amount, Some(Fen(10_000)));
        assert_eq!(topup.store.as_deref(), Some("南京西路店"));
        assert!(topup.actor.as_deref().unwrap_or("").contains("clerk.one"));
        assert!(topup.target.contains(&masked(&member.phone)), "{topup:?}");
        let refund = one(&all, AuditAction::PaymentRefund);
        assert_eq!(refund.amount, Some(Fen(1_000)));
        assert_eq!(refund.target, format!("#{}", paid.payment_id));
        assert_eq!(refund.store.as_deref(), Some("南京西路店"));
        let failed = one(&all, AuditAction::StaffLoginFailed);
        assert_eq!(failed.actor, None, "nobody is logged in yet");
        assert!(failed.target.contains("clerk.one"), "{failed:?}");
        assert_eq!(failed.store.as_deref(), Some("南京西路店"));
        let settings = one(&all, AuditAction::MoneySettings);
        assert_eq!(
            settings.changes,
            vec![AuditChange {
                field: AuditField::MaxPayment,
                before: Some(AuditValue::Money(before.max_payment)),
                after: Some(AuditValue::Money(Fen(300_000))),
            }],
            "only what changed, before and after"
        );
        let store = one(&all, AuditAction::StoreUpdate);
        assert_eq!(
            store.changes,
            vec![AuditChange {
                field: AuditField::Name,
                before: Some(AuditValue::Text("徐家汇店".into())),
                after: Some(AuditValue::Text("徐家汇二店".into())),
            }]
        );
        // On the wire an action is a stable key, whatever the language.
        let raw: serde_json::Value = app
            .get("/api/hq/audit?action=payment.refund")
            .token(&shop.admin)
            .send()
            .await
            .ok();
        assert_eq!(raw["items"][0]["action"], "payment.refund");

        // What: one action.
        let refunds = log(&app, &shop.admin, "?action=payment.refund").await;
        assert_eq!(refunds.items.len(), 1);
        // Which store.
        let two = log(&app, &shop.admin, &format!("?store_id={}", shop.two.id)).await;
        assert!(!two.items.is_empty());
        assert!(
            two.items
                .iter()
                .all(|e| e.store.as_deref() == Some("徐家汇二店"))
        );
        // Who: part of a name or an account.
        let clerk = log(&app, &shop.admin, "?who=clerk.one").await;
        assert!(
            clerk
                .items
                .iter()
                .any(|e| e.action == AuditAction::MemberCounterTopUp)
        );
        assert!(
            clerk
                .items
                .iter()
                .all(|e| e.actor.as_deref().unwrap_or("").contains("clerk.one")),
            "{clerk:#?}"
        );
        // When: the brand's dates.
        let today = tongka_server::ledger::business_date("Asia/Shanghai", app.clock.now_ms());
        let on_today = log(&app, &shop.admin, &format!("?from={today}&to={today}")).await;
        assert_eq!(on_today.items.len(), all.items.len());
        app.advance_secs(2 * 86_400);
        let later = tongka_server::ledger::business_date("Asia/Shanghai", app.clock.now_ms());
        let none = log(&app, &shop.admin, &format!("?from={later}")).await;
        assert!(none.items.is_empty(), "{none:#?}");
        let up_to_today = log(&app, &shop.admin, &format!("?to={today}")).await;
        assert_eq!(up_to_today.items.len(), all.items.len());

        // A bad filter is a clear error on its field.
        for (query, field) in [
            ("?from=2026-13-01", "from"),
            ("?to=yesterday", "to"),
            ("?action=store.explode", "action"),
            (&format!("?from={later}&to={today}")[..], "from"),
        ] {
            app.get(&format!("/api/hq/audit{query}"))
                .token(&shop.admin)
                .send()
                .await
                .invalid(field);
        }
        // Store staff do not read it.
        app.get("/api/hq/audit")
            .token(&shop.manager)
            .send()
            .await
            .error(403, ErrorCode::Forbidden);
    }
);
