//! Limits on guessing a secret (a staff password, for now), kept in the
//! database so replicas share the count, and exact when guesses arrive
//! together: a guess takes a slot of its window *before* the slow check,
//! under the key's lock, and is settled after it.
//!
//! A key fails `max_failures` times, then locks for a while that doubles with
//! each lock (from `first_lock_ms` up to `max_lock_ms`). A lock that has run
//! out opens a new window; a right guess on a key that `resets_on_success`
//! clears it (a per-account key), otherwise it only gives its slot back (a
//! per-address key, where one person's right password must not clear
//! another's wrong ones).

use crate::db::{begin_write, lock_key};
use crate::entity::guess_limit;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, Set};

/// How a kind of key is limited.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Wrong guesses in a window before the key locks.
    pub max_failures: i32,
    /// The first lock's length.
    pub first_lock_ms: i64,
    /// The longest lock.
    pub max_lock_ms: i64,
    /// Whether a right guess clears the count (else it frees only its slot).
    pub resets_on_success: bool,
    /// After this long without a guess the key starts afresh (count and
    /// lock length).
    pub forget_after_ms: i64,
}

/// A staff account: five wrong passwords lock it for 1 minute, then 2, 4, 8
/// and at most 15; HQ admin can unlock it.
pub const STAFF_ACCOUNT: Policy = Policy {
    max_failures: 5,
    first_lock_ms: 60_000,
    max_lock_ms: 15 * 60_000,
    resets_on_success: true,
    forget_after_ms: 24 * 3_600_000,
};

/// A client address: twenty wrong passwords (any accounts) slow it down for
/// 10 seconds, then 20, 40… at most 5 minutes. It never locks an account:
/// a shop's clerks share one address.
pub const STAFF_ADDRESS: Policy = Policy {
    max_failures: 20,
    first_lock_ms: 10_000,
    max_lock_ms: 5 * 60_000,
    resets_on_success: false,
    forget_after_ms: 3_600_000,
};

/// The wrong member codes scanned at one store: twenty, then a pause of
/// 30 seconds, growing to at most 10 minutes; a right code frees its slot.
pub const MEMBER_CODE_STORE: Policy = Policy {
    max_failures: 20,
    first_lock_ms: 30_000,
    max_lock_ms: 10 * 60_000,
    resets_on_success: false,
    forget_after_ms: 3_600_000,
};

/// The wrong codes tried for one member's code id: five, then 1 minute,
/// growing to at most 15; the member's right code clears it.
pub const MEMBER_CODE_ID: Policy = Policy {
    max_failures: 5,
    first_lock_ms: 60_000,
    max_lock_ms: 15 * 60_000,
    resets_on_success: true,
    forget_after_ms: 3_600_000,
};

/// The key of a staff account (by the account name typed, so an unknown
/// account is limited, and answers, exactly like a known one).
pub fn staff_account_key(brand_id: i64, account: &str) -> String {
    format!("staff:{brand_id}:{account}")
}

/// The key of a client address for staff logins.
pub fn staff_address_key(ip: &str) -> String {
    format!("staff-ip:{ip}")
}

/// A refusal: the key is locked for `retry_after_ms` more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Locked {
    /// How long until a guess is taken again.
    pub retry_after_ms: i64,
}

/// Why a guess was not settled: the key locked, or the database failed.
#[derive(Debug)]
pub enum Refused {
    /// Locked (or every slot of the window is being checked).
    Locked(Locked),
    /// The database failed.
    Db(DbErr),
}

/// A refusal as the API answers it: 429 with `code` and when to retry.
pub fn refusal(r: Refused, code: shared::ErrorCode) -> crate::error::AppError {
    match r {
        Refused::Locked(l) => {
            crate::error::AppError::new(axum::http::StatusCode::TOO_MANY_REQUESTS, code)
                .with("retry_after", (l.retry_after_ms + 999) / 1000)
        }
        Refused::Db(e) => e.into(),
    }
}

impl From<DbErr> for Refused {
    fn from(e: DbErr) -> Self {
        Refused::Db(e)
    }
}

