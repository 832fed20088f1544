//! Giving a member a coupon: claimed in the coupon centre or issued by a
//! store manager or HQ. One transaction raises the template's stock
//! counter, the member's holding and (staff) the day's quota, each by a
//! guarded statement whose rows are checked, then writes the coupon.

use super::templates;
use super::views::{coupon_view, rules_of};
use crate::audit::{self, Record};
use crate::auth::{Actor, MemberCaller};
use crate::cards::period;
use crate::entity::{brand, coupon, coupon_template, member};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdemKey, Scope};
use crate::identity::members;
use crate::ledger::{self, Entry};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    Set, Statement,
};
use shared::ErrorCode;
use shared::dto::{
    AuditAction, AuditField, AuditValue, CouponIssued, CouponQuota, CouponSource, CouponState,
    EntryKind, IssueCoupon, MemberCoupon,
};
use shared::money::Fen;
use shared::validate;

/// How a coupon is given, and by whom.
enum Giver<'a> {
    /// The member claims it in the coupon centre.
    Centre,
    /// A staff member issues it.
    Staff(&'a Actor),
    /// A gift the system gives: a level's birthday coupon or an invite's
    /// reward (its stock counts, the per-member limit does not).
    Gift(Gift),
}

/// Why the system gives a coupon.
#[derive(Clone, Copy, Debug)]
pub enum Gift {
    /// The member's level gives it in their birthday month (once a year,
    /// kept by `crate::levels::birthday_gifts`).
    Birthday,
    /// An invite's reward (once per invite and side, kept by
    /// `crate::invites`).
    Invite,
}

fn refused(code: ErrorCode) -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
}

/// Whether the template offers coupons this way on `today`.
fn offered(t: &coupon_template::Model, giver: &Giver, today: NaiveDate) -> bool {
    let way = match giver {
        Giver::Centre => t.claimable,
        Giver::Staff(_) => t.issuable,
        Giver::Gift(_) => true,
    };
    let current = t
        .valid_until
        .as_deref()
        .and_then(period::parse)
        .is_none_or(|last| last >= today);
    t.on_sale && way && current
}

/// When a coupon given at `now` is usable: a fixed template's days, or
/// from now to the end of the last of its days from receipt.
fn validity(t: &coupon_template::Model, zone: &str, now: i64, today: NaiveDate) -> (i64, i64) {
    let day = |d: NaiveDate| crate::clock::day_start(d, zone);
    match (
        t.valid_days,
        t.valid_from.as_deref(),
        t.valid_until.as_deref(),
    ) {
        (Some(days), _, _) => (now, day(today + Duration::days(days.max(1)))),
        (None, from, until) => {
            let from = from.and_then(period::parse).unwrap_or(today);
            let until = until.and_then(period::parse).unwrap_or(today);
            (day(from), day(until + Duration::days(1)))
        }
    }
}

