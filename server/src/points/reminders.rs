//! Points reminders (DESIGN.md "Engagement"): a member whose points expire
//! within HQ's `remind_days` is told in their message centre how many and
//! when: at most one reminder a week, and only in the daytime of the
//! brand's zone (never at night). The job runner's `points_reminders` job
//! runs this hourly.
//!
//! Each reminder is one transaction: the member's `points_reminded_at`
//! moves by a guarded update (`… WHERE points_reminded_at IS NULL OR
//! points_reminded_at <= now - a week`), then the reminder row and its
//! message (a ledger entry of no lines, as a coupon's) are written. Of
//! several replicas running it at once, one moves the mark and the others
//! find it moved; a member that fails is tried at the next run while the
//! others go on.
//!
//! A member who agreed (`members.points_sms_at`) is also sent an SMS,
//! queued in the reminder's own transaction: it goes out with the reminder
//! or not at all, and so at most once a week too.

use crate::db::begin_write;
use crate::entity::{brand, member, money_settings, point_lot, points_reminder};
use crate::ledger::{self, Entry};
use crate::sms::{Sms, SmsSender};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use shared::dto::{EntryKind, JobName};
use shared::money::Fen;
use std::collections::BTreeMap;

/// At most one reminder in this long.
pub const EVERY_MS: i64 = 7 * 24 * 3_600_000;

/// The local hours reminders go out in: 09:00 to 20:59.
pub const DAYTIME: std::ops::Range<u32> = 9..21;

const DAY_MS: i64 = 24 * 3_600_000;

/// What one run did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reminded {
    /// Members reminded.
    pub sent: usize,
    /// Members it could not remind (tried again at the next run).
    pub failed: usize,
}

/// Whether `now` is daytime in the zone (a zone that does not parse is
/// the brand's default, Shanghai).
pub fn daytime(time_zone: &str, now: i64) -> bool {
    use chrono::Timelike;
    DAYTIME.contains(&crate::clock::local(now, time_zone).hour())
}

/// When the daytime of `now`'s local day ends: a reminder's SMS not
/// delivered by then is not sent at night (nor the next day, as new).
pub fn daytime_ends(time_zone: &str, now: i64) -> i64 {
    let today = crate::clock::local(now, time_zone).date_naive();
    crate::clock::local_hour(today, DAYTIME.end, time_zone)
}

/// Reminds every member whose points expire within their brand's
/// `remind_days` and who was not reminded in the past week, in brands where
/// it is daytime. `brand`: one brand only (the tests, which share a
/// database).
pub async fn remind_due(
    db: &DatabaseConnection,
    sms: &dyn SmsSender,
    now: i64,
    only: Option<i64>,
) -> anyhow::Result<Reminded> {
    let mut settings =
        money_settings::Entity::find().filter(money_settings::Column::PointsRemindDays.gt(0));
    if let Some(id) = only {
        settings = settings.filter(money_settings::Column::BrandId.eq(id));
    }
    let mut done = Reminded::default();
    for s in settings.all(db).await? {
        // One brand that cannot be read does not keep the others waiting.
        if let Err(e) = brand_reminders((db, sms), &s, now, &mut done).await {
            done.failed += 1;
            let error = e.to_string();
            tracing::warn!(brand = s.brand_id, "points reminders: {error}");
            let item = format!("brand:{}", s.brand_id);
            crate::jobs::item_failed(db, JobName::PointsReminders, s.brand_id, &item, &error, now)
                .await;
        }
    }
    // What was queued goes out now (a sender that delivers at once has
    // nothing left).
    sms.flush().await;
    Ok(done)
}

/// Members looked up at a time (bind parameters stay well under the
/// databases' limits however many are due at once).
const MEMBER_BATCH: usize = 500;