/// Takes a slot for one guess on `key`, or refuses it while `key` is locked
/// or all of its window's slots are taken.
pub async fn claim(
    db: &DatabaseConnection,
    key: &str,
    policy: Policy,
    now: i64,
) -> Result<(), Refused> {
    let tx = begin_write(db).await?;
    let mut row = match window(&tx, key, policy, now).await? {
        Window::Open(row) => row,
        Window::Locked(l) => return Err(Refused::Locked(l)),
        Window::LockedNow(l) => {
            tx.commit().await?;
            return Err(Refused::Locked(l));
        }
    };
    row.failures += 1;
    row.updated_at = now;
    save(&tx, row).await?;
    tx.commit().await?;
    Ok(())
}

/// Where a key's window stands when a guess arrives, read under the key's
/// lock in `conn` (a write).
enum Window {
    /// Guesses are taken: the key's row as it stands (a new window if the
    /// last lock ran out or the key was forgotten).
    Open(guess_limit::Model),
    /// Locked for this much longer.
    Locked(Locked),
    /// Every slot was taken and none had set the lock (being checked right
    /// now, or never settled: a dropped request); the lock is set now, in
    /// `conn`, so a full window always ends in a lock that runs out.
    LockedNow(Locked),
}

async fn window(
    conn: &DatabaseTransaction,
    key: &str,
    policy: Policy,
    now: i64,
) -> Result<Window, DbErr> {
    lock_key(conn, &format!("guess:{key}")).await?;
    let row = guess_limit::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?;
    let mut row = match row {
        Some(row) if now - row.updated_at > policy.forget_after_ms => guess_limit::Model {
            failures: 0,
            lock_level: 0,
            locked_until: None,
            ..row
        },
        Some(row) => row,
        None => guess_limit::Model {
            key: key.to_string(),
            failures: 0,
            lock_level: 0,
            locked_until: None,
            updated_at: now,
        },
    };
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        return Ok(Window::Locked(Locked {
            retry_after_ms: until - now,
        }));
    }
    if row.locked_until.is_some() {
        // The lock ran out: a new window.
        row.failures = 0;
        row.locked_until = None;
    }
    if row.failures >= policy.max_failures {
        return Ok(Window::LockedNow(lock(conn, policy, row, now).await?));
    }
    Ok(Window::Open(row))
}

/// Locks the key of `row` for its next lock length; returns it.
async fn lock(
    conn: &impl ConnectionTrait,
    policy: Policy,
    mut row: guess_limit::Model,
    now: i64,
) -> Result<Locked, DbErr> {
    let length = lock_length(policy, row.lock_level);
    row.locked_until = Some(now + length);
    row.lock_level += 1;
    row.updated_at = now;
    save(conn, row).await?;
    Ok(Locked {
        retry_after_ms: length,
    })
}

/// A guess let through by [`guess`], to be ended by [`Guess::end`] in the
/// same write.
pub struct Guess {
    row: guess_limit::Model,
    policy: Policy,
}

/// For a check quick enough to make under the key's lock (a member code,
/// not a password): the guess is let through or refused inside the write
/// `conn` that also holds what the guess opens, and [`Guess::end`] counts
/// it in the same write, so a guess is one write, not three. A refusal may
/// have set a lock in `conn`: commit it.
pub async fn guess(
    conn: &DatabaseTransaction,
    key: &str,
    policy: Policy,
    now: i64,
) -> Result<Result<Guess, Locked>, DbErr> {
    Ok(match window(conn, key, policy, now).await? {
        Window::Open(row) => Ok(Guess { row, policy }),
        Window::Locked(l) | Window::LockedNow(l) => Err(l),
    })
}

impl Guess {
    /// Counts the guess: a right one clears the key if its policy says so
    /// (else it never took a slot); a wrong one takes a slot, and the one
    /// that fills the window locks the key and is told so.
    pub async fn end(
        self,
        conn: &impl ConnectionTrait,
        right: bool,
        now: i64,
    ) -> Result<Option<Locked>, DbErr> {
        let Guess { mut row, policy } = self;
        if right {
            if policy.resets_on_success {
                guess_limit::Entity::delete_by_id(row.key)
                    .exec(conn)
                    .await?;
            }
            return Ok(None);
        }
        row.failures += 1;
        if row.failures >= policy.max_failures {
            return Ok(Some(lock(conn, policy, row, now).await?));
        }
        row.updated_at = now;
        save(conn, row).await?;
        Ok(None)
    }
}

