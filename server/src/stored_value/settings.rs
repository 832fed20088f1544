//! HQ's money settings as the stored-value rules read them, and the rules
//! a top-up must keep (its plan's bonus, the balance cap).

use crate::entity::{money_settings, topup_plan};
use crate::error::{AppError, AppResult};
use axum::http::StatusCode;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared::dto::MoneySettings;
use shared::money::Fen;

/// The brand's settings, or the defaults (¥5,000 cap and maximum, bonus
/// settled to the store at 100 %, custom top-ups allowed, PIN above ¥200).
pub async fn settings(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<MoneySettings> {
    let row = money_settings::Entity::find_by_id(brand_id)
        .one(conn)
        .await?;
    Ok(match row {
        Some(r) => MoneySettings {
            max_balance: Fen(r.max_balance),
            max_payment: Fen(r.max_payment),
            bonus_settle_bp: u32::try_from(r.bonus_settle_bp).unwrap_or(10_000),
            allow_custom_topup: r.allow_custom_topup,
            pin_above: Fen(r.pin_above),
            channel_url: r.channel_url,
            withdraw_min: Fen(r.withdraw_min),
            withdraw_fee_fixed: Fen(r.withdraw_fee_fixed),
            withdraw_fee_bp: u32::try_from(r.withdraw_fee_bp).unwrap_or(0),
            coupon_quota: r.coupon_quota,
            write_off_undo_hours: r.write_off_undo_hours,
        },
        None => MoneySettings::default(),
    })
}

/// The bonus a top-up of `amount` gets: the plan's (whose price must be
/// `amount`), or none for a custom amount if HQ allows those.
pub async fn plan_bonus(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    plan_id: Option<i64>,
    amount: Fen,
    rules: &MoneySettings,
) -> AppResult<Fen> {
    match plan_id {
        Some(id) => {
            let plan = topup_plan::Entity::find_by_id(id)
                .filter(topup_plan::Column::BrandId.eq(brand_id))
                .filter(topup_plan::Column::Active.eq(true))
                .one(conn)
                .await?
                .ok_or_else(|| AppError::invalid("plan_id", "unknown"))?;
            if plan.pay_amount != amount.0 {
                return Err(AppError::invalid("amount", "plan_amount"));
            }
            Ok(Fen(plan.bonus_amount))
        }
        None if rules.allow_custom_topup => Ok(Fen::ZERO),
        None => Err(AppError::invalid("plan_id", "required")),
    }
}

/// The member's total after adding `amount` and `bonus` to `total`, or the
/// balance-cap refusal saying how much more fits.
pub fn within_cap(total: Fen, amount: Fen, bonus: Fen, rules: &MoneySettings) -> AppResult<Fen> {
    let max = rules.max_balance;
    total
        .checked_add(amount)
        .and_then(|a| a.checked_add(bonus))
        .filter(|a| *a <= max)
        .ok_or_else(|| {
            AppError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                shared::ErrorCode::BalanceLimit,
            )
            .with("max", max.0)
            .with("room", (max.0 - total.0).max(0))
        })
}
