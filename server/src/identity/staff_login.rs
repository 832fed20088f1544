//! A staff member's login (account and password, in the brand of the URL),
//! who they are, and a change of their own password.

use super::staff_accounts::view;
use super::{find_brand, to_public};
use crate::audit::{self, Record};
use crate::auth::{self, Actor};
use crate::db::begin_write;
use crate::entity::{brand, staff};
use crate::error::{AppError, AppResult, check};
use crate::guess_limit::{self, Refused, STAFF_ACCOUNT, STAFF_ADDRESS};
use crate::password;
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    Set,
};
use shared::ErrorCode;
use shared::dto::{AuditAction, PasswordChange, StaffLoginRequest, StaffSession};
use shared::validate;

/// The two guess slots a login takes: one under the account typed (an
/// unknown account counts under its name, so it answers like a known one)
/// and one under the client address.
struct Slots {
    account: String,
    address: String,
}

impl Slots {
    fn of(brand_id: i64, typed: &str, account: Option<&str>, ip: &str) -> Slots {
        let typed: String = typed.trim().to_lowercase().chars().take(64).collect();
        Slots {
            account: guess_limit::staff_account_key(brand_id, account.unwrap_or(&typed)),
            address: guess_limit::staff_address_key(ip),
        }
    }

    /// Takes both slots, or refuses: the address slows (never locking
    /// anyone's account), the account locks for longer and longer.
    async fn claim(&self, state: &AppState, now: i64) -> AppResult<()> {
        guess_limit::claim(&state.db, &self.address, STAFF_ADDRESS, now)
            .await
            .map_err(|r| guess_limit::refusal(r, ErrorCode::TooManyAttempts))?;
        if let Err(r) = guess_limit::claim(&state.db, &self.account, STAFF_ACCOUNT, now).await {
            // Not a guess at this address after all: give its slot back.
            let _ = guess_limit::settle(&state.db, &self.address, STAFF_ADDRESS, true, now).await;
            return Err(guess_limit::refusal(r, ErrorCode::AccountLocked));
        }
        Ok(())
    }

    /// Settles both slots with whether the guess was `ok`; a wrong guess
    /// that locks a real account is in its brand's audit log.
    async fn settle(
        &self,
        state: &AppState,
        brand_id: i64,
        ok: bool,
        found: Option<&staff::Model>,
        ip: &str,
    ) -> AppResult<()> {
        let now = state.clock.now_ms();
        let by_account =
            guess_limit::settle(&state.db, &self.account, STAFF_ACCOUNT, ok, now).await;
        let by_address =
            guess_limit::settle(&state.db, &self.address, STAFF_ADDRESS, ok, now).await;
        if let (false, Some(staff)) = (ok, found) {
            let rec = Record::new(AuditAction::StaffLoginFailed, target(staff))
                .store(staff.store_id)
                .note(ip.to_string());
            let tx = crate::db::begin_write(&state.db).await?;
            audit::record(&tx, now, brand_id, None, rec).await?;
            tx.commit().await?;
        }
        if let Err(r) = by_account {
            if let (false, Some(staff), Refused::Locked(_)) = (ok, found, &r) {
                let rec = Record::new(AuditAction::StaffLoginLocked, target(staff))
                    .store(staff.store_id)
                    .note(ip.to_string());
                let tx = crate::db::begin_write(&state.db).await?;
                audit::record(&tx, now, brand_id, None, rec).await?;
                tx.commit().await?;
            }
            return Err(guess_limit::refusal(r, ErrorCode::AccountLocked));
        }
        by_address.map_err(|r| guess_limit::refusal(r, ErrorCode::TooManyAttempts))
    }
}

/// A staff account as the audit log names it.
pub fn target(s: &staff::Model) -> String {
    format!("#{} {} ({})", s.id, s.name, s.account)
}

