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
use shared::money::Fen;

/// The kinds of account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// What a member paid in (owner: member).
    MemberPrincipal,
    /// Promotional value a member holds (owner: member).
    MemberBonus,
    /// What HQ owes a store (owner: store). Append-only.
    StoreWallet,
    /// What a store's withdrawals in progress hold (owner: store).
    /// Append-only.
    StoreFrozen,
    /// Money taken at a store's counter for top-ups (owner: store). Append-only.
    CounterClearing,
    /// What bonuses cost the brand (owner 0). Append-only.
    PromotionExpense,
    /// The part of bonus-paid amounts the brand keeps (owner 0). Append-only.
    BonusIncome,
    /// Money taken or paid back through the payment gateway (owner 0).
    /// Append-only.
    GatewayClearing,
    /// A member's stored value held while a split payment's gateway leg
    /// runs (owner: member).
    MemberHold,
    /// Money paid out to stores' bank accounts (owner 0). Append-only.
    PayoutClearing,
    /// HQ's withdrawal fees (owner 0). Append-only.
    FeeIncome,
    /// Counter cash stores handed in to HQ's bank (owner 0). Append-only.
    HqBankClearing,
}

impl Kind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::MemberPrincipal => "member_principal",
            Kind::MemberBonus => "member_bonus",
            Kind::StoreWallet => "store_wallet",
            Kind::StoreFrozen => "store_frozen",
            Kind::CounterClearing => "counter_clearing",
            Kind::PromotionExpense => "promotion_expense",
            Kind::BonusIncome => "bonus_income",
            Kind::GatewayClearing => "gateway_clearing",
            Kind::MemberHold => "member_hold",
            Kind::PayoutClearing => "payout_clearing",
            Kind::FeeIncome => "fee_income",
            Kind::HqBankClearing => "hq_bank_clearing",
        }
    }

    /// Whether the account keeps a balance (changed under a lock) or is
    /// append-only (its balance is the sum of its lines).
    pub fn keeps_balance(self) -> bool {
        matches!(
            self,
            Kind::MemberPrincipal | Kind::MemberBonus | Kind::MemberHold
        )
    }

    fn parse(s: &str) -> Option<Kind> {
        [
            Kind::MemberPrincipal,
            Kind::MemberBonus,
            Kind::StoreWallet,
            Kind::StoreFrozen,
            Kind::CounterClearing,
            Kind::PromotionExpense,
            Kind::BonusIncome,
            Kind::GatewayClearing,
            Kind::MemberHold,
            Kind::PayoutClearing,
            Kind::FeeIncome,
            Kind::HqBankClearing,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// The id of an account, creating it on first use.
pub async fn account_id(
    tx: &DatabaseTransaction,
    brand_id: i64,
    kind: Kind,
    owner_id: i64,
    now: i64,
) -> Result<i64, DbErr> {
    // Nearly always the account exists: one read, and the insert only once.
    if let Some(id) = find_account(tx, brand_id, kind, owner_id).await? {
        return Ok(id);
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
) -> Result<Vec<i64>, DbErr> {
    let found = accounts_of(tx, brand_id, wanted).await?;
    let pick = |rows: &[account::Model], (kind, owner): (Kind, i64)| {
        rows.iter()
            .find(|a| a.kind == kind.as_str() && a.owner_id == owner)
            .map(|a| a.id)
    };
    if let Some(ids) = wanted
        .iter()
        .map(|w| pick(&found, *w))
        .collect::<Option<Vec<i64>>>()
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
fn accounts_query(brand_id: i64, wanted: &[(Kind, i64)]) -> sea_orm::Select<account::Entity> {
    let mut any = sea_orm::Condition::any();
    for (kind, owner) in wanted {
        any = any.add(
            sea_orm::Condition::all()
                .add(account::Column::Kind.eq(kind.as_str()))
                .add(account::Column::OwnerId.eq(*owner)),
        );
    }
    account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(any)
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

/// The id of an account, if it was ever used.
pub async fn find_account(
    tx: &impl ConnectionTrait,
    brand_id: i64,
    kind: Kind,
    owner_id: i64,
) -> Result<Option<i64>, DbErr> {
    let found = account::Entity::find()
        .filter(account::Column::BrandId.eq(brand_id))
        .filter(account::Column::Kind.eq(kind.as_str()))
        .filter(account::Column::OwnerId.eq(owner_id))
        .one(tx)
        .await?;
    Ok(found.map(|a| a.id))
}

/// A member's two accounts and their balances, read under the member's lock
/// so the caller may debit them.
#[derive(Clone, Copy, Debug)]
pub struct MemberFunds {
    /// Principal account id.
    pub principal_id: i64,
    /// Bonus account id.
    pub bonus_id: i64,
    /// Principal balance.
    pub principal: Fen,
    /// Bonus balance.
    pub bonus: Fen,
}

impl MemberFunds {
    /// principal + bonus.
    pub fn total(&self) -> Fen {
        Fen(self.principal.0 + self.bonus.0)
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
            .map(|a| (a.id, Fen(a.balance)))
            .ok_or_else(|| DbErr::RecordNotFound(format!("account {}", kind.as_str())))
    };
    let (principal_id, principal) = of(Kind::MemberPrincipal)?;
    let (bonus_id, bonus) = of(Kind::MemberBonus)?;
    Ok(MemberFunds {
        principal_id,
        bonus_id,
        principal,
        bonus,
    })
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
        Fen(rows
            .iter()
            .filter(|a| a.kind == k.as_str())
            .map(|a| a.balance)
            .sum())
    };
    Ok((of(Kind::MemberPrincipal), of(Kind::MemberBonus)))
}

/// The balance of an append-only account: the sum of its lines.
pub async fn summed_balance(conn: &impl ConnectionTrait, account_id: i64) -> Result<Fen, DbErr> {
    #[derive(FromQueryResult)]
    struct Sum {
        total: Option<i64>,
    }
    let sum = journal_line::Entity::find()
        .select_only()
        .column_as(
            Expr::col(journal_line::Column::Amount)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .filter(journal_line::Column::AccountId.eq(account_id))
        .into_model::<Sum>()
        .one(conn)
        .await?;
    Ok(Fen(sum.and_then(|s| s.total).unwrap_or(0)))
}

/// One line: `amount` added to `account` (negative takes away).
#[derive(Clone, Copy, Debug)]
pub struct Line {
    /// Account id.
    pub account: i64,
    /// Whether that account keeps a balance (see [`Kind::keeps_balance`]).
    pub keeps_balance: bool,
    /// Signed amount.
    pub amount: Fen,
}

impl Line {
    /// A line on an account that keeps a balance (a member's).
    pub fn kept(account: i64, amount: Fen) -> Line {
        Line {
            account,
            keeps_balance: true,
            amount,
        }
    }

    /// A line on an append-only account (a store's, the brand's).
    pub fn append(account: i64, amount: Fen) -> Line {
        Line {
            account,
            keeps_balance: false,
            amount,
        }
    }
}

/// A journal entry to post.
pub struct Entry<'a> {
    /// Brand.
    pub brand_id: i64,
    /// `topup`, `payment`, `refund`, …
    pub kind: &'a str,
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
pub async fn post(tx: &DatabaseTransaction, entry: Entry<'_>) -> Result<i64, PostError> {
    let sum = entry
        .lines
        .iter()
        .try_fold(0i64, |acc, l| acc.checked_add(l.amount.0));
    if sum != Some(0) {
        return Err(PostError::Db(DbErr::Custom(format!(
            "unbalanced {} entry: {sum:?}",
            entry.kind
        ))));
    }
    if tx.get_database_backend() == sea_orm::DbBackend::Postgres {
        return post_pg(tx, entry).await;
    }
    for line in entry
        .lines
        .iter()
        .filter(|l| l.keeps_balance && l.amount.0 != 0)
    {
        let mut update = account::Entity::update_many()
            .col_expr(
                account::Column::Balance,
                Expr::col(account::Column::Balance).add(line.amount.0),
            )
            .filter(account::Column::Id.eq(line.account));
        if line.amount.0 < 0 {
            // Debits are guarded: never below zero.
            update = update.filter(account::Column::Balance.gte(-line.amount.0));
        }
        if update.exec(tx).await?.rows_affected != 1 {
            return Err(PostError::Overdrawn);
        }
    }
    let saved = journal_entry::ActiveModel {
        brand_id: Set(entry.brand_id),
        kind: Set(entry.kind.into()),
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
        .filter(|l| l.amount.0 != 0)
        .map(|l| journal_line::ActiveModel {
            entry_id: Set(saved.id),
            account_id: Set(l.account),
            amount: Set(l.amount.0),
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

/// [`post`] on PostgreSQL in two statements: every kept balance changes in
/// one guarded `UPDATE … FROM (VALUES …)` (each debit only if it stays ≥ 0;
/// all rows or the entry is refused), then the entry and its lines in one
/// `INSERT` with a data-modifying CTE. Same effect as the portable path.
async fn post_pg(tx: &DatabaseTransaction, entry: Entry<'_>) -> Result<i64, PostError> {
    use sea_orm::{Statement, Value};
    let kept: Vec<&Line> = entry
        .lines
        .iter()
        .filter(|l| l.keeps_balance && l.amount.0 != 0)
        .collect();
    let mut ids: Vec<i64> = kept.iter().map(|l| l.account).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != kept.len() {
        return Err(PostError::Db(DbErr::Custom(format!(
            "{} entry names an account twice",
            entry.kind
        ))));
    }
    if !kept.is_empty() {
        let mut values = Vec::new();
        let mut rows = Vec::new();
        for (i, l) in kept.iter().enumerate() {
            rows.push(format!("(${}::bigint, ${}::bigint)", 2 * i + 1, 2 * i + 2));
            values.push(Value::from(l.account));
            values.push(Value::from(l.amount.0));
        }
        let sql = format!(
            "UPDATE accounts AS a SET balance = a.balance + v.d FROM (VALUES {}) AS v(id, d) \
             WHERE a.id = v.id AND a.balance + v.d >= 0",
            rows.join(", ")
        );
        let done = tx
            .execute_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                sql,
                values,
            ))
            .await?;
        if done.rows_affected() != kept.len() as u64 {
            return Err(PostError::Overdrawn);
        }
    }
    let lines: Vec<&Line> = entry.lines.iter().filter(|l| l.amount.0 != 0).collect();
    let mut values: Vec<Value> = vec![
        entry.brand_id.into(),
        entry.kind.into(),
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
        rows.push(format!("(${}::bigint, ${}::bigint)", n + 1, n + 2));
        values.push(l.account.into());
        values.push(l.amount.0.into());
    }
    let insert_lines = if rows.is_empty() {
        String::new()
    } else {
        format!(
            ", l AS (INSERT INTO journal_lines (entry_id, account_id, amount) \
             SELECT e.id, v.a, v.m FROM e, (VALUES {}) AS v(a, m))",
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
    let tz: chrono_tz::Tz = time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
    crate::clock::to_utc(at_ms)
        .with_timezone(&tz)
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

/// Recomputes every balance from the entries: each entry sums to zero, each
/// kept balance equals the sum of its lines, no member balance is negative.
pub async fn reconcile(db: &DatabaseConnection) -> anyhow::Result<Reconciliation> {
    #[derive(FromQueryResult)]
    struct Group {
        id: i64,
        total: Option<i64>,
    }
    let mut report = Reconciliation::default();
    // One snapshot for all three reads, so money moving meanwhile cannot
    // look like drift (PostgreSQL: repeatable read; SQLite WAL: one read
    // transaction sees one snapshot).
    let db = &crate::db::snapshot(db).await?;
    let unbalanced: Vec<Group> = journal_line::Entity::find()
        .select_only()
        .column_as(journal_line::Column::EntryId, "id")
        .column_as(
            Expr::col(journal_line::Column::Amount)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .group_by(journal_line::Column::EntryId)
        .into_model::<Group>()
        .all(db)
        .await
        .context("summing entries")?;
    report.entries = unbalanced.len() as u64;
    for g in unbalanced.iter().filter(|g| g.total.unwrap_or(0) != 0) {
        report.problems.push(format!(
            "entry {} does not balance: lines sum to {}",
            g.id,
            g.total.unwrap_or(0)
        ));
    }
    let sums: std::collections::HashMap<i64, i64> = journal_line::Entity::find()
        .select_only()
        .column_as(journal_line::Column::AccountId, "id")
        .column_as(
            Expr::col(journal_line::Column::Amount)
                .sum()
                .cast_as("BIGINT"),
            "total",
        )
        .group_by(journal_line::Column::AccountId)
        .into_model::<Group>()
        .all(db)
        .await
        .context("summing accounts")?
        .into_iter()
        .map(|g| (g.id, g.total.unwrap_or(0)))
        .collect();
    let mut frozen = std::collections::HashMap::new();
    for a in account::Entity::find()
        .all(db)
        .await
        .context("reading accounts")?
    {
        report.accounts += 1;
        let lines = sums.get(&a.id).copied().unwrap_or(0);
        let Some(kind) = Kind::parse(&a.kind) else {
            report
                .problems
                .push(format!("account {} has unknown kind {}", a.id, a.kind));
            continue;
        };
        if kind.keeps_balance() {
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
        } else if a.balance != 0 {
            report.problems.push(format!(
                "append-only account {} ({}) has a stored balance {}",
                a.id, a.kind, a.balance
            ));
        }
        if kind == Kind::StoreFrozen {
            frozen.insert((a.brand_id, a.owner_id), lines);
        }
    }
    cross_checks(db, &mut report, frozen).await?;
    Ok(report)
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
    for r in rows(
        "SELECT brand_id, store_id, CAST(SUM(amount) AS BIGINT) AS total FROM withdrawals \
         WHERE state IN ('requested', 'approved', 'submitted', 'unknown') \
         GROUP BY brand_id, store_id",
    )
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
    for r in rows(
        "SELECT a.owner_id AS store, \
         CAST(SUM(CASE WHEN e.kind = 'cash_handin' THEN l.amount ELSE 0 END) AS BIGINT) AS handed, \
         CAST(SUM(CASE WHEN e.kind = 'topup' THEN -l.amount ELSE 0 END) AS BIGINT) AS taken \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         JOIN accounts a ON a.id = l.account_id \
         WHERE a.kind = 'counter_clearing' GROUP BY a.owner_id",
    )
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
    for r in rows(
        "SELECT o.id AS id, o.amount AS amount, CAST(SUM(r.amount) AS BIGINT) AS refunded \
         FROM gateway_refunds r JOIN gateway_orders o ON o.id = r.order_id \
         WHERE r.state <> 'failed' GROUP BY o.id, o.amount HAVING SUM(r.amount) > o.amount",
    )
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
