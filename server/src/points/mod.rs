//! Points (积分, DESIGN.md "Engagement"): one points account per member per
//! brand, kept in lots. Each earning is a lot with its own expiry (HQ's
//! policy); spending takes the soonest-expiring first; a lot counts for
//! nothing from its expiry instant (the usable total and spending look at
//! `expires_at`), and the expiry job posts its expiry entry stamped with that
//! instant. A refund takes back what its payment earned from that payment's
//! lot (what was spent since is owed, repaid first from later earnings) and
//! gives the points it spent back to the lots they came from.
//!
//! Every change of a lot's `left_points` is a guarded update (`… WHERE
//! left_points >= n`, or `= n` for the expiry), and the member's points
//! account (`MemberPoints`, kept by the ledger) always equals the sum left in
//! their lots. Callers hold the member's lock (`ledger::lock_member`).

use crate::clock::{day_start, rfc3339};
use crate::db::begin_write;
use crate::entity::{money_settings, point_lot, point_lot_hold, point_lot_spend, points_owed};
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Entry, Kind, Line};
use chrono::Datelike;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::dto::{EntryKind, MemberPointsView, PointLot, PointsPolicy};
use shared::money::Fen;
use shared::plan::{PaymentPlan, PointsChoice};

pub mod reminders;
#[cfg(test)]
mod tests;

/// The brand's points policy (the defaults until HQ sets one: no earning,
/// no spending).
pub async fn policy(conn: &impl ConnectionTrait, brand_id: i64) -> Result<PointsPolicy, DbErr> {
    let row = money_settings::Entity::find_by_id(brand_id)
        .one(conn)
        .await?;
    Ok(match row {
        Some(r) => PointsPolicy {
            per_yuan: r.points_per_yuan,
            expiry_days: r.points_expiry_days,
            step: r.points_step,
            step_worth: Fen(r.points_step_worth),
            max_share_bp: u32::try_from(r.points_max_share_bp).unwrap_or(0),
            birthday_rate_bp: u32::try_from(r.points_birthday_bp).unwrap_or(10_000),
            remind_days: r.points_remind_days,
        },
        None => PointsPolicy::default(),
    })
}

/// The policy as it will be saved, or the first field that is wrong.
pub fn checked(p: PointsPolicy) -> AppResult<PointsPolicy> {
    if !(0..=100).contains(&p.per_yuan) {
        return Err(AppError::invalid("per_yuan", "points_rate_range"));
    }
    if !(0..=3650).contains(&p.expiry_days) {
        return Err(AppError::invalid("expiry_days", "points_days_range"));
    }
    if !(1..=100_000).contains(&p.step) {
        return Err(AppError::invalid("step", "points_step_range"));
    }
    if !(1..=10_000).contains(&p.step_worth.0) {
        return Err(AppError::invalid("step_worth", "points_worth_range"));
    }
    if p.max_share_bp > 10_000 {
        return Err(AppError::invalid("max_share_bp", "rate_range"));
    }
    if !(10_000..=100_000).contains(&p.birthday_rate_bp) {
        return Err(AppError::invalid("birthday_rate_bp", "multiplier_range"));
    }
    if !(0..=90).contains(&p.remind_days) {
        return Err(AppError::invalid("remind_days", "remind_days_range"));
    }
    Ok(p)
}