/// Gives member `m` one coupon of template `template_id` in `tx`.
async fn give(
    tx: &DatabaseTransaction,
    b: &brand::Model,
    m: &member::Model,
    template_id: i64,
    giver: Giver<'_>,
    now: i64,
) -> AppResult<(coupon::Model, coupon_template::Model)> {
    let today = period::parse(&ledger::business_date(&b.time_zone, now)).unwrap_or_default();
    let t = templates::in_brand(tx, b.id, template_id).await?;
    if !offered(&t, &giver, today) {
        return Err(refused(ErrorCode::CouponNotOffered));
    }
    // The day's quota first: a staff member past it learns that, not
    // whether any stock is left.
    if let Giver::Staff(by) = &giver {
        let quota = settings(tx, b.id).await?.coupon_quota;
        let date = ledger::business_date(&b.time_zone, now);
        let room = quota > 0
            && crate::db::raise(
                tx,
                "coupon_quota_used",
                ("staff_id", "business_date"),
                (by.staff_id.into(), date.into()),
                ("used", quota),
            )
            .await?;
        if !room {
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::CouponQuotaReached,
            )
            .with("quota", quota));
        }
    }
    use sea_orm::sea_query::ExprTrait;
    let stock = coupon_template::Entity::update_many()
        .col_expr(
            coupon_template::Column::Issued,
            Expr::col(coupon_template::Column::Issued).add(1),
        )
        .filter(coupon_template::Column::Id.eq(t.id))
        .filter(
            Expr::col(coupon_template::Column::Issued)
                .lt(Expr::col(coupon_template::Column::Stock)),
        )
        .exec(tx)
        .await?;
    if stock.rows_affected != 1 {
        return Err(refused(ErrorCode::CouponOutOfStock));
    }
    // The counter's row is held now: read the template again, so the coupon
    // takes the rule HQ last committed (a change waits for us, or we for it).
    let t = templates::in_brand(tx, b.id, template_id).await?;
    if !offered(&t, &giver, today) {
        return Err(refused(ErrorCode::CouponNotOffered));
    }
    // A gift comes whatever the per-member limit (a birthday once a year,
    // an invite's reward once per invite).
    let held = matches!(giver, Giver::Gift(_))
        || crate::db::raise(
            tx,
            "coupon_holdings",
            ("template_id", "member_id"),
            (t.id.into(), m.id.into()),
            ("held", t.per_member),
        )
        .await?;
    if !held {
        return Err(refused(ErrorCode::CouponLimitReached).with("limit", t.per_member));
    }
    let (starts_at, ends_at) = validity(&t, &b.time_zone, now, today);
    let (source, issued_by, store) = match &giver {
        Giver::Centre => (CouponSource::Claimed, None, None),
        Giver::Staff(by) => (CouponSource::Issued, Some(by.staff_id), by.store_id),
        Giver::Gift(Gift::Birthday) => (CouponSource::Birthday, None, None),
        Giver::Gift(Gift::Invite) => (CouponSource::Invite, None, None),
    };
    let c = coupon::ActiveModel {
        brand_id: Set(b.id),
        template_id: Set(t.id),
        member_id: Set(m.id),
        state: Set(CouponState::Issued.as_str().into()),
        starts_at: Set(starts_at),
        ends_at: Set(ends_at),
        source: Set(source.as_str().into()),
        issued_by: Set(issued_by),
        issued_at_store: Set(store),
        payment_id: Set(None),
        gateway_order_id: Set(None),
        worth: Set(0),
        created_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok((c, t))
}

/// Who gave a coupon for an invite, on its entry (the history files it
/// under invites).
pub const INVITE_ACTOR: &str = "system:invite";

/// Gives member `m` a coupon of template `template_id` as a gift (their
/// level's birthday coupon, an invite's reward), in `tx` (its stock
/// counts; the per-member limit does not), with its entry in their
/// history.
pub async fn give_gift(
    tx: &DatabaseTransaction,
    b: &brand::Model,
    m: &member::Model,
    template_id: i64,
    gift: Gift,
    now: i64,
) -> AppResult<coupon::Model> {
    let (c, _) = give(tx, b, m, template_id, Giver::Gift(gift), now).await?;
    let actor = match gift {
        Gift::Birthday => "system:birthday",
        Gift::Invite => INVITE_ACTOR,
    };
    ledger::post(
        tx,
        Entry {
            brand_id: b.id,
            kind: EntryKind::CouponIssued,
            op_ref: format!("coupon:{}", c.id),
            store_id: None,
            member_id: Some(m.id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: actor.into(),
            business_date: ledger::business_date(&b.time_zone, now),
            at: now,
            lines: vec![],
        },
    )
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("coupon entry: {e:?}")))?;
    Ok(c)
}

/// A member claims a coupon in the coupon centre, under the key.
pub async fn claim(
    state: &AppState,
    caller: &MemberCaller,
    key: IdemKey,
    template_id: i64,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    let scope = Scope {
        brand_id: caller.brand.id,
        caller: format!("member:{}", caller.member.id),
        route: "coupon-claim",
    };
    let b = caller.brand.clone();
    let m = caller.member.clone();
    idempotency::run(&state.db, scope, key, &template_id, now, move |tx, _| {
        Box::pin(async move {
            let (c, t) = give(tx, &b, &m, template_id, Giver::Centre, now).await?;
            view(tx, &b, c, t).await
        })
    })
    .await
}

