//! The member's payment PIN: setting and changing it (the checks live in
//! [`crate::stored_value::pin`]).

use crate::auth::{ClientIp, MemberCaller};
use crate::db::{begin_write, lock_key};
use crate::entity::member_pin;
use crate::error::{AppError, AppJson, AppResult};
use crate::identity::member_login;
use crate::password;
use crate::routes::Api;
use crate::sms::Sms;
use crate::state::AppState;
use crate::stored_value::pin::{check, is_set};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use sea_orm::Set;
use sea_orm::sea_query::OnConflict;
use shared::ErrorCode;
use shared::api;
use shared::dto::{PinReset, SetPin, SmsCodeSent};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::SetPaymentPin, set_pin)
        .at(api::SendPinResetCode, send_reset_code)
        .at(api::ResetPaymentPin, reset_pin)
}

/// Member: a code to their own phone, to reset a forgotten PIN (the login
/// codes' limits per phone and per address).
async fn send_reset_code(
    State(state): State<AppState>,
    caller: MemberCaller,
    ClientIp(ip): ClientIp,
) -> AppResult<Json<SmsCodeSent>> {
    let phone = caller.member.phone.clone();
    let brand = &caller.brand;
    let tx = begin_write(&state.db).await?;
    lock_key(&tx, &format!("sms:{phone}")).await?;
    lock_key(&tx, &format!("sms-ip:{ip}")).await?;
    let now = state.clock.now_ms();
    let wait = member_login::wait(&state, &tx, &phone, &ip, now).await?;
    if wait > 0 {
        return Err(
            AppError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
                .with("retry_after", (wait + 999) / 1000),
        );
    }
    let code = member_login::issue(&tx, brand.id, &phone, ip, now).await?;
    let body = format!(
        "【{}】您正在重置支付密码，验证码 {code}，5 分钟内有效。如非本人操作，请勿告诉任何人。",
        brand.name
    );
    let sms = Sms {
        brand_id: brand.id,
        phone,
        body,
        at: now,
    };
    state.sms.send(&tx, sms).await?;
    tx.commit().await?;
    let sender = state.sms.clone();
    tokio::spawn(async move { sender.flush().await });
    Ok(Json(SmsCodeSent {
        resend_after: 60,
        expires_in: (member_login::CODE_TTL_MS / 1000) as u64,
    }))
}

/// Member: a new PIN with the code sent to their phone. The wrong-PIN count
/// and lock go; for 24 hours payments that need the PIN wait, and the
/// member is told so by SMS.
async fn reset_pin(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppJson(req): AppJson<PinReset>,
) -> AppResult<StatusCode> {
    let pin = shared::validate::pin(&req.pin).map_err(|r| AppError::invalid("pin", r))?;
    let hash = password::hash(pin).await?;
    let (brand, phone) = (&caller.brand, caller.member.phone.clone());
    let now = state.clock.now_ms();
    let tx = begin_write(&state.db).await?;
    let tx = member_login::take_code(tx, brand.id, &phone, &req.code, now).await?;
    member_pin::Entity::insert(member_pin::ActiveModel {
        member_id: Set(caller.member.id),
        pin_hash: Set(hash),
        failures: Set(0),
        locked_until: Set(None),
        updated_at: Set(now),
        reset_at: Set(Some(now)),
    })
    .on_conflict(
        OnConflict::column(member_pin::Column::MemberId)
            .update_columns([
                member_pin::Column::PinHash,
                member_pin::Column::Failures,
                member_pin::Column::LockedUntil,
                member_pin::Column::UpdatedAt,
                member_pin::Column::ResetAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    let rules = crate::stored_value::settings::settings(&tx, brand.id).await?;
    let body = format!(
        "【{}】您的支付密码已通过短信验证码重置。24 小时内只能免密支付 {} 以内的金额。如非本人操作，请立即联系门店冻结账户。",
        brand.name, rules.pin_above
    );
    let sms = Sms {
        brand_id: brand.id,
        phone,
        body,
        at: now,
    };
    state.sms.send(&tx, sms).await?;
    tx.commit().await?;
    let sender = state.sms.clone();
    tokio::spawn(async move { sender.flush().await });
    Ok(StatusCode::NO_CONTENT)
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
            Some(current) => check(&state, member_id, Some(current), None).await?,
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
        reset_at: Set(None),
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