/// One brand's reminders (see [`remind_due`]).
async fn brand_reminders(
    (db, sms): (&DatabaseConnection, &dyn SmsSender),
    s: &money_settings::Model,
    now: i64,
    done: &mut Reminded,
) -> anyhow::Result<()> {
    let Some(b) = brand::Entity::find_by_id(s.brand_id).one(db).await? else {
        return Ok(());
    };
    if !daytime(&b.time_zone, now) {
        return Ok(());
    }
    let until = now + s.points_remind_days * DAY_MS;
    // Each member's soonest expiry in the window and the points in it.
    let lots = point_lot::Entity::find()
        .filter(point_lot::Column::BrandId.eq(b.id))
        .filter(point_lot::Column::LeftPoints.gt(0))
        .filter(point_lot::Column::ExpiresAt.gt(now))
        .filter(point_lot::Column::ExpiresAt.lte(until))
        .order_by_asc(point_lot::Column::ExpiresAt)
        .all(db)
        .await?;
    let mut due: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for l in lots {
        let e = due.entry(l.member_id).or_insert((l.expires_at, 0));
        if e.0 == l.expires_at {
            e.1 += l.left_points;
        }
    }
    let ids: Vec<i64> = due.keys().copied().collect();
    for chunk in ids.chunks(MEMBER_BATCH) {
        // Those reminded in the past week, or closed, are passed over
        // without a write.
        let open: Vec<i64> = member::Entity::find()
            .filter(member::Column::Id.is_in(chunk.iter().copied()))
            .filter(member::Column::BrandId.eq(b.id))
            .filter(member::Column::ClosedAt.is_null())
            .filter(not_reminded_since(now))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect();
        for member_id in open {
            let (expires_at, points) = due[&member_id];
            let item = format!("member:{member_id}");
            match remind((db, sms), &b, member_id, (points, expires_at), now).await {
                Ok(true) => {
                    done.sent += 1;
                    crate::jobs::item_done(db, JobName::PointsReminders, &item).await;
                }
                Ok(false) => {}
                Err(e) => {
                    done.failed += 1;
                    let error = e.to_string();
                    tracing::warn!(member = member_id, "points reminder: {error}");
                    crate::jobs::item_failed(
                        db,
                        JobName::PointsReminders,
                        b.id,
                        &item,
                        &error,
                        now,
                    )
                    .await;
                }
            }
        }
    }
    Ok(())
}

/// Members not reminded in the week before `now`.
fn not_reminded_since(now: i64) -> Condition {
    Condition::any()
        .add(member::Column::PointsRemindedAt.is_null())
        .add(member::Column::PointsRemindedAt.lte(now - EVERY_MS))
}

/// Reminds one member, unless another runner did in the past week: false
/// then.
async fn remind(
    (db, sms): (&DatabaseConnection, &dyn SmsSender),
    b: &brand::Model,
    member_id: i64,
    (points, expires_at): (i64, i64),
    now: i64,
) -> anyhow::Result<bool> {
    let tx = begin_write(db).await?;
    let moved = member::Entity::update_many()
        .col_expr(member::Column::PointsRemindedAt, Expr::value(now))
        .filter(member::Column::Id.eq(member_id))
        .filter(not_reminded_since(now))
        .exec(&tx)
        .await?;
    if moved.rows_affected != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let r = points_reminder::ActiveModel {
        brand_id: Set(b.id),
        member_id: Set(member_id),
        points: Set(points),
        expires_at: Set(expires_at),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    ledger::post(
        &tx,
        Entry {
            brand_id: b.id,
            kind: EntryKind::PointsReminder,
            op_ref: format!("points-reminder:{}", r.id),
            store_id: None,
            member_id: Some(member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: "system:points".into(),
            business_date: ledger::business_date(&b.time_zone, now),
            at: now,
            lines: vec![],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("reminder entry: {e:?}"))?;
    // Whether they agree to an SMS is read here, after the guarded update
    // holds their row: one taken back while the run went on is kept. A
    // frozen member is not texted.
    let m = member::Entity::find_by_id(member_id).one(&tx).await?;
    if let Some(m) = m.filter(|m| m.points_sms_at.is_some() && !m.frozen) {
        // A lot expiring at midnight is shown as the day before: its last
        // usable day.
        let day = crate::ledger::business_date(&b.time_zone, expires_at - 1);
        let body = sms_text(&b.name, points, &day);
        sms.send(
            &tx,
            Sms {
                brand_id: b.id,
                phone: m.phone,
                body,
                at: now,
                deliver_by: daytime_ends(&b.time_zone, now),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// The reminder's SMS (Chinese: the phones it goes to are in China).
pub fn sms_text(brand: &str, points: i64, day: &str) -> String {
    format!(
        "【{brand}】您有 {points} 积分将于 {day} 到期，请及时使用。如不想再收到此类短信，可在会员中心「我的」中关闭。"
    )
}
