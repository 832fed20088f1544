//! A member's login: a code sent by SMS to their phone (rate limited per
//! phone and per client address), then the phone and code, which register
//! the member in the brand on their first login (with consent).

use super::find_brand;
use super::profile;
use crate::auth;
use crate::chain;
use crate::db::{WriteTx, begin_write, lock_key};
use crate::entity::{brand, member, sms_code, sms_send};
use crate::error::{AppError, AppResult, check};
use crate::sms::Sms;
use crate::state::AppState;
use axum::http::StatusCode;
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use shared::ErrorCode;
use shared::dto::{InviteBinding, MemberLoginRequest, MemberSession, SmsCodeRequest, SmsCodeSent};
use shared::validate;
use subtle::ConstantTimeEq;

/// A code lives this long.
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong guesses allowed per code.
pub const MAX_ATTEMPTS: i32 = 5;

fn code_digest(brand_id: i64, phone: &str, code: &str) -> String {
    auth::digest(&format!("{brand_id}:{phone}:{code}"))
}

/// How long until the oldest send that still counts against `limit` in
/// `window_ms` leaves the window; zero when under the limit.
async fn wait_for(
    conn: &impl ConnectionTrait,
    column: sms_send::Column,
    key: &str,
    now: i64,
    limit: u32,
    window_ms: i64,
) -> AppResult<i64> {
    let recent: Vec<i64> = sms_send::Entity::find()
        .select_only()
        .column(sms_send::Column::SentAt)
        .filter(column.eq(key))
        .filter(sms_send::Column::SentAt.gt(now - window_ms))
        .order_by_desc(sms_send::Column::SentAt)
        .limit(u64::from(limit))
        .into_tuple()
        .all(conn)
        .await?;
    if recent.len() < limit as usize {
        return Ok(0);
    }
    // With limit 0 nothing is ever allowed: wait a whole window.
    let oldest_counted = recent.last().copied().unwrap_or(now);
    Ok(oldest_counted + window_ms - now)
}

/// How long a send to `phone` from `ip` must wait under every limit (the
/// longest wait); zero when it may go now.
async fn wait(
    state: &AppState,
    conn: &impl ConnectionTrait,
    phone: &str,
    ip: &str,
    now: i64,
) -> AppResult<i64> {
    let l = &state.limits;
    let mut wait = 0;
    for (limit, window) in [
        (l.sms_per_minute, 60_000),
        (l.sms_per_hour, 3_600_000),
        (l.sms_per_day, 86_400_000),
    ] {
        let w = wait_for(conn, sms_send::Column::Phone, phone, now, limit, window).await?;
        wait = Ord::max(wait, w);
    }
    let by_ip = wait_for(
        conn,
        sms_send::Column::ClientIp,
        ip,
        now,
        l.sms_per_ip_hour,
        3_600_000,
    )
    .await?;
    Ok(Ord::max(wait, by_ip))
}

