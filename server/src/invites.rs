//! Invites (邀请有礼, DESIGN.md "Engagement"). Every member has a code
//! (unique in the brand, made once: insert or nothing). A newcomer who
//! registers through it is bound to its owner in the registration's
//! transaction: one `invites` row per invitee (unique), so two
//! registrations of one phone bind once and a member is never rebound.
//!
//! Rewards come on registration (given in that transaction) or on the
//! friend's first payment of at least the minimum from their own money:
//! the payment marks the invite pending until its refund window ends, and
//! the job runner gives the rewards then, if the payment still counts
//! (refunded below the minimum: a later payment that kept the minimum is
//! the first payment now, or the invite waits for one). A
//! guarded state change gives them once, whichever runner gets there; the
//! inviter's reward counts against a per-day cap raised by a guarded
//! statement, so the cap holds when registrations arrive together.

use crate::coupons::give::{Gift, give_gift};
use crate::coupons::templates;
use crate::db::begin_write;
use crate::entity::{brand, coupon_template, invite, invite_code, invite_policy, member, payment};
use crate::error::{AppError, AppResult};
use crate::ledger;
use crate::paging::{PAGE_SIZE, split_page};
use axum::http::StatusCode;
use rand::Rng;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::ErrorCode;
use shared::dto::{
    EntryKind, InviteBinding, InviteFigures, InviteOffer, InvitePolicy, InviteReward, InviteState,
    InviteTrigger, InvitedFriend, JobName, MemberInvites, Page, TopInviter, conversion_bp,
};
use shared::validate;

/// The letters of a code: no 0/O or 1/I to misread.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Letters in a code: 32^8 ≈ 10^12 codes.
const CODE_LEN: usize = 8;

/// The brand's invite programme (off until HQ sets it).
pub async fn policy(conn: &impl ConnectionTrait, brand_id: i64) -> Result<InvitePolicy, DbErr> {
    let row = invite_policy::Entity::find_by_id(brand_id)
        .one(conn)
        .await?;
    // Written only by `save_policy`, from a checked policy.
    Ok(row
        .and_then(|r| serde_json::from_str(&r.policy).ok())
        .unwrap_or_default())
}

/// The programme as it will be saved, or the first field that is wrong
/// (a coupon must be one of the brand's templates).
pub async fn checked(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    p: InvitePolicy,
) -> AppResult<InvitePolicy> {
    for (side, r) in [("inviter", &p.inviter), ("invitee", &p.invitee)] {
        if !(0..=100_000).contains(&r.points) {
            return Err(AppError::invalid("points", "invite_points_range").with("side", side));
        }
        if let Some(id) = r.coupon_template_id {
            let t = templates::in_brand(conn, brand_id, id)
                .await
                .map_err(crate::error::unknown_as("coupon_id"))
                .map_err(|e| e.with("side", side))?;
            if !t.on_sale {
                return Err(AppError::invalid("coupon_id", "coupon_off_sale").with("side", side));
            }
        }
    }
    if p.trigger == InviteTrigger::FirstPayment && !(1..=1_000_000).contains(&p.min_payment.0) {
        return Err(AppError::invalid("min_payment", "invite_min_payment_range"));
    }
    if !(1..=30).contains(&p.window_days) {
        return Err(AppError::invalid("window_days", "invite_window_range"));
    }
    if !(1..=100).contains(&p.daily_cap) {
        return Err(AppError::invalid("daily_cap", "invite_cap_range"));
    }
    if p.enabled && p.inviter.is_empty() && p.invitee.is_empty() {
        return Err(AppError::invalid("points", "invite_no_reward").with("side", "inviter"));
    }
    Ok(p)
}

