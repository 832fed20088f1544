//! Daily sign-in (签到, DESIGN.md "Engagement"): once per member per
//! business date in the brand's zone. The database decides: a unique
//! `(member_id, date)` row inserted or nothing (never a read then an
//! insert), the reward posted in the same transaction; a second sign-in
//! that day answers the first one's result.

use crate::db::begin_write;
use crate::entity::{brand, member, sign_in, sign_in_policy};
use crate::error::{AppError, AppResult};
use crate::ledger;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use shared::dto::{
    EntryKind, MAX_STREAK_REWARDS, MemberSignInView, SignInPolicy, SignInResult, StreakReward,
};

/// The brand's sign-in rewards (off until HQ sets them).
pub async fn policy(conn: &impl ConnectionTrait, brand_id: i64) -> Result<SignInPolicy, DbErr> {
    let row = sign_in_policy::Entity::find_by_id(brand_id)
        .one(conn)
        .await?;
    Ok(match row {
        Some(r) => SignInPolicy {
            enabled: r.enabled,
            daily_points: r.daily_points,
            // Written only by `save_policy`, from a checked policy.
            streak_rewards: serde_json::from_str(&r.streak_rewards).unwrap_or_default(),
        },
        None => SignInPolicy::default(),
    })
}

/// The policy as it will be saved (streak rewards by day), or the first
/// field that is wrong.
pub fn checked(mut p: SignInPolicy) -> AppResult<SignInPolicy> {
    if !(0..=1_000).contains(&p.daily_points) {
        return Err(AppError::invalid("daily_points", "sign_in_points_range"));
    }
    if p.streak_rewards.len() > MAX_STREAK_REWARDS {
        return Err(AppError::invalid("streak_rewards", "streak_rewards_count"));
    }
    for (i, r) in p.streak_rewards.iter().enumerate() {
        if !(2..=365).contains(&r.day) {
            return Err(AppError::invalid("streak_day", "streak_day_range").with("index", i));
        }
        if !(1..=100_000).contains(&r.points) {
            return Err(AppError::invalid("streak_points", "points_step_range").with("index", i));
        }
        if p.streak_rewards[..i].iter().any(|o| o.day == r.day) {
            return Err(AppError::invalid("streak_day", "streak_day_taken").with("index", i));
        }
    }
    p.streak_rewards.sort_by_key(|r| r.day);
    if p.enabled && p.daily_points == 0 && p.streak_rewards.is_empty() {
        return Err(AppError::invalid("daily_points", "sign_in_no_reward"));
    }
    Ok(p)
}

