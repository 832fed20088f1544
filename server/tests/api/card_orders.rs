//! Buying a card partly online (issue 15): the member's stored value does
//! not cover the price, so it is held and the rest is paid at the sandbox
//! checkout; paid, the card opens funded by both; given up, the held value
//! comes back and no card exists; 退卡 sends the online part back through
//! the order that paid it. Every test ends with the ledger reconciling.
//!
//! These tests have gateway orders open, so they follow the `SWEEPS` lock of
//! `gateway.rs`; callbacks come in real time and are waited for.

use crate::cards::*;
use crate::gateway::*;
use crate::helpers::*;
use crate::money::*;
use crate::split_payments::{funds, gateway_refunds};
use shared::ErrorCode;
use shared::dto::{
    BuyCard, CardChannel, CardRefundParts, CardRefunded, CardState, OrderPurpose, OrderState,
    TopUpOrderView,
};
use shared::money::Fen;

/// `POST /api/member/card-orders` with `key`.
pub async fn card_order(app: &TestApp, member: &Member, key: &str, type_id: i64) -> Reply {
    app.post("/api/member/card-orders")
        .token(&member.token)
        .header(IDEMPOTENCY_KEY, key)
        .lang("en")
        .json(&BuyCard {
            card_type_id: type_id,
            pin: Some(TEST_PIN.into()),
        })
        .send()
        .await
}

/// A shop selling a ¥150 ten-use card, and a member with ¥50 stored.
async fn ten_uses_for_150_and_a_member_with_50(
    app: &TestApp,
) -> (
    Shop,
    shared::dto::ServiceItem,
    shared::dto::CardType,
    Member,
) {
    let shop = shop(app).await;
    let wash = new_item(app, &shop.admin, "精致洗车", 5000).await;
    let t = new_card_type(
        app,
        &shop.admin,
        &count_card("十次卡", 15_000, 10, &[wash.id]),
    )
    .await;
    let member = new_member(app).await;
    topup_ok(app, &shop.clerk, &member.phone, 5_000).await;
    (shop, wash, t, member)
}

dual_test!(
    a_member_buys_a_card_partly_online_and_its_refund_sends_the_online_part_back,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let (shop, wash, t, member) = ten_uses_for_150_and_a_member_with_50(&app).await;

        // Stored value alone does not cover ¥150.
        buy(&app, &member, t.id, None)
            .await
            .error(422, ErrorCode::InsufficientBalance);
        // The ¥50 is held, ¥100 goes to the checkout.
        let key = new_key();
        let reply = card_order(&app, &member, &key, t.id).await;
        reply.status(201);
        let started: TopUpOrderView = reply.ok();
        assert_eq!(started.purpose, OrderPurpose::Card);
        assert_eq!(
            (started.stored_value, started.amount),
            (Fen(5_000), Fen(10_000))
        );
        assert_eq!(started.card_name.as_deref(), Some("十次卡"));
        assert_eq!(started.card_id, None);
        assert_eq!(funds(&app, &member).await, (0, 0));
        // The same key again: the same order, nothing held twice.
        let again: TopUpOrderView = card_order(&app, &member, &key, t.id).await.ok();
        assert_eq!(again.id, started.id);
        assert_eq!(funds(&app, &member).await, (0, 0));
        assert!(wallet(&app, &member).await.is_empty());

        assert_eq!(
            press(&checkout_of(&started), "pay").await,
            back_to_app(&app, &started)
        );
        let paid = wait_for_state(&app, &member, started.id, OrderState::Paid).await;
        let card_id = paid.card_id.expect("the card the order opened");
        let cards = wallet(&app, &member).await;
        assert_eq!(cards.len(), 1);
        let card = &cards[0];
        assert_eq!(
            (card.id, card.channel, card.price),
            (card_id, CardChannel::Online, Fen(15_000))
        );
        assert_eq!(card.uses_left, Some(10));
        assert_reconciled(&app).await;

        // One use settles its share of both: ¥5 of stored value, ¥10 online.
        let used = take_use(&app, card_id, shop.one.id, wash.id)
            .await
            .expect("a use");
        assert_eq!(used.settled, Fen(1_500));

        // 退卡: ¥45 back to stored value, ¥90 back online through the order.
        let preview: CardRefundParts = app
            .get(&format!("/api/staff/cards/{card_id}/refund"))
            .token(&shop.manager)
            .send()
            .await
            .ok();
        assert_eq!(
            (preview.principal, preview.online, preview.uses),
            (Fen(4_500), Fen(9_000), 9)
        );
        let refunded: CardRefunded = refund_card(&app, &shop.manager, card_id, None).await.ok();
        assert_eq!(refunded.parts, preview);
        assert_eq!(funds(&app, &member).await, (4_500, 0));
        tongka_server::gateway_orders::send_refunds(&app.state)
            .await
            .expect("sending refunds");
        let refunds = gateway_refunds(&app, started.id).await;
        assert_eq!(refunds.len(), 1, "{refunds:?}");
        assert_eq!(
            (
                refunds[0].amount,
                refunds[0].reason.as_str(),
                refunds[0].state.as_str()
            ),
            (9_000, "card_refund", "succeeded")
        );
        let seen = wait_for_refunded(&app, &started, 9_000).await;
        assert_eq!(seen.trade.refunded, 9_000);
        let after = wallet(&app, &member).await;
        assert_eq!(after[0].state, CardState::Refunded);
        assert_reconciled(&app).await;
    }
);

dual_test!(
    a_card_order_given_up_opens_no_card_and_gives_the_held_value_back,
    |app| async move {
        let _sweeps = SWEEPS.read().await;
        let (shop, wash, t, member) = ten_uses_for_150_and_a_member_with_50(&app).await;
        let started: TopUpOrderView = card_order(&app, &member, &new_key(), t.id).await.ok();
        let checkout = checkout_of(&started);
        assert_eq!(funds(&app, &member).await, (0, 0));

        let closed = give_up(&app, &member, started.id).await;
        assert_eq!(closed.state, OrderState::Closed);
        assert_eq!(closed.card_id, None);
        assert_eq!(funds(&app, &member).await, (5_000, 0));
        // Paying in the old checkout tab does nothing.
        assert_eq!(press(&checkout, "pay").await, checkout);
        assert!(wallet(&app, &member).await.is_empty());
        assert_eq!(order(&app, &member, started.id).await, closed);

        // With enough stored value there is nothing for the gateway to do.
        topup_ok(&app, &shop.clerk, &member.phone, 20_000).await;
        let e = card_order(&app, &member, &new_key(), t.id)
            .await
            .error(409, ErrorCode::Conflict);
        assert_eq!(
            e.params.get("reason").map(String::as_str),
            Some("balance_covers")
        );
        // Off sale: refused before anything is held.
        let off = shared::dto::CardTypeInput {
            on_sale: false,
            ..count_card("十次卡", 15_000, 10, &[wash.id])
        };
        update_card_type(&app, &shop.admin, t.id, &off).await;
        let poor = new_member(&app).await;
        topup_ok(&app, &shop.clerk, &poor.phone, 1_000).await;
        card_order(&app, &poor, &new_key(), t.id)
            .await
            .error(422, ErrorCode::CardOffSale);
        assert_eq!(funds(&app, &poor).await, (1_000, 0));
        assert_reconciled(&app).await;
    }
);