/// Writes the brand's invite programme.
pub async fn save_policy(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    p: &InvitePolicy,
    now: i64,
) -> Result<(), DbErr> {
    use invite_policy::Column as C;
    let row = invite_policy::ActiveModel {
        brand_id: Set(brand_id),
        policy: Set(serde_json::to_string(p).unwrap_or_default()),
        updated_at: Set(now),
    };
    invite_policy::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::BrandId)
                .update_columns([C::Policy, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Member `member_id`'s code, made on first use: a random code inserted or
/// nothing (the member's row already made by a request racing this one, or
/// the code taken in the brand: then another).
pub async fn code_of(
    db: &DatabaseConnection,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> AppResult<String> {
    for _ in 0..8 {
        if let Some(c) = invite_code::Entity::find_by_id(member_id).one(db).await? {
            return Ok(c.code);
        }
        let tx = begin_write(db).await?;
        invite_code::Entity::insert(invite_code::ActiveModel {
            member_id: Set(member_id),
            brand_id: Set(brand_id),
            code: Set(new_code()),
            created_at: Set(now),
        })
        .on_conflict(OnConflict::new().do_nothing().to_owned())
        .exec_without_returning(&tx)
        .await?;
        tx.commit().await?;
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free invite code for member {member_id}"
    )))
}

/// The member whose code `code` is in the brand, if they are still a
/// member; else the code is unknown.
pub async fn inviter_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    code: &str,
) -> AppResult<member::Model> {
    let unknown = || AppError::invalid("invite_code", "invite_code_unknown");
    let code = validate::invite_code(code).map_err(|r| AppError::invalid("invite_code", r))?;
    let owner = invite_code::Entity::find()
        .filter(invite_code::Column::BrandId.eq(brand_id))
        .filter(invite_code::Column::Code.eq(code))
        .one(conn)
        .await?
        .ok_or_else(unknown)?;
    member::Entity::find_by_id(owner.member_id)
        .filter(member::Column::ClosedAt.is_null())
        .one(conn)
        .await?
        .ok_or_else(unknown)
}

fn off() -> AppError {
    AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InviteOff)
}

async fn coupon_name(conn: &impl ConnectionTrait, id: Option<i64>) -> AppResult<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    Ok(coupon_template::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(|t| t.name))
}

/// What the link with `code` offers a newcomer.
pub async fn offer(
    db: &DatabaseConnection,
    b: &brand::Model,
    code: &str,
) -> AppResult<InviteOffer> {
    let p = policy(db, b.id).await?;
    if !p.enabled {
        return Err(off());
    }
    inviter_of(db, b.id, code).await?;
    Ok(InviteOffer {
        code: code.trim().to_ascii_uppercase(),
        trigger: p.trigger,
        min_payment: p.min_payment,
        window_days: p.window_days,
        invitee_coupon: coupon_name(db, p.invitee.coupon_template_id).await?,
        invitee: p.invitee,
    })
}

/// Binds the member `invitee` registering in `tx` to `inviter` (found by
/// [`inviter_of`] before anything was written): the invite's row, unique
/// per invitee. With rewards on registration they are given here, in a
/// savepoint: if one cannot be (a coupon out of stock) the registration
/// still stands and the job runner tries again. Answers `None` when the
/// programme is off (nothing binds).
pub async fn bind(
    tx: &DatabaseTransaction,
    b: &brand::Model,
    invitee: &member::Model,
    inviter: &member::Model,
    now: i64,
) -> AppResult<Option<InviteBinding>> {
    let p = policy(tx, b.id).await?;
    if !p.enabled || inviter.id == invitee.id {
        return Ok(None);
    }
    let on_registration = p.trigger == InviteTrigger::Registration;
    let state = if on_registration {
        InviteState::Pending
    } else {
        InviteState::Waiting
    };
    let inserted = invite::Entity::insert(invite::ActiveModel {
        brand_id: Set(b.id),
        inviter_id: Set(inviter.id),
        invitee_id: Set(invitee.id),
        state: Set(state.as_str().into()),
        created_at: Set(now),
        min_payment: Set(p.min_payment.0),
        window_ms: Set(i64::from(p.window_days) * 86_400_000),
        payment_id: Set(None),
        due_at: Set(on_registration.then_some(now)),
        rewarded_at: Set(None),
        inviter_points: Set(0),
        invitee_points: Set(0),
        inviter_coupon_id: Set(None),
        invitee_coupon_id: Set(None),
        inviter_capped: Set(false),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(tx)
    .await?;
    if inserted != 1 {
        return Ok(Some(InviteBinding::AlreadyMember));
    }
    member::Entity::update_many()
        .col_expr(member::Column::InvitedBy, Expr::value(inviter.id))
        .filter(member::Column::Id.eq(invitee.id))
        .filter(member::Column::InvitedBy.is_null())
        .exec(tx)
        .await?;
    if on_registration {
        let row = invite::Entity::find()
            .filter(invite::Column::InviteeId.eq(invitee.id))
            .one(tx)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("invite not read back")))?;
        // A plain SQL savepoint (on SQLite this write is itself one in the
        // batch, and a nested sqlx transaction dropped half-way could undo
        // a level more than its own).
        tx.execute_unprepared("SAVEPOINT invite_grant").await?;
        match grant(tx, b, &row, &p, now).await {
            Ok(_) => {
                tx.execute_unprepared("RELEASE invite_grant").await?;
            }
            Err(e) => {
                tx.execute_unprepared("ROLLBACK TO invite_grant").await?;
                tx.execute_unprepared("RELEASE invite_grant").await?;
                tracing::warn!(invite = row.id, error = %e.detail(), "invite rewards left to the job");
            }
        }
    }
    Ok(Some(InviteBinding::Bound))
}