async fn view(
    conn: &impl ConnectionTrait,
    b: &brand::Model,
    c: coupon::Model,
    t: coupon_template::Model,
) -> AppResult<MemberCoupon> {
    let mut rules = rules_of(conn, b.id, vec![t]).await?;
    let rule = rules
        .remove(&c.template_id)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon {} has no rule", c.id)))?;
    coupon_view(c, rule, &b.time_zone)
}

/// A store manager or HQ issues a coupon to the member with this phone,
/// under the key: audited, and the member is told in their messages.
pub async fn issue(
    state: &AppState,
    by: Actor,
    key: IdemKey,
    req: IssueCoupon,
) -> AppResult<Response> {
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "coupon-issue");
    let body = req.clone();
    idempotency::run(&state.db, scope, key, &body, now, move |tx, _| {
        Box::pin(async move {
            let phone = validate::phone(&req.member_phone)
                .map_err(|r| AppError::invalid("member_phone", r))?;
            templates::in_brand(tx, by.brand.id, req.template_id)
                .await
                .map_err(crate::error::unknown_as("template_id"))?;
            let m = members::by_phone(tx, by.brand.id, &phone).await?;
            let (c, t) = give(tx, &by.brand, &m, req.template_id, Giver::Staff(&by), now).await?;
            ledger::post(
                tx,
                Entry {
                    brand_id: by.brand.id,
                    kind: EntryKind::CouponIssued,
                    op_ref: format!("coupon:{}", c.id),
                    store_id: by.store_id,
                    member_id: Some(m.id),
                    member_delta: Fen::ZERO,
                    member_balance_after: None,
                    actor: by.name(),
                    business_date: ledger::business_date(&by.brand.time_zone, now),
                    at: now,
                    lines: vec![],
                },
            )
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("coupon entry: {e:?}")))?;
            let rec = Record::new(AuditAction::CouponIssue, format!("#{} {}", t.id, t.name))
                .store(by.store_id)
                .set(
                    AuditField::Member,
                    AuditValue::Text(validate::mask_phone(&m.phone)),
                );
            audit::by(tx, &by, now, rec).await?;
            let quota = quota_at(tx, &by, now).await?;
            let phone_masked = validate::mask_phone(&m.phone);
            let coupon = view(tx, &by.brand, c, t).await?;
            Ok(CouponIssued {
                coupon,
                phone_masked,
                quota_left: quota.left,
            })
        })
    })
    .await
}

/// Staff member `by`'s quota today.
pub async fn quota_today(state: &AppState, by: &Actor) -> AppResult<CouponQuota> {
    quota_at(&state.db, by, state.clock.now_ms()).await
}

/// Staff member `by`'s quota on the business day of `now`.
async fn quota_at(conn: &impl ConnectionTrait, by: &Actor, now: i64) -> AppResult<CouponQuota> {
    let quota = settings(conn, by.brand.id).await?.coupon_quota;
    let date = ledger::business_date(&by.brand.time_zone, now);
    let used = quota_used(conn, by.staff_id, &date).await?;
    Ok(CouponQuota {
        quota,
        used,
        left: (quota - used).max(0),
    })
}

/// How many coupons a staff member has issued on `date`.
async fn quota_used(conn: &impl ConnectionTrait, staff_id: i64, date: &str) -> AppResult<i64> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Postgres => {
            "SELECT used FROM coupon_quota_used WHERE staff_id = $1 AND business_date = $2"
        }
        _ => "SELECT used FROM coupon_quota_used WHERE staff_id = ? AND business_date = ?",
    };
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [staff_id.into(), date.into()],
        ))
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<i64>("", "used")?,
        None => 0,
    })
}
