//! The member's 6-digit payment PIN: set or changed in the app, stored as an
//! argon2id hash, asked for on stored-value payments above the brand's
//! PIN-free limit. Five wrong PINs in a row lock it for 30 minutes; the
//! counter is written in its own transaction so a refused payment cannot
//! roll it back.

use crate::auth::MemberCaller;
use crate::db::begin_write;
use crate::entity::member_pin;
use crate::error::{AppError, AppJson, AppResult};
use crate::password;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::put;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set};
use shared::ErrorCode;
use shared::dto::SetPin;
use shared::money::Fen;

/// Wrong PINs in a row before the PIN locks.
pub const MAX_FAILURES: i32 = 5;
/// How long it stays locked.
pub const LOCK_MS: i64 = 30 * 60 * 1000;

/// Routes.
pub fn router() -> Router<AppState> {
    Router::new().route("/member/pin", put(set_pin))
}

/// Whether the member has a PIN.
pub async fn is_set(conn: &impl ConnectionTrait, member_id: i64) -> AppResult<bool> {
    Ok(member_pin::Entity::find_by_id(member_id)
        .one(conn)
        .await?
        .is_some())
}

/// Checks `given` against the member's PIN, counting wrong ones. `above` is
/// the limit that made the PIN necessary (for the messages).
pub async fn check(
    state: &AppState,
    member_id: i64,
    given: Option<&str>,
    above: Fen,
) -> AppResult<()> {
    let row = member_pin::Entity::find_by_id(member_id)
        .one(&state.db)
        .await?;
    let Some(row) = row else {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PinNotSet)
                .with("above", above.0),
        );
    };
    let now = state.clock.now_ms();
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        return Err(
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::PinLocked)
                .with("retry_after", (until - now + 999) / 1000),
        );
    }
    let Some(given) = given.map(str::trim).filter(|g| !g.is_empty()) else {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PinRequired)
                .with("above", above.0),
        );
    };
    if password::verify(given.to_string(), Some(row.pin_hash.clone())).await? {
        if row.failures != 0 {
            let mut am = row.into_active_model();
            am.failures = Set(0);
            am.locked_until = Set(None);
            am.update(&state.db).await?;
        }
        return Ok(());
    }
    // Count it under the write lock, from the stored value, so racing wrong
    // guesses all count.
    let tx = begin_write(&state.db).await?;
    crate::db::lock_key(&tx, &format!("member-pin:{member_id}")).await?;
    let fresh = member_pin::Entity::find_by_id(member_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let failures = fresh.failures + 1;
    let mut am = fresh.into_active_model();
    if failures >= MAX_FAILURES {
        am.failures = Set(0);
        am.locked_until = Set(Some(now + LOCK_MS));
        am.update(&tx).await?;
        tx.commit().await?;
        return Err(
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::PinLocked)
                .with("retry_after", LOCK_MS / 1000),
        );
    }
    am.failures = Set(failures);
    am.update(&tx).await?;
    tx.commit().await?;
    Err(
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::WrongPin)
            .with("remaining", MAX_FAILURES - failures),
    )
}

/// Member: set the PIN, or change it (giving the current one).
async fn set_pin(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppJson(req): AppJson<SetPin>,
) -> AppResult<StatusCode> {
    let pin = shared::validate::pin(&req.pin).map_err(|r| AppError::invalid("pin", r))?;
    let member_id = caller.member.id;
    if is_set(&state.db, member_id).await? {
        match req.current.as_deref() {
            Some(current) => check(&state, member_id, Some(current), Fen::ZERO).await?,
            None => return Err(AppError::invalid("current", "required")),
        }
    }
    let hash = password::hash(pin).await?;
    let now = state.clock.now_ms();
    member_pin::Entity::insert(member_pin::ActiveModel {
        member_id: Set(member_id),
        pin_hash: Set(hash),
        failures: Set(0),
        locked_until: Set(None),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(member_pin::Column::MemberId)
            .update_columns([
                member_pin::Column::PinHash,
                member_pin::Column::Failures,
                member_pin::Column::LockedUntil,
                member_pin::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&state.db)
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
