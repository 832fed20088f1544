//! The ledger: the one place value moves. Every movement is a journal entry
//! whose lines sum to zero, committed in the caller's transaction together
//! with the balances it changes.
//!
//! Member accounts keep a balance, changed by guarded statements under the
//! member's lock (debits never go below zero). Store wallets and the brand's
//! own accounts are append-only: a credit is just a line, so many members
//! paying one store never wait on one row; their balance is the sum of lines.

use crate::db::lock_key;
use crate::entity::{account, journal_entry, journal_line};
use anyhow::Context;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::dto::EntryKind;
use shared::money::Fen;
use shared::plan::{PaymentPlan, RefundPlan};
use std::collections::HashMap;

/// What an account counts: money in fen, points, or a card's uses. An entry
/// balances to zero in each unit apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// Money, in fen.
    Fen,
    /// Loyalty points.
    Points,
    /// Uses of a count card.
    Uses,
}

impl Unit {
    /// Every unit.
    pub const ALL: [Unit; 3] = [Unit::Fen, Unit::Points, Unit::Uses];

    /// Name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Fen => "fen",
            Unit::Points => "points",
            Unit::Uses => "uses",
        }
    }
}

/// Whether an account keeps a balance (changed under a lock, never below
/// zero) or is append-only (its balance is the sum of its lines).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keeping {
    Kept,
    Appended,
}

/// The kinds of account, listed once: the variant, its stored name, its
/// unit, and how its balance is kept.
macro_rules! kinds {
    ($($(#[doc = $doc:literal])* $kind:ident = $name:literal, $unit:ident, $keeping:ident;)*) => {
        /// The kinds of account.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($(#[doc = $doc])* $kind,)*
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$kind),*];

            /// Stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$kind => $name,)*
                }
            }

            /// What it counts.
            pub fn unit(self) -> Unit {
                match self {
                    $(Kind::$kind => Unit::$unit,)*
                }
            }

            fn keeping(self) -> Keeping {
                match self {
                    $(Kind::$kind => Keeping::$keeping,)*
                }
            }
        }
    };
}

kinds! {
    /// What a member paid in (owner: member).
    MemberPrincipal = "member_principal", Fen, Kept;
    /// Promotional value a member holds (owner: member).
    MemberBonus = "member_bonus", Fen, Kept;
    /// A member's stored value held while a split payment's gateway leg
    /// runs (owner: member).
    MemberHold = "member_hold", Fen, Kept;
    /// What HQ owes a store (owner: store).
    StoreWallet = "store_wallet", Fen, Appended;
    /// What a store's withdrawals in progress hold (owner: store).
    StoreFrozen = "store_frozen", Fen, Appended;
    /// Money taken at a store's counter for top-ups (owner: store).
    CounterClearing = "counter_clearing", Fen, Appended;
    /// What bonuses cost the brand (owner 0).
    PromotionExpense = "promotion_expense", Fen, Appended;
    /// The part of bonus-paid amounts the brand keeps (owner 0).
    BonusIncome = "bonus_income", Fen, Appended;
    /// Money taken or paid back through the payment gateway (owner 0).
    GatewayClearing = "gateway_clearing", Fen, Appended;
    /// Money paid out to stores' bank accounts (owner 0).
    PayoutClearing = "payout_clearing", Fen, Appended;
    /// HQ's withdrawal fees (owner 0).
    FeeIncome = "fee_income", Fen, Appended;
    /// Counter cash stores handed in to HQ's bank (owner 0).
    HqBankClearing = "hq_bank_clearing", Fen, Appended;
    /// A member's points (owner: member).
    MemberPoints = "member_points", Points, Kept;
    /// A member's points held while a split payment's gateway leg runs
    /// (owner: member).
    MemberPointsHold = "member_points_hold", Points, Kept;
    /// Points the brand gave out (owner 0): the other side of earning.
    PointsIssued = "points_issued", Points, Appended;
    /// Points members spent (owner 0).
    PointsRedeemed = "points_redeemed", Points, Appended;
    /// Points that lapsed unspent (owner 0).
    PointsExpired = "points_expired", Points, Appended;
    /// Points a refund could not take back because they were already spent
    /// (owner 0): what members owe.
    PointsOwed = "points_owed", Points, Appended;
    /// What a card still owes its member, the part paid from stored
    /// principal (owner: the card).
    CardPrincipal = "card_principal", Fen, Kept;
    /// … the part paid from stored bonus (owner: the card).
    CardBonus = "card_bonus", Fen, Kept;
    /// … the part paid through the payment gateway (owner: the card).
    CardOnline = "card_online", Fen, Kept;
    /// … the part paid in cash or by card at a store's counter (owner: the
    /// card).
    CardCash = "card_cash", Fen, Kept;
    /// What cards that expired unused left the brand (owner 0).
    BreakageIncome = "breakage_income", Fen, Appended;
    /// The uses left on one card (owner: the card).
    CardUses = "card_uses", Uses, Kept;
    /// Uses the brand sold on cards (owner 0).
    UsesIssued = "uses_issued", Uses, Appended;
    /// Uses written off at a store (owner 0).
    UsesConsumed = "uses_consumed", Uses, Appended;
    /// Uses that lapsed or were refunded unused (owner 0).
    UsesExpired = "uses_expired", Uses, Appended;
}

impl Kind {
    /// Whether the account keeps a balance (changed under a lock) or is
    /// append-only (its balance is the sum of its lines).
    pub fn keeps_balance(self) -> bool {
        self.keeping() == Keeping::Kept
    }

    /// The kind stored as `s`.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

/// An account: its id and its kind (which gives its unit and how its
/// balance is kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account {
    /// Account id.
    pub id: i64,
    /// Its kind.
    pub kind: Kind,
}

/// The id of an account, creating it on first use.
pub async fn account_id(
    tx: &DatabaseTransaction,
    brand_id: i64,
    kind: Kind,
    owner_id: i64,
    now: i64,
) -> Result<Account, DbErr> {
    // Nearly always the account exists: one read, and the insert only once.
    if let Some(found) = find_account(tx, brand_id, kind, owner_id).await? {
        return Ok(found);
    }
    let am = account::ActiveModel {
        brand_id: Set(brand_id),
        kind: Set(kind.as_str().into()),
        owner_id: Set(owner_id),
        balance: Set(0),
        created_at: Set(now),
        ..Default::default()
    };
    // A concurrent first use may insert it too: the unique index keeps one.
    account::Entity::insert(am)
        .on_conflict(
            OnConflict::columns([
                account::Column::BrandId,
                account::Column::Kind,
                account::Column::OwnerId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(tx)
        .await?;
    find_account(tx, brand_id, kind, owner_id)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("account {} {owner_id}", kind.as_str())))
}

/// The ids of several accounts of a brand at once, in the order asked,
/// creating any that do not exist yet. One read when they all exist (the
/// usual case on the payment path).
pub async fn account_ids(
    tx: &DatabaseTransaction,
    brand_id: i64,
    wanted: &[(Kind, i64)],
    now: i64,
) -> Result<Vec<Account>, DbErr> {
    let found = accounts_of(tx, brand_id, wanted).await?;
    let pick = |rows: &[account::Model], (kind, owner): (Kind, i64)| {
        rows.iter()
            .find(|a| a.kind == kind.as_str() && a.owner_id == owner)
            .map(|a| Account { id: a.id, kind })
    };
    if let Some(ids) = wanted
        .iter()
        .map(|w| pick(&found, *w))
        .collect::<Option<Vec<Account>>>()
    {
        return Ok(ids);
    }
    let mut ids = Vec::with_capacity(wanted.len());
    for (kind, owner) in wanted {
        ids.push(match pick(&found, (*kind, *owner)) {
            Some(id) => id,
            None => account_id(tx, brand_id, *kind, *owner, now).await?,
        });
    }
    Ok(ids)
}

/// A brand's accounts among `wanted`.
/// Each wanted account is one whole key of `accounts_owner` (the brand in
/// every term): with the brand outside the `OR`, SQLite searched the index
/// by the brand alone and read every account of the brand.
fn accounts_query(brand_id: i64, wanted: &[(Kind, i64)]) -> sea_orm::Select<account::Entity> {
    let mut any = sea_orm::Condition::any();
    for (kind, owner) in wanted {
        any = any.add(
            sea_orm::Condition::all()
                .add(account::Column::BrandId.eq(brand_id))
                .add(account::Column::Kind.eq(kind.as_str()))
                .add(account::Column::OwnerId.eq(*owner)),
        );
    }
    account::Entity::find().filter(any)
}

/// The accounts among `wanted` that exist, with their balances.
async fn accounts_of(
    tx: &DatabaseTransaction,
    brand_id: i64,
    wanted: &[(Kind, i64)],
) -> Result<Vec<account::Model>, DbErr> {
    accounts_query(brand_id, wanted).all(tx).await
}

/// [`accounts_of`], locking the rows on PostgreSQL.
async fn locked_accounts_of(
    tx: &DatabaseTransaction,
    brand_id: i64,
    wanted: &[(Kind, i64)],
) -> Result<Vec<account::Model>, DbErr> {
    if tx.get_database_backend() != sea_orm::DbBackend::Postgres {
        return accounts_of(tx, brand_id, wanted).await;
    }
    accounts_query(brand_id, wanted)
        .order_by_asc(account::Column::Id)
        .lock_exclusive()
        .all(tx)
        .await
}

/// An account, if it was ever used.
pub async fn find_account(
    tx: &impl ConnectionTrait,
    brand_id: i64,
    kind: Kind,
    owner_id: i64,
) -> Result<Option<Account>, DbErr> {
    let found = account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Kind.eq(kind.as_str()))
        .filter(account::Column::OwnerId.eq(owner_id))
        .one(tx)
        .await?;
    Ok(found.map(|a| Account { id: a.id, kind }))
}

