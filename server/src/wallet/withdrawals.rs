//! Withdrawals (提现): a store's money leaving its wallet for its bank
//! account (DESIGN.md "Wallet and withdrawal", "Payment gateway and payout").
//!
//! - Asking freezes the amount at once: wallet → `store_frozen`, under the
//!   store's wallet lock (the same lock refunds take), never more than
//!   available. Cancel and reject give it back.
//! - Approval writes a payout attempt to the outbox (`payout_attempts`) in the
//!   same transaction; [`send_pending`] sends it afterwards under its stable
//!   number. A crash between the two leaves the attempt pending, and the next
//!   send (any replica, any restart) sends the same number, which the channel
//!   pays at most once.
//! - A payout whose answer is unknown stays frozen; [`check_open`] queries
//!   the channel until it says paid or failed. Paid moves the frozen amount
//!   to `payout_clearing` (less HQ's fee, to `fee_income`); failed gives it
//!   back to the wallet, and HQ finance may retry as a new attempt.
//! - Every transition is a compare-and-set on the state, audited, and the
//!   store's managers get an in-app message.

use crate::audit::{self, Record};
use crate::db::{begin_write, lock_key};
use crate::entity::{brand, payee_account, payout_attempt, staff_message, withdrawal};
use crate::error::{AppError, AppResult};
use crate::jobs;
use crate::ledger::post_or_fail;
use crate::ledger::{self, Account, Entry, Kind, Line};
use crate::payout::{PayoutOrder, PayoutStatus, Submitted};
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use shared::ErrorCode;
use shared::dto::EntryKind;
use shared::dto::JobName;
use shared::dto::{AuditAction, MessageTopic, WithdrawalState};
use shared::money::Fen;
use std::sync::atomic::Ordering;

shared::named_enum! {
    /// Where a payout attempt stands.
    pub enum AttemptState {
        /// In the outbox, not (known to be) sent yet.
        Pending = "pending",
        /// The channel accepted it.
        Submitted = "submitted",
        /// Sent, but the channel did not answer.
        Unknown = "unknown",
        /// Paid.
        Paid = "paid",
        /// Failed for good.
        Failed = "failed",
    }
}

impl AttemptState {
    /// Not settled yet.
    pub const OPEN: [&'static str; 3] = [
        AttemptState::Pending.as_str(),
        AttemptState::Submitted.as_str(),
        AttemptState::Unknown.as_str(),
    ];
}

/// The payout number of a withdrawal's `n`th attempt: stable, unique.
pub fn payout_no(brand_id: i64, withdrawal_id: i64, n: i32) -> String {
    format!("TK{brand_id}W{withdrawal_id}A{n}")
}

/// The store's approved payee account, if any.
pub async fn current_payee(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    store_id: i64,
) -> AppResult<Option<payee_account::Model>> {
    Ok(payee_account::Entity::find()
        .filter(payee_account::Column::BrandId.eq(brand_id))
        .filter(payee_account::Column::StoreId.eq(store_id))
        .filter(payee_account::Column::State.eq(shared::dto::PayeeState::Approved.as_str()))
        .order_by_desc(payee_account::Column::Id)
        .one(conn)
        .await?)
}

/// One move between a store's wallet and its frozen account, booked as an
/// entry of its own.
pub struct WalletMove<'a> {
    /// The store's brand.
    pub brand: &'a brand::Model,
    /// The store.
    pub store_id: i64,
    /// How much (above zero).
    pub amount: Fen,
    /// The entry's reference (unique with its kind).
    pub op_ref: String,
    /// Who moved it, as the ledger names them.
    pub actor: String,
    /// When (Unix ms).
    pub now: i64,
}

/// Freezes an amount of the store's wallet if it is available (under the
/// store's wallet lock).
pub async fn freeze(tx: &DatabaseTransaction, m: WalletMove<'_>) -> AppResult<()> {
    lock_key(tx, &format!("wallet:{}", m.store_id)).await?;
    let accounts = wallet_accounts(tx, m.brand.id, m.store_id, m.now).await?;
    let available = ledger::summed_balance(tx, accounts[0]).await?;
    // Counter cash the store still holds is HQ's money: it is not withdrawn
    // on top of the wallet (counter top-ups take the same lock).
    let cash = cash_to_hand_in(tx, m.brand.id, m.store_id).await?;
    let withdrawable = (available - cash).max(Fen::ZERO);
    if m.amount > withdrawable {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::WithdrawalAboveAvailable,
        )
        .with("available", withdrawable.0)
        .with("cash", cash.0));
    }
    move_frozen(tx, accounts, EntryKind::Withdrawal, m).await
}

