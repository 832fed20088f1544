//! Points over HTTP: HQ's policy and a member's points. Each route is one
//! call into [`crate::points`].

use crate::audit::{self, Record};
use crate::auth::{AnyStaff, HqAdmin, MemberCaller, StaffCaller};
use crate::db::begin_write;
use crate::error::{AppJson, AppResult};
use crate::points;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AuditAction, MemberPointsView, PointsPolicy};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::GetPointsPolicy, read)
        .at(api::PutPointsPolicy, write)
        .at(api::MemberPoints, member_points)
}

/// Any staff: the brand's points policy.
async fn read(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<PointsPolicy>> {
    Ok(Json(points::policy(&state.db, caller.brand.id).await?))
}

/// HQ admin: change the policy, audited with what it was and is.
async fn write(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<PointsPolicy>,
) -> AppResult<Json<PointsPolicy>> {
    let req = points::checked(req)?;
    let by = caller.actor();
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let before = points::policy(&tx, by.brand.id).await?;
    points::save_policy(&tx, by.brand.id, &req, now).await?;
    let rec = Record::new(AuditAction::PointsPolicy, "").extra(serde_json::json!({
        "before": before,
        "after": req,
    }));
    audit::by(&tx, &by, now, rec).await?;
    tx.commit().await?;
    Ok(Json(req))
}

/// Member: their points.
async fn member_points(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<MemberPointsView>> {
    let now = state.clock.now_ms();
    Ok(Json(
        points::view(&state.db, caller.brand.id, caller.member.id, now).await?,
    ))
}