/// A member's two accounts and their balances, read under the member's lock
/// so the caller may debit them.
#[derive(Clone, Copy, Debug)]
pub struct MemberFunds {
    /// Principal account.
    pub principal_account: Account,
    /// Bonus account.
    pub bonus_account: Account,
    /// Principal balance.
    pub principal: Fen,
    /// Bonus balance.
    pub bonus: Fen,
}

impl MemberFunds {
    /// principal + bonus.
    pub fn total(&self) -> Fen {
        self.principal + self.bonus
    }
}

/// Locks the member's money until the transaction ends and reads it.
pub async fn lock_member(
    tx: &DatabaseTransaction,
    brand_id: i64,
    member_id: i64,
    now: i64,
) -> Result<MemberFunds, DbErr> {
    let wanted = [
        (Kind::MemberPrincipal, member_id),
        (Kind::MemberBonus, member_id),
    ];
    // Both accounts and their balances in one read, locked (on PostgreSQL
    // `FOR UPDATE`; SQLite's write transaction already excludes others).
    let mut rows = locked_accounts_of(tx, brand_id, &wanted).await?;
    if rows.len() < wanted.len() {
        // First use: create them under a lock on the member, then lock them.
        lock_key(tx, &format!("member-money:{member_id}")).await?;
        account_ids(tx, brand_id, &wanted, now).await?;
        rows = locked_accounts_of(tx, brand_id, &wanted).await?;
    }
    let of = |kind: Kind| {
        rows.iter()
            .find(|a| a.kind == kind.as_str())
            .map(|a| (Account { id: a.id, kind }, Fen(a.balance)))
            .ok_or_else(|| DbErr::RecordNotFound(format!("account {}", kind.as_str())))
    };
    let (principal_account, principal) = of(Kind::MemberPrincipal)?;
    let (bonus_account, bonus) = of(Kind::MemberBonus)?;
    Ok(MemberFunds {
        principal_account,
        bonus_account,
        principal,
        bonus,
    })
}

/// The kept balances of these accounts, by id (read them under their
/// owner's lock to act on them).
pub async fn balances(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, i64>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| (a.id, a.balance))
        .collect())
}

/// An entry's lines with their accounts' kinds (to post its exact
/// reverse).
pub async fn entry_lines(conn: &impl ConnectionTrait, entry_id: i64) -> Result<Vec<Line>, DbErr> {
    let lines = journal_line::Entity::find()
        .filter(journal_line::Column::EntryId.eq(entry_id))
        .order_by_asc(journal_line::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = lines.iter().map(|l| l.account_id).collect();
    let kinds: HashMap<i64, Kind> = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .filter_map(|a| Some((a.id, Kind::parse(&a.kind)?)))
        .collect();
    lines
        .into_iter()
        .map(|l| {
            let kind = kinds
                .get(&l.account_id)
                .copied()
                .ok_or_else(|| DbErr::RecordNotFound(format!("account {}", l.account_id)))?;
            Ok(Line {
                account: Account {
                    id: l.account_id,
                    kind,
                },
                amount: l.amount,
            })
        })
        .collect()
}

/// A stored entry's kind (one the code does not know is an internal error:
/// only the code writes entries).
pub fn entry_kind(stored: &str) -> Result<EntryKind, crate::error::AppError> {
    EntryKind::parse(stored).ok_or_else(|| {
        crate::error::AppError::Internal(anyhow::anyhow!("unknown entry kind {stored}"))
    })
}

/// The ids of a brand's accounts of `kind`, by owner.
pub async fn accounts_by_owner(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    kind: Kind,
    owners: Option<&[i64]>,
) -> Result<HashMap<i64, i64>, DbErr> {
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

/// What an append-only account's lines not yet rolled up add to its
/// stored balance: the part of a balance read that is not history (the
/// partial index `journal_lines_unrolled` holds exactly these lines).
const UNROLLED: &str = "l.account_id = a.id AND NOT l.rolled AND l.balance_after IS NULL";

/// The balances of append-only accounts, by id: each one's stored
/// (rolled-up) total and its lines since, read in one statement so a
/// rollup committing meanwhile is seen whole or not at all.
pub async fn summed_balances(
    conn: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<HashMap<i64, i64>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!(
                "SELECT a.id AS id, CAST(a.balance + COALESCE((SELECT SUM(l.amount) \
                 FROM journal_lines l WHERE {UNROLLED}), 0) AS BIGINT) AS total \
                 FROM accounts a WHERE a.id IN ({})",
                list.join(", ")
            ),
        ))
        .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("", "id")?, r.try_get("", "total")?)))
        .collect()
}

/// The total kept balance of the brand's accounts of each of these kinds
/// (a kind with no account is absent).
pub async fn kept_totals(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    kinds: &[Kind],
) -> Result<HashMap<Kind, Fen>, DbErr> {
    #[derive(FromQueryResult)]
    struct Total {
        kind: String,
        total: Option<i64>,
    }
    let rows = account::Entity::find()
        .select_only()
        .column(account::Column::Kind)
        .column_as(
            Expr::col(account::Column::Balance).sum().cast_as("BIGINT"),
            "total",
        )
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
        .group_by(account::Column::Kind)
        .into_model::<Total>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| Some((Kind::parse(&r.kind)?, Fen(r.total.unwrap_or(0)))))
        .collect())
}

/// A page of an account's lines, newest first (ids below `after`), one
/// more than `limit` so the caller knows a next page exists.
pub async fn lines_page(
    conn: &impl ConnectionTrait,
    account_id: i64,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<journal_line::Model>, DbErr> {
    let mut q = journal_line::Entity::find().filter(journal_line::Column::AccountId.eq(account_id));
    if let Some(after) = after {
        q = q.filter(journal_line::Column::Id.lt(after));
    }
    q.order_by_desc(journal_line::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await
}

/// The brand's entries with these ids, by id.
pub async fn entries_by_id(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    ids: Vec<i64>,
) -> Result<HashMap<i64, journal_entry::Model>, DbErr> {
    Ok(journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::Id.is_in(ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|e| (e.id, e))
        .collect())
}

/// The entry that booked operation `op_ref` of `kind`, if there is one.
pub async fn entry_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    kind: EntryKind,
    op_ref: &str,
) -> Result<Option<journal_entry::Model>, DbErr> {
    journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::Kind.eq(kind.as_str()))
        .filter(journal_entry::Column::OpRef.eq(op_ref))
        .one(conn)
        .await
}

/// A page of a member's entries of these kinds, newest first (ids below `after`), one more than `limit` so the caller knows a
/// next page exists.
pub async fn member_entries(
    conn: &impl ConnectionTrait,
    (brand_id, member_id): (i64, i64),
    kinds: &[EntryKind],
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<journal_entry::Model>, DbErr> {
    let mut q = journal_entry::Entity::find()
        .filter(journal_entry::Column::BrandId.eq(brand_id))
        .filter(journal_entry::Column::MemberId.eq(member_id))
        .filter(journal_entry::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())));
    if let Some(after) = after {
        q = q.filter(journal_entry::Column::Id.lt(after));
    }
    q.order_by_desc(journal_entry::Column::Id)
        .limit(limit + 1)
        .all(conn)
        .await
}