/// Counter cash a store took for top-ups and has not handed in to HQ yet
/// (what it paid back at the counter for 退卡 is no longer held).
pub async fn cash_to_hand_in(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    store_id: i64,
) -> AppResult<Fen> {
    let Some(clearing) =
        ledger::find_account(conn, brand_id, Kind::CounterClearing, store_id).await?
    else {
        return Ok(Fen::ZERO);
    };
    // Cash taken is a debit of the clearing account.
    Ok(Fen(
        (-ledger::summed_balance(conn, clearing).await?.0).max(0)
    ))
}

/// Gives a frozen amount back to the store's wallet.
pub async fn release(tx: &DatabaseTransaction, m: WalletMove<'_>) -> AppResult<()> {
    let accounts = wallet_accounts(tx, m.brand.id, m.store_id, m.now).await?;
    let back = WalletMove {
        amount: -m.amount,
        ..m
    };
    move_frozen(tx, accounts, EntryKind::WithdrawalRelease, back).await
}

/// The store's wallet and frozen account ids, in that order.
async fn wallet_accounts(
    tx: &DatabaseTransaction,
    brand_id: i64,
    store_id: i64,
    now: i64,
) -> AppResult<[Account; 2]> {
    let ids = ledger::account_ids(
        tx,
        brand_id,
        &[(Kind::StoreWallet, store_id), (Kind::StoreFrozen, store_id)],
        now,
    )
    .await?;
    Ok([ids[0], ids[1]])
}

/// wallet −amount, frozen +amount (a negative amount moves it back), on
/// the store's `[wallet, frozen]` accounts.
async fn move_frozen(
    tx: &DatabaseTransaction,
    ids: [Account; 2],
    kind: EntryKind,
    m: WalletMove<'_>,
) -> AppResult<()> {
    let entry = Entry {
        brand_id: m.brand.id,
        kind,
        op_ref: m.op_ref,
        store_id: Some(m.store_id),
        member_id: None,
        member_delta: Fen(0),
        member_balance_after: None,
        actor: m.actor,
        business_date: ledger::business_date(&m.brand.time_zone, m.now),
        at: m.now,
        lines: vec![Line::fen(ids[0], -m.amount), Line::fen(ids[1], m.amount)],
    };
    post_or_fail(tx, entry).await.map(|_| ())
}

/// What a withdrawal's move leaves behind: its audit log entry and
/// whether the store's managers hear of it.
pub struct Told {
    /// Who moved it (none: the system).
    pub by: Option<i64>,
    /// The audit log's action.
    pub action: AuditAction,
    /// A reason or a reference, shown in the audit log.
    pub note: Option<String>,
    /// Ids kept for an investigation.
    pub extra: serde_json::Value,
    /// Whether the store's managers get a message.
    pub notify: bool,
}

/// Records withdrawal `w`'s move to `to` in the audit log and, if asked,
/// tells the store's managers (with the amount).
pub async fn tell(
    tx: &DatabaseTransaction,
    brand_id: i64,
    w: &withdrawal::Model,
    to: WithdrawalState,
    told: Told,
    now: i64,
) -> AppResult<()> {
    let rec = Record::new(told.action, format!("#{}", w.id))
        .store(w.store_id)
        .amount(Fen(w.amount))
        .note(told.note)
        .extra(told.extra);
    audit::record(tx, now, brand_id, told.by, rec).await?;
    if told.notify {
        let amount = Some(Fen(w.amount));
        notify_store(
            tx,
            brand_id,
            w.store_id,
            MessageTopic::Withdrawal,
            w.id,
            to.as_str(),
            amount,
            now,
        )
        .await?;
    }
    Ok(())
}

