//! 钱包: a store's wallet (what HQ owes the store: available and frozen) and
//! its every movement; HQ's view of every wallet, the stored value owed to
//! members and what bonuses cost.

use crate::auth::{HqMoney, Managers, RoleSet, StaffCaller, admits};
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::entity::{account, journal_entry, journal_line, member, store};
use crate::error::{AppError, AppPath, AppQuery, AppResult};
use crate::ledger::Kind;
use crate::paging::{PAGE_SIZE, split_page};
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use shared::api;
use shared::dto::AfterQuery;
use shared::dto::{BrandMoney, Page, Role, WalletEntry, WalletView};
use shared::money::Fen;
use shared::validate::mask_phone;
use std::collections::HashMap;

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::StoreWallet, wallet)
        .at(api::WalletEntries, entries)
        .at(api::ScopeWallets, scope_wallets)
        .at(api::BrandMoneyView, brand_money)
}

/// The store whose wallet the caller may read: its manager, the region
/// manager of its region, HQ admin and finance. A clerk reads no wallet;
/// a store outside the caller's scope does not exist for them.
pub(crate) async fn readable_store<R: RoleSet>(
    state: &AppState,
    caller: &StaffCaller<R>,
    store_id: i64,
) -> AppResult<store::Model> {
    const { assert!(!admits(R::ROLES, Role::Clerk), "a clerk reads no wallet") };
    let shop = store_in_brand(&state.db, caller.brand.id, store_id).await?;
    if !caller.covers_store(shop.id, shop.region_id) {
        return Err(AppError::not_found());
    }
    Ok(shop)
}

/// The ids of a brand's accounts of `kind`, by owner.
async fn accounts_by_owner(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    kind: Kind,
    owners: Option<&[i64]>,
) -> AppResult<HashMap<i64, i64>> {
    let mut q = account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Kind.eq(kind.as_str()));
    if let Some(owners) = owners {
        q = q.filter(account::Column::OwnerId.is_in(owners.to_vec()));
    }
    Ok(q.all(conn)
        .await?
        .into_iter()
        .map(|a| (a.owner_id, a.id))
        .collect())
}

/// The balances of append-only accounts (the sums of their lines), by id.
async fn sums(conn: &impl ConnectionTrait, ids: Vec<i64>) -> AppResult<HashMap<i64, i64>> {
    #[derive(FromQueryResult)]
    struct Sum {
        account_id: i64,
        total: Option<i64>,
    }
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = journal_line::Entity::find()
        .select_only()
        .column(journal_line::Column::AccountId)
        .column_as(
            Expr::col(journal_line::Column::Amount)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .filter(journal_line::Column::AccountId.is_in(ids))
        .group_by(journal_line::Column::AccountId)
        .into_model::<Sum>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.account_id, r.total.unwrap_or(0)))
        .collect())
}

/// The wallets of `shops`, in their order.
async fn wallets(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    shops: &[store::Model],
) -> AppResult<Vec<WalletView>> {
    let owners: Vec<i64> = shops.iter().map(|s| s.id).collect();
    let open = accounts_by_owner(conn, brand_id, Kind::StoreWallet, Some(&owners)).await?;
    let frozen = accounts_by_owner(conn, brand_id, Kind::StoreFrozen, Some(&owners)).await?;
    let counter = accounts_by_owner(conn, brand_id, Kind::CounterClearing, Some(&owners)).await?;
    let totals = sums(
        conn,
        open.values()
            .chain(frozen.values())
            .chain(counter.values())
            .copied()
            .collect(),
    )
    .await?;
    let of = |ids: &HashMap<i64, i64>, store: i64| {
        Fen(ids
            .get(&store)
            .and_then(|id| totals.get(id))
            .copied()
            .unwrap_or(0))
    };
    Ok(shops
        .iter()
        .map(|s| {
            let available = of(&open, s.id);
            // Cash taken is a debit of the counter's clearing account.
            let cash = Fen(Ord::max(-of(&counter, s.id).0, 0));
            WalletView {
                store_id: s.id,
                store_name: s.name.clone(),
                available,
                frozen: of(&frozen, s.id),
                cash_to_hand_in: cash,
                withdrawable: Fen(Ord::max(available.0 - cash.0, 0)),
            }
        })
        .collect())
}

/// One store's wallet.
pub(crate) async fn wallet_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    shop: store::Model,
) -> AppResult<WalletView> {
    let mut views = wallets(conn, brand_id, &[shop]).await?;
    views.pop().ok_or_else(AppError::not_found)
}

/// The wallets of every store in the caller's scope (HQ: all; a region
/// manager: their region's; a store manager: their own), by store name.
async fn scope_wallets(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
) -> AppResult<Json<Vec<WalletView>>> {
    let shops: Vec<store::Model> = store::Entity::find()
        .filter(store::Column::BrandId.eq(caller.brand.id))
        .order_by_asc(store::Column::Name)
        .all(&state.db)
        .await?
        .into_iter()
        .filter(|s| caller.covers_store(s.id, s.region_id))
        .collect();
    Ok(Json(wallets(&state.db, caller.brand.id, &shops).await?))
}