/// A member's balances without locking (for display).
pub async fn member_balance(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    member_id: i64,
) -> Result<(Fen, Fen), DbErr> {
    let rows = account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::OwnerId.eq(member_id))
        .filter(
            account::Column::Kind
                .is_in([Kind::MemberPrincipal.as_str(), Kind::MemberBonus.as_str()]),
        )
        .all(conn)
        .await?;
    let of = |k: Kind| {
        let balances = rows.iter().filter(|a| a.kind == k.as_str());
        Fen::checked_sum(balances.map(|a| Fen(a.balance)))
            .ok_or_else(|| DbErr::Custom(format!("member {member_id}'s {} overflows", k.as_str())))
    };
    Ok((of(Kind::MemberPrincipal)?, of(Kind::MemberBonus)?))
}

/// How many of the brand's members hold more stored value (principal and
/// bonus together) than `cap`.
pub async fn members_above(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    cap: Fen,
) -> Result<u64, DbErr> {
    let backend = conn.get_database_backend();
    let stmt = sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => {
                "SELECT COUNT(*) AS n FROM (SELECT owner_id FROM accounts \
                 WHERE brand_id = $1 AND kind IN ($2, $3) \
                 GROUP BY owner_id HAVING SUM(balance) > $4) above"
            }
            _ => {
                "SELECT COUNT(*) AS n FROM (SELECT owner_id FROM accounts \
                 WHERE brand_id = ? AND kind IN (?, ?) \
                 GROUP BY owner_id HAVING SUM(balance) > ?) above"
            }
        },
        [
            brand_id.into(),
            Kind::MemberPrincipal.as_str().into(),
            Kind::MemberBonus.as_str().into(),
            cap.0.into(),
        ],
    );
    let n: i64 = match conn.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// The balance of an append-only account: its stored (rolled-up) total
/// and its lines since, whatever the length of its history.
pub async fn summed_balance(conn: &impl ConnectionTrait, account: Account) -> Result<Fen, DbErr> {
    let all = summed_balances(conn, vec![account.id]).await?;
    Ok(Fen(all.get(&account.id).copied().unwrap_or(0)))
}

/// Lines rolled up in one transaction at most, so a rollup never holds
/// SQLite's write lock for long: each is a turn of the group commit that
/// the payments wait behind. In the bench, at one store's wallet, a turn
/// of 5,000 lines took 30-46 ms under load; with 1,000 lines a turn the
/// payments' p99 at 64 clients fell from 71-83 ms to 51-63 ms.
const ROLLUP_BATCH: usize = 1_000;

/// Rolls up append-only accounts (every brand's): adds their lines not yet
/// rolled to their stored balances, which leaves every balance as it was
/// and makes reading it independent of history. Safe to run twice and on
/// several replicas at once, and tracks no "rolled up to id N" (PostgreSQL
/// commits ids out of order): each transaction marks the lines it adds with
/// a guarded update (`… WHERE NOT rolled`, which PostgreSQL re-checks on a
/// row another rollup changed meanwhile) and adds exactly the amounts that
/// update returned. A line committed later is simply rolled next time.
/// Answers how many lines it rolled.
pub async fn rollup(db: &DatabaseConnection) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let appended: Vec<String> = Kind::ALL
        .iter()
        .filter(|k| !k.keeps_balance())
        .map(|k| format!("'{}'", k.as_str()))
        .collect();
    let accounts = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            format!(
                "SELECT DISTINCT l.account_id AS id FROM journal_lines l \
                 WHERE NOT l.rolled AND l.balance_after IS NULL \
                 AND l.account_id IN (SELECT id FROM accounts WHERE kind IN ({}))",
                appended.join(", ")
            ),
        ))
        .await?;
    let mut rolled = 0u64;
    for row in accounts {
        let id: i64 = row.try_get("", "id")?;
        loop {
            let tx = crate::db::begin_write(db).await?;
            // Rollups of one account take turns (PostgreSQL; SQLite has one
            // writer anyway): the guard below is what keeps them right.
            crate::db::lock_key(&tx, &format!("rollup:{id}")).await?;
            let amounts = tx
                .query_all_raw(sea_orm::Statement::from_string(
                    backend,
                    format!(
                        "UPDATE journal_lines SET rolled = TRUE WHERE NOT rolled AND id IN \
                         (SELECT id FROM journal_lines WHERE account_id = {id} AND NOT rolled \
                         AND balance_after IS NULL LIMIT {ROLLUP_BATCH}) RETURNING amount"
                    ),
                ))
                .await?;
            let mut sum = 0i64;
            for a in &amounts {
                let amount: i64 = a.try_get("", "amount")?;
                sum = sum
                    .checked_add(amount)
                    .ok_or_else(|| DbErr::Custom(format!("account {id}: rollup overflows")))?;
            }
            account::Entity::update_many()
                .col_expr(
                    account::Column::Balance,
                    Expr::col(account::Column::Balance).add(sum),
                )
                .filter(account::Column::Id.eq(id))
                .exec(&tx)
                .await?;
            tx.commit().await?;
            rolled += amounts.len() as u64;
            if amounts.len() < ROLLUP_BATCH {
                break;
            }
        }
    }
    Ok(rolled)
}

/// One line: `amount` added to `account` (negative takes away), in the
/// account's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// The account.
    pub account: Account,
    /// Signed amount in the account's unit.
    pub amount: i64,
}

impl Line {
    /// A line of money.
    pub fn fen(account: Account, amount: Fen) -> Line {
        debug_assert_eq!(account.kind.unit(), Unit::Fen, "{account:?}");
        Line {
            account,
            amount: amount.0,
        }
    }

    /// A line of points or uses.
    pub fn count(account: Account, amount: i64) -> Line {
        debug_assert_ne!(account.kind.unit(), Unit::Fen, "{account:?}");
        Line { account, amount }
    }

    fn keeps_balance(&self) -> bool {
        self.account.kind.keeps_balance()
    }
}

/// Where a payment's stored-value part comes from: the member's accounts,
/// or the hold a split payment put it in when its gateway leg started.
#[derive(Clone, Copy, Debug)]
pub enum StoredFrom {
    /// The member's principal and bonus accounts.
    Accounts {
        /// Principal.
        principal: Account,
        /// Bonus.
        bonus: Account,
    },
    /// The member's hold (principal and bonus together).
    Hold(Account),
}

/// The accounts a payment's lines name. The optional ones are needed only
/// when the plan uses what they hold.
#[derive(Clone, Copy, Debug)]
pub struct PaymentAccounts {
    /// The member's stored value.
    pub stored: StoredFrom,
    /// The store's wallet.
    pub wallet: Account,
    /// The brand's bonus income.
    pub income: Account,
    /// Gateway clearing, for an online part.
    pub gateway: Option<Account>,
    /// Promotion expense, for coupon and points deductions.
    pub promotion: Option<Account>,
    /// The member's points and the brand's points redeemed, for points spent.
    pub points: Option<[Account; 2]>,
}

/// An account the plan needs was not given.
#[derive(Debug, PartialEq, Eq)]
pub struct MissingAccount(pub Kind);

/// The lines of a payment booked by `plan` (DESIGN.md, "Entries by
/// operation" and "Where card and coupon money goes"): the member's stored
/// value and the online part out; the store's wallet gets the principal,
/// the settled part of the bonus, the online part and what the brand
/// funds (coupon, points) from promotion expense; the brand's bonus income
/// the rest of the bonus; points spent go from the member to points
/// redeemed. Every payment path posts these.
pub fn payment_lines(
    a: &PaymentAccounts,
    plan: &PaymentPlan,
    settled: Fen,
) -> Result<Vec<Line>, MissingAccount> {
    let mut lines = match a.stored {
        StoredFrom::Accounts { principal, bonus } => vec![
            Line::fen(principal, -plan.principal),
            Line::fen(bonus, -plan.bonus),
        ],
        StoredFrom::Hold(hold) => vec![Line::fen(hold, -plan.stored_value())],
    };
    if plan.online.is_positive() {
        let gateway = a.gateway.ok_or(MissingAccount(Kind::GatewayClearing))?;
        lines.push(Line::fen(gateway, -plan.online));
    }
    let funded = plan.brand_funded();
    lines.push(Line::fen(
        a.wallet,
        plan.principal + settled + plan.online + funded,
    ));
    lines.push(Line::fen(a.income, plan.bonus - settled));
    if funded.is_positive() {
        let promotion = a.promotion.ok_or(MissingAccount(Kind::PromotionExpense))?;
        lines.push(Line::fen(promotion, -funded));
    }
    if plan.points_used != 0 {
        let [member, redeemed] = a.points.ok_or(MissingAccount(Kind::MemberPoints))?;
        lines.push(Line::count(member, -plan.points_used));
        lines.push(Line::count(redeemed, plan.points_used));
    }
    Ok(lines)
}

