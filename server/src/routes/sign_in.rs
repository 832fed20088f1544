//! Daily sign-in over HTTP: HQ's rewards, a member's calendar and signing
//! in. Each route is one call into [`crate::sign_in`].

use crate::audit::{self, Record};
use crate::auth::{ActiveMember, AnyStaff, HqAdmin, MemberCaller, StaffCaller};
use crate::db::begin_write;
use crate::error::{AppJson, AppQuery, AppResult};
use crate::routes::Api;
use crate::sign_in;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{AuditAction, MemberSignInView, MonthQuery, SignInPolicy, SignInResult};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::GetSignInPolicy, read)
        .at(api::PutSignInPolicy, write)
        .at(api::MemberSignIns, calendar)
        .at(api::SignIn, sign_in_today)
}

/// Any staff: the brand's sign-in rewards.
async fn read(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<SignInPolicy>> {
    Ok(Json(sign_in::policy(&state.db, caller.brand.id).await?))
}

/// HQ admin: change the rewards, audited with what they were and are.
async fn write(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<SignInPolicy>,
) -> AppResult<Json<SignInPolicy>> {
    let req = sign_in::checked(req)?;
    let by = caller.actor();
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let before = sign_in::policy(&tx, by.brand.id).await?;
    sign_in::save_policy(&tx, by.brand.id, &req, now).await?;
    let rec = Record::new(AuditAction::SignInPolicy, "").extra(serde_json::json!({
        "before": before,
        "after": req,
    }));
    audit::by(&tx, &by, now, rec).await?;
    tx.commit().await?;
    Ok(Json(req))
}

/// Member: a month of their sign-ins, today and the streak.
async fn calendar(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppQuery(q): AppQuery<MonthQuery>,
) -> AppResult<Json<MemberSignInView>> {
    let now = state.clock.now_ms();
    Ok(Json(
        sign_in::view(
            &state.db,
            &caller.brand,
            caller.member.id,
            q.month.as_deref(),
            now,
        )
        .await?,
    ))
}

/// Member: sign in for today.
async fn sign_in_today(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
) -> AppResult<Json<SignInResult>> {
    let now = state.clock.now_ms();
    Ok(Json(
        sign_in::sign_in(&state.db, &caller.brand, &caller.member, now).await?,
    ))
}
