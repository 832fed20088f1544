//! HQ's view of the brand's members (masked phones, search, keyset paging;
//! a region manager sees the members at home in their region) and freezing.

use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::chain;
use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::{gateway_order, member, member_pin};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
};
use shared::ErrorCode;
use shared::dto::{
    AuditAction, MemberDetail, MemberListItem, MemberSearch, OrderState, Page, Role,
};
use shared::validate::mask_phone;
use std::collections::HashMap;

/// A LIKE pattern matching `term` literally anywhere: `%` and `_` typed
/// into the search box are characters to find, not wildcards.
fn containing(term: &str) -> LikeExpr {
    let escaped = term
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    LikeExpr::new(format!("%{escaped}%")).escape('!')
}

/// The members `by` may see that match the search: by name, or by four or
/// more digits of the phone.
fn matching(by: &Actor, query: &MemberSearch) -> Select<member::Entity> {
    let mut q = member::Entity::find().filter(member::Column::BrandId.eq(by.brand.id));
    if by.role == Role::RegionManager {
        let in_region = chain::region_store_ids(by.brand.id, by.region_id.unwrap_or(-1));
        q = q.filter(member::Column::HomeStoreId.in_subquery(in_region));
    }
    if let Some(term) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let digits: String = term.chars().filter(char::is_ascii_digit).collect();
        let mut any = Condition::any().add(member::Column::Name.like(containing(term)));
        if digits.len() >= 4 {
            any = any.add(member::Column::Phone.like(containing(&digits)));
        }
        q = q.filter(any);
    }
    q
}

/// Members as the list shows them, with their home stores' names.
async fn items(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    rows: Vec<member::Model>,
) -> AppResult<Vec<MemberListItem>> {
    let ids = rows.iter().filter_map(|m| m.home_store_id).collect();
    let stores: HashMap<i64, String> = names::store_names(conn, brand_id, ids).await?;
    Ok(rows
        .into_iter()
        .map(|m| MemberListItem {
            id: m.id,
            phone_masked: mask_phone(&m.phone),
            name: m.name,
            home_store: m.home_store_id.and_then(|id| stores.get(&id).cloned()),
            registered_at: rfc3339(m.registered_at),
            frozen: m.frozen,
            closed: m.closed_at.is_some(),
        })
        .collect())
}

/// The brand's member with this phone, or 404.
pub async fn by_phone(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    phone: &str,
) -> AppResult<member::Model> {
    member::Entity::find()
        .filter(member::Column::BrandId.eq(brand_id))
        .filter(member::Column::Phone.eq(phone))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, ErrorCode::MemberNotRegistered))
}