/// The lines of a refund split by `back`: the store's wallet and the
/// brand's bonus income give back what the payment gave them, the member's
/// principal and bonus and the online part get theirs back, promotion
/// expense gets back what the brand funded, and points go back to the
/// member. The reverse of [`payment_lines`].
pub fn refund_lines(a: &PaymentAccounts, back: &RefundPlan) -> Result<Vec<Line>, MissingAccount> {
    let StoredFrom::Accounts { principal, bonus } = a.stored else {
        return Err(MissingAccount(Kind::MemberPrincipal));
    };
    let mut lines = vec![
        Line::fen(a.wallet, -back.from_store()),
        Line::fen(a.income, -back.from_income()),
        Line::fen(principal, back.principal),
        Line::fen(bonus, back.bonus),
    ];
    if back.online.is_positive() {
        let gateway = a.gateway.ok_or(MissingAccount(Kind::GatewayClearing))?;
        lines.push(Line::fen(gateway, back.online));
    }
    if back.brand_funded.is_positive() {
        let promotion = a.promotion.ok_or(MissingAccount(Kind::PromotionExpense))?;
        lines.push(Line::fen(promotion, back.brand_funded));
    }
    if back.points != 0 {
        let [member, redeemed] = a.points.ok_or(MissingAccount(Kind::MemberPoints))?;
        lines.push(Line::count(member, back.points));
        lines.push(Line::count(redeemed, -back.points));
    }
    Ok(lines)
}

/// One line per account: lines naming the same account (a payment's points
/// spent and the points it earned) are summed into the first of them. An
/// entry names each account once (PostgreSQL's posting insists).
pub fn merged(lines: Vec<Line>) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::with_capacity(lines.len());
    for l in lines {
        match out.iter_mut().find(|o| o.account.id == l.account.id) {
            Some(o) => o.amount += l.amount,
            None => out.push(l),
        }
    }
    out
}

/// An entry that does not sum to zero in one of its units.
#[derive(Debug, PartialEq, Eq)]
pub struct Unbalanced {
    /// The unit.
    pub unit: Unit,
    /// Its lines' sum (`None`: it overflowed).
    pub sum: Option<i64>,
}

/// Checks that the lines sum to zero in each unit apart: fen never balances
/// against points or uses.
pub fn check_balanced(lines: &[Line]) -> Result<(), Unbalanced> {
    for unit in Unit::ALL {
        let sum = lines
            .iter()
            .filter(|l| l.account.kind.unit() == unit)
            .try_fold(0i64, |acc, l| acc.checked_add(l.amount));
        if sum != Some(0) {
            return Err(Unbalanced { unit, sum });
        }
    }
    Ok(())
}

/// A journal entry to post.
pub struct Entry {
    /// Brand.
    pub brand_id: i64,
    /// The operation it books.
    pub kind: EntryKind,
    /// The operation's own id; (brand, kind, op_ref) is unique.
    pub op_ref: String,
    /// The store it happened at.
    pub store_id: Option<i64>,
    /// The member whose money moved.
    pub member_id: Option<i64>,
    /// The member's total change (+ in, − out), for their history.
    pub member_delta: Fen,
    /// The member's total after it.
    pub member_balance_after: Option<Fen>,
    /// Who did it: `member:ID` or `staff:ID`.
    pub actor: String,
    /// Business date in the brand's time zone.
    pub business_date: String,
    /// When (Unix ms).
    pub at: i64,
    /// The lines; they must sum to zero.
    pub lines: Vec<Line>,
}

/// Posts an entry whose debits were checked under the member's lock.
pub async fn post_or_fail(
    tx: &DatabaseTransaction,
    entry: Entry,
) -> Result<i64, crate::error::AppError> {
    match post(tx, entry).await {
        Ok(id) => Ok(id),
        Err(PostError::Overdrawn) => Err(crate::error::AppError::Internal(anyhow::anyhow!(
            "a debit guard fired on a checked posting"
        ))),
        Err(PostError::Db(e)) => Err(e.into()),
    }
}

/// Why a posting was refused.
#[derive(Debug)]
pub enum PostError {
    /// A debit would take a balance below zero (the guard fired).
    Overdrawn,
    /// The database failed.
    Db(DbErr),
}

impl From<DbErr> for PostError {
    fn from(e: DbErr) -> Self {
        PostError::Db(e)
    }
}

/// Posts an entry: checks it balances, writes it and its lines, and applies
/// balance changes with guarded statements. Returns the entry id.
pub async fn post(tx: &DatabaseTransaction, entry: Entry) -> Result<i64, PostError> {
    if let Err(u) = check_balanced(&entry.lines) {
        return Err(PostError::Db(DbErr::Custom(format!(
            "unbalanced {} entry: {} sum to {:?}",
            entry.kind,
            u.unit.as_str(),
            u.sum
        ))));
    }
    if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
        return post_pg(tx, entry).await;
    }
    // Each kept balance after its line, in line order.
    let mut after: Vec<Option<i64>> = Vec::with_capacity(entry.lines.len());
    for line in &entry.lines {
        if !line.keeps_balance() || line.amount == 0 {
            after.push(None);
            continue;
        }
        let mut update = account::Entity::update_many()
            .col_expr(
                account::Column::Balance,
                Expr::col(account::Column::Balance).add(line.amount),
            )
            .filter(account::Column::Id.eq(line.account.id));
        if line.amount < 0 {
            // Debits are guarded: never below zero.
            update = update.filter(account::Column::Balance.gte(-line.amount));
        }
        match update.exec_with_returning(tx).await?.as_slice() {
            [row] => after.push(Some(row.balance)),
            _ => return Err(PostError::Overdrawn),
        }
    }
    let saved = journal_entry::ActiveModel {
        brand_id: Set(entry.brand_id),
        kind: Set(entry.kind.as_str().into()),
        op_ref: Set(entry.op_ref),
        store_id: Set(entry.store_id),
        member_id: Set(entry.member_id),
        member_delta: Set(entry.member_delta.0),
        member_balance_after: Set(entry.member_balance_after.map(|f| f.0)),
        actor: Set(entry.actor),
        business_date: Set(entry.business_date),
        created_at: Set(entry.at),
        reverses_id: Set(None),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    let lines: Vec<journal_line::ActiveModel> = entry
        .lines
        .iter()
        .zip(after)
        .filter(|(l, _)| l.amount != 0)
        .map(|(l, after)| journal_line::ActiveModel {
            entry_id: Set(saved.id),
            account_id: Set(l.account.id),
            amount: Set(l.amount),
            balance_after: Set(after),
            ..Default::default()
        })
        .collect();
    if !lines.is_empty() {
        journal_line::Entity::insert_many(lines)
            .exec_without_returning(tx)
            .await?;
    }
    Ok(saved.id)
}

/// Many entries posted together in one transaction (the batched payment),
/// with [`post`]'s checks: each entry balances in every unit, and no kept
/// balance goes below zero. The caller locks the kept accounts it will
/// debit (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite its write
/// transaction holds the one write lock) and gives their balances;
/// [`Bulk::add`] refuses an entry that breaks a check and leaves the rest
/// as they were, so the caller can hand that operation back to [`post`].
/// On PostgreSQL [`Bulk::ctes`] writes every entry, line and balance inside
/// the caller's statement, on SQLite [`Bulk::SQLITE`]'s three; the
/// guard of either (each balance stays ≥ 0) backs the check made here.
#[derive(Default)]
pub struct Bulk {
    /// Kept accounts' balances as locked, then as each entry leaves them.
    balances: std::collections::HashMap<i64, i64>,
    /// Each kept account's change.
    deltas: std::collections::BTreeMap<i64, i64>,
    brand: Vec<i64>,
    kind: Vec<String>,
    op_ref: Vec<String>,
    store: Vec<Option<i64>>,
    member: Vec<Option<i64>>,
    member_delta: Vec<i64>,
    member_after: Vec<Option<i64>>,
    actor: Vec<String>,
    date: Vec<String>,
    at: Vec<i64>,
    line_kind: Vec<String>,
    line_ref: Vec<String>,
    line_account: Vec<i64>,
    line_amount: Vec<i64>,
    line_after: Vec<Option<i64>>,
    /// Each line's entry, by its place among the entries.
    line_entry: Vec<usize>,
}

/// Why [`Bulk::add`] refused an entry.
#[derive(Debug, PartialEq, Eq)]
pub enum BulkRefused {
    /// It does not balance in a unit.
    Unbalanced(Unbalanced),
    /// A debit would take a kept balance below zero.
    Overdrawn,
    /// It names a kept account the caller did not lock.
    NotLocked(i64),
}

impl Bulk {
    /// A bulk posting over these locked kept accounts (id, balance).
    pub fn new(locked: impl IntoIterator<Item = (i64, i64)>) -> Bulk {
        Bulk {
            balances: locked.into_iter().collect(),
            ..Bulk::default()
        }
    }