/// Settles a guess that [`claim`] let through. A right guess is refused if
/// the key was locked while it was checked; a wrong one that fills the window
/// locks the key (and is refused as locked).
pub async fn settle(
    db: &DatabaseConnection,
    key: &str,
    policy: Policy,
    right: bool,
    now: i64,
) -> Result<(), Refused> {
    let tx = begin_write(db).await?;
    lock_key(&tx, &format!("guess:{key}")).await?;
    let Some(mut row) = guess_limit::Entity::find_by_id(key.to_string())
        .one(&tx)
        .await?
    else {
        // Unlocked by HQ meanwhile: nothing is counted.
        return Ok(());
    };
    if let Some(until) = row.locked_until.filter(|u| *u > now) {
        return Err(Refused::Locked(Locked {
            retry_after_ms: until - now,
        }));
    }
    if right {
        if policy.resets_on_success {
            guess_limit::Entity::delete_by_id(key.to_string())
                .exec(&tx)
                .await?;
        } else {
            row.failures = (row.failures - 1).max(0);
            save(&tx, row).await?;
        }
        tx.commit().await?;
        return Ok(());
    }
    if row.failures < policy.max_failures {
        return Ok(());
    }
    let locked = lock(&tx, policy, row, now).await?;
    tx.commit().await?;
    Err(Refused::Locked(locked))
}

/// Wrong guesses left in `key`'s window (for "n attempts left").
pub async fn remaining(
    conn: &impl ConnectionTrait,
    key: &str,
    policy: Policy,
) -> Result<i32, DbErr> {
    let failures = guess_limit::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?
        .map_or(0, |r| r.failures);
    Ok((policy.max_failures - failures).max(0))
}

/// When `key` is locked until, if it is locked at `now`.
pub async fn locked_until(
    conn: &impl ConnectionTrait,
    key: &str,
    now: i64,
) -> Result<Option<i64>, DbErr> {
    Ok(guess_limit::Entity::find_by_id(key.to_string())
        .one(conn)
        .await?
        .and_then(|r| r.locked_until)
        .filter(|u| *u > now))
}

/// Clears `key` (HQ admin unlocking an account), under the key's lock so a
/// guess being claimed meanwhile cannot write it back; whether it was locked.
pub async fn unlock(tx: &sea_orm::DatabaseTransaction, key: &str, now: i64) -> Result<bool, DbErr> {
    lock_key(tx, &format!("guess:{key}")).await?;
    let conn = tx;
    let was_locked = locked_until(conn, key, now).await?.is_some();
    guess_limit::Entity::delete_by_id(key.to_string())
        .exec(conn)
        .await?;
    Ok(was_locked)
}

fn lock_length(policy: Policy, level: i32) -> i64 {
    let doubled = policy
        .first_lock_ms
        .saturating_mul(1_i64 << level.clamp(0, 20));
    doubled.min(policy.max_lock_ms)
}

async fn save(conn: &impl ConnectionTrait, row: guess_limit::Model) -> Result<(), DbErr> {
    use guess_limit::Column;
    guess_limit::Entity::insert(guess_limit::ActiveModel {
        key: Set(row.key),
        failures: Set(row.failures),
        lock_level: Set(row.lock_level),
        locked_until: Set(row.locked_until),
        updated_at: Set(row.updated_at),
    })
    .on_conflict(
        OnConflict::column(Column::Key)
            .update_columns([
                Column::Failures,
                Column::LockLevel,
                Column::LockedUntil,
                Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_grow_to_the_policy_maximum() {
        let minutes: Vec<i64> = (0..7)
            .map(|level| lock_length(STAFF_ACCOUNT, level) / 60_000)
            .collect();
        assert_eq!(minutes, [1, 2, 4, 8, 15, 15, 15]);
        assert_eq!(lock_length(STAFF_ADDRESS, 0), 10_000);
        assert_eq!(lock_length(STAFF_ADDRESS, 100), 300_000);
    }
}
