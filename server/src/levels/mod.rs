//! Member levels (会员等级, DESIGN.md "Levels"): HQ defines levels by a
//! threshold on cumulative spend (payments net of refunds; top-ups and card
//! purchases do not count), each with a discount (the price plan's first
//! step), a points multiplier, a birthday coupon and a card look.
//!
//! A member's level is not stored: it is the level whose threshold their
//! counted spend reached (`LevelsPolicy::level_for`). The spend moves in the
//! payment's and the refund's transaction, under the member's lock, so a
//! payment that crosses a threshold upgrades the member in that very
//! transaction, and an HQ change of thresholds holds from its commit.
//! Where HQ says refunds do not lower levels, what counts is the most the
//! spend ever reached (`peak_spent`).

use crate::entity::{brand, coupon_template, member, member_level, money_settings};
use crate::error::{AppError, AppResult};
use chrono::Datelike;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use shared::dto::{LEVEL_LOOKS, Level, LevelBadge, LevelsPolicy, MemberLevelView};
use shared::money::{Bp, Fen};

#[cfg(test)]
mod tests;

/// The most levels a brand may define.
pub const MAX_LEVELS: usize = 10;

/// The most a threshold may be: ¥100,000,000.
const MAX_THRESHOLD: i64 = 10_000_000_000;

/// The brand's levels, lowest threshold first, and whether refunds lower
/// them.
pub async fn policy(conn: &impl ConnectionTrait, brand_id: i64) -> Result<LevelsPolicy, DbErr> {
    let refund_lowers = money_settings::Entity::find_by_id(brand_id)
        .one(conn)
        .await?
        .is_some_and(|s| s.levels_refund_lower);
    let levels = member_level::Entity::find()
        .filter(member_level::Column::BrandId.eq(brand_id))
        .order_by_asc(member_level::Column::Threshold)
        .all(conn)
        .await?
        .into_iter()
        .map(|l| Level {
            id: Some(l.id),
            name: l.name,
            threshold: Fen(l.threshold),
            pay_rate_bp: u32::try_from(l.pay_rate_bp).unwrap_or(10_000),
            points_rate_bp: u32::try_from(l.points_rate_bp).unwrap_or(10_000),
            birthday_coupon_id: l.birthday_coupon_id,
            look: l.look,
        })
        .collect();
    Ok(LevelsPolicy {
        refund_lowers,
        levels,
    })
}

/// The levels as they will be saved (names trimmed, lowest threshold
/// first), or the first field that is wrong.
pub fn checked(mut p: LevelsPolicy) -> AppResult<LevelsPolicy> {
    if p.levels.len() > MAX_LEVELS {
        return Err(AppError::invalid("levels", "levels_count"));
    }
    for l in &mut p.levels {
        l.name = l.name.trim().to_owned();
        let chars = l.name.chars().count();
        if chars == 0 {
            return Err(AppError::invalid("name", "required"));
        }
        if chars > 20 {
            return Err(AppError::invalid("name", "too_long").with("max", 20));
        }
        if !(0..=MAX_THRESHOLD).contains(&l.threshold.0) {
            return Err(AppError::invalid("threshold", "threshold_range"));
        }
        if !(5_000..=10_000).contains(&l.pay_rate_bp) {
            return Err(AppError::invalid("pay_rate_bp", "level_rate_range"));
        }
        if !(10_000..=100_000).contains(&l.points_rate_bp) {
            return Err(AppError::invalid("points_rate_bp", "multiplier_range"));
        }
        if !LEVEL_LOOKS.contains(&l.look.as_str()) {
            return Err(AppError::invalid("look", "unknown"));
        }
    }
    p.levels.sort_by_key(|l| l.threshold);
    for pair in p.levels.windows(2) {
        if pair[0].threshold == pair[1].threshold {
            return Err(AppError::invalid("threshold", "threshold_taken"));
        }
    }
    for (i, l) in p.levels.iter().enumerate() {
        if p.levels[..i].iter().any(|o| o.name == l.name) {
            return Err(AppError::invalid("name", "name_taken"));
        }
        // One level named twice would be saved once, the other lost.
        if l.id.is_some() && p.levels[..i].iter().any(|o| o.id == l.id) {
            return Err(AppError::invalid("id", "unknown"));
        }
    }
    Ok(p)
}

