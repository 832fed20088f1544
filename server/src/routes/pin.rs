//! The member's payment PIN: setting and changing it (the checks live in
//! [`crate::stored_value::pin`]).

use crate::auth::MemberCaller;
use crate::entity::member_pin;
use crate::error::{AppError, AppJson, AppResult};
use crate::password;
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value::pin::{check, is_set};
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::EntityTrait;
use sea_orm::Set;
use sea_orm::sea_query::OnConflict;
use shared::api;
use shared::dto::SetPin;
use shared::money::Fen;

/// Routes.
pub fn router() -> Api {
    Api::new().at(api::SetPaymentPin, set_pin)
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
