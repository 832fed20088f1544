//! HQ's member list (masked phones, search, keyset paging) and freezing.

use crate::audit;
use crate::auth::{ChainReaders, HqAdmin, StaffCaller};
use crate::clock::rfc3339;
use crate::db::begin_write;
use crate::entity::{member, store};
use crate::error::{AppError, AppPath, AppQuery, AppResult};
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Set,
};
use serde_json::json;
use shared::api;
use shared::dto::MemberSearch;
use shared::dto::{MemberListItem, Page, Role};
use shared::validate::mask_phone;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListMembers, list)
        .at(api::FreezeMember, freeze)
        .at(api::UnfreezeMember, unfreeze)
}

/// HQ and region managers: members of the brand, newest first.
async fn list(
    State(state): State<AppState>,
    caller: StaffCaller<ChainReaders>,
    AppQuery(query): AppQuery<MemberSearch>,
) -> AppResult<Json<Page<MemberListItem>>> {
    let mut q = member::Entity::find().filter(member::Column::BrandId.eq(caller.brand.id));
    // A region manager sees the members whose home store is in their region.
    if caller.role == Role::RegionManager {
        let region_id = caller.staff.region_id.unwrap_or(-1);
        let in_region = store::Entity::find()
            .select_only()
            .column(store::Column::Id)
            .filter(store::Column::BrandId.eq(caller.brand.id))
            .filter(store::Column::RegionId.eq(region_id));
        q = q.filter(member::Column::HomeStoreId.in_subquery(in_region.into_query()));
    }
    if let Some(term) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let digits: String = term.chars().filter(char::is_ascii_digit).collect();
        let mut any = Condition::any().add(member::Column::Name.like(containing(term)));
        if digits.len() >= 4 {
            any = any.add(member::Column::Phone.like(containing(&digits)));
        }
        q = q.filter(any);
    }
    if let Some(after) = query.after {
        q = q.filter(member::Column::Id.lt(after));
    }
    let rows = q
        .order_by_desc(member::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (rows, next_cursor) = split_page(rows, |r| r.id);
    let stores = crate::names::store_names(
        &state.db,
        caller.brand.id,
        rows.iter().filter_map(|m| m.home_store_id).collect(),
    )
    .await?;
    let items = rows
        .into_iter()
        .map(|m| MemberListItem {
            id: m.id,
            phone_masked: mask_phone(&m.phone),
            name: m.name,
            home_store: m.home_store_id.and_then(|id| stores.get(&id).cloned()),
            registered_at: rfc3339(m.registered_at),
            frozen: m.frozen,
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// A LIKE pattern matching `term` literally anywhere: `%` and `_` typed
/// into the search box are characters to find, not wildcards.
fn containing(term: &str) -> LikeExpr {
    let escaped = term
        .replace('!', "!!")
        .replace('%', "!%")
        .replace('_', "!_");
    LikeExpr::new(format!("%{escaped}%")).escape('!')
}

async fn set_frozen(
    state: AppState,
    caller: StaffCaller<HqAdmin>,
    id: i64,
    frozen: bool,
) -> AppResult<Json<MemberListItem>> {
    let tx = begin_write(&state.db).await?;
    let m = member::Entity::find_by_id(id)
        .filter(member::Column::BrandId.eq(caller.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut am = m.into_active_model();
    am.frozen = Set(frozen);
    let m = am.update(&tx).await?;
    let now = state.clock.now_ms();
    let action = if frozen {
        "member.freeze"
    } else {
        "member.unfreeze"
    };
    let target = format!("member #{} {}", m.id, mask_phone(&m.phone));
    audit::record(
        &tx,
        now,
        caller.brand.id,
        Some(caller.staff.id),
        action,
        target,
        json!({}),
    )
    .await?;
    let home_store = match m.home_store_id {
        Some(sid) => store::Entity::find_by_id(sid)
            .one(&tx)
            .await?
            .map(|s| s.name),
        None => None,
    };
    tx.commit().await?;
    Ok(Json(MemberListItem {
        id: m.id,
        phone_masked: mask_phone(&m.phone),
        name: m.name,
        home_store,
        registered_at: rfc3339(m.registered_at),
        frozen: m.frozen,
    }))
}

/// HQ admin: freeze a member (they can no longer pay or be written off).
async fn freeze(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberListItem>> {
    set_frozen(state, caller, id, true).await
}

/// HQ admin: unfreeze a member.
async fn unfreeze(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberListItem>> {
    set_frozen(state, caller, id, false).await
}