    /// How many entries it holds.
    pub fn len(&self) -> usize {
        self.op_ref.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.op_ref.is_empty()
    }

    /// A kept account's balance after the entries added so far.
    pub fn balance(&self, account: i64) -> Option<i64> {
        self.balances.get(&account).copied()
    }

    /// Adds an entry after [`post`]'s checks; refused, nothing changes.
    pub fn add(&mut self, entry: Entry) -> Result<(), BulkRefused> {
        check_balanced(&entry.lines).map_err(BulkRefused::Unbalanced)?;
        // Every kept balance after its line, checked before anything moves.
        let mut after: Vec<Option<i64>> = Vec::with_capacity(entry.lines.len());
        let mut moved: Vec<(i64, i64)> = Vec::new();
        for line in &entry.lines {
            if !line.keeps_balance() || line.amount == 0 {
                after.push(None);
                continue;
            }
            let id = line.account.id;
            let before = moved
                .iter()
                .rev()
                .find(|(a, _)| *a == id)
                .map(|(_, b)| *b)
                .or_else(|| self.balances.get(&id).copied())
                .ok_or(BulkRefused::NotLocked(id))?;
            let now = before
                .checked_add(line.amount)
                .filter(|b| *b >= 0)
                .ok_or(BulkRefused::Overdrawn)?;
            moved.push((id, now));
            after.push(Some(now));
        }
        for (line, after) in entry.lines.iter().zip(after) {
            if let Some(b) = after {
                self.balances.insert(line.account.id, b);
                *self.deltas.entry(line.account.id).or_default() += line.amount;
            }
            if line.amount != 0 {
                self.line_kind.push(entry.kind.as_str().to_owned());
                self.line_ref.push(entry.op_ref.clone());
                self.line_account.push(line.account.id);
                self.line_amount.push(line.amount);
                self.line_after.push(after);
                self.line_entry.push(self.op_ref.len());
            }
        }
        self.brand.push(entry.brand_id);
        self.kind.push(entry.kind.as_str().to_owned());
        self.op_ref.push(entry.op_ref);
        self.store.push(entry.store_id);
        self.member.push(entry.member_id);
        self.member_delta.push(entry.member_delta.0);
        self.member_after
            .push(entry.member_balance_after.map(|f| f.0));
        self.actor.push(entry.actor);
        self.date.push(entry.business_date);
        self.at.push(entry.at);
        Ok(())
    }

    /// The select-list columns counting what [`Bulk::ctes`] wrote.
    pub const COUNTS: &str = "(SELECT count(*) FROM u) AS updated, \
        (SELECT count(*) FROM e) AS entries, (SELECT count(*) FROM l) AS lines";

    /// The ledger's part of one writing statement on PostgreSQL: the CTEs
    /// `u` (every kept balance changed under the guard that it stays ≥ 0),
    /// `e` (the entries) and `l` (their lines), reading the 17 parameters
    /// [`Bulk::bind`] binds, numbered from `$first`. A caller puts them in
    /// its own statement (the batch writes its payments and keys in the
    /// same one), selects [`Bulk::COUNTS`] and checks them with
    /// [`Bulk::check`].
    pub fn ctes(first: usize) -> String {
        let p = |i: usize| format!("${}", first + i);
        format!(
            "u AS (\
  UPDATE accounts a SET balance = a.balance + v.d \
  FROM unnest({0}::bigint[], {1}::bigint[]) AS v(id, d) \
  WHERE a.id = v.id AND a.balance + v.d >= 0 RETURNING 1), \
e AS (\
  INSERT INTO journal_entries (brand_id, kind, op_ref, store_id, member_id, member_delta, \
    member_balance_after, actor, business_date, created_at, reverses_id) \
  SELECT t.brand, t.kind, t.r, t.store, t.member, t.delta, t.after, t.actor, t.date, t.at, NULL \
  FROM unnest({2}::bigint[], {3}::text[], {4}::text[], {5}::bigint[], {6}::bigint[], \
    {7}::bigint[], {8}::bigint[], {9}::text[], {10}::text[], {11}::bigint[]) \
    AS t(brand, kind, r, store, member, delta, after, actor, date, at) \
  RETURNING id, kind, op_ref), \
l AS (\
  INSERT INTO journal_lines (entry_id, account_id, amount, balance_after) \
  SELECT e.id, v.a, v.m, v.b \
  FROM unnest({12}::text[], {13}::text[], {14}::bigint[], {15}::bigint[], {16}::bigint[]) \
    AS v(k, r, a, m, b) \
  JOIN e ON e.kind = v.k AND e.op_ref = v.r RETURNING 1)",
            p(0),
            p(1),
            p(2),
            p(3),
            p(4),
            p(5),
            p(6),
            p(7),
            p(8),
            p(9),
            p(10),
            p(11),
            p(12),
            p(13),
            p(14),
            p(15),
            p(16),
        )
    }

    /// Each kept account's change, the accounts in id order.
    fn kept_deltas(&self) -> (Vec<i64>, Vec<i64>) {
        self.deltas
            .iter()
            .filter(|d| *d.1 != 0)
            .map(|(a, d)| (*a, *d))
            .unzip()
    }

    /// Binds [`Bulk::ctes`]'s parameters, in order, after those `q` has.
    pub fn bind<'q>(
        &'q self,
        q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let (kept, delta) = self.kept_deltas();
        q.bind(kept)
            .bind(delta)
            .bind(&self.brand)
            .bind(&self.kind)
            .bind(&self.op_ref)
            .bind(&self.store)
            .bind(&self.member)
            .bind(&self.member_delta)
            .bind(&self.member_after)
            .bind(&self.actor)
            .bind(&self.date)
            .bind(&self.at)
            .bind(&self.line_kind)
            .bind(&self.line_ref)
            .bind(&self.line_account)
            .bind(&self.line_amount)
            .bind(&self.line_after)
    }

    /// Whether the statement wrote every balance, entry and line: a guard
    /// that fired or a row missing is an error (the caller rolls back).
    pub fn check(&self, row: &sqlx::postgres::PgRow) -> anyhow::Result<()> {
        use sqlx::Row;
        let counts: (i64, i64, i64) = (
            row.try_get("updated")?,
            row.try_get("entries")?,
            row.try_get("lines")?,
        );
        let wanted = (
            self.kept_deltas().0.len() as i64,
            self.len() as i64,
            self.line_ref.len() as i64,
        );
        anyhow::ensure!(
            counts == wanted,
            "bulk posting wrote {counts:?} (updated, entries, lines), wanted {wanted:?}"
        );
        Ok(())
    }
}

impl Bulk {
    /// The ledger's part of the writing statements on SQLite, where the
    /// caller's write transaction holds the database's one write lock: the
    /// kept balances in one guarded `UPDATE` (each stays ≥ 0), the entries
    /// and their lines, each reading its rows from one JSON array
    /// (three parameters `?`, [`Bulk::sqlite_values`]). A caller runs
    /// them with its own statements in one call and checks the rows they
    /// changed: [`Bulk::sqlite_values`]'s count exactly, each statement's
    /// share being at most its own (a guard that fired changes fewer).
    pub const SQLITE: &str = "\
UPDATE accounts SET balance = accounts.balance + v.d \
  FROM (SELECT value->>0 AS id, value->>1 AS d FROM json_each(?)) AS v \
  WHERE accounts.id = v.id AND accounts.balance + v.d >= 0; \
INSERT INTO journal_entries (id, brand_id, kind, op_ref, store_id, member_id, member_delta, \
    member_balance_after, actor, business_date, created_at, reverses_id) \
  SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, \
    value->>7, value->>8, value->>9, value->>10, NULL \
  FROM json_each(?); \
INSERT INTO journal_lines (entry_id, account_id, amount, balance_after) \
  SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?);";

    /// [`Bulk::SQLITE`]'s three parameters, the entries under the ids
    /// following `last` (the largest entry id ever given, read in the same
    /// write transaction), and the rows the statements change when every
    /// balance, entry and line is written.
    pub fn sqlite_values(&self, last: i64) -> ([String; 3], u64) {
        use serde_json::{Value, json};
        let array = |rows: Vec<Value>| Value::Array(rows).to_string();
        let (kept, delta) = self.kept_deltas();
        let changes = kept
            .iter()
            .zip(&delta)
            .map(|(a, d)| json!([a, d]))
            .collect();
        let entries = (0..self.len())
            .map(|i| {
                json!([
                    last + 1 + i as i64,
                    self.brand[i],
                    self.kind[i],
                    self.op_ref[i],
                    self.store[i],
                    self.member[i],
                    self.member_delta[i],
                    self.member_after[i],
                    self.actor[i],
                    self.date[i],
                    self.at[i],
                ])
            })
            .collect();
        let lines = (0..self.line_entry.len())
            .map(|i| {
                json!([
                    last + 1 + self.line_entry[i] as i64,
                    self.line_account[i],
                    self.line_amount[i],
                    self.line_after[i],
                ])
            })
            .collect();
        let rows = kept.len() + self.len() + self.line_entry.len();
        ([array(changes), array(entries), array(lines)], rows as u64)
    }
}