/// An in-app message to every active manager of the store.
#[allow(clippy::too_many_arguments)]
pub async fn notify_store(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    store_id: i64,
    topic: MessageTopic,
    subject_id: i64,
    state: &str,
    amount: Option<Fen>,
    now: i64,
) -> AppResult<()> {
    for m in crate::identity::staff_accounts::store_managers(conn, brand_id, store_id).await? {
        staff_message::ActiveModel {
            brand_id: Set(brand_id),
            staff_id: Set(m.id),
            topic: Set(topic.as_str().into()),
            subject_id: Set(subject_id),
            state: Set(state.into()),
            amount: Set(amount.map(|a| a.0)),
            store_id: Set(store_id),
            created_at: Set(now),
            read_at: Set(None),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(())
}

/// Moves a withdrawal from one of `from` to `to` with `set` applied;
/// false if it was no longer in any of `from` (someone else moved it).
pub async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    from: &[WithdrawalState],
    to: WithdrawalState,
    now: i64,
    set: impl FnOnce(sea_orm::UpdateMany<withdrawal::Entity>) -> sea_orm::UpdateMany<withdrawal::Entity>,
) -> AppResult<bool> {
    let update = withdrawal::Entity::update_many()
        .col_expr(withdrawal::Column::State, Expr::value(to.as_str()))
        .col_expr(withdrawal::Column::UpdatedAt, Expr::value(now))
        .filter(withdrawal::Column::Id.eq(id))
        .filter(withdrawal::Column::State.is_in(from.iter().map(|s| s.as_str())));
    Ok(set(update).exec(conn).await?.rows_affected == 1)
}

/// Queues attempt `n` of a withdrawal in the outbox (in the caller's
/// transaction), to the store's approved payee account.
pub async fn queue_attempt(
    tx: &DatabaseTransaction,
    w: &withdrawal::Model,
    n: i32,
    payee_id: i64,
    now: i64,
) -> AppResult<String> {
    let no = payout_no(w.brand_id, w.id, n);
    payout_attempt::ActiveModel {
        brand_id: Set(w.brand_id),
        withdrawal_id: Set(w.id),
        payout_no: Set(no.clone()),
        amount: Set(w.amount - w.fee),
        payee_id: Set(payee_id),
        state: Set(AttemptState::Pending.as_str().into()),
        created_at: Set(now),
        sent_at: Set(None),
        settled_at: Set(None),
        failure: Set(None),
        tries: Set(0),
        ..Default::default()
    }
    .insert(tx)
    .await?;
    Ok(no)
}

/// Sends every payout waiting in the outbox. Safe on several replicas at
/// once and after a crash: a number is paid at most once by the channel.
pub async fn send_pending(app: &AppState, brand: Option<i64>) -> AppResult<usize> {
    if app.payouts_paused.load(Ordering::SeqCst) {
        return Ok(0);
    }
    let mut pending = payout_attempt::Entity::find()
        .filter(payout_attempt::Column::State.eq(AttemptState::Pending.as_str()));
    if let Some(b) = brand {
        pending = pending.filter(payout_attempt::Column::BrandId.eq(b));
    }
    let pending = pending
        .order_by_asc(payout_attempt::Column::Id)
        .limit(100)
        .all(&app.db)
        .await?;
    let mut sent = 0;
    for a in pending {
        // One attempt that cannot be sent (a payee row unreadable with this
        // key, say) must not hold up the others: log it and go on.
        let outcome = send_one(app, &a).await;
        if jobs::handled(app, JobName::Payouts, a.brand_id, &a.payout_no, outcome)
            .await
            .is_some()
        {
            sent += 1;
        }
    }
    Ok(sent)
}

async fn send_one(app: &AppState, a: &payout_attempt::Model) -> AppResult<()> {
    let payee = payee_account::Entity::find_by_id(a.payee_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("payee {} missing", a.payee_id)))?;
    let order = PayoutOrder {
        brand_id: a.brand_id,
        payout_no: a.payout_no.clone(),
        amount: a.amount,
        account_name: payee.account_name.clone(),
        bank_name: payee.bank_name.clone(),
        account_no: app.cipher.open(&payee.account_no_enc)?,
    };
    // The sealed number must be the one HQ approved (its last four digits
    // are kept in clear): a value copied from another row is refused.
    if !order.account_no.ends_with(&payee.account_no_last4) {
        return Err(AppError::Internal(anyhow::anyhow!(
            "payee {} number does not match its approved digits",
            payee.id
        )));
    }
    let now = app.clock.now_ms();
    // Claim this send: the attempt moves on (its try counted) only from the
    // state and try this sender saw, so of two senders that overlap (the
    // send after approval and the sweep, or two replicas) one sends and the
    // other stands back; everything after is a compare-and-set from here.
    let Some(claimed) = claim_send(app, a, now).await? else {
        return Ok(());
    };
    let a = &claimed;
    let answer = app.payout.submit(&order).await;
    match answer {
        Ok(Submitted::Accepted) => {
            mark_sent(
                app,
                a,
                now,
                AttemptState::Submitted.as_str(),
                &[WithdrawalState::Approved, WithdrawalState::Unknown],
                WithdrawalState::Submitted,
            )
            .await?;
            // A channel that pays at once says so on the first query.
            check_one(app, a.id, false).await
        }
        // A first submission refused, and nobody else sent this number:
        // nothing was paid, the money goes back (if the attempt is still as
        // this sender left it).
        Ok(Submitted::Refused(why))
            if a.tries == 1 && a.state == AttemptState::Pending.as_str() =>
        {
            settle_from(
                app,
                a.id,
                Err(why),
                Some((AttemptState::Pending.as_str(), 1)),
                None,
            )
            .await
        }
        // A number sent before and now refused may be a channel's "duplicate
        // number" answer while the first one pays: only a query decides.
        Ok(Submitted::Refused(why)) => {
            tracing::warn!(payout = %a.payout_no, %why, "resent payout refused; its status query decides");
            mark_unknown(app, a, now).await
        }
        Err(e) => {
            tracing::warn!(payout = %a.payout_no, "payout not confirmed: {}; stays frozen until a query settles it", e.0);
            mark_unknown(app, a, now).await
        }
    }
}

