//! Member identity: SMS code login (registering on first login), profile,
//! logout.

use crate::auth::{self, ActiveMember, ClientIp, MemberCaller};
use crate::clock::rfc3339;
use crate::db::{begin_write, lock_key};
use crate::entity::{member, sms_code, sms_send, store};
use crate::error::{AppError, AppJson, AppPath, AppResult, check};
use crate::routes::Api;
use crate::routes::public::find_brand;
use crate::sms::Sms;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rand::Rng;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use shared::ErrorCode;
use shared::api;
use shared::dto::{
    MemberLoginRequest, MemberProfile, MemberProfileUpdate, MemberSession, SmsCodeRequest,
    SmsCodeSent,
};
use shared::validate;
use subtle::ConstantTimeEq;

/// A code lives this long.
pub const CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// Wrong guesses allowed per code.
pub const MAX_ATTEMPTS: i32 = 5;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::SendSmsCode, send_code)
        .at(api::MemberLogin, login)
        .at(api::MemberMe, me)
        .at(api::UpdateMemberMe, update_me)
        .at(api::MemberLogout, logout)
}

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

/// Public: send a login code to a phone. Rate limited per phone across the
/// deployment (1/min, 5/h, 10/day by default) and per client address.
async fn send_code(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    ClientIp(ip): ClientIp,
    AppJson(req): AppJson<SmsCodeRequest>,
) -> AppResult<Json<SmsCodeSent>> {
    let brand = find_brand(&state, &slug).await?;
    let phone = check("phone", validate::phone(&req.phone))?;
    let tx = begin_write(&state.db).await?;
    // Both counters are read and the send recorded under their locks, so
    // sends racing from one address (to many phones) or to one phone (from
    // many addresses) cannot pass either limit. Always phone, then address.
    lock_key(&tx, &format!("sms:{phone}")).await?;
    lock_key(&tx, &format!("sms-ip:{ip}")).await?;
    let now = state.clock.now_ms();
    let l = &state.limits;
    let mut wait = 0;
    for (limit, window) in [
        (l.sms_per_minute, 60_000),
        (l.sms_per_hour, 3_600_000),
        (l.sms_per_day, 86_400_000),
    ] {
        wait = Ord::max(
            wait,
            wait_for(&tx, sms_send::Column::Phone, &phone, now, limit, window).await?,
        );
    }
    wait = Ord::max(
        wait,
        wait_for(
            &tx,
            sms_send::Column::ClientIp,
            &ip,
            now,
            l.sms_per_ip_hour,
            3_600_000,
        )
        .await?,
    );
    if wait > 0 {
        let secs = (wait + 999) / 1000;
        return Err(
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
                .with("retry_after", secs),
        );
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    // A new code replaces any earlier one still open.
    sms_code::Entity::update_many()
        .col_expr(sms_code::Column::ExpiresAt, Expr::value(now))
        .filter(sms_code::Column::BrandId.eq(brand.id))
        .filter(sms_code::Column::Phone.eq(&phone))
        .filter(sms_code::Column::UsedAt.is_null())
        .filter(sms_code::Column::ExpiresAt.gt(now))
        .exec(&tx)
        .await?;
    sms_code::ActiveModel {
        brand_id: Set(brand.id),
        phone: Set(phone.clone()),
        code_hash: Set(code_digest(brand.id, &phone, &code)),
        created_at: Set(now),
        expires_at: Set(now + CODE_TTL_MS),
        failed_attempts: Set(0),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    sms_send::ActiveModel {
        phone: Set(phone.clone()),
        client_ip: Set(ip),
        sent_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let body = format!(
        "【{}】您的登录验证码是 {code}，5 分钟内有效。请勿告诉他人。",
        brand.name
    );
    state
        .sms
        .send(
            &tx,
            Sms {
                brand_id: brand.id,
                phone,
                body,
                at: now,
            },
        )
        .await?;
    tx.commit().await?;
    let sender = state.sms.clone();
    tokio::spawn(async move { sender.flush().await });
    Ok(Json(SmsCodeSent {
        resend_after: 60,
        expires_in: (CODE_TTL_MS / 1000) as u64,
    }))
}

/// Public: log in with phone + code; registers the member on first login
/// (with consent) in the brand of the URL.
async fn login(
    State(state): State<AppState>,
    AppPath(slug): AppPath<String>,
    AppJson(req): AppJson<MemberLoginRequest>,
) -> AppResult<Json<MemberSession>> {
    let brand = find_brand(&state, &slug).await?;
    let phone = check("phone", validate::phone(&req.phone))?;
    let code = check("code", validate::sms_code(&req.code))?;
    let tx = begin_write(&state.db).await?;
    lock_key(&tx, &format!("login:{}:{phone}", brand.id)).await?;
    let now = state.clock.now_ms();
    let open = sms_code::Entity::find()
        .filter(sms_code::Column::BrandId.eq(brand.id))
        .filter(sms_code::Column::Phone.eq(&phone))
        .filter(sms_code::Column::UsedAt.is_null())
        .order_by_desc(sms_code::Column::Id)
        .one(&tx)
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
    let expected = code_digest(brand.id, &phone, &code);
    if !bool::from(expected.as_bytes().ct_eq(sent.code_hash.as_bytes())) {
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
            return Err(AppError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::SmsCodeLocked,
            ));
        }
        return Err(
            AppError::new(StatusCode::BAD_REQUEST, ErrorCode::WrongSmsCode)
                .with("remaining", remaining),
        );
    }
    let existing = member::Entity::find()
        .filter(member::Column::BrandId.eq(brand.id))
        .filter(member::Column::Phone.eq(&phone))
        .one(&tx)
        .await?;
    // Registration needs consent; the code stays usable until it is given.
    if existing.is_none() && !req.consent {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::ConsentRequired,
        ));
    }
    let used = sms_code::Entity::update_many()
        .col_expr(sms_code::Column::UsedAt, Expr::value(now))
        .filter(sms_code::Column::Id.eq(sent.id))
        .filter(sms_code::Column::UsedAt.is_null())
        .exec(&tx)
        .await?;
    if used.rows_affected != 1 {
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::SmsCodeExpired,
        ));
    }
    let registered = existing.is_none();
    let member = match existing {
        Some(m) => m,
        None => {
            let home = store::Entity::find()
                .filter(store::Column::BrandId.eq(brand.id))
                .filter(store::Column::IsDefault.eq(true))
                .one(&tx)
                .await?;
            member::ActiveModel {
                brand_id: Set(brand.id),
                phone: Set(phone.clone()),
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
            .insert(&tx)
            .await?
        }
    };
    let token = auth::open_session(
        &tx,
        &state.clock,
        state.limits.session_hours,
        auth::MEMBER,
        member.id,
        brand.id,
    )
    .await?;
    let profile = profile(&tx, member).await?;
    tx.commit().await?;
    Ok(Json(MemberSession {
        token,
        registered,
        member: profile,
    }))
}

