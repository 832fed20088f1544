//! Member levels over HTTP: HQ's levels and a member's standing. Each route
//! is one call into [`crate::levels`].

use crate::audit::{self, Record};
use crate::auth::{AnyStaff, HqAdmin, MemberCaller, StaffCaller};
use crate::db::{begin_write, lock_key};
use crate::error::{AppJson, AppResult};
use crate::levels;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AuditAction, LevelsPolicy, MemberLevelView};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::GetLevels, read)
        .at(api::PutLevels, write)
        .at(api::MemberLevel, member_level)
}

/// Any staff: the brand's levels.
async fn read(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<LevelsPolicy>> {
    Ok(Json(levels::policy(&state.db, caller.brand.id).await?))
}

/// HQ admin: replace the levels, audited with what they were and are.
async fn write(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<LevelsPolicy>,
) -> AppResult<Json<LevelsPolicy>> {
    let req = levels::checked(req)?;
    let by = caller.actor();
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    // Two HQ saves at once: one after the other.
    lock_key(&tx, &format!("levels:{}", by.brand.id)).await?;
    let before = levels::policy(&tx, by.brand.id).await?;
    let after = levels::save(&tx, by.brand.id, &req, now).await?;
    let rec = Record::new(AuditAction::Levels, "").extra(serde_json::json!({
        "before": before,
        "after": after,
    }));
    audit::by(&tx, &by, now, rec).await?;
    tx.commit().await?;
    Ok(Json(after))
}

/// Member: their level and what the next brings.
async fn member_level(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<MemberLevelView>> {
    let now = state.clock.now_ms();
    Ok(Json(
        levels::view(&state.db, &caller.brand, caller.member.id, now).await?,
    ))
}
