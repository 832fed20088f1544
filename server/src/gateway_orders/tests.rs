//! The gateway order services on a real SQLite database, without an HTTP
//! server: orders started through the services, a gateway stand-in that
//! answers as the gateway would, and the sweep settling what it says.

use super::{MAX_REFUND_REFUSALS, QUERY_AFTER_MS, RefundState, Sweep};
use super::{queue_refund, refund_tasks, self_topup, send_refunds, sweep};
use crate::db::begin_write;
use crate::entity::{brand, gateway_order, gateway_refund, payment, store};
use crate::gateway::{
    CreateOrder, Created, Gateway, GatewayError, Notification, RefundDone, RefundOrder, Trade,
    TradeState,
};
use crate::idempotency::IdemKey;
use crate::ledger;
use crate::state::AppState;
use crate::testing::{self, code, first_with_role};
use async_trait::async_trait;
use axum::http::HeaderMap;
use sea_orm::EntityTrait;
use shared::ErrorCode;
use shared::dto::{
    OrderState, PaymentRequest, RefundResolution, ResolveRefundInput, Role, StateQuery,
    TopUpOrderRequest,
};
use shared::money::Fen;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A gateway that keeps its trades in memory: orders are paid by
/// [`Stand::pay`], refunds refused while `refuse` is set.
#[derive(Default)]
struct Stand {
    trades: Mutex<HashMap<String, Trade>>,
    refuse: Mutex<bool>,
}

impl Stand {
    fn trade(&self, order_no: &str) -> Result<Trade, GatewayError> {
        let trades = self.trades.lock().unwrap_or_else(|e| e.into_inner());
        trades
            .get(order_no)
            .cloned()
            .ok_or_else(|| GatewayError::Refused {
                code: "ORDER_NOT_FOUND".into(),
                message: "no such order".into(),
            })
    }

    /// The member pays the order at the checkout.
    fn pay(&self, order_no: &str, at: i64) {
        let mut trades = self.trades.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = trades.get_mut(order_no) {
            t.state = TradeState::Success;
            t.txn_id = Some(format!("T{order_no}"));
            t.paid_at = Some(at);
        }
    }
}

#[async_trait]
impl Gateway for Stand {
    fn merchant_id(&self, brand_id: i64) -> String {
        format!("M{brand_id}")
    }
    async fn create(&self, order: &CreateOrder) -> Result<Created, GatewayError> {
        let trade = Trade {
            merchant_id: order.merchant_id.clone(),
            order_no: order.order_no.clone(),
            amount: order.amount,
            state: TradeState::Notpay,
            txn_id: None,
            paid_at: None,
            refunded: 0,
        };
        let mut trades = self.trades.lock().unwrap_or_else(|e| e.into_inner());
        trades.insert(order.order_no.clone(), trade);
        Ok(Created {
            checkout_url: format!("https://pay.test/{}", order.order_no),
        })
    }
    async fn query(&self, _: &str, order_no: &str) -> Result<Trade, GatewayError> {
        self.trade(order_no)
    }
    async fn close(&self, _: &str, order_no: &str) -> Result<Trade, GatewayError> {
        let mut trades = self.trades.lock().unwrap_or_else(|e| e.into_inner());
        let t = trades.get_mut(order_no).ok_or(GatewayError::Refused {
            code: "ORDER_NOT_FOUND".into(),
            message: "no such order".into(),
        })?;
        if t.state != TradeState::Success {
            t.state = TradeState::Closed;
        }
        Ok(t.clone())
    }
    async fn refund(&self, refund: &RefundOrder) -> Result<RefundDone, GatewayError> {
        if *self.refuse.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(GatewayError::Refused {
                code: "REFUND_REFUSED".into(),
                message: "the bank said no".into(),
            });
        }
        Ok(RefundDone {
            refund_no: refund.refund_no.clone(),
            state: "SUCCESS".into(),
        })
    }
    fn verify_callback(
        &self,
        _: &HeaderMap,
        _: &[u8],
        _: i64,
    ) -> Result<(Notification, String), crate::gateway::SignatureError> {
        Err(crate::gateway::SignatureError::Missing)
    }
}