async fn profile(conn: &impl ConnectionTrait, m: member::Model) -> AppResult<MemberProfile> {
    let home_store = match m.home_store_id {
        Some(id) => store::Entity::find_by_id(id)
            .one(conn)
            .await?
            .map(|s| s.name),
        None => None,
    };
    Ok(MemberProfile {
        id: m.id,
        phone: m.phone,
        name: m.name,
        birthday: m.birthday,
        gender: m.gender,
        home_store,
        registered_at: rfc3339(m.registered_at),
        level: None,
        frozen: m.frozen,
    })
}

/// Member: their own profile.
async fn me(State(state): State<AppState>, caller: MemberCaller) -> AppResult<Json<MemberProfile>> {
    Ok(Json(profile(&state.db, caller.member).await?))
}

/// Member (not frozen): change name, birthday, gender.
async fn update_me(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    AppJson(req): AppJson<MemberProfileUpdate>,
) -> AppResult<Json<MemberProfile>> {
    let tz: chrono_tz::Tz = caller
        .brand
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Shanghai);
    let today = state
        .clock
        .now()
        .with_timezone(&tz)
        .format("%Y-%m-%d")
        .to_string();
    let mut m = caller.member.clone().into_active_model();
    if let Some(name) = &req.name {
        m.name = Set(check("member_name", validate::person_name(name))?);
    }
    if let Some(birthday) = &req.birthday {
        m.birthday = Set(if birthday.trim().is_empty() {
            None
        } else {
            Some(check("birthday", validate::birthday(birthday, &today))?)
        });
    }
    if let Some(gender) = &req.gender {
        m.gender = Set(match gender.as_str() {
            "" => None,
            "male" | "female" => Some(gender.clone()),
            _ => return Err(AppError::invalid("gender", "unknown")),
        });
    }
    let tx = begin_write(&state.db).await?;
    let updated = m.update(&tx).await?;
    let p = profile(&tx, updated).await?;
    tx.commit().await?;
    Ok(Json(p))
}

/// Member: end this session.
async fn logout(State(state): State<AppState>, caller: MemberCaller) -> AppResult<StatusCode> {
    auth::revoke(&state.db, state.clock.now_ms(), caller.session_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
