//! A member's own profile: what they see of themselves and may change.

use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::{brand, member};
use crate::error::{AppError, AppResult, check};
use crate::state::AppState;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, Set,
};
use shared::dto::{MemberProfile, MemberProfileUpdate};
use shared::validate;

/// A member as they see themselves.
pub async fn of(conn: &impl ConnectionTrait, m: member::Model) -> AppResult<MemberProfile> {
    let home_store = match m.home_store_id {
        Some(id) => crate::chain::find_store(conn, m.brand_id, id)
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
        points_sms: m.points_sms_at.is_some(),
    })
}

/// Changes a member's name, birthday (not after today in the brand's time
/// zone; set once: staff correct it), gender (empty clears it) or their
/// agreement to SMS reminders of expiring points.
pub async fn update(
    state: &AppState,
    brand: &brand::Model,
    m: &member::Model,
    req: &MemberProfileUpdate,
) -> AppResult<MemberProfile> {
    let today = crate::ledger::business_date(&brand.time_zone, state.clock.now_ms());
    let mut am = m.clone().into_active_model();
    let mut set_birthday = None;
    if let Some(name) = &req.name {
        am.name = Set(check("member_name", validate::person_name(name))?);
    }
    if let Some(birthday) = &req.birthday {
        let new = if birthday.trim().is_empty() {
            None
        } else {
            Some(check("birthday", validate::birthday(birthday, &today))?)
        };
        // Set once (it decides the birthday gift and points): staff
        // correct it, audited (`members::correct_birthday`).
        if m.birthday.is_some() && new != m.birthday {
            return Err(AppError::invalid("birthday", "birthday_set"));
        }
        set_birthday = new.filter(|_| m.birthday.is_none());
    }
    if let Some(gender) = &req.gender {
        am.gender = Set(match gender.as_str() {
            "" => None,
            "male" | "female" => Some(gender.clone()),
            _ => return Err(AppError::invalid("gender", "unknown")),
        });
    }
    // The agreement keeps when it was given (asked again, it keeps the
    // first time); taking it back always clears it, whatever this request
    // read (another device may have agreed meanwhile).
    match (req.points_sms, m.points_sms_at) {
        (Some(true), None) => am.points_sms_at = Set(Some(state.clock.now_ms())),
        (Some(false), _) => am.points_sms_at = Set(None),
        _ => {}
    }
    let tx = begin_write(&state.db).await?;
    // The first birthday: only where none was set meanwhile (two saves at
    // once, or HQ's correction).
    if let Some(day) = &set_birthday {
        let set = member::Entity::update_many()
            .col_expr(member::Column::Birthday, Expr::value(day.clone()))
            .filter(member::Column::Id.eq(m.id))
            .filter(
                Condition::any()
                    .add(member::Column::Birthday.is_null())
                    .add(member::Column::Birthday.eq(day.clone())),
            )
            .exec(&tx)
            .await?;
        if set.rows_affected != 1 {
            return Err(AppError::invalid("birthday", "birthday_set"));
        }
        am.birthday = Set(Some(day.clone()));
    }
    let updated = am.update(&tx).await?;
    let p = of(&tx, updated).await?;
    tx.commit().await?;
    Ok(p)
}
