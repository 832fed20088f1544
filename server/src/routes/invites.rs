//! Invites over HTTP: HQ's programme and figures, what a link offers, and
//! a member's code and friends. Each route is one call into
//! [`crate::invites`].

use crate::audit::{self, Record};
use crate::auth::{AnyStaff, HqAdmin, HqMoney, MemberCaller, StaffCaller};
use crate::db::begin_write;
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::identity::find_brand;
use crate::invites;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{
    AfterQuery, AuditAction, InviteCodeQuery, InviteFigures, InviteOffer, InvitePolicy,
    InvitedFriend, MemberInvites, Page,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::GetInvitePolicy, read)
        .at(api::PutInvitePolicy, write)
        .at(api::InviteProgramme, figures)
        .at(api::InviteOfferInfo, offer)
        .at(api::MyInvites, mine)
        .at(api::MyInvitedFriends, friends)
}

/// Any staff: the brand's invite programme.
async fn read(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<InvitePolicy>> {
    Ok(Json(invites::policy(&state.db, caller.brand.id).await?))
}

/// HQ admin: change the programme, audited with what it was and is.
async fn write(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<InvitePolicy>,
) -> AppResult<Json<InvitePolicy>> {
    let by = caller.actor();
    let req = invites::checked(&state.db, by.brand.id, req).await?;
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let before = invites::policy(&tx, by.brand.id).await?;
    invites::save_policy(&tx, by.brand.id, &req, now).await?;
    let rec = Record::new(AuditAction::InvitePolicy, "").extra(serde_json::json!({
        "before": before,
        "after": req,
    }));
    audit::by(&tx, &by, now, rec).await?;
    tx.commit().await?;
    Ok(Json(req))
}

/// HQ: the programme's figures and best inviters.
async fn figures(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
) -> AppResult<Json<InviteFigures>> {
    Ok(Json(invites::figures(&state.db, caller.brand.id).await?))
}

/// Anyone: what the link with this code offers a newcomer.
async fn offer(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    AppQuery(q): AppQuery<InviteCodeQuery>,
) -> AppResult<Json<InviteOffer>> {
    let brand = find_brand(&state, &slug).await?;
    Ok(Json(invites::offer(&state.db, &brand, &q.code).await?))
}

/// Member: their code, link and how their invites went.
async fn mine(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<MemberInvites>> {
    let now = state.clock.now_ms();
    Ok(Json(
        invites::mine(
            &state.db,
            &state.public_url,
            &caller.brand,
            caller.member.id,
            now,
        )
        .await?,
    ))
}

/// Member: a page of the friends they invited.
async fn friends(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppQuery(q): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<InvitedFriend>>> {
    Ok(Json(
        invites::friends(&state.db, caller.member.id, q.after).await?,
    ))
}