/// [`post`] on PostgreSQL in two statements: every kept balance changes in
/// one guarded `UPDATE … FROM (VALUES …)` (each debit only if it stays ≥ 0;
/// all rows or the entry is refused), then the entry and its lines in one
/// `INSERT` with a data-modifying CTE. Same effect as the portable path.
async fn post_pg(tx: &DatabaseTransaction, entry: Entry) -> Result<i64, PostError> {
    use sea_orm::{Statement, Value};
    let kept: Vec<&Line> = entry
        .lines
        .iter()
        .filter(|l| l.keeps_balance() && l.amount != 0)
        .collect();
    let mut ids: Vec<i64> = kept.iter().map(|l| l.account.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != kept.len() {
        return Err(PostError::Db(DbErr::Custom(format!(
            "{} entry names an account twice",
            entry.kind
        ))));
    }
    // Each kept account's balance after the entry (each is named once).
    let mut after: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    if !kept.is_empty() {
        let mut values = Vec::new();
        let mut rows = Vec::new();
        for (i, l) in kept.iter().enumerate() {
            rows.push(format!("(${}::bigint, ${}::bigint)", 2 * i + 1, 2 * i + 2));
            values.push(Value::from(l.account.id));
            values.push(Value::from(l.amount));
        }
        let sql = format!(
            "UPDATE accounts AS a SET balance = a.balance + v.d FROM (VALUES {}) AS v(id, d) \
             WHERE a.id = v.id AND a.balance + v.d >= 0 RETURNING a.id, a.balance",
            rows.join(", ")
        );
        let done = tx
            .query_all_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                sql,
                values,
            ))
            .await?;
        if done.len() != kept.len() {
            return Err(PostError::Overdrawn);
        }
        for row in done {
            after.insert(row.try_get("", "id")?, row.try_get("", "balance")?);
        }
    }
    let lines: Vec<&Line> = entry.lines.iter().filter(|l| l.amount != 0).collect();
    let mut values: Vec<Value> = vec![
        entry.brand_id.into(),
        entry.kind.as_str().into(),
        entry.op_ref.into(),
        entry.store_id.into(),
        entry.member_id.into(),
        entry.member_delta.0.into(),
        entry.member_balance_after.map(|f| f.0).into(),
        entry.actor.into(),
        entry.business_date.into(),
        entry.at.into(),
    ];
    let mut rows = Vec::new();
    for l in &lines {
        let n = values.len();
        rows.push(format!(
            "(${}::bigint, ${}::bigint, ${}::bigint)",
            n + 1,
            n + 2,
            n + 3
        ));
        values.push(l.account.id.into());
        values.push(l.amount.into());
        let kept_after = l
            .keeps_balance()
            .then(|| after.get(&l.account.id).copied())
            .flatten();
        values.push(kept_after.into());
    }
    let insert_lines = if rows.is_empty() {
        String::new()
    } else {
        format!(
            ", l AS (INSERT INTO journal_lines (entry_id, account_id, amount, balance_after) \
             SELECT e.id, v.a, v.m, v.b FROM e, (VALUES {}) AS v(a, m, b))",
            rows.join(", ")
        )
    };
    let sql = format!(
        "WITH e AS (INSERT INTO journal_entries (brand_id, kind, op_ref, store_id, member_id, \
         member_delta, member_balance_after, actor, business_date, created_at, reverses_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL) RETURNING id){insert_lines} \
         SELECT id FROM e"
    );
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            sql,
            values,
        ))
        .await?
        .ok_or_else(|| PostError::Db(DbErr::RecordNotInserted))?;
    Ok(row.try_get::<i64>("", "id")?)
}

/// The business date (`YYYY-MM-DD`) of an instant in a brand's time zone.
pub fn business_date(time_zone: &str, at_ms: i64) -> String {
    crate::clock::local(at_ms, time_zone)
        .format("%Y-%m-%d")
        .to_string()
}

/// What a reconciliation found.
#[derive(Debug, Default)]
pub struct Reconciliation {
    /// Entries checked.
    pub entries: u64,
    /// Accounts checked.
    pub accounts: u64,
    /// Every drift found, in words.
    pub problems: Vec<String>,
}

impl Reconciliation {
    /// No drift.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Recomputes every balance from the entries: each entry sums to zero in
/// each unit, each kept balance equals the sum of its lines and the balance
/// its last line recorded, each append-only account stores exactly what
/// its rolled-up lines sum to, no member balance is negative.
pub async fn reconcile(db: &DatabaseConnection) -> anyhow::Result<Reconciliation> {
    #[derive(FromQueryResult)]
    struct Group {
        id: i64,
        total: Option<i64>,
        rolled: Option<i64>,
    }
    let mut report = Reconciliation::default();
    // One snapshot for all three reads, so money moving meanwhile cannot
    // look like drift (PostgreSQL: repeatable read; SQLite WAL: one read
    // transaction sees one snapshot).
    let db = &crate::db::snapshot(db).await?;
    per_unit_sums(db, &mut report).await?;
    // Each account's lines: all of them, and those rolled up.
    let sums: std::collections::HashMap<i64, (i64, i64)> = journal_line::Entity::find()
        .select_only()
        .column_as(journal_line::Column::AccountId, "id")
        .column_as(
            Expr::col(journal_line::Column::Amount)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .column_as(
            Expr::cust("CAST(SUM(CASE WHEN rolled THEN amount ELSE 0 END) AS BIGINT)"),
            "rolled",
        )
        .group_by(journal_line::Column::AccountId)
        .into_model::<Group>()
        .all(db)
        .await
        .context("summing accounts")?
        .into_iter()
        .map(|g| (g.id, (g.total.unwrap_or(0), g.rolled.unwrap_or(0))))
        .collect();
    let mut frozen = std::collections::HashMap::new();
    let mut kept = std::collections::HashMap::new();
    for a in account::Entity::find()
        .all(db)
        .await
        .context("reading accounts")?
    {
        report.accounts += 1;
        let (lines, rolled) = sums.get(&a.id).copied().unwrap_or((0, 0));
        let Some(kind) = Kind::parse(&a.kind) else {
            report
                .problems
                .push(format!("account {} has unknown kind {}", a.id, a.kind));
            continue;
        };
        if kind.keeps_balance() {
            kept.insert(a.id, a.balance);
            if a.balance != lines {
                report.problems.push(format!(
                    "account {} ({}) holds {} but its lines sum to {lines}",
                    a.id, a.kind, a.balance
                ));
            }
            if a.balance < 0 {
                report.problems.push(format!(
                    "account {} ({}) is negative: {}",
                    a.id, a.kind, a.balance
                ));
            }
        } else if a.balance != rolled {
            // An append-only account stores exactly what was rolled up.
            report.problems.push(format!(
                "append-only account {} ({}) stores {} but its rolled-up lines sum to {rolled}",
                a.id, a.kind, a.balance
            ));
        }
        if kind == Kind::StoreFrozen {
            frozen.insert((a.brand_id, a.owner_id), lines);
        }
    }
    balances_after(db, &mut report, &kept).await?;
    cross_checks(db, &mut report, frozen).await?;
    Ok(report)
}

/// Each entry sums to zero in each unit apart.
async fn per_unit_sums(
    db: &DatabaseTransaction,
    report: &mut Reconciliation,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT l.entry_id AS entry, a.kind AS kind, CAST(SUM(l.amount) AS BIGINT) AS total \
             FROM journal_lines l JOIN accounts a ON a.id = l.account_id \
             GROUP BY l.entry_id, a.kind",
        ))
        .await
        .context("summing entries by unit")?;
    let mut sums: std::collections::BTreeMap<(i64, Unit), i64> = std::collections::BTreeMap::new();
    let mut entries = std::collections::HashSet::new();
    for r in rows {
        let entry: i64 = r.try_get("", "entry")?;
        let kind: String = r.try_get("", "kind")?;
        let total = r.try_get::<Option<i64>>("", "total")?.unwrap_or(0);
        entries.insert(entry);
        let Some(kind) = Kind::parse(&kind) else {
            report.problems.push(format!(
                "entry {entry} has a line on an account of unknown kind {kind}"
            ));
            continue;
        };
        let sum = sums.entry((entry, kind.unit())).or_default();
        *sum = sum.saturating_add(total);
    }
    report.entries = entries.len() as u64;
    for ((entry, unit), total) in sums {
        if total != 0 {
            report.problems.push(format!(
                "entry {entry} does not balance in {}: lines sum to {total}",
                unit.as_str()
            ));
        }
    }
    Ok(())
}

