//! Write-off over HTTP: the member's code secret, a clerk's scan, and the
//! write-off with its ticket. Each route is one call into
//! [`crate::write_offs`].

use crate::auth::{ActiveMember, AnyStaff, Counter, MoneyBack, StaffCaller};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::idempotency::IdemKey;
use crate::routes::Api;
use crate::state::AppState;
use crate::write_offs::{self, code};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use shared::api;
use shared::dto::{
    MemberCodeSecret, MemberPulse, Page, PulseQuery, ScanMemberCode, TicketCharge,
    WriteOffListItem, WriteOffRequest, WriteOffTicket, WriteOffUndoInput, WriteOffsQuery,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::MyMemberCode, my_code)
        .at(api::WaitMemberPulse, pulse)
        .at(api::ScanCode, scan)
        .at(api::WriteOff, write_off)
        .at(api::ChargeTicket, charge)
        .at(api::ListWriteOffs, list)
        .at(api::UndoWriteOff, undo)
}

/// Member: their code id and secret.
async fn my_code(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
) -> AppResult<Json<MemberCodeSecret>> {
    Ok(Json(
        code::secret_of(&state, &caller.brand, &caller.member).await?,
    ))
}

/// Clerk or store manager: scan a member code.
async fn scan(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    AppJson(req): AppJson<ScanMemberCode>,
) -> AppResult<(StatusCode, Json<WriteOffTicket>)> {
    let t = code::scan(&state, &caller.actor(), &req.code).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Clerk or store manager: write off with a ticket.
async fn write_off(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    key: IdemKey,
    AppJson(req): AppJson<WriteOffRequest>,
) -> AppResult<Response> {
    write_offs::write_off(&state, caller.actor(), key, req).await
}

/// Staff: 核销记录 in their scope.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
    AppQuery(q): AppQuery<WriteOffsQuery>,
) -> AppResult<Json<Page<WriteOffListItem>>> {
    Ok(Json(
        write_offs::records::list(&state.db, &caller.actor(), &q).await?,
    ))
}

/// The store's manager or HQ: undo a write-off.
async fn undo(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<WriteOffUndoInput>,
) -> AppResult<Response> {
    write_offs::undo::undo(&state, caller.actor(), id, key, req).await
}

/// Clerk or store manager: 会员码收款 with a ticket.
async fn charge(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    key: IdemKey,
    AppJson(req): AppJson<TicketCharge>,
) -> AppResult<Response> {
    write_offs::charge::charge(&state, caller.actor(), key, req).await
}

/// Member: waits until their things move (a write-off, a payment, a
/// coupon used, their code taken).
async fn pulse(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    AppQuery(q): AppQuery<PulseQuery>,
) -> AppResult<Json<MemberPulse>> {
    Ok(Json(
        write_offs::pulse::wait(&state, caller.brand.id, caller.member.id, &q).await?,
    ))
}
