//! The card wallet (卡包, DESIGN.md "Cards and coupons"): service items and
//! card types HQ defines (`catalogue`), cards members buy in the app or
//! staff sell at the counter (`sale`), a card's uses and their undo
//! (`usage`), 退卡 of a card (`refund`), and what time does to cards:
//! period cards released to their store day by day, cards past their end
//! date expired, HQ's extensions (`lifecycle`); what members and staff see
//! (`views`).
//!
//! A card's money is the ledger's: each card owns kept accounts for what it
//! still owes by how it was paid (`card_principal`, `card_bonus`,
//! `card_online`, `card_cash`) and, for a count card, its uses
//! (`card_uses`). Every movement takes a share of each funding account, so
//! the card always remembers how what is left was paid, and the last use or
//! day takes exactly what is left. A card is changed only under its lock
//! (`card:ID`), and its state by compare-and-set.

pub mod catalogue;
pub mod images;
pub mod lifecycle;
pub mod period;
pub mod refund;
pub mod sale;
pub mod usage;
pub mod views;

use crate::db::lock_key;
use crate::entity::member_card;
use crate::error::{AppError, AppResult};
use crate::ledger::{self, Account, Kind, Line};
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, sea_query,
};
use shared::ErrorCode;
use shared::dto::CardState;
use shared::money::{Bp, Fen};

/// The funding accounts of a card, in the order their shares are taken.
pub const FUNDING: [Kind; 4] = [
    Kind::CardPrincipal,
    Kind::CardBonus,
    Kind::CardOnline,
    Kind::CardCash,
];

/// A card's accounts and balances, read under its lock.
#[derive(Clone, Copy, Debug)]
pub struct CardFunds {
    /// The funding accounts ([`FUNDING`]'s order) and their balances.
    pub funding: [(Account, i64); 4],
    /// Its uses, for a count card.
    pub uses: Option<(Account, i64)>,
}

impl CardFunds {
    /// What the card still holds in money.
    pub fn remaining(&self) -> Fen {
        Fen(self.funding.iter().map(|(_, b)| *b).sum())
    }

    /// The balance of one funding kind.
    pub fn of(&self, kind: Kind) -> i64 {
        self.funding
            .iter()
            .find(|(a, _)| a.kind == kind)
            .map_or(0, |(_, b)| *b)
    }

    /// One `left`-th of each funding account (all of it when `left` is 1):
    /// a use's or a day's share. Shares of one card add up to its price.
    pub fn shares(&self, left: i64) -> [(Account, i64); 4] {
        self.funding.map(|(a, b)| (a, share(b, left)))
    }
}

/// One `left`-th of `balance`, rounded down; all of it for the last.
pub fn share(balance: i64, left: i64) -> i64 {
    if left <= 1 { balance } else { balance / left }
}

/// The card's accounts: the funding ones and, for a count card, its uses
/// (created at sale, so here they exist).
pub async fn card_accounts(
    tx: &DatabaseTransaction,
    card: &member_card::Model,
    now: i64,
) -> Result<(Vec<Account>, Option<Account>), sea_orm::DbErr> {
    let mut wanted: Vec<(Kind, i64)> = FUNDING.iter().map(|k| (*k, card.id)).collect();
    if card.kind == shared::dto::CardKind::Count.as_str() {
        wanted.push((Kind::CardUses, card.id));
    }
    let mut ids = ledger::account_ids(tx, card.brand_id, &wanted, now).await?;
    let uses = (ids.len() > FUNDING.len()).then(|| ids.remove(FUNDING.len()));
    Ok((ids, uses))
}

