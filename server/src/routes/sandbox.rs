//! The sandboxes' switches (demo mode only; outside it these routes answer
//! 404 like any other unknown route): HQ admin tells the sandbox payout
//! channel how to answer their brand's payouts, and the sandbox gateway how
//! to misbehave. Every change is audited.

use crate::audit;
use crate::auth::{HqAdmin, StaffCaller};
use crate::error::{AppError, AppJson, AppResult};
use crate::gateway::sandbox::{Sandbox, Switches};
use crate::payout::sandbox::SandboxPayout;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use shared::api;
use shared::dto::SandboxMode;
use shared::dto::{AuditAction, AuditField};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::PayoutSandbox, payout_mode)
        .at(api::SetPayoutSandbox, set_payout_mode)
        .at(api::GatewaySandbox, gateway_switches)
        .at(api::SetGatewaySandbox, set_gateway_switches)
}

fn payout_sandbox(state: &AppState) -> AppResult<&SandboxPayout> {
    state
        .payout_sandbox
        .as_deref()
        .filter(|_| state.demo)
        .ok_or_else(AppError::not_found)
}

fn gateway_sandbox(state: &AppState) -> AppResult<&Sandbox> {
    state
        .sandbox
        .as_deref()
        .filter(|_| state.demo)
        .ok_or_else(AppError::not_found)
}

async fn payout_mode(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
) -> AppResult<Json<SandboxMode>> {
    Ok(Json(SandboxMode {
        mode: payout_sandbox(&state)?.mode(caller.brand.id).await?,
    }))
}

async fn set_payout_mode(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<SandboxMode>,
) -> AppResult<Json<SandboxMode>> {
    let sandbox = payout_sandbox(&state)?;
    sandbox.set_mode(caller.brand.id, req.mode).await?;
    tracing::warn!(mode = ?req.mode, staff = caller.staff.id, "sandbox payout mode changed");
    let rec = audit::Record::new(AuditAction::SandboxPayoutMode, "")
        .set_opt(AuditField::Mode, audit::text(format!("{:?}", req.mode)));
    let now = state.clock.now_ms();
    let tx = crate::db::begin_write(&state.db).await?;
    audit::record(&tx, now, caller.brand.id, Some(caller.staff.id), rec).await?;
    tx.commit().await?;
    Ok(Json(SandboxMode {
        mode: sandbox.mode(caller.brand.id).await?,
    }))
}

async fn gateway_switches(
    State(state): State<AppState>,
    _caller: StaffCaller<HqAdmin>,
) -> AppResult<Json<Switches>> {
    Ok(Json(gateway_sandbox(&state)?.switches()))
}

async fn set_gateway_switches(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<Switches>,
) -> AppResult<Json<Switches>> {
    let sandbox = gateway_sandbox(&state)?;
    let before = sandbox.switches();
    sandbox.set_switches(req.clone());
    tracing::warn!(switches = ?req, staff = caller.staff.id, "sandbox gateway switches changed");
    let rec = audit::Record::new(AuditAction::SandboxGatewaySwitches, "").change(
        AuditField::Mode,
        audit::text(format!("{before:?}")),
        audit::text(format!("{req:?}")),
    );
    let now = state.clock.now_ms();
    let tx = crate::db::begin_write(&state.db).await?;
    audit::record(&tx, now, caller.brand.id, Some(caller.staff.id), rec).await?;
    tx.commit().await?;
    Ok(Json(sandbox.switches()))
}
