//! The idempotency contract of value-moving routes (DESIGN.md): keys scoped
//! by (brand, caller, route), recorded in the same transaction as the
//! movement, with a hash of the canonical body. Same key + same body → the
//! first response again (business 4xx included, 5xx never stored); same key +
//! other body → 409; a duplicate still running waits for the first and gets
//! its response (a record left by an older version without its response
//! answers 409 "in progress").

use crate::auth::digest;
use crate::db::begin_write;
use crate::entity::idempotency_key;
use crate::error::{AppError, AppResult};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use shared::ErrorCode;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// The request's `Idempotency-Key` header (required).
pub struct IdemKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> AppResult<Self> {
        let value = parts
            .headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        match value {
            None | Some("") => Err(AppError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::IdempotencyKeyMissing,
            )),
            Some(k) if k.len() <= 128 && k.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(IdemKey(k.to_string()))
            }
            Some(_) => Err(
                AppError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidField)
                    .with("field", "idempotency_key")
                    .with("reason", "idempotency_key_format"),
            ),
        }
    }
}

/// A stored business error.
#[derive(Serialize, Deserialize)]
struct StoredError {
    code: ErrorCode,
    params: BTreeMap<String, String>,
}

/// The operation: runs inside the transaction that records the key; gets a
/// fresh unique id for the operation.
pub type Op<'c, T> = Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'c>>;

/// Where the request comes from.
pub struct Scope {
    /// Brand.
    pub brand_id: i64,
    /// `member:ID` or `staff:ID`.
    pub caller: String,
    /// A stable route name.
    pub route: &'static str,
}

impl Scope {
    /// A staff member's keys for `route`.
    pub fn staff(by: &crate::auth::Actor, route: &'static str) -> Scope {
        Scope {
            brand_id: by.brand.id,
            caller: by.name(),
            route,
        }
    }
}

/// Runs `op` at most once per key; answers 201 with its result as JSON.
///
/// The operation runs first and the key is recorded with its answer at the
/// end of the same transaction, in one `INSERT … ON CONFLICT DO NOTHING`. If
/// the key was recorded meanwhile (a retry or a duplicate; on PostgreSQL the
/// insert waits for a duplicate still running), everything the operation
/// wrote is rolled back and the recorded answer is replayed. A business
/// refusal (4xx) rolls the operation back and is recorded under the key in a
/// transaction of its own, so the refusal is replayed too; a 5xx records
/// nothing and leaves the key free.
pub async fn run<T, B, F>(
    db: &DatabaseConnection,
    scope: Scope,
    key: IdemKey,
    body: &B,
    now: i64,
    op: F,
) -> AppResult<Response>
where
    T: Serialize + Send,
    B: Serialize,
    F: for<'c> FnOnce(&'c DatabaseTransaction, String) -> Op<'c, T> + Send,
{
    let hash = body_hash(body)?;
    let record = Record {
        scope: &scope,
        key: &key,
        hash: &hash,
        now,
    };
    let tx = begin_write(db).await?;
    let op_id = uuid::Uuid::new_v4().simple().to_string();
    match op(&tx, op_id).await {
        Ok(value) => {
            let json = serde_json::to_value(&value).map_err(anyhow::Error::from)?;
            if record
                .insert(&tx, StatusCode::CREATED, json.to_string())
                .await?
            {
                tx.commit().await?;
                return Ok((StatusCode::CREATED, Json(json)).into_response());
            }
            tx.rollback().await?;
            record.replay(db).await
        }
        Err(AppError::Api {
            status,
            code,
            params,
        }) if status.is_client_error() && recordable(code) => {
            tx.rollback().await?;
            let stored = serde_json::to_string(&StoredError {
                code,
                params: params.clone(),
            })
            .map_err(anyhow::Error::from)?;
            let tx = begin_write(db).await?;
            if record.insert(&tx, status, stored).await? {
                tx.commit().await?;
                return Err(AppError::Api {
                    status,
                    code,
                    params,
                });
            }
            tx.rollback().await?;
            record.replay(db).await
        }
        // A refusal the same request may outgrow: nothing is kept, the key
        // stays free for a retry; but if the key already holds an answer (a
        // retry of a request that went through, whose state has moved on
        // since) that answer is the one replayed.
        Err(e @ AppError::Api { status, .. }) if status.is_client_error() => {
            tx.rollback().await?;
            match find(db, record.scope, record.key).await? {
                Some(kept) => replay(kept, record.hash),
                None => Err(e),
            }
        }
        // 5xx: nothing is kept, the key stays free for a retry.
        Err(e) => Err(e),
    }
}