/// A payment `p` by member `member_id` was booked in `tx`: if they were
/// invited and are still waiting for a first payment, and this one takes
/// at least the minimum from their own money (principal and online), the
/// invite is pending until the refund window ends. One guarded statement.
pub async fn paid(tx: &DatabaseTransaction, p: &payment::Model, now: i64) -> AppResult<()> {
    let own = p.own().0;
    invite::Entity::update_many()
        .col_expr(
            invite::Column::State,
            Expr::value(InviteState::Pending.as_str()),
        )
        .col_expr(invite::Column::PaymentId, Expr::value(p.id))
        .col_expr(
            invite::Column::DueAt,
            Expr::col(invite::Column::WindowMs).add(now),
        )
        .filter(invite::Column::InviteeId.eq(p.member_id))
        .filter(invite::Column::State.eq(InviteState::Waiting.as_str()))
        .filter(invite::Column::MinPayment.lte(own))
        .exec(tx)
        .await?;
    Ok(())
}

/// Gives invite `inv`'s rewards in `tx` under the policy `p`, once: the
/// guarded change from pending to rewarded decides (false: given already).
/// The friend gets theirs; the inviter theirs if under the day's cap and
/// still a member.
async fn grant(
    tx: &DatabaseTransaction,
    b: &brand::Model,
    inv: &invite::Model,
    p: &InvitePolicy,
    now: i64,
) -> AppResult<bool> {
    let taken = invite::Entity::update_many()
        .col_expr(
            invite::Column::State,
            Expr::value(InviteState::Rewarded.as_str()),
        )
        .col_expr(invite::Column::RewardedAt, Expr::value(now))
        .filter(invite::Column::Id.eq(inv.id))
        .filter(invite::Column::State.eq(InviteState::Pending.as_str()))
        .exec(tx)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(false);
    }
    let invitee = member::Entity::find_by_id(inv.invitee_id).one(tx).await?;
    let inviter = member::Entity::find_by_id(inv.inviter_id).one(tx).await?;
    let (mut friend_got, mut inviter_got) = ((0, None), (0, None));
    if let Some(m) = invitee.filter(|m| m.closed_at.is_none()) {
        friend_got = give(tx, b, &m, inv.id, &p.invitee, "invitee", now).await?;
    }
    let mut capped = false;
    let inviter = inviter.filter(|m| m.closed_at.is_none() && !p.inviter.is_empty());
    if let Some(m) = inviter {
        let date = ledger::business_date(&b.time_zone, now);
        let room = crate::db::raise(
            tx,
            "invite_reward_days",
            ("inviter_id", "date"),
            (m.id.into(), date.into()),
            ("given", i64::from(p.daily_cap)),
        )
        .await?;
        if room {
            inviter_got = give(tx, b, &m, inv.id, &p.inviter, "inviter", now).await?;
        } else {
            capped = true;
        }
    }
    invite::Entity::update_many()
        .col_expr(invite::Column::InviteePoints, Expr::value(friend_got.0))
        .col_expr(invite::Column::InviteeCouponId, Expr::value(friend_got.1))
        .col_expr(invite::Column::InviterPoints, Expr::value(inviter_got.0))
        .col_expr(invite::Column::InviterCouponId, Expr::value(inviter_got.1))
        .col_expr(invite::Column::InviterCapped, Expr::value(capped))
        .filter(invite::Column::Id.eq(inv.id))
        .exec(tx)
        .await?;
    Ok(true)
}

