//! HQ admin's edits to the stored-value rules: the money settings (balance
//! cap, payment maximum, bonus settlement, PIN threshold, withdrawal terms,
//! custom top-ups) and the top-up plans (pay X get Y). Every change is in
//! the audit log, a settings change with its before and after.

use super::settings::settings;
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::db::{begin_write, lock_key};
use crate::entity::{money_settings, topup_plan};
use crate::error::{AppError, AppResult};
use crate::ledger;
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use shared::ErrorCode;
use shared::dto::{AuditAction, AuditField, AuditValue, MoneySettings, TopUpPlan, TopUpPlanInput};
use shared::money::Fen;

/// The cap on any configured amount: ¥1,000,000.
const CEILING: Fen = Fen(100_000_000);

fn in_range(field: &str, amount: Fen) -> AppResult<()> {
    if !amount.is_positive() {
        return Err(AppError::invalid(field, "amount_positive"));
    }
    if amount > CEILING {
        return Err(AppError::invalid(field, "amount_too_large"));
    }
    Ok(())
}

/// The settings as they will be saved, or the first field that is wrong.
pub fn checked(req: MoneySettings) -> AppResult<MoneySettings> {
    in_range("max_balance", req.max_balance)?;
    in_range("max_payment", req.max_payment)?;
    if req.bonus_settle_bp > 10_000 {
        return Err(AppError::invalid("bonus_settle_bp", "rate_range"));
    }
    if req.pin_above.0 < 0 {
        return Err(AppError::invalid("pin_above", "amount_format"));
    }
    if req.pin_above > CEILING {
        return Err(AppError::invalid("pin_above", "amount_too_large"));
    }
    in_range("withdraw_min", req.withdraw_min)?;
    if req.withdraw_fee_fixed.0 < 0 {
        return Err(AppError::invalid("withdraw_fee_fixed", "amount_format"));
    }
    if req.withdraw_fee_fixed >= req.withdraw_min {
        // Every allowed withdrawal must leave something after the fee.
        return Err(AppError::invalid("withdraw_fee_fixed", "fee_below_min"));
    }
    if req.withdraw_fee_bp > 1_000 {
        return Err(AppError::invalid("withdraw_fee_bp", "fee_rate_range"));
    }
    if !(0..=1_000).contains(&req.coupon_quota) {
        return Err(AppError::invalid("coupon_quota", "quota_range"));
    }
    if !(1..=720).contains(&req.write_off_undo_hours) {
        return Err(AppError::invalid(
            "write_off_undo_hours",
            "undo_hours_range",
        ));
    }
    let channel_url = match req.channel_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => Some(
            shared::validate::https_url(url).map_err(|r| AppError::invalid("channel_url", r))?,
        ),
    };
    Ok(MoneySettings { channel_url, ..req })
}

