//! The member's payment PIN: setting and changing it (the checks live in
//! [`crate::stored_value::pin`]).

use crate::auth::{ClientIp, MemberCaller};
use crate::db::begin_write;
use crate::entity::member_pin;
use crate::error::{AppError, AppJson, AppResult};
use crate::identity::member_login;
use crate::password;
use crate::routes::Api;
use crate::sms::Sms;
use crate::state::AppState;
use crate::stored_value::pin::{PinFor, check, is_set};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, EntityTrait};
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
    let purpose = member_login::CodePurpose::PinReset;
    let sent = member_login::send_code_to(&state, &caller.brand, phone, ip, purpose).await?;
    Ok(Json(sent))
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
    save(&tx, caller.member.id, hash, now, true).await?;
    let rules = crate::stored_value::settings::settings(&tx, brand.id).await?;
    let body = format!(
        "【{}】您的支付密码已通过短信验证码重置。24 小时内只能免密支付 {} 以内的金额。如非本人操作，请立即联系门店冻结账户。",
        brand.name, rules.pin_above
    );
    let sms = Sms::code(brand.id, phone, body, now);
    crate::sms::send_on_commit(&state.sms, tx, sms).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Saves a member's new PIN hash: the wrong-PIN count and lock go; a reset
/// by SMS (`by_sms`) also starts the 24 hours of PIN-free payments only, and
/// an ordinary change never ends them early.
async fn save(
    conn: &impl ConnectionTrait,
    member_id: i64,
    hash: String,
    now: i64,
    by_sms: bool,
) -> AppResult<()> {
    use member_pin::Column as C;
    let mut columns = vec![C::PinHash, C::Failures, C::LockedUntil, C::UpdatedAt];
    if by_sms {
        columns.push(C::ResetAt);
    }
    member_pin::Entity::insert(member_pin::ActiveModel {
        member_id: Set(member_id),
        pin_hash: Set(hash),
        failures: Set(0),
        locked_until: Set(None),
        updated_at: Set(now),
        reset_at: Set(by_sms.then_some(now)),
    })
    .on_conflict(
        OnConflict::column(C::MemberId)
            .update_columns(columns)
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
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
            Some(current) => check(&state, member_id, Some(current), PinFor::Change).await?,
            None => return Err(AppError::invalid("current", "required")),
        }
    }
    let hash = password::hash(pin).await?;
    let now = state.clock.now_ms();
    let tx = crate::db::begin_write(&state.db).await?;
    save(&tx, member_id, hash, now, false).await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