/// Counts a try of `a` if it is still as read; the attempt as claimed, or
/// `None` if another sender moved it meanwhile.
async fn claim_send(
    app: &AppState,
    a: &payout_attempt::Model,
    now: i64,
) -> AppResult<Option<payout_attempt::Model>> {
    let tx = begin_write(&app.db).await?;
    let claimed = payout_attempt::Entity::update_many()
        .col_expr(payout_attempt::Column::Tries, Expr::value(a.tries + 1))
        .col_expr(payout_attempt::Column::SentAt, Expr::value(now))
        .filter(payout_attempt::Column::Id.eq(a.id))
        .filter(payout_attempt::Column::State.eq(a.state.clone()))
        .filter(payout_attempt::Column::Tries.eq(a.tries))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    if claimed.rows_affected != 1 {
        tracing::info!(payout = %a.payout_no, "another sender has this payout");
        return Ok(None);
    }
    Ok(Some(payout_attempt::Model {
        tries: a.tries + 1,
        sent_at: Some(now),
        ..a.clone()
    }))
}

/// Sent, outcome unknown: the attempt waits for a status query; the money
/// stays frozen.
async fn mark_unknown(app: &AppState, a: &payout_attempt::Model, now: i64) -> AppResult<()> {
    mark_sent(
        app,
        a,
        now,
        AttemptState::Unknown.as_str(),
        &[WithdrawalState::Approved, WithdrawalState::Submitted],
        WithdrawalState::Unknown,
    )
    .await
}

