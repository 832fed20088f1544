//! Coupons over HTTP: HQ's templates, the coupon centre, a member's
//! coupons, staff issuing one. Each route is one call into
//! [`crate::coupons`].

use crate::auth::{ActiveMember, AnyStaff, CouponIssuers, HqAdmin, MemberCaller, StaffCaller};
use crate::coupons::{give, templates, views};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::idempotency::IdemKey;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use shared::api;
use shared::dto::{
    CouponOffer, CouponQuery, CouponQuota, CouponTemplate, CouponTemplateInput, IssueCoupon,
    MemberCoupon, Page,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListCouponTemplates, list)
        .at(api::CreateCouponTemplate, create)
        .at(api::UpdateCouponTemplate, update)
        .at(api::CouponCentre, centre)
        .at(api::ClaimCoupon, claim)
        .at(api::MemberCoupons, member_coupons)
        .at(api::MyCouponQuota, quota)
        .at(api::IssueCouponToMember, issue)
}

/// Any staff: the templates with their figures.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<CouponTemplate>>> {
    let now = state.clock.now_ms();
    Ok(Json(
        templates::list(&state.db, caller.brand.id, now).await?,
    ))
}

/// HQ admin: add a template.
async fn create(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<CouponTemplateInput>,
) -> AppResult<(StatusCode, Json<CouponTemplate>)> {
    let t = templates::create(&state, &caller.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// HQ admin: change a template.
async fn update(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<CouponTemplateInput>,
) -> AppResult<Json<CouponTemplate>> {
    Ok(Json(
        templates::update(&state, &caller.actor(), id, &req).await?,
    ))
}

/// Member: the coupon centre.
async fn centre(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<CouponOffer>>> {
    let now = state.clock.now_ms();
    Ok(Json(
        views::centre(&state.db, &caller.brand, &caller.member, now).await?,
    ))
}

/// Member: claim a coupon in the centre.
async fn claim(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppPath(id): AppPath<i64>,
) -> AppResult<Response> {
    give::claim(&state, &caller, key, id).await
}

/// Member: their coupons on one shelf.
async fn member_coupons(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppQuery(q): AppQuery<CouponQuery>,
) -> AppResult<Json<Page<MemberCoupon>>> {
    let now = state.clock.now_ms();
    Ok(Json(
        views::member_coupons(&state.db, &caller.brand, &caller.member, &q, now).await?,
    ))
}

/// HQ or a store manager: what is left of today's quota.
async fn quota(
    State(state): State<AppState>,
    caller: StaffCaller<CouponIssuers>,
) -> AppResult<Json<CouponQuota>> {
    Ok(Json(give::quota_today(&state, &caller.actor()).await?))
}

/// HQ or a store manager: issue a coupon to a member.
async fn issue(
    State(state): State<AppState>,
    caller: StaffCaller<CouponIssuers>,
    key: IdemKey,
    AppJson(req): AppJson<IssueCoupon>,
) -> AppResult<Response> {
    give::issue(&state, caller.actor(), key, req).await
}