/// Writes the brand's settings row (inserted the first time).
async fn upsert(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    req: &MoneySettings,
    now: i64,
) -> AppResult<()> {
    use money_settings::Column as C;
    let row = money_settings::ActiveModel {
        brand_id: Set(brand_id),
        max_balance: Set(req.max_balance.0),
        max_payment: Set(req.max_payment.0),
        bonus_settle_bp: Set(req.bonus_settle_bp as i32),
        allow_custom_topup: Set(req.allow_custom_topup),
        pin_above: Set(req.pin_above.0),
        channel_url: Set(req.channel_url.clone()),
        withdraw_min: Set(req.withdraw_min.0),
        withdraw_fee_fixed: Set(req.withdraw_fee_fixed.0),
        withdraw_fee_bp: Set(i64::from(req.withdraw_fee_bp)),
        updated_at: Set(now),
        coupon_quota: Set(req.coupon_quota),
        write_off_undo_hours: Set(req.write_off_undo_hours),
        // The points policy is saved on its own (`points::save_policy`):
        // a new row takes the columns' defaults, an old one keeps its own.
        ..Default::default()
    };
    let columns = [
        C::MaxBalance,
        C::MaxPayment,
        C::BonusSettleBp,
        C::AllowCustomTopup,
        C::PinAbove,
        C::ChannelUrl,
        C::WithdrawMin,
        C::WithdrawFeeFixed,
        C::WithdrawFeeBp,
        C::UpdatedAt,
        C::CouponQuota,
        C::WriteOffUndoHours,
    ];
    money_settings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(C::BrandId)
                .update_columns(columns)
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Saves the brand's settings. A cap below what some members already hold
/// is saved only once HQ confirms it knowing how many (`confirm_above`
/// must be that count; their balances stay: they can spend but not top up).
pub async fn save(
    state: &AppState,
    by: &Actor,
    req: MoneySettings,
    confirm_above: Option<u64>,
) -> AppResult<MoneySettings> {
    let req = checked(req)?;
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let before = settings(&tx, by.brand.id).await?;
    if req.max_balance < before.max_balance {
        let above = ledger::members_above(&tx, by.brand.id, req.max_balance).await?;
        if above > 0 && confirm_above != Some(above) {
            return Err(
                AppError::new(StatusCode::CONFLICT, ErrorCode::CapBelowBalances)
                    .with("members", above)
                    .with("max", req.max_balance.0),
            );
        }
    }
    upsert(&tx, by.brand.id, &req, now).await?;
    let rec = settings_changes(Record::new(AuditAction::MoneySettings, ""), &before, &req);
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(req)
}

/// What changed between two versions of the settings, field by field.
fn settings_changes(rec: Record, b: &MoneySettings, a: &MoneySettings) -> Record {
    use AuditValue::{Flag, Money, Rate, Text};
    rec.change(
        AuditField::MaxBalance,
        Money(b.max_balance),
        Money(a.max_balance),
    )
    .change(
        AuditField::MaxPayment,
        Money(b.max_payment),
        Money(a.max_payment),
    )
    .change(
        AuditField::BonusSettle,
        Rate(b.bonus_settle_bp),
        Rate(a.bonus_settle_bp),
    )
    .change(
        AuditField::CustomTopUp,
        Flag(b.allow_custom_topup),
        Flag(a.allow_custom_topup),
    )
    .change(AuditField::PinAbove, Money(b.pin_above), Money(a.pin_above))
    .change(
        AuditField::ChannelUrl,
        b.channel_url.clone().and_then(audit::text),
        a.channel_url.clone().and_then(audit::text),
    )
    .change(
        AuditField::WithdrawMin,
        Money(b.withdraw_min),
        Money(a.withdraw_min),
    )
    .change(
        AuditField::WithdrawFeeFixed,
        Money(b.withdraw_fee_fixed),
        Money(a.withdraw_fee_fixed),
    )
    .change(
        AuditField::WithdrawFeeRate,
        Rate(b.withdraw_fee_bp),
        Rate(a.withdraw_fee_bp),
    )
    .change(
        AuditField::CouponQuota,
        Text(b.coupon_quota.to_string()),
        Text(a.coupon_quota.to_string()),
    )
    .change(
        AuditField::WriteOffUndoHours,
        Text(b.write_off_undo_hours.to_string()),
        Text(a.write_off_undo_hours.to_string()),
    )
}

/// A plan as the audit log names it: id and price.
fn plan_target(p: &topup_plan::Model) -> String {
    format!("#{} {}", p.id, Fen(p.pay_amount))
}

fn view(p: topup_plan::Model) -> TopUpPlan {
    TopUpPlan {
        id: p.id,
        pay: Fen(p.pay_amount),
        bonus: Fen(p.bonus_amount),
        active: p.active,
    }
}

/// The brand's plans by price: all of them, or only those on offer.
pub async fn plans(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    only_active: bool,
) -> AppResult<Vec<TopUpPlan>> {
    let mut q = topup_plan::Entity::find().filter(topup_plan::Column::BrandId.eq(brand_id));
    if only_active {
        q = q.filter(topup_plan::Column::Active.eq(true));
    }
    let plans = q
        .order_by_asc(topup_plan::Column::PayAmount)
        .all(conn)
        .await?;
    Ok(plans.into_iter().map(view).collect())
}

/// Whether `req` may be on offer, under the brand's plan lock: a price in
/// range, a bonus no more than it, one a member could buy (pay and bonus
/// within the balance cap), and no other plan on offer at that price.
async fn check_plan(
    tx: &DatabaseTransaction,
    by: &Actor,
    req: &TopUpPlanInput,
    other_than: Option<i64>,
) -> AppResult<()> {
    in_range("pay", req.pay)?;
    if req.bonus.0 < 0 || req.bonus > req.pay {
        return Err(AppError::invalid("bonus", "bonus_range"));
    }
    // One plan per price, checked under the brand's plan lock so two
    // identical plans saved at once cannot both land.
    lock_key(tx, &format!("plans:{}", by.brand.id)).await?;
    let rules = settings(tx, by.brand.id).await?;
    if req.pay.0.saturating_add(req.bonus.0) > rules.max_balance.0 {
        // Nobody could ever buy it: a member's balance may not pass the cap.
        return Err(AppError::invalid("pay", "plan_above_cap").with("max", rules.max_balance.0));
    }
    let mut same = topup_plan::Entity::find()
        .filter(topup_plan::Column::BrandId.eq(by.brand.id))
        .filter(topup_plan::Column::Active.eq(true))
        .filter(topup_plan::Column::PayAmount.eq(req.pay.0));
    if let Some(id) = other_than {
        same = same.filter(topup_plan::Column::Id.ne(id));
    }
    if same.one(tx).await?.is_some() {
        return Err(AppError::already_exists("pay"));
    }
    Ok(())
}

/// Adds a plan (see [`check_plan`]).
pub async fn create_plan(
    state: &AppState,
    by: &Actor,
    req: &TopUpPlanInput,
) -> AppResult<TopUpPlan> {
    let tx = begin_write(&state.db).await?;
    check_plan(&tx, by, req, None).await?;
    let now = state.clock.now_ms();
    let p = topup_plan::ActiveModel {
        brand_id: Set(by.brand.id),
        pay_amount: Set(req.pay.0),
        bonus_amount: Set(req.bonus.0),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let rec = Record::new(AuditAction::TopUpPlanCreate, plan_target(&p))
        .set(AuditField::Pay, AuditValue::Money(Fen(p.pay_amount)))
        .set(AuditField::Bonus, AuditValue::Money(Fen(p.bonus_amount)));
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(view(p))
}

/// Changes a plan on offer (its price or bonus); a top-up already started
/// keeps the amounts it started with. A plan taken off sale stays as it was.
pub async fn update_plan(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: &TopUpPlanInput,
) -> AppResult<TopUpPlan> {
    let tx = begin_write(&state.db).await?;
    check_plan(&tx, by, req, Some(id)).await?;
    let p = topup_plan::Entity::find_by_id(id)
        .filter(topup_plan::Column::BrandId.eq(by.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if !p.active {
        return Err(AppError::state_changed("inactive"));
    }
    let before = (Fen(p.pay_amount), Fen(p.bonus_amount));
    let mut am = p.into_active_model();
    am.pay_amount = Set(req.pay.0);
    am.bonus_amount = Set(req.bonus.0);
    let p = am.update(&tx).await?;
    let now = state.clock.now_ms();
    let rec = Record::new(AuditAction::TopUpPlanUpdate, plan_target(&p))
        .change(
            AuditField::Pay,
            AuditValue::Money(before.0),
            AuditValue::Money(req.pay),
        )
        .change(
            AuditField::Bonus,
            AuditValue::Money(before.1),
            AuditValue::Money(req.bonus),
        );
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(view(p))
}

/// Stops offering a plan (kept for the record).
pub async fn deactivate_plan(state: &AppState, by: &Actor, id: i64) -> AppResult<TopUpPlan> {
    let tx = begin_write(&state.db).await?;
    let p = topup_plan::Entity::find_by_id(id)
        .filter(topup_plan::Column::BrandId.eq(by.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let was = p.active;
    let mut am = p.into_active_model();
    am.active = Set(false);
    let p = am.update(&tx).await?;
    let now = state.clock.now_ms();
    let rec = Record::new(AuditAction::TopUpPlanDeactivate, plan_target(&p)).change(
        AuditField::Active,
        AuditValue::Flag(was),
        AuditValue::Flag(false),
    );
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(view(p))
}
