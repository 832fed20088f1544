//! HQ's member list and freezing over HTTP. Each route is one call into
//! [`crate::identity::members`].

use crate::auth::{ChainReaders, HqAdmin, StaffCaller};
use crate::error::{AppPath, AppQuery, AppResult};
use crate::identity::members;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::{HistoryItem, HistoryQuery, MemberDetail, MemberListItem, MemberSearch, Page};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListMembers, list)
        .at(api::GetMember, get)
        .at(api::ListMemberHistory, history)
        .at(api::FreezeMember, freeze)
        .at(api::UnfreezeMember, unfreeze)
        .at(api::CorrectMemberBirthday, correct_birthday)
}

/// HQ and region managers: members of the brand, newest first.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
    AppQuery(query): AppQuery<MemberSearch>,
) -> AppResult<Json<Page<MemberListItem>>> {
    Ok(Json(members::list(&state, &caller.actor(), &query).await?))
}

/// HQ and region managers: one member in full.
async fn get(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberDetail>> {
    Ok(Json(members::detail(&state, &caller.actor(), id).await?))
}

/// HQ and region managers: one member's movements of money, newest first.
async fn history(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
    AppPath(id): AppPath<i64>,
    AppQuery(query): AppQuery<HistoryQuery>,
) -> AppResult<Json<Page<HistoryItem>>> {
    let by = caller.actor();
    let m = members::visible(&state, &by, id).await?;
    let page = crate::history::page(&state.db, by.brand.id, m.id, &query);
    Ok(Json(page.await?))
}

/// HQ admin: freeze a member (they can no longer pay or be written off).
async fn freeze(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberListItem>> {
    Ok(Json(
        members::set_frozen(&state, &caller.actor(), id, true).await?,
    ))
}

/// HQ admin: unfreeze a member.
async fn unfreeze(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberListItem>> {
    Ok(Json(
        members::set_frozen(&state, &caller.actor(), id, false).await?,
    ))
}

/// HQ admin: correct a member's birthday (audited).
async fn correct_birthday(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    crate::error::AppJson(req): crate::error::AppJson<shared::dto::BirthdayCorrection>,
) -> AppResult<Json<MemberListItem>> {
    Ok(Json(
        members::correct_birthday(&state, &caller.actor(), id, &req.birthday).await?,
    ))
}