/// Records a send: the attempt (if still as read) moves to `state` with its
/// try counted, and its withdrawal from one of `from` to `to`, together.
async fn mark_sent(
    app: &AppState,
    a: &payout_attempt::Model,
    now: i64,
    state: &str,
    from: &[WithdrawalState],
    to: WithdrawalState,
) -> AppResult<()> {
    let tx = begin_write(&app.db).await?;
    // `a` is the attempt as this sender claimed it (its try counted).
    let moved = payout_attempt::Entity::update_many()
        .col_expr(payout_attempt::Column::State, Expr::value(state))
        .col_expr(payout_attempt::Column::SentAt, Expr::value(now))
        .filter(payout_attempt::Column::Id.eq(a.id))
        .filter(payout_attempt::Column::State.eq(a.state.clone()))
        .filter(payout_attempt::Column::Tries.eq(a.tries))
        .exec(&tx)
        .await?;
    if moved.rows_affected == 1 {
        transition(&tx, a.withdrawal_id, from, to, now, |u| u).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Queries the channel about every payout sent and not settled; settles
/// those it has an answer for, and sends again those it never received.
pub async fn check_open(app: &AppState, brand: Option<i64>) -> AppResult<usize> {
    let mut open = payout_attempt::Entity::find().filter(payout_attempt::Column::State.is_in([
        AttemptState::Submitted.as_str(),
        AttemptState::Unknown.as_str(),
    ]));
    if let Some(b) = brand {
        open = open.filter(payout_attempt::Column::BrandId.eq(b));
    }
    let open = open
        .order_by_asc(payout_attempt::Column::Id)
        .limit(200)
        .all(&app.db)
        .await?;
    let n = open.len();
    for a in open {
        let outcome = check_one(app, a.id, true).await;
        jobs::handled(app, JobName::Payouts, a.brand_id, &a.payout_no, outcome).await;
    }
    Ok(n)
}

/// How long after sending a "never received" answer is believed (a
/// channel's query may lag behind its submission).
pub const RESEND_AFTER_MS: i64 = 60_000;

/// Asks the channel about one attempt and acts on the answer; resends a
/// number the channel never received only when `may_resend` and it was sent
/// long enough ago.
async fn check_one(app: &AppState, attempt_id: i64, may_resend: bool) -> AppResult<()> {
    let Some(a) = payout_attempt::Entity::find_by_id(attempt_id)
        .one(&app.db)
        .await?
    else {
        return Ok(());
    };
    if !AttemptState::OPEN.contains(&a.state.as_str()) {
        return Ok(());
    }
    match app.payout.query(&a.payout_no).await {
        Ok(PayoutStatus::Paid) => settle(app, a.id, Ok(())).await,
        Ok(PayoutStatus::Failed(why)) => settle(app, a.id, Err(why)).await,
        Ok(PayoutStatus::Processing) => Ok(()),
        // It never arrived: send the same number again.
        Ok(PayoutStatus::NotFound) => {
            let sent_long_ago = a
                .sent_at
                .is_none_or(|at| app.clock.now_ms() - at >= RESEND_AFTER_MS);
            if !may_resend || !sent_long_ago || app.payouts_paused.load(Ordering::SeqCst) {
                return Ok(());
            }
            Box::pin(send_one(app, &a)).await
        }
        Err(e) => {
            tracing::warn!(payout = %a.payout_no, "payout query failed: {}", e.0);
            Ok(())
        }
    }
}

/// Settles an attempt: paid (`Ok`) or failed (`Err(why)`), with its ledger
/// entry, audit and message, once.
async fn settle(app: &AppState, attempt_id: i64, outcome: Result<(), String>) -> AppResult<()> {
    settle_from(app, attempt_id, outcome, None, None).await
}

/// Who paid a payout by hand (the manual channel): HQ finance's staff id and
/// the bank transfer's reference.
pub struct ByHand {
    /// HQ finance.
    pub staff_id: i64,
    /// The transfer's reference.
    pub reference: String,
}

/// HQ finance: the open payout of withdrawal `withdrawal_id` was paid by
/// bank transfer under `reference` (the manual channel). Settles it paid
/// like a channel's answer would, audited under the caller; false if there
/// was no open payout (settled meanwhile).
pub async fn mark_paid_by_hand(
    app: &AppState,
    brand_id: i64,
    withdrawal_id: i64,
    by: ByHand,
) -> AppResult<bool> {
    let open = payout_attempt::Entity::find()
        .filter(payout_attempt::Column::BrandId.eq(brand_id))
        .filter(payout_attempt::Column::WithdrawalId.eq(withdrawal_id))
        .filter(payout_attempt::Column::State.is_in(AttemptState::OPEN))
        .one(&app.db)
        .await?;
    let Some(a) = open else {
        return Ok(false);
    };
    settle_from(app, a.id, Ok(()), None, Some(by)).await?;
    let settled = payout_attempt::Entity::find_by_id(a.id)
        .one(&app.db)
        .await?
        .is_some_and(|a| a.state == AttemptState::Paid.as_str());
    Ok(settled)
}

/// [`settle`], only from the state and try a sender saw, when given.
async fn settle_from(
    app: &AppState,
    attempt_id: i64,
    outcome: Result<(), String>,
    seen: Option<(&str, i32)>,
    by_hand: Option<ByHand>,
) -> AppResult<()> {
    let now = app.clock.now_ms();
    let tx = begin_write(&app.db).await?;
    let a = payout_attempt::Entity::find_by_id(attempt_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (state, failure) = match &outcome {
        Ok(()) => (AttemptState::Paid.as_str(), None),
        Err(why) => (AttemptState::Failed.as_str(), Some(why.clone())),
    };
    let moved = payout_attempt::Entity::update_many()
        .col_expr(payout_attempt::Column::State, Expr::value(state))
        .col_expr(payout_attempt::Column::SettledAt, Expr::value(now))
        .col_expr(
            payout_attempt::Column::Failure,
            Expr::value(failure.clone()),
        )
        .col_expr(
            payout_attempt::Column::Reference,
            Expr::value(by_hand.as_ref().map(|b| b.reference.clone())),
        )
        .filter(payout_attempt::Column::Id.eq(a.id))
        .filter(payout_attempt::Column::State.is_in(AttemptState::OPEN));
    let moved = match seen {
        Some((state, tries)) => moved
            .filter(payout_attempt::Column::State.eq(state))
            .filter(payout_attempt::Column::Tries.eq(tries)),
        None => moved,
    }
    .exec(&tx)
    .await?;
    if moved.rows_affected != 1 {
        // Settled meanwhile (another replica, a second query).
        tx.rollback().await?;
        return Ok(());
    }
    let w = withdrawal::Entity::find_by_id(a.withdrawal_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let brand = brand::Entity::find_by_id(w.brand_id)
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let to = if outcome.is_ok() {
        WithdrawalState::Paid
    } else {
        WithdrawalState::Failed
    };
    let moved = transition(
        &tx,
        w.id,
        &[
            WithdrawalState::Approved,
            WithdrawalState::Submitted,
            WithdrawalState::Unknown,
        ],
        to,
        now,
        |u| {
            let u = u.filter(withdrawal::Column::PayoutNo.eq(a.payout_no.clone()));
            if outcome.is_ok() {
                u.col_expr(withdrawal::Column::PaidAt, Expr::value(now))
            } else {
                u.col_expr(withdrawal::Column::Reason, Expr::value(failure.clone()))
            }
        },
    )
    .await?;
    if !moved {
        return Err(AppError::Internal(anyhow::anyhow!(
            "withdrawal {} not open for payout {}",
            w.id,
            a.payout_no
        )));
    }
    let amount = Fen(w.amount);
    if outcome.is_ok() {
        let ids = ledger::account_ids(
            &tx,
            brand.id,
            &[
                (Kind::StoreFrozen, w.store_id),
                (Kind::PayoutClearing, 0),
                (Kind::FeeIncome, 0),
            ],
            now,
        )
        .await?;
        post_or_fail(
            &tx,
            Entry {
                brand_id: brand.id,
                kind: EntryKind::Payout,
                op_ref: a.payout_no.clone(),
                store_id: Some(w.store_id),
                member_id: None,
                member_delta: Fen(0),
                member_balance_after: None,
                actor: "system:payout".into(),
                business_date: ledger::business_date(&brand.time_zone, now),
                at: now,
                lines: vec![
                    Line::fen(ids[0], Fen(-w.amount)),
                    Line::fen(ids[1], Fen(w.amount - w.fee)),
                    Line::fen(ids[2], Fen(w.fee)),
                ],
            },
        )
        .await?;
    } else {
        let back = WalletMove {
            brand: &brand,
            store_id: w.store_id,
            amount,
            op_ref: format!("{}:failed", a.payout_no),
            actor: "system:payout".into(),
            now,
        };
        release(&tx, back).await?;
    }
    let told = Told {
        by: by_hand.as_ref().map(|b| b.staff_id),
        action: if outcome.is_ok() {
            AuditAction::WithdrawalPaid
        } else {
            AuditAction::WithdrawalFailed
        },
        note: by_hand
            .as_ref()
            .map(|b| b.reference.clone())
            .or_else(|| failure.clone()),
        extra: serde_json::json!({ "payout_no": a.payout_no }),
        notify: true,
    };
    tell(&tx, brand.id, &w, to, told, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Sends the outbox and then queries what is open (of one brand, or of
/// all): what `serve` runs every few seconds and what an approval starts at
/// once. Returns (sent, queried).
pub async fn sweep(app: &AppState, brand: Option<i64>) -> AppResult<(usize, usize)> {
    if app.manual_payouts {
        // HQ finance pays by hand; nothing is sent or asked about.
        return Ok((0, 0));
    }
    // Each half runs whatever the other met.
    let sent = send_pending(app, brand).await;
    let checked = check_open(app, brand).await;
    Ok((sent?, checked?))
}

/// Starts a sweep of the brand in the background (after an approval or
/// retry commits).
pub fn kick(app: &AppState, brand: i64) {
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(e) = sweep(&app, Some(brand)).await {
            tracing::warn!("payout sweep failed: {e:?}");
        }
    });
}
