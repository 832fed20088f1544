//! The member's 6-digit payment PIN: set or changed in the app, stored as an
//! argon2id hash, asked for on stored-value payments above the brand's
//! PIN-free limit. Five wrong PINs in a row lock it for 30 minutes; the
//! counter is written in transactions of its own so a refused payment cannot
//! roll it back, and each guess is counted before it is checked, so guesses
//! fired together cannot check more than five.

use crate::db::begin_write;
use crate::entity::member_pin;
use crate::error::{AppError, AppResult};
use crate::password;
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel, Set};
use shared::ErrorCode;
use shared::money::Fen;

/// Wrong PINs in a row before the PIN locks.
pub const MAX_FAILURES: i32 = 5;
/// How long it stays locked.
pub const LOCK_MS: i64 = 30 * 60 * 1000;
/// After a reset by SMS, how long payments that need the PIN wait.
pub const AFTER_RESET_MS: i64 = 24 * 60 * 60 * 1000;

/// Whether the member has a PIN.
pub async fn is_set(conn: &impl ConnectionTrait, member_id: i64) -> AppResult<bool> {
    Ok(member_pin::Entity::find_by_id(member_id)
        .one(conn)
        .await?
        .is_some())
}

/// Why the member's PIN is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinFor {
    /// A payment of stored value above the brand's PIN-free limit (named in
    /// the messages); it waits 24 hours after a reset by SMS.
    PaymentAbove(Fen),
    /// Changing the PIN: the current one proves who is asking.
    Change,
}

/// Checks `given` against the member's PIN, counting wrong ones; `why` it
/// is asked decides what a recent reset by SMS means.
///
/// A guess takes one of the five slots of the lock window *before* the slow
/// hash check, under the member's PIN lock, so guesses arriving together can
/// never check more than five; a right PIN clears the count only if no lock
/// was set while it was being checked.
pub async fn check(
    state: &AppState,
    member_id: i64,
    given: Option<&str>,
    why: PinFor,
) -> AppResult<()> {
    let (pin_hash, ordinal) = claim_guess(state, member_id, given, why).await?;
    let given = given.map(str::trim).unwrap_or_default().to_string();
    let right = password::verify(given, Some(pin_hash)).await?;

    let tx = begin_write(&state.db).await?;
    crate::db::lock_key(&tx, &pin_lock(member_id)).await?;
    let fresh = member_pin::Entity::find_by_id(member_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let now = state.clock.now_ms();
    if let Some(until) = fresh.locked_until.filter(|u| *u > now) {
        // Locked while this guess was checked: even a right PIN waits.
        return Err(locked(until - now));
    }
    if right {
        if fresh.failures != 0 {
            let mut am = fresh.into_active_model();
            am.failures = Set(0);
            am.locked_until = Set(None);
            am.update(&tx).await?;
            tx.commit().await?;
        }
        return Ok(());
    }
    // This wrong guess was counted when it claimed its slot (the
    // `ordinal`-th of the window); the last slot's guess sets the lock.
    if ordinal >= MAX_FAILURES && fresh.failures >= MAX_FAILURES {
        let mut am = fresh.into_active_model();
        am.locked_until = Set(Some(now + LOCK_MS));
        am.update(&tx).await?;
        tx.commit().await?;
        return Err(locked(LOCK_MS));
    }
    Err(
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::WrongPin)
            .with("remaining", MAX_FAILURES - ordinal.min(MAX_FAILURES - 1)),
    )
}

fn pin_lock(member_id: i64) -> String {
    format!("member-pin:{member_id}")
}

fn locked(for_ms: i64) -> AppError {
    AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::PinLocked)
        .with("retry_after", (for_ms + 999) / 1000)
}

/// Counts a guess against the lock window before it is checked and hands
/// back the hash to check it against and the guess's place in the window;
/// refuses it when the PIN is locked or
/// the window's five guesses are taken (checked or still being checked).
async fn claim_guess(
    state: &AppState,
    member_id: i64,
    given: Option<&str>,
    why: PinFor,
) -> AppResult<(String, i32)> {
    let tx = begin_write(&state.db).await?;
    crate::db::lock_key(&tx, &pin_lock(member_id)).await?;
    let shown = match why {
        PinFor::PaymentAbove(above) => above.0,
        PinFor::Change => 0,
    };
    let Some(row) = member_pin::Entity::find_by_id(member_id).one(&tx).await? else {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PinNotSet)
                .with("above", shown),
        );
    };
    let now = state.clock.now_ms();
    // Reset by SMS a moment ago (a stolen phone can do that): a payment
    // that needs the PIN waits out the day, whatever PIN is given.
    if let (PinFor::PaymentAbove(_), Some(reset)) = (why, row.reset_at)
        && now < reset + AFTER_RESET_MS
    {
        let wait = reset + AFTER_RESET_MS - now;
        return Err(
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::PinRecentlyReset)
                .with("above", shown)
                .with("retry_after", (wait + 999) / 1000),
        );
    }
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        return Err(locked(until - now));
    }
    if given.map(str::trim).is_none_or(str::is_empty) {
        return Err(
            AppError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PinRequired)
                .with("above", shown),
        );
    }
    // A lock that has run out starts a new window.
    let taken = if row.locked_until.is_some() {
        0
    } else {
        row.failures
    };
    if taken >= MAX_FAILURES {
        // All five slots are taken and none has set the lock: five guesses
        // are being checked right now, or some were never settled (a
        // dropped request). Lock now, so the window always ends in a lock
        // that runs out.
        let mut am = row.into_active_model();
        am.locked_until = Set(Some(now + LOCK_MS));
        am.update(&tx).await?;
        tx.commit().await?;
        return Err(locked(LOCK_MS));
    }
    let hash = row.pin_hash.clone();
    let mut am = row.into_active_model();
    am.failures = Set(taken + 1);
    am.locked_until = Set(None);
    am.update(&tx).await?;
    tx.commit().await?;
    Ok((hash, taken + 1))
}