/// Locks the card until the transaction ends and reads it with its
/// balances.
pub async fn lock_card(
    tx: &DatabaseTransaction,
    brand_id: i64,
    card_id: i64,
    now: i64,
) -> AppResult<(member_card::Model, CardFunds)> {
    lock_key(tx, &format!("card:{card_id}")).await?;
    let card = member_card::Entity::find_by_id(card_id)
        .filter(member_card::Column::BrandId.eq(brand_id))
        .one(tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (funding, uses) = card_accounts(tx, &card, now).await?;
    let balances = ledger::balances(tx, funding.iter().chain(uses.iter()).map(|a| a.id)).await?;
    let bal = |a: &Account| balances.get(&a.id).copied().unwrap_or(0);
    let funds = CardFunds {
        funding: [0, 1, 2, 3].map(|i| (funding[i], bal(&funding[i]))),
        uses: uses.map(|a| (a, bal(&a))),
    };
    Ok((card, funds))
}

/// The card's state as stored.
pub fn state_of(card: &member_card::Model) -> AppResult<CardState> {
    CardState::parse(&card.state)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card {} state {}", card.id, card.state)))
}

/// Refuses a card that is not active: refunded or expired (409).
pub fn must_be_active(card: &member_card::Model) -> AppResult<()> {
    match state_of(card)? {
        CardState::Active => Ok(()),
        other => Err(closed(other)),
    }
}

/// A card refunded or expired.
pub fn closed(state: CardState) -> AppError {
    AppError::new(StatusCode::CONFLICT, ErrorCode::CardClosed).with("state", state.as_str())
}

/// Moves the card from `from` to `to` (compare-and-set; false when another
/// got there first).
pub async fn set_state(
    tx: &DatabaseTransaction,
    card_id: i64,
    from: CardState,
    to: CardState,
    closed_at: Option<i64>,
) -> AppResult<bool> {
    let done = member_card::Entity::update_many()
        .col_expr(member_card::Column::State, Expr::value(to.as_str()))
        .col_expr(
            member_card::Column::ClosedAt,
            Expr::value(sea_query::Value::BigInt(closed_at)),
        )
        .filter(member_card::Column::Id.eq(card_id))
        .filter(member_card::Column::State.eq(from.as_str()))
        .exec(tx)
        .await?;
    Ok(done.rows_affected == 1)
}

/// The lines that settle `shares` of a card to a store: each funding
/// account gives its share; the store's wallet gets the principal, online
/// and cash parts and the bonus part at HQ's settlement rate, the brand's
/// bonus income the rest of the bonus.
pub fn settle_lines(
    shares: &[(Account, i64); 4],
    wallet: Account,
    income: Account,
    settle: Bp,
) -> Vec<Line> {
    let mut lines = Vec::with_capacity(6);
    let mut to_store = 0;
    let mut bonus = 0;
    for (account, amount) in shares {
        if *amount == 0 {
            continue;
        }
        lines.push(Line::fen(*account, Fen(-amount)));
        if account.kind == Kind::CardBonus {
            bonus += amount;
        } else {
            to_store += amount;
        }
    }
    let settled = settle.of(Fen(bonus)).0.min(bonus);
    lines.push(Line::fen(wallet, Fen(to_store + settled)));
    lines.push(Line::fen(income, Fen(bonus - settled)));
    lines
}

/// Whether the card's type is honoured (or sold) at `store_id`.
pub async fn type_at_store(
    conn: &impl ConnectionTrait,
    card_type: &crate::entity::card_type::Model,
    store_id: i64,
    role: catalogue::StoreRole,
) -> AppResult<bool> {
    use crate::entity::card_type_store as cts;
    let everywhere = match role {
        catalogue::StoreRole::Sold => card_type.sold_everywhere,
        catalogue::StoreRole::Honoured => card_type.honoured_everywhere,
    };
    if everywhere {
        return Ok(true);
    }
    let col = match role {
        catalogue::StoreRole::Sold => cts::Column::Sold,
        catalogue::StoreRole::Honoured => cts::Column::Honoured,
    };
    Ok(cts::Entity::find()
        .filter(cts::Column::CardTypeId.eq(card_type.id))
        .filter(cts::Column::StoreId.eq(store_id))
        .filter(col.eq(true))
        .one(conn)
        .await?
        .is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Taking `share(balance, left)` until nothing is left takes the
        /// balance exactly, never more than is there, in `left` steps.
        #[test]
        fn shares_add_up_to_the_balance(balance in 0i64..10_000_000, left in 1i64..400) {
            let (mut bal, mut n, mut taken) = (balance, left, 0);
            while n > 0 {
                let s = share(bal, n);
                prop_assert!(s >= 0 && s <= bal);
                bal -= s;
                taken += s;
                n -= 1;
            }
            prop_assert_eq!(bal, 0);
            prop_assert_eq!(taken, balance);
        }
    }
}