/// Stores a new code for `phone` (closing any earlier one still open) and
/// records the send against the limits; returns the code.
async fn issue(
    tx: &DatabaseTransaction,
    brand_id: i64,
    phone: &str,
    ip: String,
    now: i64,
) -> AppResult<String> {
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    sms_code::Entity::update_many()
        .col_expr(sms_code::Column::ExpiresAt, Expr::value(now))
        .filter(sms_code::Column::BrandId.eq(brand_id))
        .filter(sms_code::Column::Phone.eq(phone))
        .filter(sms_code::Column::UsedAt.is_null())
        .filter(sms_code::Column::ExpiresAt.gt(now))
        .exec(tx)
        .await?;
    sms_code::ActiveModel {
        brand_id: Set(brand_id),
        phone: Set(phone.into()),
        code_hash: Set(code_digest(brand_id, phone, &code)),
        created_at: Set(now),
        expires_at: Set(now + CODE_TTL_MS),
        failed_attempts: Set(0),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    sms_send::ActiveModel {
        phone: Set(phone.into()),
        client_ip: Set(ip),
        sent_at: Set(now),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(code)
}

/// Sends a login code to a phone. Rate limited per phone across the
/// deployment (1/min, 5/h, 10/day by default) and per client address.
pub async fn send_code(
    state: &AppState,
    slug: &str,
    ip: String,
    req: &SmsCodeRequest,
) -> AppResult<SmsCodeSent> {
    let brand = find_brand(state, slug).await?;
    let phone = check("phone", validate::phone(&req.phone))?;
    send_code_to(state, &brand, phone, ip, CodePurpose::Login).await
}

/// What a code is for: its SMS says so.
#[derive(Clone, Copy, Debug)]
pub enum CodePurpose {
    /// Logging in (and registering).
    Login,
    /// Resetting a forgotten payment PIN.
    PinReset,
}

/// Sends a code for `purpose` to `phone` in `brand`, under the same limits
/// whatever it is for (per phone across the deployment, per address).
pub async fn send_code_to(
    state: &AppState,
    brand: &brand::Model,
    phone: String,
    ip: String,
    purpose: CodePurpose,
) -> AppResult<SmsCodeSent> {
    let tx = begin_write(&state.db).await?;
    // Both counters are read and the send recorded under their locks, so
    // sends racing from one address (to many phones) or to one phone (from
    // many addresses) cannot pass either limit. Always phone, then address.
    lock_key(&tx, &format!("sms:{phone}")).await?;
    lock_key(&tx, &format!("sms-ip:{ip}")).await?;
    let now = state.clock.now_ms();
    let wait = wait(state, &tx, &phone, &ip, now).await?;
    if wait > 0 {
        return Err(
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
                .with("retry_after", (wait + 999) / 1000),
        );
    }
    let code = issue(&tx, brand.id, &phone, ip, now).await?;
    let body = match purpose {
        CodePurpose::Login => format!(
            "【{}】您的登录验证码是 {code}，5 分钟内有效。请勿告诉他人。",
            brand.name
        ),
        CodePurpose::PinReset => format!(
            "【{}】您正在重置支付密码，验证码 {code}，5 分钟内有效。如非本人操作，请勿告诉任何人。",
            brand.name
        ),
    };
    let sms = Sms::code(brand.id, phone, body, now);
    crate::sms::send_on_commit(&state.sms, tx, sms).await?;
    Ok(SmsCodeSent {
        resend_after: 60,
        expires_in: (CODE_TTL_MS / 1000) as u64,
    })
}

/// Takes the code sent to `phone` (a login code or a PIN-reset code: both
/// prove the phone): a wrong one is counted (five and it locks), a right one
/// is used up in `tx`.
pub(crate) async fn take_code(
    tx: WriteTx,
    brand_id: i64,
    phone: &str,
    code: &str,
    now: i64,
) -> AppResult<WriteTx> {
    let code = check("code", validate::sms_code(code))?;
    lock_key(&tx, &format!("login:{brand_id}:{phone}")).await?;
    let sent = open_code(&tx, brand_id, phone, now).await?;
    let expected = code_digest(brand_id, phone, &code);
    if !bool::from(expected.as_bytes().ct_eq(sent.code_hash.as_bytes())) {
        return Err(wrong_guess(tx, &sent).await?);
    }
    use_code(&tx, sent.id, now).await?;
    Ok(tx)
}

/// The code last sent to `phone` if it is still open, or why not.
async fn open_code(
    tx: &DatabaseTransaction,
    brand_id: i64,
    phone: &str,
    now: i64,
) -> AppResult<sms_code::Model> {
    let open = sms_code::Entity::find()
        .filter(sms_code::Column::BrandId.eq(brand_id))
        .filter(sms_code::Column::Phone.eq(phone))
        .filter(sms_code::Column::UsedAt.is_null())
        .order_by_desc(sms_code::Column::Id)
        .one(tx)
        .await?;
    let Some(sent) = open.filter(|c| c.expires_at > now) else {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::SmsCodeExpired,
        ));
    };
    if sent.failed_attempts >= MAX_ATTEMPTS {
        return Err(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::SmsCodeLocked,
        ));
    }
    Ok(sent)
}