/// One side's reward to member `m`: points (an entry in their history) and
/// the coupon. Answers what was given.
async fn give(
    tx: &DatabaseTransaction,
    b: &brand::Model,
    m: &member::Model,
    invite_id: i64,
    r: &InviteReward,
    side: &str,
    now: i64,
) -> AppResult<(i64, Option<i64>)> {
    let why = (
        EntryKind::InviteReward,
        format!("invite:{invite_id}:{side}"),
        "system:invite".to_string(),
    );
    crate::points::gift(tx, b, m.id, r.points, why, now).await?;
    let coupon = match r.coupon_template_id {
        Some(t) => Some(give_gift(tx, b, m, t, Gift::Invite, now).await?.id),
        None => None,
    };
    Ok((r.points, coupon))
}

/// How long an invite whose rewards could not be given waits for the next
/// try.
pub const RETRY_MS: i64 = 3_600_000;

/// What one run of [`reward_due`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Invites rewarded.
    pub rewarded: usize,
    /// Invites whose payment was refunded below the minimum: on a later
    /// payment, or waiting again.
    pub reopened: usize,
    /// Invites that could not be rewarded (recorded; tried again next run).
    pub failed: usize,
}

/// Gives the rewards of every invite due by `now` (the job runner's work):
/// each in its own transaction, once (see [`grant`]), so two runners at
/// once give them once. A payment refunded below the minimum in its window
/// gives nothing: the invite moves to a later payment that kept the
/// minimum, or waits for one. Every
/// brand's, or only `brand`'s.
pub async fn reward_due(db: &DatabaseConnection, now: i64, brand: Option<i64>) -> AppResult<Run> {
    let mut due = invite::Entity::find()
        .filter(invite::Column::State.eq(InviteState::Pending.as_str()))
        .filter(invite::Column::DueAt.lte(now));
    if let Some(b) = brand {
        due = due.filter(invite::Column::BrandId.eq(b));
    }
    let due = due
        .order_by_asc(invite::Column::DueAt)
        .limit(500)
        .all(db)
        .await?;
    let mut run = Run::default();
    for inv in due {
        let item = format!("invite:{}", inv.id);
        match reward_one(db, &inv, now).await {
            Ok(Some(true)) => {
                run.rewarded += 1;
                crate::jobs::item_done(db, JobName::Invites, &item).await;
            }
            Ok(Some(false)) => {
                run.reopened += 1;
                crate::jobs::item_done(db, JobName::Invites, &item).await;
            }
            Ok(None) => {}
            Err(e) => {
                run.failed += 1;
                let error = e.detail();
                tracing::warn!(invite = inv.id, %error, "invite rewards not given");
                crate::jobs::item_failed(db, JobName::Invites, inv.brand_id, &item, &error, now)
                    .await;
            }
        }
    }
    Ok(run)
}

/// Rewards one due invite: `Some(true)` given, `Some(false)` reopened (its
/// payment no longer counts: on to a later one, or waiting), `None` another runner was first.
async fn reward_one(
    db: &DatabaseConnection,
    inv: &invite::Model,
    now: i64,
) -> AppResult<Option<bool>> {
    let Some(b) = brand::Entity::find_by_id(inv.brand_id).one(db).await? else {
        return Ok(None);
    };
    let p = policy(db, b.id).await?;
    if !p.enabled {
        // Off: what is due waits for HQ to switch it on again.
        return Ok(None);
    }
    let tx = begin_write(db).await?;
    // As it is now (another runner, or a new payment, may have moved it
    // since the list was read): still pending and due, on the same payment.
    let fresh = invite::Entity::find_by_id(inv.id)
        .filter(invite::Column::State.eq(InviteState::Pending.as_str()))
        .filter(invite::Column::DueAt.lte(now))
        .one(&tx)
        .await?;
    let Some(inv) = fresh.filter(|f| f.payment_id == inv.payment_id) else {
        tx.rollback().await?;
        return Ok(None);
    };
    if let Some(pid) = inv.payment_id {
        // Under the payment's lock, as refunds take it: a refund waits for
        // the rewards, or the rewards for the refund.
        crate::db::lock_key(&tx, &format!("payment:{pid}")).await?;
        let kept = payment::Entity::find_by_id(pid)
            .one(&tx)
            .await?
            .map_or(0, |p| p.own_kept().0);
        if kept < inv.min_payment {
            // Another payment that still keeps the minimum (made while this
            // one waited out its window) is the first payment now; with
            // none, the invite waits for the next. Under the invitee's
            // lock, as payments take it: a payment being booked now is
            // either seen here or sees the invite waiting again.
            crate::ledger::lock_member(&tx, inv.brand_id, inv.invitee_id, now).await?;
            let next = next_payment(&tx, &inv, pid).await?;
            let (state, next_id, due) = match &next {
                Some(n) => (
                    InviteState::Pending,
                    Some(n.id),
                    Some(n.created_at + inv.window_ms),
                ),
                None => (InviteState::Waiting, None, None),
            };
            let reopened = invite::Entity::update_many()
                .col_expr(invite::Column::State, Expr::value(state.as_str()))
                .col_expr(invite::Column::PaymentId, Expr::value(next_id))
                .col_expr(invite::Column::DueAt, Expr::value(due))
                .filter(invite::Column::Id.eq(inv.id))
                .filter(invite::Column::State.eq(InviteState::Pending.as_str()))
                .filter(invite::Column::PaymentId.eq(pid))
                .exec(&tx)
                .await?;
            tx.commit().await?;
            return Ok((reopened.rows_affected == 1).then_some(false));
        }
    }
    match grant(&tx, &b, &inv, &p, now).await {
        Ok(given) => {
            tx.commit().await?;
            Ok(given.then_some(true))
        }
        Err(e) => {
            // Nothing given (a coupon out of stock, say): tried again in an
            // hour, so the invites due after it are not held up meanwhile.
            tx.rollback().await?;
            let tx = begin_write(db).await?;
            invite::Entity::update_many()
                .col_expr(invite::Column::DueAt, Expr::value(now + RETRY_MS))
                .filter(invite::Column::Id.eq(inv.id))
                .filter(invite::Column::State.eq(InviteState::Pending.as_str()))
                .exec(&tx)
                .await?;
            tx.commit().await?;
            Err(e)
        }
    }
}