/// Logs in to the brand of `slug`. Guesses are limited per account
/// (growing lockout, HQ admin unlocks) and per client address (slowed,
/// never locking anyone's account); an unknown account is checked against
/// a dummy hash and counted under its name, so it answers exactly like a
/// known one.
pub async fn login(
    state: &AppState,
    slug: &str,
    ip: &str,
    req: StaffLoginRequest,
) -> AppResult<StaffSession> {
    let brand = find_brand(state, slug).await?;
    let account = validate::account(&req.account).ok();
    let slots = Slots::of(brand.id, &req.account, account.as_deref(), ip);
    slots.claim(state, state.clock.now_ms()).await?;
    let found = match &account {
        Some(account) => {
            staff::Entity::find()
                .filter(staff::Column::BrandId.eq(brand.id))
                .filter(staff::Column::Account.eq(account))
                .filter(staff::Column::ApiKey.eq(false))
                .one(&state.db)
                .await?
        }
        None => None,
    };
    let hash = found.as_ref().map(|s| s.password_hash.clone());
    let ok = password::verify(req.password, hash).await? && found.is_some();
    slots
        .settle(state, brand.id, ok, found.as_ref(), ip)
        .await?;
    let Some(staff) = found.filter(|_| ok) else {
        return Err(AppError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::WrongCredentials,
        ));
    };
    if !staff.active {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::AccountDeactivated,
        ));
    }
    let tx = begin_write(&state.db).await?;
    let session = open(&tx, state, &brand, staff, AuditAction::StaffLogin).await?;
    tx.commit().await?;
    Ok(session)
}

/// A new session for `staff`, with `action` in the audit log.
async fn open(
    tx: &DatabaseTransaction,
    state: &AppState,
    brand: &brand::Model,
    staff: staff::Model,
    action: AuditAction,
) -> AppResult<StaffSession> {
    let hours = state.limits.session_hours;
    let token = auth::open_session(
        tx,
        &state.clock,
        hours,
        auth::Subject::Staff,
        staff.id,
        brand.id,
    )
    .await?;
    let now = state.clock.now_ms();
    let rec = Record::new(action, target(&staff)).store(staff.store_id);
    audit::record(tx, now, brand.id, Some(staff.id), rec).await?;
    let staff = view(tx, now, staff).await?;
    Ok(StaffSession {
        token,
        staff,
        brand: to_public(state, tx, brand).await?,
    })
}

/// Who a logged-in staff member is (no new token).
pub async fn me(
    state: &AppState,
    brand: &brand::Model,
    staff: staff::Model,
) -> AppResult<StaffSession> {
    Ok(StaffSession {
        token: String::new(),
        staff: view(&state.db, state.clock.now_ms(), staff).await?,
        brand: to_public(state, &state.db, brand).await?,
    })
}

/// Changes one's own password (in person: an API key has none). Every
/// session ends, this one too; a fresh session is returned so the caller
/// stays logged in here.
pub async fn change_password(
    state: &AppState,
    by: &Actor,
    req: PasswordChange,
) -> AppResult<StaffSession> {
    by.in_person()?;
    let new = check("password", validate::password(&req.new))?;
    let me = staff::Entity::find_by_id(by.staff_id)
        .one(&state.db)
        .await?
        .ok_or_else(AppError::unauthenticated)?;
    if !password::verify(req.current, Some(me.password_hash.clone())).await? {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WrongCurrentPassword,
        ));
    }
    let hash = password::hash(new).await?;
    let tx = begin_write(&state.db).await?;
    let mut m = me.into_active_model();
    m.password_hash = Set(hash);
    let updated = m.update(&tx).await?;
    auth::revoke_all(&tx, state.clock.now_ms(), auth::Subject::Staff, updated.id).await?;
    let session = open(
        &tx,
        state,
        &by.brand,
        updated,
        AuditAction::StaffPasswordChange,
    )
    .await?;
    tx.commit().await?;
    Ok(session)
}