/// Writes the brand's points policy (the money settings row is created with
/// its defaults if HQ never saved one).
pub async fn save_policy(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    p: &PointsPolicy,
    now: i64,
) -> Result<(), DbErr> {
    use money_settings::Column as C;
    let d = shared::dto::MoneySettings::default();
    let row = money_settings::ActiveModel {
        brand_id: Set(brand_id),
        max_balance: Set(d.max_balance.0),
        max_payment: Set(d.max_payment.0),
        bonus_settle_bp: Set(d.bonus_settle_bp as i32),
        allow_custom_topup: Set(d.allow_custom_topup),
        pin_above: Set(d.pin_above.0),
        channel_url: Set(d.channel_url),
        withdraw_min: Set(d.withdraw_min.0),
        withdraw_fee_fixed: Set(d.withdraw_fee_fixed.0),
        withdraw_fee_bp: Set(i64::from(d.withdraw_fee_bp)),
        updated_at: Set(now),
        coupon_quota: Set(d.coupon_quota),
        write_off_undo_hours: Set(d.write_off_undo_hours),
        points_per_yuan: Set(p.per_yuan),
        points_expiry_days: Set(p.expiry_days),
        points_step: Set(p.step),
        points_step_worth: Set(p.step_worth.0),
        points_max_share_bp: Set(i64::from(p.max_share_bp)),
        points_birthday_bp: Set(i64::from(p.birthday_rate_bp)),
        points_remind_days: Set(p.remind_days),
        levels_refund_lower: Set(false),
    };
    money_settings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::BrandId)
                .update_columns([
                    C::PointsPerYuan,
                    C::PointsExpiryDays,
                    C::PointsStep,
                    C::PointsStepWorth,
                    C::PointsMaxShareBp,
                    C::PointsBirthdayBp,
                    C::PointsRemindDays,
                    C::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// When a lot earned at `now` expires: `expiry_days` later, or at the first
/// instant of the year after next in the brand's zone (the end of the next
/// calendar year).
pub fn expires_at(p: &PointsPolicy, time_zone: &str, now: i64) -> i64 {
    if p.expiry_days > 0 {
        return now + p.expiry_days * 86_400_000;
    }
    let year = crate::clock::local(now, time_zone).year();
    let first = chrono::NaiveDate::from_ymd_opt(year + 2, 1, 1).unwrap_or_default();
    day_start(first, time_zone)
}

/// What a payment booked by `plan` earns: `per_yuan` for each whole yuan the
/// member paid with their own money (principal and online; bonus earns
/// none), times the member's level and birthday-month multipliers.
pub fn earned_by(p: &PointsPolicy, plan: &PaymentPlan, rates: &crate::levels::Standing) -> i64 {
    p.earned(
        plan.principal + plan.online,
        rates.points_rate_bp(),
        rates.birthday_month,
    )
}

/// The points step of the price plan for a member with `usable` points, if
/// the brand lets points pay.
pub fn choice(p: &PointsPolicy, usable: i64) -> Option<PointsChoice> {
    p.choice(usable)
}

/// The points step a payment asked for (`wanted`), read under the
/// member's lock: what their usable points may pay of a bill; refused when
/// the brand's points cannot pay.
pub async fn asked(
    conn: &impl ConnectionTrait,
    p: &PointsPolicy,
    (brand_id, member_id): (i64, i64),
    wanted: bool,
    now: i64,
) -> AppResult<Option<PointsChoice>> {
    if !wanted {
        return Ok(None);
    }
    if p.max_share_bp == 0 {
        return Err(AppError::invalid("use_points", "points_cannot_pay"));
    }
    Ok(choice(p, usable(conn, brand_id, member_id, now).await?))
}

/// Refused, with what the plan comes to now, when the member was shown
/// another: the points it spends (expired or spent meanwhile), then what
/// they pay (their level changed meanwhile; not when `coupon_dropped`: the
/// member said to pay without their coupon if it was gone, and it was).
/// Nothing moves, and the app shows the new figure before they pay again.
pub fn as_shown(
    req: &shared::dto::PaymentRequest,
    plan: &PaymentPlan,
    coupon_dropped: bool,
) -> AppResult<()> {
    let changed = |code| AppError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, code);
    match req.points_expected {
        Some(expected) if req.use_points && expected != plan.points_used => {
            return Err(changed(shared::ErrorCode::PointsChanged).with("points", plan.points_used));
        }
        _ => {}
    }
    match req.payable_expected {
        Some(expected) if expected != plan.payable() && !coupon_dropped => {
            Err(changed(shared::ErrorCode::PriceChanged).with("payable", plan.payable().0))
        }
        _ => Ok(()),
    }
}

/// The member's points usable at `now`: what is left in lots not expired.
pub async fn usable(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> Result<i64, DbErr> {
    let lots = live_lots(conn, brand_id, member_id, now).await?;
    Ok(lots.iter().map(|l| l.left_points).sum())
}

/// The member's lots with points left that have not expired, soonest to
/// expire first (then oldest).
async fn live_lots(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> Result<Vec<point_lot::Model>, DbErr> {
    point_lot::Entity::find()
        .filter(point_lot::Column::BrandId.eq(brand_id))
        .filter(point_lot::Column::MemberId.eq(member_id))
        .filter(point_lot::Column::ExpiresAt.gt(now))
        .filter(point_lot::Column::LeftPoints.gt(0))
        .order_by_asc(point_lot::Column::ExpiresAt)
        .order_by_asc(point_lot::Column::Id)
        .all(conn)
        .await
}

/// The member's points as their app shows them.
pub async fn view(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> Result<MemberPointsView, DbErr> {
    let lots = live_lots(conn, brand_id, member_id, now).await?;
    let owed = points_owed::Entity::find_by_id(member_id)
        .filter(points_owed::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?
        .map_or(0, |o| o.owed);
    let next = lots.first();
    let held = match ledger::find_account(conn, brand_id, Kind::MemberPointsHold, member_id).await?
    {
        Some(a) => crate::entity::account::Entity::find_by_id(a.id)
            .one(conn)
            .await?
            .map_or(0, |a| a.balance),
        None => 0,
    };
    Ok(MemberPointsView {
        held,
        usable: lots.iter().map(|l| l.left_points).sum(),
        next_expiring: next.map_or(0, |l| {
            lots.iter()
                .filter(|o| o.expires_at == l.expires_at)
                .map(|o| o.left_points)
                .sum()
        }),
        next_expiry: next.map(|l| rfc3339(l.expires_at)),
        owed,
        lots: lots
            .iter()
            .map(|l| PointLot {
                id: l.id,
                earned: l.earned,
                left: l.left_points,
                expires_at: rfc3339(l.expires_at),
                payment_id: l.payment_id,
            })
            .collect(),
        policy: policy(conn, brand_id).await?,
    })
}

/// The member's points account and the brand's side of `kind`.
async fn accounts(
    tx: &DatabaseTransaction,
    brand_id: i64,
    member_id: i64,
    kinds: &[Kind],
    now: i64,
) -> Result<Vec<ledger::Account>, DbErr> {
    let mut wanted = vec![(Kind::MemberPoints, member_id)];
    wanted.extend(kinds.iter().map(|k| (*k, 0)));
    ledger::account_ids(tx, brand_id, &wanted, now).await
}

/// The points accounts a payment's lines name: the member's and the
/// brand's points redeemed.
pub async fn payment_accounts(
    tx: &DatabaseTransaction,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> Result<[ledger::Account; 2], DbErr> {
    let a = accounts(tx, brand_id, member_id, &[Kind::PointsRedeemed], now).await?;
    Ok([a[0], a[1]])
}

/// Spends `n` points of the member's for payment `payment_id`, from the
/// lots soonest to expire first, each with a guarded update; records what
/// came from which lot. The caller checked `n` is usable under the member's
/// lock, so a guard that fires is a conflict, never a partial spend.
pub async fn spend(
    tx: &DatabaseTransaction,
    who: (i64, i64),
    payment_id: i64,
    n: i64,
    now: i64,
) -> AppResult<()> {
    for (lot_id, take) in take_from_lots(tx, who, n, now).await? {
        point_lot_spend::ActiveModel {
            lot_id: Set(lot_id),
            payment_id: Set(payment_id),
            points: Set(take),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(())
}

/// Holds `n` points of the member's for split payment order `order_id`
/// while its gateway leg runs: taken from the lots as [`spend`] takes them
/// (so they count for nothing meanwhile), recorded per lot under the
/// order. Answers the lines (the member's points → their points held) for
/// the order's hold entry.
pub async fn hold(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    order_id: i64,
    n: i64,
    now: i64,
) -> AppResult<Vec<Line>> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    for (lot_id, take) in take_from_lots(tx, (brand_id, member_id), n, now).await? {
        point_lot_hold::ActiveModel {
            order_id: Set(order_id),
            lot_id: Set(lot_id),
            points: Set(take),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    let a = accounts(tx, brand_id, member_id, &[], now).await?;
    let held = ledger::account_id(tx, brand_id, Kind::MemberPointsHold, member_id, now).await?;
    Ok(vec![Line::count(a[0], -n), Line::count(held, n)])
}

/// The points order `order_id` holds, lot by lot.
async fn held_by(
    tx: &DatabaseTransaction,
    order_id: i64,
) -> Result<Vec<point_lot_hold::Model>, DbErr> {
    point_lot_hold::Entity::find()
        .filter(point_lot_hold::Column::OrderId.eq(order_id))
        .order_by_asc(point_lot_hold::Column::Id)
        .all(tx)
        .await
}

/// The points order `order_id` held become payment `payment_id`'s spends
/// (its refunds give them back to the same lots); `n` is what the plan
/// spent. The caller holds the order's lock and settles it once.
pub async fn settle_hold(
    tx: &DatabaseTransaction,
    order_id: i64,
    payment_id: i64,
    n: i64,
    now: i64,
) -> AppResult<()> {
    let held = held_by(tx, order_id).await?;
    if held.iter().map(|h| h.points).sum::<i64>() != n {
        return Err(AppError::Internal(anyhow::anyhow!(
            "order {order_id} holds other points than the {n} its plan spends"
        )));
    }
    for h in held {
        point_lot_spend::ActiveModel {
            lot_id: Set(h.lot_id),
            payment_id: Set(payment_id),
            points: Set(h.points),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    Ok(())
}

/// Gives the points order `order_id` held back to the lots they came from
/// (its gateway leg failed or expired; a lot that expired meanwhile takes
/// them too and expires them again at the next run). Answers the lines
/// (their points held → the member's points) for the release entry. The
/// caller holds the order's lock and the member's, and releases it once.
pub async fn release_hold(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    order_id: i64,
    now: i64,
) -> AppResult<Vec<Line>> {
    let held = held_by(tx, order_id).await?;
    let n: i64 = held.iter().map(|h| h.points).sum();
    if n == 0 {
        return Ok(Vec::new());
    }
    for h in &held {
        point_lot::Entity::update_many()
            .col_expr(
                point_lot::Column::LeftPoints,
                plus(Expr::col(point_lot::Column::LeftPoints), h.points),
            )
            .col_expr(point_lot::Column::TouchedAt, Expr::value(now))
            .filter(point_lot::Column::Id.eq(h.lot_id))
            .exec(tx)
            .await?;
    }
    let a = accounts(tx, brand_id, member_id, &[], now).await?;
    let hold = ledger::account_id(tx, brand_id, Kind::MemberPointsHold, member_id, now).await?;
    Ok(vec![Line::count(hold, -n), Line::count(a[0], n)])
}

/// Takes `n` points from the member's live lots, soonest to expire first,
/// each with a guarded update; answers what came from which lot. The
/// caller checked `n` is usable under the member's lock, so a guard that
/// fires is a conflict, never a partial take.
async fn take_from_lots(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    n: i64,
    now: i64,
) -> AppResult<Vec<(i64, i64)>> {
    let mut left = n;
    let mut taken = Vec::new();
    for lot in live_lots(tx, brand_id, member_id, now).await? {
        if left == 0 {
            break;
        }
        let take = lot.left_points.min(left);
        let moved = point_lot::Entity::update_many()
            .col_expr(
                point_lot::Column::LeftPoints,
                plus(Expr::col(point_lot::Column::LeftPoints), -take),
            )
            .filter(point_lot::Column::Id.eq(lot.id))
            .filter(point_lot::Column::LeftPoints.gte(take))
            .filter(point_lot::Column::ExpiresAt.gt(now))
            .exec(tx)
            .await?;
        if moved.rows_affected != 1 {
            return Err(conflict());
        }
        taken.push((lot.id, take));
        left -= take;
    }
    if left != 0 {
        return Err(conflict());
    }
    Ok(taken)
}

/// `column + n` in SQL (ExprTrait's `add` is not imported: its `min` and
/// `max` would shadow the integers').
fn plus(column: Expr, n: i64) -> Expr {
    sea_orm::sea_query::ExprTrait::add(column, n)
}

fn conflict() -> AppError {
    AppError::new(
        axum::http::StatusCode::CONFLICT,
        shared::ErrorCode::Conflict,
    )
}

/// Gives `n` of the points payment `payment_id` spent back to the lots they
/// came from (the latest to expire first, so what comes back lasts), each
/// lot at most what was spent from it and not yet given back. A lot that
/// expired meanwhile takes them too and expires them again at the next run.
pub async fn give_back(
    tx: &DatabaseTransaction,
    payment_id: i64,
    n: i64,
    now: i64,
) -> AppResult<()> {
    if n <= 0 {
        return Ok(());
    }
    let spends = point_lot_spend::Entity::find()
        .filter(point_lot_spend::Column::PaymentId.eq(payment_id))
        .all(tx)
        .await?;
    let mut net: Vec<(i64, i64)> = Vec::new();
    for s in &spends {
        match net.iter_mut().find(|(lot, _)| *lot == s.lot_id) {
            Some((_, p)) => *p += s.points,
            None => net.push((s.lot_id, s.points)),
        }
    }
    let lots = point_lot::Entity::find()
        .filter(point_lot::Column::Id.is_in(net.iter().map(|(id, _)| *id)))
        .order_by_desc(point_lot::Column::ExpiresAt)
        .order_by_desc(point_lot::Column::Id)
        .all(tx)
        .await?;
    let mut left = n;
    for lot in lots {
        let open = net
            .iter()
            .find(|(id, _)| *id == lot.id)
            .map_or(0, |(_, p)| *p);
        let back = open.min(left);
        if back <= 0 {
            continue;
        }
        point_lot::Entity::update_many()
            .col_expr(
                point_lot::Column::LeftPoints,
                plus(Expr::col(point_lot::Column::LeftPoints), back),
            )
            .col_expr(point_lot::Column::TouchedAt, Expr::value(now))
            .filter(point_lot::Column::Id.eq(lot.id))
            .exec(tx)
            .await?;
        point_lot_spend::ActiveModel {
            lot_id: Set(lot.id),
            payment_id: Set(payment_id),
            points: Set(-back),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
        left -= back;
    }
    if left != 0 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "payment {payment_id} gives back {n} points it did not spend"
        )));
    }
    Ok(())
}

/// Earns `n` points for payment `payment_id` (none: a sign-in, an invite):
/// what the member owes is repaid
/// first, the rest is a new lot expiring at `expires`. Answers the lines
/// (the brand's points issued → the member's points, and → points owed for
/// the part repaid) for the payment's entry.
pub async fn earn(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    payment_id: Option<i64>,
    n: i64,
    expires: i64,
    now: i64,
) -> AppResult<Vec<Line>> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    let owed = points_owed::Entity::find_by_id(member_id)
        .filter(points_owed::Column::BrandId.eq(brand_id))
        .one(tx)
        .await?
        .map_or(0, |o| o.owed);
    let repaid = owed.min(n);
    if repaid > 0 {
        let paid = points_owed::Entity::update_many()
            .col_expr(
                points_owed::Column::Owed,
                plus(Expr::col(points_owed::Column::Owed), -repaid),
            )
            .col_expr(points_owed::Column::UpdatedAt, Expr::value(now))
            .filter(points_owed::Column::MemberId.eq(member_id))
            .filter(points_owed::Column::Owed.gte(repaid))
            .exec(tx)
            .await?;
        if paid.rows_affected != 1 {
            return Err(conflict());
        }
    }
    let into_lot = n - repaid;
    if into_lot > 0 {
        point_lot::ActiveModel {
            brand_id: Set(brand_id),
            member_id: Set(member_id),
            earned: Set(into_lot),
            left_points: Set(into_lot),
            expired: Set(0),
            expires_at: Set(expires),
            touched_at: Set(now),
            payment_id: Set(payment_id),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(tx)
        .await?;
    }
    let a = accounts(
        tx,
        brand_id,
        member_id,
        &[Kind::PointsIssued, Kind::PointsOwed],
        now,
    )
    .await?;
    let (member, issued, owed_account) = (a[0], a[1], a[2]);
    let mut lines = vec![Line::count(issued, -n), Line::count(member, into_lot)];
    if repaid > 0 {
        lines.push(Line::count(owed_account, repaid));
    }
    Ok(lines)
}

/// Gives member `m` `n` points outside any payment (a sign-in, an invite's
/// reward) in `tx`: under the member's lock, what they owe repaid first,
/// the rest a new lot at the brand's expiry, and one entry of `kind` in
/// their history. Nothing when `n` is 0.
pub async fn gift(
    tx: &DatabaseTransaction,
    b: &crate::entity::brand::Model,
    member_id: i64,
    n: i64,
    (kind, op_ref, actor): (EntryKind, String, String),
    now: i64,
) -> AppResult<()> {
    if n <= 0 {
        return Ok(());
    }
    ledger::lock_member(tx, b.id, member_id, now).await?;
    let p = policy(tx, b.id).await?;
    let expires = expires_at(&p, &b.time_zone, now);
    let lines = earn(tx, (b.id, member_id), None, n, expires, now).await?;
    ledger::post(
        tx,
        Entry {
            brand_id: b.id,
            kind,
            op_ref,
            store_id: None,
            member_id: Some(member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor,
            business_date: ledger::business_date(&b.time_zone, now),
            at: now,
            lines,
        },
    )
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("points entry {kind:?}: {e:?}")))?;
    Ok(())
}

/// Takes back `n` of the points payment `payment_id` earned (a refund): from
/// what the payment's lot still holds, then from what of it expired (those
/// were never spent: their expiry is undone), and only the rest, spent, is
/// owed. Answers the lines (the member's points, points expired and points
/// owed → the brand's points issued) for the refund's entry.
pub async fn take_back(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    payment_id: i64,
    n: i64,
    now: i64,
) -> AppResult<Vec<Line>> {
    if n <= 0 {
        return Ok(Vec::new());
    }
    let lot = point_lot::Entity::find()
        .filter(point_lot::Column::PaymentId.eq(payment_id))
        .filter(point_lot::Column::MemberId.eq(member_id))
        .one(tx)
        .await?;
    let taken = lot.as_ref().map_or(0, |l| l.left_points.min(n));
    let unexpired = lot.as_ref().map_or(0, |l| l.expired.min(n - taken));
    if let (Some(lot), true) = (&lot, taken > 0 || unexpired > 0) {
        // Guarded on the lot as read: an expiry run in between is a
        // conflict, never a double count.
        let moved = point_lot::Entity::update_many()
            .col_expr(
                point_lot::Column::LeftPoints,
                Expr::value(lot.left_points - taken),
            )
            .col_expr(
                point_lot::Column::Expired,
                Expr::value(lot.expired - unexpired),
            )
            .col_expr(point_lot::Column::TouchedAt, Expr::value(now))
            .filter(point_lot::Column::Id.eq(lot.id))
            .filter(point_lot::Column::LeftPoints.eq(lot.left_points))
            .filter(point_lot::Column::Expired.eq(lot.expired))
            .exec(tx)
            .await?;
        if moved.rows_affected != 1 {
            return Err(conflict());
        }
    }
    let owed = n - taken - unexpired;
    if owed > 0 {
        points_owed::Entity::insert(points_owed::ActiveModel {
            member_id: Set(member_id),
            brand_id: Set(brand_id),
            owed: Set(owed),
            updated_at: Set(now),
        })
        .on_conflict(
            OnConflict::column(points_owed::Column::MemberId)
                .value(
                    points_owed::Column::Owed,
                    plus(
                        Expr::col((points_owed::Entity, points_owed::Column::Owed)),
                        owed,
                    ),
                )
                .value(points_owed::Column::UpdatedAt, Expr::value(now))
                .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    }
    let a = accounts(
        tx,
        brand_id,
        member_id,
        &[Kind::PointsIssued, Kind::PointsOwed, Kind::PointsExpired],
        now,
    )
    .await?;
    let (member, issued, owed_account, expired) = (a[0], a[1], a[2], a[3]);
    let mut lines = vec![Line::count(member, -taken), Line::count(issued, n)];
    if owed > 0 {
        lines.push(Line::count(owed_account, -owed));
    }
    if unexpired > 0 {
        lines.push(Line::count(expired, -unexpired));
    }
    Ok(lines)
}

/// Of what a payment earned, what its refunds take back once `refunded` of
/// the `paid` own money is refunded in all: in proportion, rounded down, all
/// of it with a refund in full.
pub fn earned_back(earned: i64, paid: Fen, refunded: Fen) -> i64 {
    if paid.0 <= 0 || refunded >= paid {
        return earned;
    }
    let exact = i128::from(earned) * i128::from(refunded.0) / i128::from(paid.0);
    i64::try_from(exact).unwrap_or(earned)
}

/// Lots the expiry job reads at a time (it goes on until none is due).
const EXPIRY_BATCH: u64 = 500;

/// The expiry job: every lot past its expiry with points left has them
/// expired, one transaction per lot. The guarded update (`left_points` still
/// what was read) lets one runner expire a lot however many run at once, and
/// the entry (unique on the lot, what it has expired in all and when points
/// last moved in or out of it other than by spending) backs it.
/// The entry is stamped with the lot's expiry instant, or with when points
/// last came back into it if that was later. Answers how many lots expired.
/// `brand`: one brand's lots only (the tests, which share a database).
pub async fn expire_due(
    db: &DatabaseConnection,
    now: i64,
    brand: Option<i64>,
) -> anyhow::Result<usize> {
    let mut expired = 0;
    // Lots that failed this run: skipped, so the rest still expire.
    let mut failed: Vec<i64> = Vec::new();
    loop {
        let mut due = point_lot::Entity::find()
            .filter(point_lot::Column::ExpiresAt.lte(now))
            .filter(point_lot::Column::LeftPoints.gt(0))
            .filter(point_lot::Column::Id.is_not_in(failed.clone()));
        if let Some(id) = brand {
            due = due.filter(point_lot::Column::BrandId.eq(id));
        }
        let due = due
            .order_by_asc(point_lot::Column::ExpiresAt)
            .order_by_asc(point_lot::Column::Id)
            .limit(EXPIRY_BATCH)
            .all(db)
            .await?;
        if due.is_empty() {
            break;
        }
        for lot in due {
            match expire_lot(db, &lot).await {
                Ok(true) => expired += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(lot = lot.id, "points expiry: {e}");
                    failed.push(lot.id);
                }
            }
        }
    }
    if !failed.is_empty() {
        anyhow::bail!("{} lots could not be expired: {failed:?}", failed.len());
    }
    Ok(expired)
}

/// Expires what `lot` (as read) holds, unless another runner did first.
async fn expire_lot(db: &DatabaseConnection, lot: &point_lot::Model) -> anyhow::Result<bool> {
    let n = lot.left_points;
    let tx = begin_write(db).await?;
    let moved = point_lot::Entity::update_many()
        .col_expr(point_lot::Column::LeftPoints, Expr::value(0))
        .col_expr(point_lot::Column::Expired, Expr::value(lot.expired + n))
        .filter(point_lot::Column::Id.eq(lot.id))
        .filter(point_lot::Column::LeftPoints.eq(n))
        .filter(point_lot::Column::Expired.eq(lot.expired))
        .exec(&tx)
        .await?;
    if moved.rows_affected != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    let brand = crate::entity::brand::Entity::find_by_id(lot.brand_id)
        .one(&tx)
        .await?
        .ok_or_else(|| anyhow::anyhow!("lot {} of no brand", lot.id))?;
    let a = accounts(
        &tx,
        lot.brand_id,
        lot.member_id,
        &[Kind::PointsExpired],
        lot.touched_at,
    )
    .await?;
    let at = lot.expires_at.max(lot.touched_at);
    ledger::post_or_fail(
        &tx,
        Entry {
            brand_id: lot.brand_id,
            kind: EntryKind::PointsExpiry,
            // Two runners on the same state name the same entry; a later
            // expiry (points came back, or a refund undid one) another.
            op_ref: format!("{}:{}:{}", lot.id, lot.expired + n, lot.touched_at),
            store_id: None,
            member_id: Some(lot.member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: "system".into(),
            business_date: ledger::business_date(&brand.time_zone, at),
            at,
            lines: vec![Line::count(a[0], -n), Line::count(a[1], n)],
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!(e.detail()))?;
    tx.commit().await?;
    Ok(true)
}