/// Counts a wrong guess against the code (committed, so the count holds)
/// and says how many are left, or that the code is now locked.
async fn wrong_guess(tx: WriteTx, sent: &sms_code::Model) -> AppResult<AppError> {
    sms_code::Entity::update_many()
        .col_expr(
            sms_code::Column::FailedAttempts,
            Expr::col(sms_code::Column::FailedAttempts).add(1),
        )
        .filter(sms_code::Column::Id.eq(sent.id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    let remaining = MAX_ATTEMPTS - sent.failed_attempts - 1;
    if remaining <= 0 {
        return Ok(AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::SmsCodeLocked,
        ));
    }
    Ok(
        AppError::new(StatusCode::BAD_REQUEST, ErrorCode::WrongSmsCode)
            .with("remaining", remaining),
    )
}

/// Uses the code up; a code used by a login racing this one is expired.
async fn use_code(tx: &DatabaseTransaction, id: i64, now: i64) -> AppResult<()> {
    let used = sms_code::Entity::update_many()
        .col_expr(sms_code::Column::UsedAt, Expr::value(now))
        .filter(sms_code::Column::Id.eq(id))
        .filter(sms_code::Column::UsedAt.is_null())
        .exec(tx)
        .await?;
    if used.rows_affected != 1 {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::SmsCodeExpired,
        ));
    }
    Ok(())
}

/// A new member of the brand, at home in its default store.
async fn register(
    tx: &DatabaseTransaction,
    brand: &brand::Model,
    phone: &str,
    now: i64,
) -> AppResult<member::Model> {
    let home = chain::default_store(tx, brand.id).await?;
    Ok(member::ActiveModel {
        brand_id: Set(brand.id),
        phone: Set(phone.into()),
        name: Set(String::new()),
        birthday: Set(None),
        gender: Set(None),
        home_store_id: Set(home.map(|s| s.id)),
        registered_at: Set(now),
        consent_at: Set(now),
        frozen: Set(false),
        invited_by: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?)
}

/// Logs in with phone and code in the brand of `slug`; registers the
/// member on their first login (which needs consent: the code stays usable
/// until it is given), bound to the owner of the invite code it carries.
/// An unknown invite code is refused before anything is written (the SMS
/// code stays usable); an existing member is never rebound.
pub async fn login(
    state: &AppState,
    slug: &str,
    req: &MemberLoginRequest,
) -> AppResult<MemberSession> {
    let brand = find_brand(state, slug).await?;
    let phone = check("phone", validate::phone(&req.phone))?;
    let code = check("code", validate::sms_code(&req.code))?;
    let tx = begin_write(&state.db).await?;
    lock_key(&tx, &format!("login:{}:{phone}", brand.id)).await?;
    let now = state.clock.now_ms();
    let sent = open_code(&tx, brand.id, &phone, now).await?;
    let expected = code_digest(brand.id, &phone, &code);
    if !bool::from(expected.as_bytes().ct_eq(sent.code_hash.as_bytes())) {
        return Err(wrong_guess(tx, &sent).await?);
    }
    let existing = member::Entity::find()
        .filter(member::Column::BrandId.eq(brand.id))
        .filter(member::Column::Phone.eq(&phone))
        .one(&tx)
        .await?;
    // A newcomer's invite code must be someone's; a member is never kept
    // out by an old link.
    let invite_code = req.invite_code.as_deref().map(str::trim);
    let invite_code = invite_code.filter(|c| !c.is_empty());
    let inviter = match (invite_code, &existing) {
        (Some(c), None) => Some(crate::invites::inviter_of(&tx, brand.id, c).await?),
        (Some(c), Some(_)) => crate::invites::inviter_of(&tx, brand.id, c).await.ok(),
        (None, _) => None,
    };
    if existing.is_none() && !req.consent {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ConsentRequired,
        ));
    }
    use_code(&tx, sent.id, now).await?;
    let registered = existing.is_none();
    let (member, invite) = match (existing, inviter) {
        (Some(m), Some(by)) if by.id == m.id => (m, Some(InviteBinding::OwnCode)),
        (Some(m), _) => {
            let already = invite_code.map(|_| InviteBinding::AlreadyMember);
            (m, already)
        }
        (None, by) => {
            let m = register(&tx, &brand, &phone, now).await?;
            let invite = match by {
                Some(by) => crate::invites::bind(&tx, &brand, &m, &by, now).await?,
                None => None,
            };
            (m, invite)
        }
    };
    let hours = state.limits.session_hours;
    let token = auth::open_session(
        &tx,
        &state.clock,
        hours,
        auth::Subject::Member,
        member.id,
        brand.id,
    )
    .await?;
    let member = profile::of(&tx, member).await?;
    tx.commit().await?;
    Ok(MemberSession {
        token,
        registered,
        member,
        invite,
    })
}