/// A fresh database with the demo brand, its first store and its first
/// member, who has been given `principal`; the state pays through a
/// [`Stand`].
struct Demo {
    state: AppState,
    stand: Arc<Stand>,
    brand: brand::Model,
    shop: store::Model,
    member_id: i64,
}

async fn demo(principal: Fen) -> Demo {
    let d = testing::demo_with(principal, Fen::ZERO).await;
    let stand = Arc::new(Stand::default());
    let mut state = d.state;
    state.gateway = stand.clone();
    Demo {
        state,
        stand,
        brand: d.brand,
        shop: d.shop,
        member_id: d.member.id,
    }
}

impl Demo {
    async fn balance(&self) -> (Fen, Fen) {
        ledger::member_balance(&self.state.db, self.brand.id, self.member_id)
            .await
            .expect("balance")
    }

    /// Time passes until the sweep asks about orders.
    fn later(&self) {
        let after = Duration::from_millis(QUERY_AFTER_MS.unsigned_abs());
        self.state.clock.advance(after + Duration::from_secs(1));
    }

    async fn clean(&self) -> bool {
        ledger::reconcile(&self.state.db)
            .await
            .expect("reconcile")
            .is_clean()
    }
}

#[tokio::test]
async fn a_top_up_paid_at_the_checkout_is_credited_once_by_the_sweep() {
    let d = demo(Fen::ZERO).await;
    let key = IdemKey("k1".into());
    let req = TopUpOrderRequest {
        amount: Fen(10_000),
        plan_id: None,
    };
    let order = self_topup::top_up(&d.state, &d.brand, d.member_id, &key, &req)
        .await
        .expect("started");
    assert_eq!(order.state, OrderState::Created);
    assert!(order.checkout_url.is_some());

    // The same key and body are the same order; another body is refused.
    let again = self_topup::top_up(&d.state, &d.brand, d.member_id, &key, &req)
        .await
        .expect("replayed");
    assert_eq!(again.id, order.id);
    let other = TopUpOrderRequest {
        amount: Fen(20_000),
        plan_id: None,
    };
    let reused = self_topup::top_up(&d.state, &d.brand, d.member_id, &key, &other).await;
    assert_eq!(
        code(reused.expect_err("refused")),
        ErrorCode::IdempotencyKeyReused
    );

    // Paid at the checkout; the callback never comes: the sweep asks.
    d.stand.pay(&order.order_no, d.state.clock.now_ms());
    d.later();
    let swept = sweep(&d.state).await.expect("sweep");
    assert_eq!(
        swept,
        Sweep {
            queried: 1,
            ..Sweep::default()
        }
    );
    assert_eq!(d.balance().await, (Fen(10_000), Fen::ZERO));
    let seen = self_topup::status(&d.state, d.brand.id, d.member_id, order.id)
        .await
        .expect("status");
    assert_eq!(seen.state, OrderState::Paid);
    assert_eq!(seen.balance_after, Some(Fen(10_000)));

    // A paid order is not asked about again, and never credited twice.
    assert_eq!(sweep(&d.state).await.expect("sweep"), Sweep::default());
    super::apply(&d.state, &d.stand.trade(&order.order_no).expect("trade"))
        .await
        .expect("applied again");
    assert_eq!(d.balance().await, (Fen(10_000), Fen::ZERO));
    assert!(d.clean().await);
}