/// Whether a refusal is the operation's answer for good. The PIN answers are
/// not: the PIN is not part of the request's identity (nor stored), so the
/// same request with its key comes back with the PIN, or after a lock runs
/// out, and must then be decided afresh. Nor are answers about a moment's
/// state: a conflict (a guarded update lost to another request at the same
/// instant) and points or a price that changed since the member saw them; the retry
/// decides afresh.
fn recordable(code: ErrorCode) -> bool {
    !matches!(
        code,
        ErrorCode::PinRequired
            | ErrorCode::PointsChanged
            | ErrorCode::PriceChanged
            | ErrorCode::Conflict
            | ErrorCode::PinNotSet
            | ErrorCode::WrongPin
            | ErrorCode::PinLocked
            | ErrorCode::RequestInProgress
            | ErrorCode::Internal
    )
}

/// The hash of a request body's canonical JSON, as recorded with its key.
pub fn body_hash<B: Serialize>(body: &B) -> AppResult<String> {
    let canonical =
        serde_json::to_string(&serde_json::to_value(body).map_err(anyhow::Error::from)?)
            .map_err(anyhow::Error::from)?;
    Ok(digest(&canonical))
}

/// The key record of one request.
struct Record<'a> {
    scope: &'a Scope,
    key: &'a IdemKey,
    hash: &'a str,
    now: i64,
}

impl Record<'_> {
    /// Records the key with its answer; false if it was recorded already.
    async fn insert(
        &self,
        tx: &DatabaseTransaction,
        status: StatusCode,
        response: String,
    ) -> AppResult<bool> {
        let row = idempotency_key::ActiveModel {
            brand_id: Set(self.scope.brand_id),
            caller: Set(self.scope.caller.clone()),
            route: Set(self.scope.route.into()),
            key: Set(self.key.0.clone()),
            body_hash: Set(self.hash.to_string()),
            status: Set(Some(i32::from(status.as_u16()))),
            response: Set(Some(response)),
            created_at: Set(self.now),
            ..Default::default()
        };
        let inserted = idempotency_key::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    idempotency_key::Column::BrandId,
                    idempotency_key::Column::Caller,
                    idempotency_key::Column::Route,
                    idempotency_key::Column::Key,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(tx)
            .await?;
        Ok(inserted == 1)
    }

    /// The recorded answer again (or 409 if the body differs).
    async fn replay(&self, db: &DatabaseConnection) -> AppResult<Response> {
        let record = find(db, self.scope, self.key)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("idempotency record vanished")))?;
        replay(record, self.hash)
    }
}

async fn find(
    db: &DatabaseConnection,
    scope: &Scope,
    key: &IdemKey,
) -> AppResult<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::BrandId.eq(scope.brand_id))
        .filter(idempotency_key::Column::Caller.eq(&scope.caller))
        .filter(idempotency_key::Column::Route.eq(scope.route))
        .filter(idempotency_key::Column::Key.eq(&key.0))
        .one(db)
        .await?)
}

/// The answer already recorded under `key`, replayed as [`run`] would, or
/// `None`: for a check that must not stand between a retry and its first
/// answer (the payment PIN).
pub async fn recorded<B: Serialize>(
    db: &DatabaseConnection,
    scope: &Scope,
    key: &IdemKey,
    body: &B,
) -> AppResult<Option<Response>> {
    match find(db, scope, key).await? {
        Some(record) => replay(record, &body_hash(body)?).map(Some),
        None => Ok(None),
    }
}

fn replay(record: idempotency_key::Model, hash: &str) -> AppResult<Response> {
    if record.body_hash != hash {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::IdempotencyKeyReused,
        ));
    }
    let (Some(status), Some(body)) = (record.status, record.response) else {
        return Err(AppError::new(
            StatusCode::CONFLICT,
            ErrorCode::RequestInProgress,
        ));
    };
    let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(500))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_success() {
        let json: serde_json::Value = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
        return Ok((status, Json(json)).into_response());
    }
    let stored: StoredError = serde_json::from_str(&body).map_err(anyhow::Error::from)?;
    Err(AppError::Api {
        status,
        code: stored.code,
        params: stored.params,
    })
}

#[cfg(test)]
mod tests {
    use super::recordable;
    use shared::ErrorCode;

    #[test]
    fn business_refusals_are_kept_and_pin_answers_are_not() {
        for code in [
            ErrorCode::InsufficientBalance,
            ErrorCode::StoreClosed,
            ErrorCode::AmountTooLarge,
            ErrorCode::InvalidField,
        ] {
            assert!(recordable(code), "{code:?}");
        }
        for code in [
            ErrorCode::PinRequired,
            ErrorCode::PinNotSet,
            ErrorCode::WrongPin,
            ErrorCode::PinLocked,
        ] {
            assert!(!recordable(code), "{code:?}");
        }
    }
}