/// Writes the brand's sign-in rewards.
pub async fn save_policy(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    p: &SignInPolicy,
    now: i64,
) -> Result<(), DbErr> {
    use sign_in_policy::Column as C;
    let rewards: Vec<&StreakReward> = p.streak_rewards.iter().collect();
    let row = sign_in_policy::ActiveModel {
        brand_id: Set(brand_id),
        enabled: Set(p.enabled),
        daily_points: Set(p.daily_points),
        streak_rewards: Set(serde_json::to_string(&rewards).unwrap_or_else(|_| "[]".into())),
        updated_at: Set(now),
    };
    sign_in_policy::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::BrandId)
                .update_columns([C::Enabled, C::DailyPoints, C::StreakRewards, C::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The day before `date` (`YYYY-MM-DD`).
fn day_before(date: &str) -> String {
    chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.pred_opt())
        .map_or_else(String::new, |d| d.format("%Y-%m-%d").to_string())
}

async fn on(
    conn: &impl ConnectionTrait,
    member_id: i64,
    date: &str,
) -> Result<Option<sign_in::Model>, DbErr> {
    sign_in::Entity::find()
        .filter(sign_in::Column::MemberId.eq(member_id))
        .filter(sign_in::Column::Date.eq(date))
        .one(conn)
        .await
}

fn result(row: &sign_in::Model, new: bool) -> SignInResult {
    SignInResult {
        date: row.date.clone(),
        streak: u32::try_from(row.streak).unwrap_or(0),
        points: row.points,
        bonus: row.bonus,
        new,
    }
}

/// Signs the member in for today (the brand's business date at `now`):
/// the day's and the streak's points into a new lot, in one transaction
/// with the row that makes it once. Signing in again that day answers the
/// first sign-in, changing nothing.
pub async fn sign_in(
    db: &DatabaseConnection,
    b: &brand::Model,
    m: &member::Model,
    now: i64,
) -> AppResult<SignInResult> {
    let p = policy(db, b.id).await?;
    if !p.enabled {
        return Err(AppError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            shared::ErrorCode::SignInOff,
        ));
    }
    let date = ledger::business_date(&b.time_zone, now);
    let tx = begin_write(db).await?;
    // The streak goes on from yesterday's sign-in, if there was one.
    let streak = on(&tx, m.id, &day_before(&date))
        .await?
        .map_or(1, |y| y.streak + 1);
    let bonus = p.bonus(u32::try_from(streak).unwrap_or(0));
    let inserted = sign_in::Entity::insert(sign_in::ActiveModel {
        brand_id: Set(b.id),
        member_id: Set(m.id),
        date: Set(date.clone()),
        streak: Set(streak),
        points: Set(p.daily_points),
        bonus: Set(bonus),
        created_at: Set(now),
        ..Default::default()
    })
    .on_conflict(OnConflict::new().do_nothing().to_owned())
    .exec_without_returning(&tx)
    .await?;
    if inserted != 1 {
        // Signed already (maybe a moment ago, by a second tap): that answer.
        tx.rollback().await?;
        let first = on(db, m.id, &date).await?.ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("sign-in of {date} neither new nor found"))
        })?;
        return Ok(result(&first, false));
    }
    let row = on(&tx, m.id, &date)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("sign-in of {date} not read back")))?;
    // A day with no reward (HQ gives only streak rewards) is signed with
    // nothing moving.
    let why = (
        EntryKind::SignIn,
        format!("sign-in:{}", row.id),
        format!("member:{}", m.id),
    );
    crate::points::gift(&tx, b, m.id, p.daily_points + bonus, why, now).await?;
    tx.commit().await?;
    Ok(result(&row, true))
}

/// The member's sign-in page for `month` (`YYYY-MM`; this month when
/// none): the days signed, today and the streak.
pub async fn view(
    conn: &impl ConnectionTrait,
    b: &brand::Model,
    member_id: i64,
    month: Option<&str>,
    now: i64,
) -> AppResult<MemberSignInView> {
    let today = ledger::business_date(&b.time_zone, now);
    let month = match month {
        None => today[..7].to_string(),
        Some(m) if shared::validate::month(m).is_some() => m.to_string(),
        Some(_) => return Err(AppError::invalid("month", "month_format")),
    };
    let signed = on(conn, member_id, &today).await?;
    let yesterday = on(conn, member_id, &day_before(&today)).await?;
    let streak = signed
        .as_ref()
        .or(yesterday.as_ref())
        .map_or(0, |r| u32::try_from(r.streak).unwrap_or(0));
    let p = policy(conn, b.id).await?;
    let days = sign_in::Entity::find()
        .filter(sign_in::Column::MemberId.eq(member_id))
        .filter(sign_in::Column::Date.starts_with(format!("{month}-")))
        .order_by_asc(sign_in::Column::Date)
        .all(conn)
        .await?
        .iter()
        .filter_map(|r| r.date.get(8..10)?.parse().ok())
        .collect();
    Ok(MemberSignInView {
        signed_today: signed.is_some(),
        next_points: p.daily_points + p.bonus(streak + 1),
        streak,
        today,
        month,
        days,
        policy: p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_before_crosses_months_years_and_leap_days() {
        assert_eq!(day_before("2026-03-01"), "2026-02-28");
        assert_eq!(day_before("2028-03-01"), "2028-02-29");
        assert_eq!(day_before("2027-01-01"), "2026-12-31");
    }

    #[test]
    fn a_month_is_a_real_year_and_month() {
        use shared::validate::month;
        assert_eq!(month("2026-03"), Some((2026, 3)));
        assert!(month("2026-13").is_none());
        assert!(month("2026-3").is_none());
        assert!(month("2026-03-01").is_none());
        assert!(month("x").is_none());
        assert_eq!(shared::validate::days_in_month(2028, 2), Some(29));
    }
}