/// Writes the brand's levels in `tx`: levels named by id are changed (an id
/// not the brand's is refused), new ones added, the ones left out removed
/// (members holding one fall to the level below: levels are worked out
/// from the spend). Answers the levels as saved.
pub async fn save(
    tx: &DatabaseTransaction,
    brand_id: i64,
    p: &LevelsPolicy,
    now: i64,
) -> AppResult<LevelsPolicy> {
    let before = policy(tx, brand_id).await?;
    for l in &p.levels {
        if let Some(id) = l.id
            && !before.levels.iter().any(|b| b.id == Some(id))
        {
            return Err(AppError::invalid("id", "unknown"));
        }
        if let Some(coupon) = l.birthday_coupon_id {
            let found = coupon_template::Entity::find_by_id(coupon)
                .filter(coupon_template::Column::BrandId.eq(brand_id))
                .one(tx)
                .await?;
            if found.is_none() {
                return Err(AppError::invalid("birthday_coupon_id", "unknown"));
            }
        }
    }
    let kept: Vec<i64> = p.levels.iter().filter_map(|l| l.id).collect();
    member_level::Entity::delete_many()
        .filter(member_level::Column::BrandId.eq(brand_id))
        .filter(member_level::Column::Id.is_not_in(kept))
        .exec(tx)
        .await?;
    for l in &p.levels {
        let row = member_level::ActiveModel {
            brand_id: Set(brand_id),
            name: Set(l.name.clone()),
            threshold: Set(l.threshold.0),
            pay_rate_bp: Set(i32::try_from(l.pay_rate_bp).unwrap_or(10_000)),
            points_rate_bp: Set(i32::try_from(l.points_rate_bp).unwrap_or(10_000)),
            birthday_coupon_id: Set(l.birthday_coupon_id),
            look: Set(l.look.clone()),
            created_at: Set(now),
            ..Default::default()
        };
        match l.id {
            Some(id) => {
                member_level::ActiveModel {
                    id: sea_orm::ActiveValue::Unchanged(id),
                    created_at: sea_orm::ActiveValue::NotSet,
                    ..row
                }
                .update(tx)
                .await?;
            }
            None => {
                row.insert(tx).await?;
            }
        }
    }
    save_refund_lowers(tx, brand_id, p.refund_lowers, now).await?;
    Ok(policy(tx, brand_id).await?)
}