/// The invitee's first payment but `instead_of` that keeps at least the
/// invite's minimum from their own money. Every payment of theirs came
/// after the binding (it binds only a registration), and one that held the
/// invite before and was refunded keeps less than the minimum.
async fn next_payment(
    tx: &DatabaseTransaction,
    inv: &invite::Model,
    instead_of: i64,
) -> Result<Option<payment::Model>, DbErr> {
    use payment::Column as P;
    let kept = Expr::col(P::Principal)
        .add(Expr::col(P::Gateway))
        .sub(Expr::col(P::RefundedPrincipal))
        .sub(Expr::col(P::RefundedGateway));
    payment::Entity::find()
        .filter(P::MemberId.eq(inv.invitee_id))
        .filter(P::Id.ne(instead_of))
        .filter(kept.gte(inv.min_payment))
        .order_by_asc(P::Id)
        .one(tx)
        .await
}

/// Counts of one inviter's (or the brand's) invites.
#[derive(Default)]
struct Counts {
    invited: u32,
    converted: u32,
    pending: u32,
    points: i64,
    coupons: u32,
}

/// Sums `invites` rows passing `filter`: by state, with the points and
/// coupons given (to inviters, or to both sides with `both`).
async fn counts(
    conn: &impl ConnectionTrait,
    filter: sea_orm::Condition,
    both: bool,
) -> AppResult<Counts> {
    let (points, coupons) = if both {
        (
            "CAST(COALESCE(SUM(inviter_points + invitee_points), 0) AS BIGINT)",
            "CAST(COUNT(inviter_coupon_id) + COUNT(invitee_coupon_id) AS BIGINT)",
        )
    } else {
        (
            "CAST(COALESCE(SUM(inviter_points), 0) AS BIGINT)",
            "CAST(COUNT(inviter_coupon_id) AS BIGINT)",
        )
    };
    let rows: Vec<(String, i64, i64, i64)> = invite::Entity::find()
        .select_only()
        .column(invite::Column::State)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(Expr::cust(points), "points")
        .column_as(Expr::cust(coupons), "coupons")
        .filter(filter)
        .group_by(invite::Column::State)
        .into_tuple()
        .all(conn)
        .await?;
    let mut c = Counts::default();
    for (state, n, points, coupons) in rows {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        c.invited += n;
        match InviteState::parse(&state) {
            Some(InviteState::Rewarded) => c.converted += n,
            Some(InviteState::Pending) => c.pending += n,
            _ => {}
        }
        c.points += points;
        c.coupons += u32::try_from(coupons).unwrap_or(0);
    }
    Ok(c)
}

