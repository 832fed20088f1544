//! The member code (会员码): each member's code id and sealed secret, and
//! the scan that takes a code once and opens a write-off ticket.

use super::{TICKET_MS, ticket_view};
use crate::auth::Actor;
use crate::db::{WriteTx, begin_write};
use crate::entity::{brand, member, member_code, write_off_ticket};
use crate::error::{AppError, AppResult};
use crate::guess_limit::{self, MEMBER_CODE_ID, MEMBER_CODE_STORE};
use crate::identity::members;
use crate::state::AppState;
use axum::http::StatusCode;
use rand::{Rng, RngCore};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use shared::ErrorCode;
use shared::dto::{MemberCodeSecret, WriteOffTicket};
use shared::member_code::{self as mc, NotACode, Scanned};

/// How many steps back a code still reads as expired (10 minutes) rather
/// than forged.
const EXPIRED_STEPS: i64 = 20;

/// A refused code, by reason.
fn refused(reason: &'static str) -> AppError {
    AppError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::MemberCodeRefused,
    )
    .with("reason", reason)
}

/// The member's code id and secret, made on first asking.
pub async fn secret_of(
    state: &AppState,
    brand: &brand::Model,
    m: &member::Model,
) -> AppResult<MemberCodeSecret> {
    let now = state.clock.now_ms();
    let row = match member_code::Entity::find_by_id(m.id).one(&state.db).await? {
        Some(row) => row,
        None => create(state, brand.id, m.id, now).await?,
    };
    let secret = state.cipher.open(&row.secret)?;
    Ok(MemberCodeSecret {
        code_id: row.code_id,
        secret,
        server_time_ms: state.clock.now_ms(),
    })
}

/// Makes a member's code id (random, unique in the brand) and secret; two
/// first asks at once make one (the member's row is the key).
async fn create(
    state: &AppState,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> AppResult<member_code::Model> {
    for _ in 0..8 {
        let code_id = format!(
            "{:0width$}",
            rand::rng().random_range(0..10u64.pow(mc::CODE_ID_DIGITS as u32)),
            width = mc::CODE_ID_DIGITS
        );
        let mut secret = [0u8; mc::SECRET_BYTES];
        rand::rng().fill_bytes(&mut secret);
        let row = member_code::ActiveModel {
            member_id: Set(member_id),
            brand_id: Set(brand_id),
            code_id: Set(code_id),
            secret: Set(state.cipher.seal(&mc::to_hex(&secret))?),
            last_step: Set(i64::MIN / 2),
            created_at: Set(now),
        };
        // Either unique key taken (the member's row made meanwhile, or the
        // code id another member's): nothing is written.
        let tx = begin_write(&state.db).await?;
        member_code::Entity::insert(row)
            .on_conflict(OnConflict::new().do_nothing().to_owned())
            .exec_without_returning(&tx)
            .await?;
        let mine = member_code::Entity::find_by_id(member_id).one(&tx).await?;
        tx.commit().await?;
        if let Some(row) = mine {
            return Ok(row);
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free code id for member {member_id}"
    )))
}

/// What checking a code found.
enum Checked {
    /// Right: the ticket opened.
    Right(write_off_ticket::Model),
    /// Wrong, by reason.
    Wrong(&'static str),
}

/// A clerk scans (or types) a member code at their store: the code is taken
/// once and opens a ticket. Wrong codes count against the store and the
/// code id, in the database: the guess, its check and what it opens are one
/// write, under both keys' locks, so the limits hold when guesses arrive
/// together.
pub async fn scan(state: &AppState, by: &Actor, text: &str) -> AppResult<WriteOffTicket> {
    let store_id = by
        .store_id
        .ok_or_else(|| AppError::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden))?;
    let read = mc::parse(text).map_err(|e| {
        refused(match e {
            NotACode::PayCode => "pay_code",
            NotACode::Malformed => "malformed",
        })
    })?;
    let now = state.clock.now_ms();
    let store_key = format!("member-code-store:{store_id}");
    let id_key = format!("member-code:{}:{}", by.brand.id, read.code_id);
    let too_many = |l: guess_limit::Locked| {
        guess_limit::refusal(guess_limit::Refused::Locked(l), ErrorCode::TooManyAttempts)
    };
    let tx = begin_write(&state.db).await?;
    // The store's key first, then the code id's, in every scan. A refusal
    // may have set a lock: it is kept.
    let mut guesses = Vec::with_capacity(2);
    for (key, policy) in [(&store_key, MEMBER_CODE_STORE), (&id_key, MEMBER_CODE_ID)] {
        match guess_limit::guess(&tx, key, policy, now).await? {
            Ok(g) => guesses.push(g),
            Err(l) => {
                tx.commit().await?;
                return Err(too_many(l));
            }
        }
    }
    // An error (a frozen member, say) rolls the whole write back: the guess
    // is not counted, as a right one would not be.
    let ticket = match take(&tx, state, by, store_id, &read, now).await? {
        Checked::Wrong(reason) => {
            // The guess that locked a key is told so (the code id's lock
            // before the store's).
            let mut locked = None;
            for g in guesses.into_iter().rev() {
                locked = locked.or(g.end(&tx, false, now).await?);
            }
            tx.commit().await?;
            return Err(locked.map_or_else(|| refused(reason), too_many));
        }
        Checked::Right(ticket) => {
            for g in guesses.into_iter().rev() {
                g.end(&tx, true, now).await?;
            }
            tx.commit().await?;
            ticket
        }
    };
    ticket_view(&state.db, &by.brand, &ticket, now).await
}

/// In the scan's write `tx`: the code checked against the steps around now,
/// taken by compare-and-set (never a step at or before the last taken), and
/// a ticket opened for the clerk.
async fn take(
    tx: &WriteTx,
    state: &AppState,
    by: &Actor,
    store_id: i64,
    read: &Scanned,
    now: i64,
) -> AppResult<Checked> {
    let Some(row) = member_code::Entity::find()
        .filter(member_code::Column::BrandId.eq(by.brand.id))
        .filter(member_code::Column::CodeId.eq(&read.code_id))
        .one(tx)
        .await?
    else {
        return Ok(Checked::Wrong("unknown"));
    };
    let secret = mc::from_hex(&state.cipher.open(&row.secret)?)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("member code secret")))?;
    let now_step = mc::step_at(now);
    let matches = |step: i64| mc::otp(&secret, step) == read.otp;
    let Some(step) = (now_step - 1..=now_step + 1).find(|s| matches(*s)) else {
        let old = (now_step - EXPIRED_STEPS..now_step - 1).any(matches);
        return Ok(Checked::Wrong(if old { "expired" } else { "forged" }));
    };
    let taken = member_code::Entity::update_many()
        .col_expr(member_code::Column::LastStep, Expr::value(step))
        .filter(member_code::Column::MemberId.eq(row.member_id))
        .filter(member_code::Column::LastStep.lt(step))
        .exec(tx)
        .await?;
    if taken.rows_affected != 1 {
        return Ok(Checked::Wrong("used"));
    }
    let m = members::in_brand(tx, by.brand.id, row.member_id).await?;
    if m.frozen || m.closed_at.is_some() {
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::MemberFrozen,
        ));
    }
    let ticket = write_off_ticket::ActiveModel {
        token: Set(uuid::Uuid::new_v4().simple().to_string()),
        brand_id: Set(by.brand.id),
        store_id: Set(store_id),
        staff_id: Set(by.staff_id),
        member_id: Set(row.member_id),
        created_at: Set(now),
        expires_at: Set(now + TICKET_MS),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(Checked::Right(ticket))
}
