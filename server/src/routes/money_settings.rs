//! HQ's money settings and top-up plans over HTTP. Each route is one call
//! into [`crate::stored_value::settings`] (reads) or
//! [`crate::stored_value::rules`] (HQ admin's edits).

use crate::auth::{AnyStaff, HqAdmin, MemberCaller, StaffCaller};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::rules;
use crate::stored_value::settings::settings;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use shared::api;
use shared::dto::{ConfirmQuery, MoneySettings, TopUpPlan, TopUpPlanInput};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::GetMoneySettings, read)
        .at(api::PutMoneySettings, write)
        .at(api::ListTopUpPlans, list_plans)
        .at(api::CreateTopUpPlan, create_plan)
        .at(api::UpdateTopUpPlan, update_plan)
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

/// HQ admin: change the settings. A cap below what some members already
/// hold is saved only once HQ confirms it knowing how many.
async fn write(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppQuery(query): AppQuery<ConfirmQuery>,
    AppJson(req): AppJson<MoneySettings>,
) -> AppResult<Json<MoneySettings>> {
    let saved = rules::save(&state, &caller.actor(), req, query.confirm_above).await?;
    Ok(Json(saved))
}

/// Any staff: every plan of the brand (the counter offers the active ones).
async fn list_plans(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<TopUpPlan>>> {
    Ok(Json(rules::plans(&state.db, caller.brand.id, false).await?))
}

/// Member: the active plans of their brand.
async fn member_plans(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<TopUpPlan>>> {
    Ok(Json(rules::plans(&state.db, caller.brand.id, true).await?))
}

/// HQ admin: add a plan.
async fn create_plan(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<TopUpPlanInput>,
) -> AppResult<(StatusCode, Json<TopUpPlan>)> {
    let plan = rules::create_plan(&state, &caller.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(plan)))
}

/// HQ admin: change a plan on offer.
async fn update_plan(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<TopUpPlanInput>,
) -> AppResult<Json<TopUpPlan>> {
    Ok(Json(
        rules::update_plan(&state, &caller.actor(), id, &req).await?,
    ))
}

/// HQ admin: stop offering a plan (kept for the record).
async fn deactivate_plan(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<TopUpPlan>> {
    Ok(Json(
        rules::deactivate_plan(&state, &caller.actor(), id).await?,
    ))
}