/// The member's invite page.
pub async fn mine(
    db: &DatabaseConnection,
    public_url: &str,
    b: &brand::Model,
    member_id: i64,
    now: i64,
) -> AppResult<MemberInvites> {
    let code = code_of(db, b.id, member_id, now).await?;
    let p = policy(db, b.id).await?;
    let c = counts(
        db,
        sea_orm::Condition::all().add(invite::Column::InviterId.eq(member_id)),
        false,
    )
    .await?;
    let mut coupon_names = Vec::new();
    for id in [p.inviter.coupon_template_id, p.invitee.coupon_template_id]
        .into_iter()
        .flatten()
    {
        if let Some(name) = coupon_name(db, Some(id)).await? {
            coupon_names.push((id, name));
        }
    }
    Ok(MemberInvites {
        link: format!("{public_url}/m/{}/invite/{code}", b.slug),
        code,
        enabled: p.enabled,
        trigger: p.trigger,
        min_payment: p.min_payment,
        window_days: p.window_days,
        inviter: p.inviter,
        invitee: p.invitee,
        coupon_names,
        invited: c.invited,
        converted: c.converted,
        pending: c.pending,
        conversion_bp: conversion_bp(c.converted, c.invited),
        points_earned: c.points,
        coupons_earned: c.coupons,
    })
}

/// A page of the member's invited friends, newest first.
pub async fn friends(
    conn: &impl ConnectionTrait,
    member_id: i64,
    after: Option<i64>,
) -> AppResult<Page<InvitedFriend>> {
    let mut q = invite::Entity::find().filter(invite::Column::InviterId.eq(member_id));
    if let Some(after) = after {
        q = q.filter(invite::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(invite::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let phones: std::collections::HashMap<i64, String> = member::Entity::find()
        .filter(member::Column::Id.is_in(rows.iter().map(|r| r.invitee_id)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m.phone))
        .collect();
    let items = rows
        .into_iter()
        .map(|r| InvitedFriend {
            id: r.id,
            phone_masked: validate::mask_phone(phones.get(&r.invitee_id).map_or("", |p| p)),
            registered_at: crate::clock::rfc3339(r.created_at),
            state: InviteState::parse(&r.state).unwrap_or(InviteState::Waiting),
            due_at: r
                .due_at
                .filter(|_| r.state == InviteState::Pending.as_str())
                .map(crate::clock::rfc3339),
            points: r.inviter_points,
            coupon: r.inviter_coupon_id.is_some(),
            capped: r.inviter_capped,
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// HQ's figures for the brand's programme, with the ten inviters with the
/// most friends.
pub async fn figures(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<InviteFigures> {
    let brand = sea_orm::Condition::all().add(invite::Column::BrandId.eq(brand_id));
    let c = counts(conn, brand.clone(), true).await?;
    let capped = invite::Entity::find()
        .filter(brand.clone())
        .filter(invite::Column::InviterCapped.eq(true))
        .count(conn)
        .await?;
    let top: Vec<(i64, i64, i64)> = invite::Entity::find()
        .select_only()
        .column(invite::Column::InviterId)
        .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "n")
        .column_as(
            Expr::cust("CAST(SUM(CASE WHEN state = 'rewarded' THEN 1 ELSE 0 END) AS BIGINT)"),
            "converted",
        )
        .filter(brand)
        .group_by(invite::Column::InviterId)
        .order_by(Expr::col(Alias::new("n")), Order::Desc)
        .order_by_asc(invite::Column::InviterId)
        .limit(10)
        .into_tuple()
        .all(conn)
        .await?;
    let people: std::collections::HashMap<i64, member::Model> = member::Entity::find()
        .filter(member::Column::Id.is_in(top.iter().map(|t| t.0)))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let top = top
        .into_iter()
        .map(|(id, invited, converted)| {
            let m = people.get(&id);
            TopInviter {
                member_id: id,
                name: m.map_or_else(String::new, |m| m.name.clone()),
                phone_masked: validate::mask_phone(m.map_or("", |m| &m.phone)),
                invited: u32::try_from(invited).unwrap_or(0),
                converted: u32::try_from(converted).unwrap_or(0),
            }
        })
        .collect();
    Ok(InviteFigures {
        invited: c.invited,
        converted: c.converted,
        pending: c.pending,
        conversion_bp: conversion_bp(c.converted, c.invited),
        points_given: c.points,
        coupons_given: c.coupons,
        capped: u32::try_from(capped).unwrap_or(0),
        top,
    })
}