#[tokio::test]
async fn a_split_payment_holds_stored_value_and_settles_both_legs_when_paid() {
    let d = demo(Fen(1_000)).await;
    let req = PaymentRequest {
        coupon_id: None,
        without_coupon_if_gone: false,
        use_points: false,
        points_expected: None,
        payable_expected: None,
        store_id: d.shop.id,
        amount: Fen(3_000),
        pin: None,
        pay_request: None,
    };
    let key = IdemKey("split".into());
    let order = self_topup::pay_split(&d.state, &d.brand, d.member_id, &key, &req)
        .await
        .expect("started");
    assert_eq!((order.amount, order.stored_value), (Fen(2_000), Fen(1_000)));
    // The stored value is held at once.
    assert_eq!(d.balance().await, (Fen::ZERO, Fen::ZERO));

    d.stand.pay(&order.order_no, d.state.clock.now_ms());
    d.later();
    sweep(&d.state).await.expect("sweep");
    let row = gateway_order::Entity::find_by_id(order.id)
        .one(&d.state.db)
        .await
        .ok()
        .flatten()
        .expect("order");
    assert_eq!(row.state, OrderState::Paid.as_str());
    let paid = payment::Entity::find_by_id(row.payment_id.expect("payment id"))
        .one(&d.state.db)
        .await
        .ok()
        .flatten()
        .expect("payment row");
    assert_eq!(
        (paid.store_id, paid.amount, paid.principal, paid.gateway),
        (d.shop.id, 3_000, 1_000, 2_000)
    );
    assert_eq!(paid.gateway_order_id, Some(order.id));
    assert_eq!(d.balance().await, (Fen::ZERO, Fen::ZERO));
    assert!(d.clean().await);
}

#[tokio::test]
async fn a_refund_refused_for_good_resolved_as_paid_outside_records_its_reference() {
    let d = demo(Fen::ZERO).await;
    let req = TopUpOrderRequest {
        amount: Fen(5_000),
        plan_id: None,
    };
    let key = IdemKey("k".into());
    let order = self_topup::top_up(&d.state, &d.brand, d.member_id, &key, &req)
        .await
        .expect("started");
    d.stand.pay(&order.order_no, d.state.clock.now_ms());
    d.later();
    sweep(&d.state).await.expect("sweep");

    // Part of it goes back through the gateway, which refuses it every time.
    let row = gateway_order::Entity::find_by_id(order.id)
        .one(&d.state.db)
        .await
        .ok()
        .flatten()
        .expect("order");
    let tx = begin_write(&d.state.db).await.expect("tx");
    queue_refund(&tx, &row, 2_000, "test", d.state.clock.now_ms())
        .await
        .expect("queued");
    tx.commit().await.expect("commit");
    *d.stand.refuse.lock().unwrap_or_else(|e| e.into_inner()) = true;
    for _ in 0..MAX_REFUND_REFUSALS {
        assert_eq!(send_refunds(&d.state).await.expect("sent"), 0);
        d.state.clock.advance(Duration::from_secs(3 * 3_600));
    }
    let refunds = gateway_refund::Entity::find()
        .all(&d.state.db)
        .await
        .expect("refunds");
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].state, RefundState::Failed.as_str());

    let open = StateQuery {
        state: None,
        after: None,
    };
    let tasks = refund_tasks::list(&d.state.db, d.brand.id, &open)
        .await
        .expect("tasks");
    assert_eq!(tasks.items.len(), 1);
    assert_eq!(tasks.items[0].order_no, order.order_no);

    let finance = first_with_role(&d.state, &d.brand, Role::HqFinance).await;
    let outside = ResolveRefundInput {
        way: RefundResolution::PaidOutside,
        reference: Some("BANK-2026-0001".into()),
    };
    let done = refund_tasks::resolve(&d.state, &finance, refunds[0].id, &outside)
        .await
        .expect("resolved");
    assert_eq!(done.resolution, Some(RefundResolution::PaidOutside));
    assert_eq!(done.resolution_ref.as_deref(), Some("BANK-2026-0001"));
    let stored = gateway_refund::Entity::find_by_id(refunds[0].id)
        .one(&d.state.db)
        .await
        .ok()
        .flatten()
        .expect("refund");
    assert_eq!(stored.resolution_ref.as_deref(), Some("BANK-2026-0001"));
    assert_eq!(stored.resolved_by, Some(finance.staff_id));

    // Resolved once: a second try is refused, and the task left the open list.
    let twice = refund_tasks::resolve(&d.state, &finance, refunds[0].id, &outside).await;
    assert!(twice.is_err());
    let open = refund_tasks::list(&d.state.db, d.brand.id, &open)
        .await
        .expect("tasks");
    assert!(open.items.is_empty());
    // The member's stored value is untouched: the money went out by bank.
    assert_eq!(d.balance().await, (Fen(5_000), Fen::ZERO));
    assert!(d.clean().await);
}