/// Each line on a kept account records the balance after it: one line's
/// balance plus the next line's amount is the next line's balance, and the
/// last line's balance is the account's.
async fn balances_after(
    db: &DatabaseTransaction,
    report: &mut Reconciliation,
    kept: &std::collections::HashMap<i64, i64>,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            backend,
            "SELECT id, account_id, amount, balance_after, \
             LAG(balance_after) OVER (PARTITION BY account_id ORDER BY id) AS before, \
             LEAD(id) OVER (PARTITION BY account_id ORDER BY id) AS next \
             FROM journal_lines WHERE balance_after IS NOT NULL",
        ))
        .await
        .context("reading balances after each line")?;
    for r in rows {
        let id: i64 = r.try_get("", "id")?;
        let account: i64 = r.try_get("", "account_id")?;
        let amount: i64 = r.try_get("", "amount")?;
        let after: i64 = r.try_get("", "balance_after")?;
        if let Some(before) = r.try_get::<Option<i64>>("", "before")?
            && before.checked_add(amount) != Some(after)
        {
            report.problems.push(format!(
                "line {id} on account {account} records {after} after {amount}, \
                 but the line before it recorded {before}"
            ));
        }
        let last = r.try_get::<Option<i64>>("", "next")?.is_none();
        match kept.get(&account) {
            Some(balance) if last && *balance != after => report.problems.push(format!(
                "account {account} holds {balance} but its last line {id} recorded {after}"
            )),
            Some(_) => {}
            None => report.problems.push(format!(
                "line {id} records a balance on account {account}, which keeps none"
            )),
        }
    }
    Ok(())
}