/// A store's wallet.
async fn wallet(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
) -> AppResult<Json<WalletView>> {
    let shop = readable_store(&state, &caller, store_id).await?;
    Ok(Json(wallet_of(&state.db, caller.brand.id, shop).await?))
}

/// Every movement of a store's wallet, newest first, keyset-paged.
async fn entries(
    State(state): State<AppState>,
    caller: StaffCaller<Managers>,
    AppPath(store_id): AppPath<i64>,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<WalletEntry>>> {
    let shop = readable_store(&state, &caller, store_id).await?;
    let brand_id = caller.brand.id;
    let Some(&wallet_id) =
        accounts_by_owner(&state.db, brand_id, Kind::StoreWallet, Some(&[shop.id]))
            .await?
            .get(&shop.id)
    else {
        // No payment yet: the wallet opens with the first.
        return Ok(Json(Page {
            items: Vec::new(),
            next_cursor: None,
        }));
    };
    let mut q = journal_line::Entity::find().filter(journal_line::Column::AccountId.eq(wallet_id));
    if let Some(after) = query.after {
        q = q.filter(journal_line::Column::Id.lt(after));
    }
    let lines = q
        .order_by_desc(journal_line::Column::Id)
        .limit(PAGE_SIZE + 1)
        .all(&state.db)
        .await?;
    let (lines, next_cursor) = split_page(lines, |l| l.id);
    let entry_ids: Vec<i64> = lines.iter().map(|l| l.entry_id).collect();
    let entries: HashMap<i64, journal_entry::Model> = journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::Id.is_in(entry_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect();
    let member_ids: Vec<i64> = entries.values().filter_map(|e| e.member_id).collect();
    let phones: HashMap<i64, String> = member::Entity::find()
        .filter(member::Column::BrandId.eq(brand_id))
        .filter(member::Column::Id.is_in(member_ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|m| (m.id, mask_phone(&m.phone)))
        .collect();
    let items = lines
        .into_iter()
        .filter_map(|l| {
            let e = entries.get(&l.entry_id)?;
            Some(WalletEntry {
                id: l.id,
                kind: e.kind.clone(),
                op_ref: e.op_ref.clone(),
                amount: Fen(l.amount),
                member_phone_masked: e.member_id.and_then(|m| phones.get(&m).cloned()),
                business_date: e.business_date.clone(),
                at: rfc3339(e.created_at),
            })
        })
        .collect();
    Ok(Json(Page { items, next_cursor }))
}

/// HQ admin and finance: every store's wallet, the stored value owed to
/// members and what bonuses cost the brand.
async fn brand_money(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
) -> AppResult<Json<BrandMoney>> {
    let brand_id = caller.brand.id;
    let shops = store::Entity::find()
        .filter(store::Column::BrandId.eq(brand_id))
        .order_by_asc(store::Column::Name)
        .all(&state.db)
        .await?;
    let wallets = wallets(&state.db, brand_id, &shops).await?;
    #[derive(FromQueryResult)]
    struct Owed {
        kind: String,
        total: Option<i64>,
    }
    let owed = account::Entity::find()
        .select_only()
        .column(account::Column::Kind)
        .column_as(
            Expr::col(account::Column::Balance).sum().cast_as("BIGINT"),
            "total",
        )
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Kind.is_in([
            Kind::MemberPrincipal.as_str(),
            Kind::MemberBonus.as_str(),
            Kind::MemberHold.as_str(),
        ]))
        .group_by(account::Column::Kind)
        .into_model::<Owed>()
        .all(&state.db)
        .await?;
    let owed_of = |k: Kind| {
        Fen(owed
            .iter()
            .filter(|o| o.kind == k.as_str())
            .filter_map(|o| o.total)
            .sum())
    };
    let expense_ids: Vec<i64> =
        accounts_by_owner(&state.db, brand_id, Kind::PromotionExpense, None)
            .await?
            .into_values()
            .collect();
    // Bonuses granted are debits of the expense account, claw-backs credits.
    let expense = -sums(&state.db, expense_ids).await?.values().sum::<i64>();
    Ok(Json(BrandMoney {
        wallets_available: Fen(wallets.iter().map(|w| w.available.0).sum()),
        wallets_frozen: Fen(wallets.iter().map(|w| w.frozen.0).sum()),
        wallets,
        liability_principal: owed_of(Kind::MemberPrincipal),
        liability_bonus: owed_of(Kind::MemberBonus),
        liability_held: owed_of(Kind::MemberHold),
        promotion_expense: Fen(expense),
    }))
}
