//! HQ's money settings (balance cap, payment maximum, bonus settlement,
//! custom top-ups) and top-up plans (pay X get Y).

use crate::audit;
use crate::auth::{AnyStaff, HqAdmin, MemberCaller, StaffCaller};
use crate::db::begin_write;
use crate::entity::{money_settings, topup_plan};
use crate::error::{AppError, AppJson, AppPath, AppQuery, AppResult};
use crate::ledger::Kind;
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::settings::settings;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use shared::api;
use shared::dto::ConfirmQuery;
use shared::dto::{MoneySettings, TopUpPlan, TopUpPlanInput};
use shared::money::Fen;

/// The cap on any configured amount: ¥1,000,000.
const CEILING: Fen = Fen(100_000_000);

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::GetMoneySettings, read)
        .at(api::PutMoneySettings, write)
        .at(api::ListTopUpPlans, list_plans)
        .at(api::CreateTopUpPlan, create_plan)
        .at(api::DeactivateTopUpPlan, deactivate_plan)
        .at(api::MemberTopUpPlans, member_plans)
}

/// Any staff: the brand's money settings.
async fn read(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<MoneySettings>> {
    Ok(Json(settings(&state.db, caller.brand.id).await?))
}

fn in_range(field: &str, amount: Fen) -> AppResult<()> {
    if !amount.is_positive() {
        return Err(AppError::invalid(field, "amount_positive"));
    }
    if amount > CEILING {
        return Err(AppError::invalid(field, "amount_too_large"));
    }
    Ok(())
}

/// How many of the brand's members hold more stored value than `cap`.
async fn members_above(conn: &impl ConnectionTrait, brand_id: i64, cap: Fen) -> AppResult<u64> {
    let backend = conn.get_database_backend();
    let stmt = sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => {
                "SELECT COUNT(*) AS n FROM (SELECT owner_id FROM accounts \
                 WHERE brand_id = $1 AND kind IN ($2, $3) \
                 GROUP BY owner_id HAVING SUM(balance) > $4) above"
            }
            _ => {
                "SELECT COUNT(*) AS n FROM (SELECT owner_id FROM accounts \
                 WHERE brand_id = ? AND kind IN (?, ?) \
                 GROUP BY owner_id HAVING SUM(balance) > ?) above"
            }
        },
        [
            brand_id.into(),
            Kind::MemberPrincipal.as_str().into(),
            Kind::MemberBonus.as_str().into(),
            cap.0.into(),
        ],
    );
    let n: i64 = match conn.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// HQ admin: change the settings. A cap below what some members already
