//! The member's message centre and history detail (issue 14): every
//! top-up, payment, refund and 退卡 is told once, unread until read; a
//! movement opens in full, and a partial refund of a split payment says
//! where each part went.

use crate::gateway::*;
use crate::helpers::*;
use crate::money::*;
use crate::split_payments::{plan_topup_ok, split_paid};
use shared::ErrorCode;
use shared::dto::{EntryKind, HistoryDetail, MemberMessage, MemberUnread, MoneyParts, Page};
use shared::money::Fen;

async fn unread(app: &TestApp, member: &Member) -> u32 {
    let u: MemberUnread = app
        .get("/api/member/messages/unread")
        .token(&member.token)
        .send()
        .await
        .ok();
    u.unread
}

async fn messages(app: &TestApp, member: &Member) -> Vec<MemberMessage> {
    let page: Page<MemberMessage> = app
        .get("/api/member/messages")
        .token(&member.token)
        .send()
        .await
        .ok();
    page.items
}

async fn detail(app: &TestApp, member: &Member, id: i64) -> HistoryDetail {
    app.get(&format!("/api/member/history/{id}"))
        .token(&member.token)
        .send()
        .await
        .ok()
}

fn parts(principal: i64, bonus: i64, online: i64, cash: i64) -> MoneyParts {
    MoneyParts {
        principal: Fen(principal),
        bonus: Fen(bonus),
        online: Fen(online),
        cash: Fen(cash),
    }
}

dual_test!(
    a_member_is_told_of_each_movement_and_opens_it_in_full,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let shop = shop(&app).await;
        let member = new_member(&app).await;
        assert_eq!(unread(&app, &member).await, 0);
        assert!(messages(&app, &member).await.is_empty());

        // ¥100 with a ¥10 bonus at the counter, then a ¥150 bill: ¥100
        // principal + ¥10 bonus from the card, ¥40 online; ¥40 refunded.
        let offer = plan(&app, &shop.admin, 10_000, 1_000).await;
        plan_topup_ok(&app, &shop.clerk, &member.phone, 10_000, offer.id).await;
        let paid = split_paid(&app, &member, shop.one.id, 15_000).await;
        let payment_id = paid.payment_id.expect("a settled payment");
        let back = refund_ok(&app, &shop.manager, payment_id, 4_000).await;
        assert!(back.gateway.is_positive() && back.principal.is_positive());

        assert_eq!(unread(&app, &member).await, 3);
        let told = messages(&app, &member).await;
        let seen: Vec<(EntryKind, Fen, Fen, bool)> = told
            .iter()
            .map(|m| (m.kind, m.amount, m.bonus, m.unread))
            .collect();
        assert_eq!(
            seen,
            vec![
                (EntryKind::Refund, Fen(4_000), Fen::ZERO, true),
                (EntryKind::Payment, Fen(15_000), Fen::ZERO, true),
                (EntryKind::TopUp, Fen(11_000), Fen(1_000), true),
            ],
            "the whole payment, however it was paid; the refund in all"
        );
        assert!(
            told.iter()
                .all(|m| m.store_name.as_deref() == Some("南京西路店"))
        );

        // The refund says where each part went.
        let refund = detail(&app, &member, told[0].id).await;
        assert_eq!(refund.kind, EntryKind::Refund);
        assert_eq!(
            refund.parts,
            parts(back.principal.0, back.bonus.0, back.gateway.0, 0)
        );
        assert_eq!(
            refund.amount,
            back.principal + back.bonus,
            "stored value credited"
        );
        let p = refund.payment.expect("the payment it refunds");
        assert_eq!(p.payment_id, payment_id);
        assert_eq!((p.total, p.refunded), (Fen(15_000), Fen(4_000)));
        assert_eq!(p.parts, parts(10_000, 1_000, 4_000, 0));
        assert_eq!(p.refunds.len(), 1);
        assert_eq!(p.refunds[0].total, Fen(4_000));
        assert_eq!(p.refunds[0].entry_id, told[0].id);
        // The payment: number, split, its refunds.
        let payment = detail(&app, &member, told[1].id).await;
        assert_eq!(payment.parts, parts(10_000, 1_000, 4_000, 0));
        assert_eq!(
            payment.payment.map(|p| (p.payment_id, p.refunds.len())),
            Some((payment_id, 1))
        );
        assert_eq!(payment.store_name.as_deref(), Some("南京西路店"));
        // The top-up: paid at the counter, principal and bonus apart.
        let topup = detail(&app, &member, told[2].id).await;
        assert_eq!(topup.parts, parts(10_000, 1_000, 0, 10_000));
        assert_eq!(topup.payment, None);

        // Read: nothing unread, on every phone; reading again changes nothing.
        let read = || async {
            app.post("/api/member/messages/read")
                .token(&member.token)
                .send()
                .await
                .status(204);
        };
        tokio::join!(read(), read());
        assert_eq!(unread(&app, &member).await, 0);
        assert!(messages(&app, &member).await.iter().all(|m| !m.unread));
        // A new movement is unread again.
        pay_ok(&app, &member.token, shop.one.id, 100).await;
        assert_eq!(unread(&app, &member).await, 1);

        // Nobody else opens it.
        let other = new_member(&app).await;
        app.get(&format!("/api/member/history/{}", told[0].id))
            .token(&other.token)
            .send()
            .await
            .error(404, ErrorCode::NotFound);
        assert!(messages(&app, &other).await.is_empty());
        assert_reconciled(&app).await;
    }
);