/// Writes whether refunds lower levels (the money settings row is created
/// with its defaults if HQ never saved one).
async fn save_refund_lowers(
    tx: &DatabaseTransaction,
    brand_id: i64,
    lowers: bool,
    now: i64,
) -> AppResult<()> {
    if money_settings::Entity::find_by_id(brand_id)
        .one(tx)
        .await?
        .is_none()
    {
        crate::points::save_policy(tx, brand_id, &shared::dto::PointsPolicy::default(), now)
            .await?;
    }
    money_settings::Entity::update_many()
        .col_expr(
            money_settings::Column::LevelsRefundLower,
            Expr::value(lowers),
        )
        .filter(money_settings::Column::BrandId.eq(brand_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// Where a member stands when a payment is planned and booked.
#[derive(Clone, Debug, Default)]
pub struct Standing {
    /// Their level, if they reached one.
    pub level: Option<Level>,
    /// Whether it is their birthday month (in the brand's zone).
    pub birthday_month: bool,
    /// Their cumulative spend …
    pub spent: Fen,
    /// … and the most it ever was.
    pub peak: Fen,
}

impl Standing {
    /// The share of a bill they pay (the plan's level step).
    pub fn pay_rate(&self) -> Bp {
        Bp(self.level.as_ref().map_or(10_000, |l| l.pay_rate_bp))
    }

    /// Their level's points multiplier.
    pub fn points_rate_bp(&self) -> u32 {
        self.level.as_ref().map_or(10_000, |l| l.points_rate_bp)
    }
}

/// Where member `member_id` of `brand` stands at `now` under `levels`.
pub async fn standing(
    conn: &impl ConnectionTrait,
    brand: &brand::Model,
    member_id: i64,
    levels: &LevelsPolicy,
    now: i64,
) -> AppResult<Standing> {
    let m = member::Entity::find_by_id(member_id)
        .filter(member::Column::BrandId.eq(brand.id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (spent, peak) = (Fen(m.spent), Fen(m.peak_spent));
    Ok(Standing {
        level: levels.level_for(levels.counted(spent, peak)).cloned(),
        birthday_month: birthday_month(m.birthday.as_deref(), &brand.time_zone, now),
        spent,
        peak,
    })
}

/// Whether `birthday` (YYYY-MM-DD) falls in the month of `now` in
/// `time_zone`.
pub fn birthday_month(birthday: Option<&str>, time_zone: &str, now: i64) -> bool {
    let Some(month) = birthday
        .and_then(|b| b.get(5..7))
        .and_then(|m| m.parse::<u32>().ok())
    else {
        return false;
    };
    crate::clock::local(now, time_zone).month() == month
}

/// Adds a payment's money `delta` to the member's cumulative spend in `tx`
/// (relative updates: the caller holds the member's lock, and nothing is
/// read then written), and answers the level the member was lifted to, if
/// `before` (read under the same lock) was lower.
pub async fn add_spend(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    delta: Fen,
    levels: &LevelsPolicy,
    before: &Standing,
) -> AppResult<Option<LevelBadge>> {
    if !delta.is_positive() {
        return Ok(None);
    }
    move_spend(tx, (brand_id, member_id), delta).await?;
    member::Entity::update_many()
        .col_expr(member::Column::PeakSpent, Expr::col(member::Column::Spent))
        .filter(member::Column::Id.eq(member_id))
        .filter(ExprTrait::lt(
            Expr::col(member::Column::PeakSpent),
            Expr::col(member::Column::Spent),
        ))
        .exec(tx)
        .await?;
    let (spent, peak) = (before.spent + delta, before.peak.max(before.spent + delta));
    let after = levels.level_for(levels.counted(spent, peak));
    let was = before.level.as_ref().map(|l| l.threshold);
    Ok(after
        .filter(|a| was.is_none_or(|t| a.threshold > t))
        .map(Level::badge))
}

/// Takes a refund's money off the member's cumulative spend in `tx` (the
/// most it reached stays: it counts where refunds do not lower levels).
pub async fn refunded(tx: &DatabaseTransaction, who: (i64, i64), amount: Fen) -> AppResult<()> {
    if amount.is_positive() {
        move_spend(tx, who, -amount).await?;
    }
    Ok(())
}

async fn move_spend(
    tx: &DatabaseTransaction,
    (brand_id, member_id): (i64, i64),
    delta: Fen,
) -> Result<(), DbErr> {
    member::Entity::update_many()
        .col_expr(
            member::Column::Spent,
            ExprTrait::add(Expr::col(member::Column::Spent), delta.0),
        )
        .filter(member::Column::Id.eq(member_id))
        .filter(member::Column::BrandId.eq(brand_id))
        .exec(tx)
        .await?;
    Ok(())
}

/// What the member app shows: the level, the spend, the next level and
/// what each brings.
pub async fn view(
    conn: &impl ConnectionTrait,
    brand: &brand::Model,
    member_id: i64,
    now: i64,
) -> AppResult<MemberLevelView> {
    let levels = policy(conn, brand.id).await?;
    let s = standing(conn, brand, member_id, &levels, now).await?;
    let counted = levels.counted(s.spent, s.peak);
    let next = levels.next_after(counted).cloned();
    Ok(MemberLevelView {
        spent: s.spent,
        counted,
        to_next: next
            .as_ref()
            .map_or(Fen::ZERO, |n| (n.threshold - counted).max(Fen::ZERO)),
        level: s.level,
        next,
        birthday_month: s.birthday_month,
        levels: levels.levels,
    })
}

/// Gives every member whose birthday month it is (in their brand's zone)
/// their level's birthday coupon, once per member per year: the gift's row
/// (unique by member and year, `INSERT … ON CONFLICT DO NOTHING`) and the
/// coupon are one transaction, so two replicas running this at once give
/// one coupon, and a gift that fails (the coupon out of stock) is tried
/// again at the next run while the others go on. Answers how many were
/// given, or an error naming how many could not be.
pub async fn birthday_gifts(db: &sea_orm::DatabaseConnection, now: i64) -> AppResult<usize> {
    use crate::entity::birthday_gift;
    use sea_orm::sea_query::OnConflict;
    let brand_ids: std::collections::BTreeSet<i64> = member_level::Entity::find()
        .filter(member_level::Column::BirthdayCouponId.is_not_null())
        .all(db)
        .await?
        .into_iter()
        .map(|l| l.brand_id)
        .collect();
    let (mut given, mut failed) = (0, 0);
    for brand_id in brand_ids {
        let Some(b) = brand::Entity::find_by_id(brand_id).one(db).await? else {
            continue;
        };
        let levels = policy(db, brand_id).await?;
        let local = crate::clock::local(now, &b.time_zone);
        let month = format!("%-{:02}-%", local.month());
        let born = member::Entity::find()
            .filter(member::Column::BrandId.eq(brand_id))
            .filter(member::Column::ClosedAt.is_null())
            .filter(member::Column::Birthday.like(month))
            .all(db)
            .await?;
        // Those given this year already are passed over without a write.
        let done: std::collections::BTreeSet<i64> = birthday_gift::Entity::find()
            .filter(birthday_gift::Column::BrandId.eq(brand_id))
            .filter(birthday_gift::Column::Year.eq(local.year()))
            .all(db)
            .await?
            .into_iter()
            .map(|g| g.member_id)
            .collect();
        for m in born.into_iter().filter(|m| !done.contains(&m.id)) {
            let counted = levels.counted(Fen(m.spent), Fen(m.peak_spent));
            let Some(template) = levels.level_for(counted).and_then(|l| l.birthday_coupon_id)
            else {
                continue;
            };
            let tx = crate::db::begin_write(db).await?;
            let claimed = birthday_gift::Entity::insert(birthday_gift::ActiveModel {
                brand_id: Set(brand_id),
                member_id: Set(m.id),
                year: Set(local.year()),
                coupon_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            })
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(&tx)
            .await?;
            if claimed != 1 {
                tx.rollback().await?;
                continue;
            }
            match crate::coupons::give::give_gift(
                &tx,
                &b,
                &m,
                template,
                crate::coupons::give::Gift::Birthday,
                now,
            )
            .await
            {
                Ok(c) => {
                    birthday_gift::Entity::update_many()
                        .col_expr(birthday_gift::Column::CouponId, Expr::value(c.id))
                        .filter(birthday_gift::Column::MemberId.eq(m.id))
                        .filter(birthday_gift::Column::Year.eq(local.year()))
                        .exec(&tx)
                        .await?;
                    tx.commit().await?;
                    given += 1;
                }
                // Out of stock, taken off sale, or our fault: nothing kept,
                // tried again at the next run; the others still get theirs.
                Err(e) => {
                    tx.rollback().await?;
                    tracing::warn!(member = m.id, error = %e.detail(), "birthday gift not given");
                    failed += 1;
                }
            }
        }
    }
    if failed > 0 {
        // The job runner records the run as failed (HQ's 后台任务异常).
        return Err(AppError::Internal(anyhow::anyhow!(
            "{failed} birthday gifts could not be given (given {given})"
        )));
    }
    Ok(given)
}