/// The brand's member with this id, or 404.
pub async fn in_brand(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    id: i64,
) -> AppResult<member::Model> {
    member::Entity::find_by_id(id)
        .filter(member::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

/// The member `id` if `by` may see them (a region manager: at home in
/// their region), else 404.
pub async fn visible(state: &AppState, by: &Actor, id: i64) -> AppResult<member::Model> {
    matching(by, &MemberSearch::default())
        .filter(member::Column::Id.eq(id))
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)
}

/// One member in full for HQ's member page: the list's facts, the birthday
/// and their stored value.
pub async fn detail(state: &AppState, by: &Actor, id: i64) -> AppResult<MemberDetail> {
    let m = visible(state, by, id).await?;
    let (principal, bonus) = crate::ledger::member_balance(&state.db, by.brand.id, m.id).await?;
    let birthday = m.birthday.clone();
    let member = items(&state.db, by.brand.id, vec![m])
        .await?
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a member has no list item")))?;
    Ok(MemberDetail {
        member,
        birthday,
        principal,
        bonus,
    })
}

/// One page of the members `by` may see, newest first.
pub async fn list(
    state: &AppState,
    by: &Actor,
    query: &MemberSearch,
) -> AppResult<Page<MemberListItem>> {
    let mut q = matching(by, query);
    if let Some(after) = query.after {
        q = q.filter(member::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(member::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let items = items(&state.db, by.brand.id, rows).await?;
    Ok(Page { items, next_cursor })
}

/// A member as the audit log names them: id and masked phone.
pub fn target(m: &member::Model) -> String {
    format!("#{} {}", m.id, mask_phone(&m.phone))
}

/// Freezes a member (they can no longer pay or be written off) or lifts it;
/// audited.
pub async fn set_frozen(
    state: &AppState,
    by: &Actor,
    id: i64,
    frozen: bool,
) -> AppResult<MemberListItem> {
    let tx = begin_write(&state.db).await?;
    let m = in_brand(&tx, by.brand.id, id).await?;
    if m.closed_at.is_some() {
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::MemberClosed));
    }
    let mut am = m.into_active_model();
    am.frozen = Set(frozen);
    let m = am.update(&tx).await?;
    let action = if frozen {
        AuditAction::MemberFreeze
    } else {
        AuditAction::MemberUnfreeze
    };
    let now = state.clock.now_ms();
    audit::by(&tx, by, now, Record::new(action, target(&m))).await?;
    let item = items(&tx, by.brand.id, vec![m]).await?.pop();
    tx.commit().await?;
    item.ok_or_else(|| AppError::Internal(anyhow::anyhow!("a member has no list item")))
}

/// Corrects member `id`'s birthday (members set it once themselves);
/// audited with what it was and is.
pub async fn correct_birthday(
    state: &AppState,
    by: &Actor,
    id: i64,
    birthday: &str,
) -> AppResult<MemberListItem> {
    let now = state.clock.now_ms();
    let today = crate::ledger::business_date(&by.brand.time_zone, now);
    let birthday = shared::validate::birthday(birthday, &today)
        .map_err(|r| AppError::invalid("birthday", r))?;
    let tx = begin_write(&state.db).await?;
    let m = in_brand(&tx, by.brand.id, id).await?;
    if m.closed_at.is_some() {
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::MemberClosed));
    }
    let before = m.birthday.clone();
    let mut am = m.into_active_model();
    am.birthday = Set(Some(birthday.clone()));
    let m = am.update(&tx).await?;
    let rec = Record::new(AuditAction::MemberBirthday, target(&m)).extra(serde_json::json!({
        "before": before,
        "after": birthday,
    }));
    audit::by(&tx, by, now, rec).await?;
    let item = items(&tx, by.brand.id, vec![m]).await?.pop();
    tx.commit().await?;
    item.ok_or_else(|| AppError::Internal(anyhow::anyhow!("a member has no list item")))
}

/// Closes member `m`'s account (注销). Refused while they hold stored value
/// (退卡 at a store first) or a payment or top-up is under way; otherwise,
/// in one transaction under their money lock: the phone and profile are
/// cleared (the row stays for the ledger), the PIN goes, the account is
/// frozen and every session ends. The phone can register again as a new
/// member.
pub async fn close_account(state: &AppState, m: &member::Model) -> AppResult<()> {
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let funds = crate::ledger::lock_member(&tx, m.brand_id, m.id, now).await?;
    if funds.total().is_positive() {
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::AccountHasBalance)
                .with("balance", funds.total().0),
        );
    }
    // Cards still holding value or uses: 退卡 of them first.
    if let Some(on_cards) = crate::cards::views::held_on_cards(&tx, m.brand_id, m.id).await? {
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::AccountHasBalance)
                .with("balance", on_cards.0),
        );
    }
    let open = gateway_order::Entity::find()
        .filter(gateway_order::Column::BrandId.eq(m.brand_id))
        .filter(gateway_order::Column::MemberId.eq(m.id))
        .filter(
            gateway_order::Column::State
                .is_in([OrderState::Created.as_str(), OrderState::Failed.as_str()]),
        )
        .count(&tx)
        .await?;
    if open > 0 {
        return Err(AppError::new(StatusCode::CONFLICT, ErrorCode::Conflict));
    }
    let mut am = member::Entity::find_by_id(m.id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?
        .into_active_model();
    am.phone = Set(format!("closed:{}", m.id));
    am.name = Set(String::new());
    am.birthday = Set(None);
    am.gender = Set(None);
    am.frozen = Set(true);
    am.closed_at = Set(Some(now));
    am.update(&tx).await?;
    member_pin::Entity::delete_by_id(m.id).exec(&tx).await?;
    crate::auth::revoke_all(&tx, now, crate::auth::Subject::Member, m.id).await?;
    tx.commit().await?;
    Ok(())
}
