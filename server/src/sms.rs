//! Sending SMS. The real provider is an interface. In demo mode the built-in
//! sender writes each message to the log and to the notification outbox,
//! which tests read; outside it, [`WebhookSms`] queues each message in the
//! same outbox (in the caller's transaction) and delivers it after commit to
//! a signed webhook that the deployment points at its SMS provider.

use crate::clock::Clock;
use crate::entity::notification;
use hmac::{Hmac, Mac};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::time::Duration;

/// One text message to a phone.
#[derive(Clone, Debug)]
pub struct Sms {
    /// The brand it is sent for.
    pub brand_id: i64,
    /// Mainland mobile number.
    pub phone: String,
    /// Full text.
    pub body: String,
    /// Unix ms.
    pub at: i64,
    /// Not worth delivering after this (Unix ms): a login code's message
    /// soon ([`Sms::code`]), a reminder before the evening.
    pub deliver_by: i64,
}

/// How long a message with a code in it is worth delivering (a code lives
/// five minutes).
pub const CODE_DELIVER_WITHIN_MS: i64 = 10 * 60_000;

impl Sms {
    /// A message with a code in it (or about one just used), worth
    /// delivering only soon.
    pub fn code(brand_id: i64, phone: String, body: String, at: i64) -> Sms {
        Sms {
            brand_id,
            phone,
            body,
            at,
            deliver_by: at + CODE_DELIVER_WITHIN_MS,
        }
    }
}

/// A way to deliver SMS. It runs inside the caller's transaction, so a code
/// is stored and queued together or not at all.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Queues or sends one message.
    async fn send(&self, tx: &DatabaseTransaction, sms: Sms) -> Result<(), DbErr>;

    /// Delivers what was queued, after the caller's commit (nothing for a
    /// sender that delivers in `send`).
    async fn flush(&self) {}
}

/// Queues `sms` in `tx`, commits `tx`, then delivers in the background:
/// a message goes out only with what it tells of (a code, a reset).
pub async fn send_on_commit(
    sender: &std::sync::Arc<dyn SmsSender>,
    tx: crate::db::WriteTx,
    sms: Sms,
) -> Result<(), DbErr> {
    sender.send(&tx, sms).await?;
    tx.commit().await?;
    let sender = sender.clone();
    tokio::spawn(async move { sender.flush().await });
    Ok(())
}

/// The built-in sender: log + outbox. Named for what it is, not a provider.
pub struct OutboxSms;

#[async_trait::async_trait]
impl SmsSender for OutboxSms {
    async fn send(&self, tx: &DatabaseTransaction, sms: Sms) -> Result<(), DbErr> {
        tracing::info!(phone = %shared::validate::mask_phone(&sms.phone), body = %sms.body, "SMS (outbox sender)");
        record(tx, &sms).await
    }
}

