//! Sending SMS. The real provider is an interface; the built-in sender writes
//! each message to the log and to the notification outbox, which tests read.

use crate::entity::notification;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr, Set};

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
}

/// A way to deliver SMS. It runs inside the caller's transaction, so a code
/// is stored and queued together or not at all.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync {
    /// Queues or sends one message.
    async fn send(&self, tx: &DatabaseTransaction, sms: Sms) -> Result<(), DbErr>;
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
        ..Default::default()
    }
    .insert(conn)
    .await
    .map(|_| ())
}