/// The checks across tables: what the ledger says against the operations'
/// own rows.
async fn cross_checks(
    db: &DatabaseTransaction,
    report: &mut Reconciliation,
    frozen: std::collections::HashMap<(i64, i64), i64>,
) -> anyhow::Result<()> {
    let backend = db.get_database_backend();
    let rows =
        |sql: &str| db.query_all_raw(sea_orm::Statement::from_string(backend, sql.to_string()));
    // Refunds of a payment never exceed it, in total or by channel.
    for r in rows(
        "SELECT id, amount, refunded_principal + refunded_bonus + refunded_gateway AS refunded \
         FROM payments WHERE refunded_principal > principal OR refunded_bonus > bonus \
         OR refunded_gateway > gateway \
         OR refunded_principal + refunded_bonus + refunded_gateway > principal + bonus + gateway",
    )
    .await
    .context("checking refunds against payments")?
    {
        let (id, amount, refunded): (i64, i64, i64) = (
            r.try_get("", "id")?,
            r.try_get("", "amount")?,
            r.try_get("", "refunded")?,
        );
        report
            .problems
            .push(format!("payment {id} of {amount} has {refunded} refunded"));
    }
    // What a store's frozen account holds is what its open withdrawals ask.
    let mut open: std::collections::HashMap<(i64, i64), i64> = std::collections::HashMap::new();
    let holding: Vec<String> = shared::dto::WithdrawalState::ALL
        .into_iter()
        .filter(|s| s.holds_money())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    for r in rows(&format!(
        "SELECT brand_id, store_id, CAST(SUM(amount) AS BIGINT) AS total FROM withdrawals \
         WHERE state IN ({}) GROUP BY brand_id, store_id",
        holding.join(", ")
    ))
    .await
    .context("summing open withdrawals")?
    {
        let key = (r.try_get("", "brand_id")?, r.try_get("", "store_id")?);
        open.insert(key, r.try_get::<Option<i64>>("", "total")?.unwrap_or(0));
    }
    let mut stores: Vec<(i64, i64)> = frozen.keys().chain(open.keys()).copied().collect();
    stores.sort_unstable();
    stores.dedup();
    for key in stores {
        let (held, asked) = (
            frozen.get(&key).copied().unwrap_or(0),
            open.get(&key).copied().unwrap_or(0),
        );
        if held != asked {
            report.problems.push(format!(
                "store {} has {held} frozen but its open withdrawals ask {asked}",
                key.1
            ));
        }
    }
    // Counter cash handed in never exceeds the cash the store took (cash a
    // store paid back for 退卡 may have been taken at another store).
    for r in rows(&format!(
        "SELECT a.owner_id AS store, \
         CAST(SUM(CASE WHEN e.kind = '{}' THEN l.amount ELSE 0 END) AS BIGINT) AS handed, \
         CAST(SUM(CASE WHEN e.kind = '{}' THEN -l.amount ELSE 0 END) AS BIGINT) AS taken \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         JOIN accounts a ON a.id = l.account_id \
         WHERE a.kind = '{}' GROUP BY a.owner_id",
        EntryKind::CashHandIn.as_str(),
        EntryKind::TopUp.as_str(),
        Kind::CounterClearing.as_str()
    ))
    .await
    .context("checking hand-ins against counter cash")?
    {
        let store: i64 = r.try_get("", "store")?;
        let handed = r.try_get::<Option<i64>>("", "handed")?.unwrap_or(0);
        let taken = r.try_get::<Option<i64>>("", "taken")?.unwrap_or(0);
        if handed > taken {
            report.problems.push(format!(
                "store {store} handed in {} more counter cash than it took",
                handed - taken
            ));
        }
    }
    // Gateway refunds of an order (sent or waiting) never exceed it.
    for r in rows(&format!(
        "SELECT o.id AS id, o.amount AS amount, CAST(SUM(r.amount) AS BIGINT) AS refunded \
         FROM gateway_refunds r JOIN gateway_orders o ON o.id = r.order_id \
         WHERE r.state <> '{}' GROUP BY o.id, o.amount HAVING SUM(r.amount) > o.amount",
        crate::gateway_orders::RefundState::Failed.as_str()
    ))
    .await
    .context("checking gateway refunds against their orders")?
    {
        let (id, amount, refunded): (i64, i64, Option<i64>) = (
            r.try_get("", "id")?,
            r.try_get("", "amount")?,
            r.try_get("", "refunded")?,
        );
        report.problems.push(format!(
            "gateway order {id} of {amount} has {} refunded through the gateway",
            refunded.unwrap_or(0)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn line(kind: Kind, amount: i64) -> Line {
        Line {
            account: Account { id: 1, kind },
            amount,
        }
    }

    #[test]
    fn every_kind_is_listed_once_and_parses_back() {
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Kind::parse("member_cash"), None);
    }

    #[test]
    fn points_and_uses_have_their_brand_side_accounts() {
        for (unit, brand_side) in [
            (
                Unit::Points,
                &[
                    Kind::PointsIssued,
                    Kind::PointsRedeemed,
                    Kind::PointsExpired,
                    Kind::PointsOwed,
                ][..],
            ),
            (
                Unit::Uses,
                &[Kind::UsesIssued, Kind::UsesConsumed, Kind::UsesExpired][..],
            ),
        ] {
            for k in brand_side {
                assert_eq!(k.unit(), unit, "{k:?}");
                assert!(!k.keeps_balance(), "{k:?}");
            }
        }
        assert_eq!(Kind::MemberPoints.unit(), Unit::Points);
        assert_eq!(Kind::CardUses.unit(), Unit::Uses);
        assert!(Kind::MemberPoints.keeps_balance() && Kind::CardUses.keeps_balance());
    }

    #[test]
    fn a_point_earned_balances_but_not_against_money() {
        // Earning 100 points: issued -100, member +100.
        assert_eq!(
            check_balanced(&[
                line(Kind::PointsIssued, -100),
                line(Kind::MemberPoints, 100)
            ]),
            Ok(())
        );
        // 100 points against 100 fen sums to zero in total, and is refused.
        assert_eq!(
            check_balanced(&[
                line(Kind::GatewayClearing, -100),
                line(Kind::MemberPoints, 100)
            ]),
            Err(Unbalanced {
                unit: Unit::Fen,
                sum: Some(-100)
            })
        );
        // Overflow is never a balance.
        assert_eq!(
            check_balanced(&[
                line(Kind::StoreWallet, i64::MAX),
                line(Kind::StoreWallet, 1),
                line(Kind::BonusIncome, i64::MIN),
            ]),
            Err(Unbalanced {
                unit: Unit::Fen,
                sum: None
            })
        );
    }

    fn any_kind() -> impl Strategy<Value = Kind> {
        proptest::sample::select(Kind::ALL.to_vec())
    }

    /// Lines in any kinds, then one more line per unit that brings that
    /// unit to zero: a balanced entry of mixed units.
    fn balanced_entry() -> impl Strategy<Value = Vec<Line>> {
        proptest::collection::vec((any_kind(), -1_000_000i64..1_000_000), 0..12).prop_map(|raw| {
            let mut lines: Vec<Line> = raw.into_iter().map(|(k, a)| line(k, a)).collect();
            for (unit, closer) in [
                (Unit::Fen, Kind::GatewayClearing),
                (Unit::Points, Kind::PointsIssued),
                (Unit::Uses, Kind::UsesIssued),
            ] {
                let sum: i64 = lines
                    .iter()
                    .filter(|l| l.account.kind.unit() == unit)
                    .map(|l| l.amount)
                    .sum();
                lines.push(line(closer, -sum));
            }
            lines
        })
    }

    fn account(id: i64, kind: Kind) -> Account {
        Account { id, kind }
    }

    fn every_account(stored: StoredFrom) -> PaymentAccounts {
        PaymentAccounts {
            stored,
            wallet: account(3, Kind::StoreWallet),
            income: account(4, Kind::BonusIncome),
            gateway: Some(account(5, Kind::GatewayClearing)),
            promotion: Some(account(6, Kind::PromotionExpense)),
            points: Some([
                account(7, Kind::MemberPoints),
                account(8, Kind::PointsRedeemed),
            ]),
        }
    }

    fn member_accounts() -> StoredFrom {
        StoredFrom::Accounts {
            principal: account(1, Kind::MemberPrincipal),
            bonus: account(2, Kind::MemberBonus),
        }
    }

    /// Any bill with any deductions and any stored value.
    fn any_bill() -> impl Strategy<Value = shared::plan::Bill> {
        use shared::money::Bp;
        use shared::plan::{Bill, CouponChoice, CouponOff, PointsChoice};
        (
            (1i64..10_000_000, 5_000u32..=10_000),
            proptest::option::of((0i64..100_000, 0i64..1_000_000, any::<bool>())),
            proptest::option::of((0i64..100_000, 1i64..500, 1i64..500, 0u32..=10_000)),
            (0i64..10_000_000, 0i64..1_000_000),
        )
            .prop_map(
                |((amount, rate), coupon, points, (principal, bonus))| Bill {
                    amount: Fen(amount),
                    level_rate: Bp(rate),
                    coupon: coupon.map(|(off, min, cash)| CouponChoice {
                        off: if cash {
                            CouponOff::Cash(Fen(off))
                        } else {
                            CouponOff::Percent {
                                rate: Bp((off % 10_000) as u32),
                                cap: Fen(off),
                            }
                        },
                        min_spend: Fen(min),
                    }),
                    points: points.map(|(available, step, worth, share)| PointsChoice {
                        available,
                        step,
                        step_worth: Fen(worth),
                        max_share: Bp(share),
                    }),
                    principal: Fen(principal),
                    bonus: Fen(bonus),
                },
            )
    }

    #[test]
    fn a_payment_needs_the_accounts_its_plan_uses() {
        let mut a = every_account(member_accounts());
        a.promotion = None;
        let plan = shared::plan::PaymentPlan {
            original: Fen(100),
            coupon: Fen(10),
            principal: Fen(90),
            ..Default::default()
        };
        assert_eq!(
            payment_lines(&a, &plan, Fen::ZERO),
            Err(MissingAccount(Kind::PromotionExpense))
        );
    }

    #[test]
    fn a_bulk_posting_makes_posts_checks_and_keeps_the_rest() {
        let principal = account(1, Kind::MemberPrincipal);
        let wallet = account(3, Kind::StoreWallet);
        let entry = |op: &str, amount: i64, lines: Vec<Line>| Entry {
            brand_id: 1,
            kind: EntryKind::Payment,
            op_ref: op.into(),
            store_id: Some(1),
            member_id: Some(1),
            member_delta: Fen(-amount),
            member_balance_after: None,
            actor: "member:1".into(),
            business_date: "2026-12-02".into(),
            at: 0,
            lines,
        };
        let pay = |amount: i64| {
            vec![
                Line::fen(principal, Fen(-amount)),
                Line::fen(wallet, Fen(amount)),
            ]
        };
        let mut bulk = Bulk::new([(1, 100)]);
        bulk.add(entry("1", 60, pay(60)))
            .expect("within the balance");
        assert_eq!(bulk.balance(1), Some(40));
        // The second would take the balance below zero: refused, nothing moves.
        assert_eq!(
            bulk.add(entry("2", 50, pay(50))),
            Err(BulkRefused::Overdrawn)
        );
        let mut unbalanced = pay(10);
        unbalanced[1] = Line::count(account(7, Kind::MemberPoints), 10);
        assert!(matches!(
            bulk.add(entry("3", 10, unbalanced)),
            Err(BulkRefused::Unbalanced(_))
        ));
        let unlocked = vec![
            Line::fen(account(9, Kind::MemberPrincipal), Fen(-5)),
            Line::fen(wallet, Fen(5)),
        ];
        assert_eq!(
            bulk.add(entry("4", 5, unlocked)),
            Err(BulkRefused::NotLocked(9))
        );
        bulk.add(entry("5", 40, pay(40)))
            .expect("exactly the balance");
        assert_eq!((bulk.len(), bulk.balance(1)), (2, Some(0)));
        assert_eq!(bulk.line_after, vec![Some(40), None, Some(0), None]);
        assert_eq!(bulk.deltas.get(&1), Some(&-100));
    }

    proptest! {
        #[test]
        fn an_entry_balanced_in_each_unit_is_accepted(lines in balanced_entry()) {
            prop_assert_eq!(check_balanced(&lines), Ok(()));
        }

        /// Moving value from one unit's line to another's keeps the total
        /// at zero; the entry is refused all the same.
        #[test]
        fn an_entry_balanced_in_total_but_not_per_unit_is_refused(
            mut lines in balanced_entry(),
            from in 0usize..64,
            to in 0usize..64,
            shift in prop_oneof![-1_000_000i64..0, 1i64..1_000_000],
        ) {
            let (from, to) = (from % lines.len(), to % lines.len());
            prop_assume!(lines[from].account.kind.unit() != lines[to].account.kind.unit());
            lines[from].amount -= shift;
            lines[to].amount += shift;
            let total: i64 = lines.iter().map(|l| l.amount).sum();
            prop_assert_eq!(total, 0);
            prop_assert!(check_balanced(&lines).is_err());
        }

        /// Accepted exactly when every unit sums to zero.
        #[test]
        fn accepted_iff_every_unit_sums_to_zero(
            raw in proptest::collection::vec((any_kind(), -3i64..3), 0..8),
        ) {
            let lines: Vec<Line> = raw.into_iter().map(|(k, a)| line(k, a)).collect();
            let zero = Unit::ALL.iter().all(|u| {
                lines.iter().filter(|l| l.account.kind.unit() == *u).map(|l| l.amount).sum::<i64>() == 0
            });
            prop_assert_eq!(check_balanced(&lines).is_ok(), zero);
        }

        /// Every plan's payment lines balance in each unit, and so do the
        /// lines of every refund of it, down to the last fen.
        #[test]
        fn every_plan_and_its_refunds_balance_per_unit(
            bill in any_bill(),
            settle in 0u32..=10_000,
            cuts in proptest::collection::vec(1i64..5_000_000, 1..5),
        ) {
            use shared::plan::{Refunded, plan, refund_plan};
            let paid = plan(&bill);
            let settled = paid.bonus_settled(shared::money::Bp(settle));
            let a = every_account(member_accounts());
            prop_assert_eq!(check_balanced(&payment_lines(&a, &paid, settled).expect("every account given")), Ok(()));
            let held = every_account(StoredFrom::Hold(account(9, Kind::MemberHold)));
            prop_assert_eq!(check_balanced(&payment_lines(&held, &paid, settled).expect("every account given")), Ok(()));
            let mut done = Refunded::default();
            let mut amounts: Vec<Fen> = cuts.into_iter().map(Fen).collect();
            amounts.push(paid.payable());
            for amount in amounts {
                let amount = amount.min(paid.payable() - done.total());
                if !amount.is_positive() {
                    break;
                }
                let back = refund_plan(&paid, settled, &done, amount).expect("within what is left");
                prop_assert_eq!(check_balanced(&refund_lines(&a, &back).expect("every account given")), Ok(()));
                done.principal += back.principal;
                done.bonus += back.bonus;
                done.online += back.online;
                done.points += back.points;
            }
            prop_assert_eq!(done.total(), paid.payable());
            prop_assert_eq!(done.points, paid.points_used);
        }
    }
}