async fn record(conn: &impl ConnectionTrait, sms: &Sms) -> Result<(), DbErr> {
    notification::ActiveModel {
        brand_id: Set(Some(sms.brand_id)),
        channel: Set("sms".into()),
        recipient: Set(sms.phone.clone()),
        body: Set(sms.body.clone()),
        created_at: Set(sms.at),
        deliver_by: Set(sms.deliver_by),
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}

/// Messages read at a time.
const BATCH: u64 = 100;
/// The longest one delivery run goes on; what is left waits for the next
/// (the job runner's next tick), so a slow provider does not hold the
/// runner's other jobs.
const RUN_FOR: Duration = Duration::from_secs(30);
/// A sender holds a message this long while it delivers it.
const CLAIM_MS: i64 = 30_000;
/// Delivery attempts before a message is given up.
const MAX_TRIES: i32 = 5;

/// SMS through a signed webhook (outside demo mode).
pub struct WebhookSms {
    db: DatabaseConnection,
    clock: Clock,
    http: reqwest::Client,
    url: String,
    secret: Vec<u8>,
}

/// The signature header: hex HMAC-SHA256 of `timestamp \n body`.
pub const SIGNATURE_HEADER: &str = "x-tongka-signature";
/// The timestamp header (Unix ms).
pub const TIMESTAMP_HEADER: &str = "x-tongka-timestamp";

/// The signature of a webhook body sent at `ts`.
pub fn webhook_signature(secret: &[u8], ts: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(ts.to_string().as_bytes());
    mac.update(b"\n");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

impl WebhookSms {
    /// Delivers to `url`, signing with `secret`.
    pub fn new(
        db: DatabaseConnection,
        clock: Clock,
        url: &str,
        secret: &[u8],
    ) -> anyhow::Result<WebhookSms> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(WebhookSms {
            db,
            clock,
            http,
            url: url.to_string(),
            secret: secret.to_vec(),
        })
    }

    /// Delivers the messages waiting and still worth delivering, the
    /// soonest to lapse first (a login code before a run of reminders), in
    /// batches until none is left, a batch delivers nothing (the provider
    /// is failing: the claims run out and the next run tries again) or the
    /// run has gone on for [`RUN_FOR`]. Safe on several replicas at once:
    /// each message is claimed by a compare-and-set before it is sent.
    /// Returns how many were delivered.
    pub async fn deliver_pending(&self) -> Result<usize, DbErr> {
        let started = std::time::Instant::now();
        let mut delivered = 0;
        while started.elapsed() < RUN_FOR {
            // Each batch is new: what an earlier one claimed (sent, failed
            // or another replica's) is held or sent, so not read again.
            let batch = self.waiting().await?;
            if batch.is_empty() {
                break;
            }
            match self.deliver(batch).await? {
                0 => break,
                n => delivered += n,
            }
        }
        Ok(delivered)
    }

    async fn waiting(&self) -> Result<Vec<notification::Model>, DbErr> {
        let now = self.clock.now_ms();
        notification::Entity::find()
            .filter(notification::Column::Channel.eq("sms"))
            .filter(notification::Column::SentAt.is_null())
            .filter(notification::Column::Tries.lt(MAX_TRIES))
            .filter(notification::Column::DeliverBy.gt(now))
            .filter(
                notification::Column::ClaimedUntil
                    .is_null()
                    .or(notification::Column::ClaimedUntil.lt(now)),
            )
            .order_by_asc(notification::Column::DeliverBy)
            .order_by_asc(notification::Column::Id)
            .limit(BATCH)
            .all(&self.db)
            .await
    }

    async fn deliver(&self, batch: Vec<notification::Model>) -> Result<usize, DbErr> {
        let mut delivered = 0;
        for n in batch {
            // A claim is a compare-and-set on the message as read: unsent,
            // with the tries read, and not held by another sender now.
            let now = self.clock.now_ms();
            let tx = crate::db::begin_write(&self.db).await?;
            let claimed = notification::Entity::update_many()
                .col_expr(
                    notification::Column::ClaimedUntil,
                    Expr::value(now + CLAIM_MS),
                )
                .col_expr(
                    notification::Column::Tries,
                    Expr::col(notification::Column::Tries).add(1),
                )
                .filter(notification::Column::Id.eq(n.id))
                .filter(notification::Column::SentAt.is_null())
                .filter(notification::Column::Tries.eq(n.tries))
                .filter(
                    notification::Column::ClaimedUntil
                        .is_null()
                        .or(notification::Column::ClaimedUntil.lt(now)),
                )
                .exec(&tx)
                .await?;
            tx.commit().await?;
            if claimed.rows_affected != 1 {
                continue;
            }
            match self.post(&n).await {
                Ok(()) => {
                    let tx = crate::db::begin_write(&self.db).await?;
                    notification::Entity::update_many()
                        .col_expr(
                            notification::Column::SentAt,
                            Expr::value(self.clock.now_ms()),
                        )
                        .filter(notification::Column::Id.eq(n.id))
                        .exec(&tx)
                        .await?;
                    tx.commit().await?;
                    delivered += 1;
                }
                Err(e) if n.tries + 1 >= MAX_TRIES => {
                    tracing::error!(
                        notification = n.id,
                        "SMS webhook failed {MAX_TRIES} times; given up: {e}"
                    );
                }
                Err(e) => {
                    // Tried again once the claim runs out.
                    tracing::warn!(notification = n.id, "SMS webhook failed: {e}");
                }
            }
        }
        Ok(delivered)
    }

    async fn post(&self, n: &notification::Model) -> Result<(), String> {
        let body = serde_json::json!({
            "id": n.id,
            "brand_id": n.brand_id,
            "phone": n.recipient,
            "body": n.body,
        })
        .to_string();
        let ts = self.clock.now_ms();
        let answer = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(
                SIGNATURE_HEADER,
                webhook_signature(&self.secret, ts, body.as_bytes()),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if answer.status().is_success() {
            Ok(())
        } else {
            Err(format!("webhook answered {}", answer.status()))
        }
    }
}

#[async_trait::async_trait]
impl SmsSender for WebhookSms {
    async fn send(&self, tx: &DatabaseTransaction, sms: Sms) -> Result<(), DbErr> {
        record(tx, &sms).await
    }

    async fn flush(&self) {
        if let Err(e) = self.deliver_pending().await {
            tracing::warn!("SMS delivery failed: {e}");
        }
    }
}