/// hold is saved only once HQ confirms it knowing how many (their balances
/// stay: they can spend but not top up).
async fn write(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppQuery(query): AppQuery<ConfirmQuery>,
    AppJson(req): AppJson<MoneySettings>,
) -> AppResult<Json<MoneySettings>> {
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
    if req.withdraw_min > CEILING {
        return Err(AppError::invalid("withdraw_min", "amount_too_large"));
    }
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
    let channel_url = match req.channel_url.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(url) => Some(
            shared::validate::https_url(url).map_err(|r| AppError::invalid("channel_url", r))?,
        ),
    };
    let req = MoneySettings { channel_url, ..req };
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let before = settings(&tx, caller.brand.id).await?;
    if req.max_balance < before.max_balance {
        let above = members_above(&tx, caller.brand.id, req.max_balance).await?;
        if above > 0 && query.confirm_above != Some(above) {
            return Err(
                AppError::new(StatusCode::CONFLICT, shared::ErrorCode::CapBelowBalances)
                    .with("members", above)
                    .with("max", req.max_balance.0),
            );
        }
    }
    let row = money_settings::ActiveModel {
        brand_id: Set(caller.brand.id),
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
    };
    money_settings::Entity::insert(row)
        .on_conflict(
            OnConflict::column(money_settings::Column::BrandId)
                .update_columns([
                    money_settings::Column::MaxBalance,
                    money_settings::Column::MaxPayment,
                    money_settings::Column::BonusSettleBp,
                    money_settings::Column::AllowCustomTopup,
                    money_settings::Column::PinAbove,
                    money_settings::Column::ChannelUrl,
                    money_settings::Column::WithdrawMin,
                    money_settings::Column::WithdrawFeeFixed,
                    money_settings::Column::WithdrawFeeBp,
                    money_settings::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
    let detail = json!({
        "before": serde_json::to_value(&before).unwrap_or_default(),
        "after": serde_json::to_value(&req).unwrap_or_default(),
    });
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "money.settings",
        "money settings".into(),
        detail,
    )
    .await?;
    tx.commit().await?;
    Ok(Json(req))
}

fn view(p: topup_plan::Model) -> TopUpPlan {
    TopUpPlan {
        id: p.id,
        pay: Fen(p.pay_amount),
        bonus: Fen(p.bonus_amount),
        active: p.active,
    }
}

/// Any staff: every plan of the brand (the counter offers the active ones).
async fn list_plans(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<TopUpPlan>>> {
    let plans = topup_plan::Entity::find()
        .filter(topup_plan::Column::BrandId.eq(caller.brand.id))
        .order_by_asc(topup_plan::Column::PayAmount)
        .all(&state.db)
        .await?;
    Ok(Json(plans.into_iter().map(view).collect()))
}

/// Member: the active plans of their brand.
async fn member_plans(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<TopUpPlan>>> {
    let plans = topup_plan::Entity::find()
        .filter(topup_plan::Column::BrandId.eq(caller.brand.id))
        .filter(topup_plan::Column::Active.eq(true))
        .order_by_asc(topup_plan::Column::PayAmount)
        .all(&state.db)
        .await?;
    Ok(Json(plans.into_iter().map(view).collect()))
}

/// HQ admin: add a plan.
async fn create_plan(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<TopUpPlanInput>,
) -> AppResult<(StatusCode, Json<TopUpPlan>)> {
    in_range("pay", req.pay)?;
    if req.bonus.0 < 0 || req.bonus > req.pay {
        return Err(AppError::invalid("bonus", "bonus_range"));
    }
    let tx = begin_write(&state.db).await?;
    // One plan per price, checked under the brand's plan lock so two
    // identical plans saved at once cannot both land.
    crate::db::lock_key(&tx, &format!("plans:{}", caller.brand.id)).await?;
    let rules = settings(&tx, caller.brand.id).await?;
    if req.pay.0.saturating_add(req.bonus.0) > rules.max_balance.0 {
        // Nobody could ever buy it: a member's balance may not pass the cap.
        return Err(AppError::invalid("pay", "plan_above_cap").with("max", rules.max_balance.0));
    }
    let same = topup_plan::Entity::find()
        .filter(topup_plan::Column::BrandId.eq(caller.brand.id))
        .filter(topup_plan::Column::Active.eq(true))
        .filter(topup_plan::Column::PayAmount.eq(req.pay.0))
        .one(&tx)
        .await?;
    if same.is_some() {
        return Err(AppError::already_exists("pay"));
    }
    let now = state.clock.now_ms();
    let p = topup_plan::ActiveModel {
        brand_id: Set(caller.brand.id),
        pay_amount: Set(req.pay.0),
        bonus_amount: Set(req.bonus.0),
        active: Set(true),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let target = format!(
        "plan #{} pay {} get {}",
        p.id,
        Fen(p.pay_amount),
        Fen(p.bonus_amount)
    );
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "topup_plan.create",
        target,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(view(p))))
}

/// HQ admin: stop offering a plan (kept for the record).
async fn deactivate_plan(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<TopUpPlan>> {
    let tx = begin_write(&state.db).await?;
    let p = topup_plan::Entity::find_by_id(id)
        .filter(topup_plan::Column::BrandId.eq(caller.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut am = p.into_active_model();
    am.active = Set(false);
    let p = am.update(&tx).await?;
    let now = state.clock.now_ms();
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        "topup_plan.deactivate",
        format!("plan #{}", p.id),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Json(view(p)))
}
