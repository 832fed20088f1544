//! The store wallet (钱包): what HQ owes each store (available, frozen for
//! withdrawals, counter cash still to hand in) and its every movement;
//! withdrawals from it (提现) with the payee account they pay; counter cash
//! handed in; HQ's view of every wallet and of what the brand owes members.
//!
//! Services take a connection and the staff member as an [`Actor`]; the HTTP
//! layer (`routes::wallet`, `routes::withdrawals`, `routes::cash`) extracts
//! the caller, whose role set its endpoint declares, and calls one of them.
//! The scope a service checks is the data's: a store outside the actor's
//! scope does not exist for them.

pub mod cash;
pub mod messages;
pub mod payee;
pub mod statement;
#[cfg(test)]
mod tests;
pub mod views;
pub mod withdraw;
pub mod withdrawals;

use crate::auth::Actor;
use crate::chain;
use crate::clock::rfc3339;
use crate::entity::store;
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Kind};
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use shared::dto::{BrandMoney, EntryKind, Page, WalletEntry, WalletView, WithdrawalState};
use shared::money::Fen;
use std::collections::HashMap;

/// The wallets of `shops`, in their order.
async fn wallets(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    shops: &[store::Model],
) -> AppResult<Vec<WalletView>> {
    let owners: Vec<i64> = shops.iter().map(|s| s.id).collect();
    let open = ledger::accounts_by_owner(conn, brand_id, Kind::StoreWallet, Some(&owners)).await?;
    let frozen =
        ledger::accounts_by_owner(conn, brand_id, Kind::StoreFrozen, Some(&owners)).await?;
    let counter =
        ledger::accounts_by_owner(conn, brand_id, Kind::CounterClearing, Some(&owners)).await?;
    let totals = ledger::summed_balances(
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
pub async fn wallet_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    shop: store::Model,
) -> AppResult<WalletView> {
    let mut views = wallets(conn, brand_id, &[shop]).await?;
    views.pop().ok_or_else(AppError::not_found)
}

/// The wallets of every store in the actor's scope (HQ: all; a region
/// manager: their region's; a store manager: their own), by store name.
pub async fn scope_wallets(conn: &impl ConnectionTrait, by: &Actor) -> AppResult<Vec<WalletView>> {
    let shops: Vec<store::Model> = chain::brand_stores(conn, by.brand.id)
        .await?
        .into_iter()
        .filter(|s| by.covers_store(s.id, s.region_id))
        .collect();
    wallets(conn, by.brand.id, &shops).await
}

/// A store's wallet, if the actor's scope covers the store.
pub async fn wallet(
    conn: &impl ConnectionTrait,
    by: &Actor,
    store_id: i64,
) -> AppResult<WalletView> {
    let shop = crate::chain::store_in_scope(conn, by, store_id).await?;
    wallet_of(conn, by.brand.id, shop).await
}

/// Every movement of a store's wallet, newest first, keyset-paged.
pub async fn entries(
    conn: &impl ConnectionTrait,
    by: &Actor,
    store_id: i64,
    after: Option<i64>,
) -> AppResult<Page<WalletEntry>> {
    let shop = crate::chain::store_in_scope(conn, by, store_id).await?;
    let brand_id = by.brand.id;
    let Some(&wallet_id) =
        ledger::accounts_by_owner(conn, brand_id, Kind::StoreWallet, Some(&[shop.id]))
            .await?
            .get(&shop.id)
    else {
        // No payment yet: the wallet opens with the first.
        return Ok(Page {
            items: Vec::new(),
            next_cursor: None,
        });
    };
    let lines = ledger::lines_page(conn, wallet_id, after, PAGE_SIZE).await?;
    let (lines, next_cursor) = split_page(lines, |l| l.id);
    let entry_ids: Vec<i64> = lines.iter().map(|l| l.entry_id).collect();
    let entries = ledger::entries_by_id(conn, brand_id, entry_ids).await?;
    let member_ids: Vec<i64> = entries.values().filter_map(|e| e.member_id).collect();
    let phones = crate::names::member_phones(conn, brand_id, member_ids).await?;
    let withdrawal_ids: Vec<i64> = entries
        .values()
        .filter(|e| e.kind == EntryKind::Withdrawal.as_str())
        .filter_map(|e| e.op_ref.parse().ok())
        .collect();
    let states: HashMap<String, WithdrawalState> = if withdrawal_ids.is_empty() {
        Default::default()
    } else {
        crate::entity::withdrawal::Entity::find()
            .filter(crate::entity::withdrawal::Column::BrandId.eq(brand_id))
            .filter(crate::entity::withdrawal::Column::Id.is_in(withdrawal_ids))
            .all(conn)
            .await?
            .into_iter()
            .filter_map(|w| Some((w.id.to_string(), WithdrawalState::parse(&w.state)?)))
            .collect()
    };
    let items = lines
        .into_iter()
        .filter_map(|l| entries.get(&l.entry_id).map(|e| (l, e)))
        .map(|(l, e)| {
            Ok(WalletEntry {
                id: l.id,
                kind: ledger::entry_kind(&e.kind)?,
                op_ref: e.op_ref.clone(),
                amount: Fen(l.amount),
                member_phone_masked: e.member_id.and_then(|m| phones.get(&m).cloned()),
                business_date: e.business_date.clone(),
                at: rfc3339(e.created_at),
                withdrawal_state: (e.kind == EntryKind::Withdrawal.as_str())
                    .then(|| states.get(&e.op_ref).copied())
                    .flatten(),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok(Page { items, next_cursor })
}

/// Every store's wallet, the stored value owed to members and what bonuses
/// cost the brand.
pub async fn brand_money(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<BrandMoney> {
    let shops = chain::brand_stores(conn, brand_id).await?;
    let wallets = wallets(conn, brand_id, &shops).await?;
    let kinds = [Kind::MemberPrincipal, Kind::MemberBonus, Kind::MemberHold];
    let owed = ledger::kept_totals(conn, brand_id, &kinds).await?;
    let owed_of = |k: Kind| Ok::<Fen, AppError>(owed.get(&k).copied().unwrap_or(Fen::ZERO));
    let expense_ids: Vec<i64> =
        ledger::accounts_by_owner(conn, brand_id, Kind::PromotionExpense, None)
            .await?
            .into_values()
            .collect();
    // Bonuses granted are debits of the expense account, claw-backs credits.
    let expense = Fen::checked_sum(
        ledger::summed_balances(conn, expense_ids)
            .await?
            .into_values()
            .map(Fen),
    )
    .ok_or_else(|| AppError::overflow("promotion expense"))?;
    let total = |part: fn(&WalletView) -> Fen| {
        Fen::checked_sum(wallets.iter().map(part)).ok_or_else(|| AppError::overflow("wallets"))
    };
    Ok(BrandMoney {
        wallets_available: total(|w| w.available)?,
        wallets_frozen: total(|w| w.frozen)?,
        liability_principal: owed_of(Kind::MemberPrincipal)?,
        liability_bonus: owed_of(Kind::MemberBonus)?,
        liability_held: owed_of(Kind::MemberHold)?,
        promotion_expense: -expense,
        wallets,
    })
}
