//! The idempotency contract of value-moving routes (DESIGN.md): keys scoped
//! by (brand, caller, route), recorded in the same transaction as the
//! movement, with a hash of the canonical body. Same key + same body → the
//! first response again (business 4xx included, 5xx never stored); same key +
//! other body → 409; a duplicate still running → 409 "in progress".

use crate::auth::digest;
use crate::db::begin_write;
use crate::entity::idempotency_key;
use crate::error::{AppError, AppResult};
use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set,
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

/// The operation: runs inside the transaction holding the
/// key; gets the key record's id (a unique id for the operation).
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

/// Runs `op` at most once per key; answers 201 with its result as JSON.
///
/// The claim and the operation share one transaction (no savepoint on the
/// way that succeeds): a success is stored with them and committed once. A
/// business refusal (4xx) rolls both back and is then recorded under the key
/// in a transaction of its own, so the refusal is replayed too.
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
    F: for<'c> FnOnce(&'c DatabaseTransaction, i64) -> Op<'c, T> + Send,
{
    let canonical =
        serde_json::to_string(&serde_json::to_value(body).map_err(anyhow::Error::from)?)
            .map_err(anyhow::Error::from)?;
    let hash = digest(&canonical);
    let tx = begin_write(db).await?;
    // On PostgreSQL a duplicate waits here until the first commits.
    let id = match claim(&tx, &scope, &key, &hash, now).await? {
        Claim::Ours(id) => id,
        Claim::Taken(record) => {
            drop(tx);
            return replay(*record, &hash);
        }
    };
    match op(&tx, id).await {
        Ok(value) => {
            let json = serde_json::to_value(&value).map_err(anyhow::Error::from)?;
            store(&tx, id, StatusCode::CREATED, json.to_string()).await?;
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(json)).into_response())
        }
        Err(AppError::Api {
            status,
            code,
            params,
        }) if status.is_client_error() => {
            // Nothing of the operation stays; the refusal is kept under the key.
            tx.rollback().await?;
            let stored = serde_json::to_string(&StoredError {
                code,
                params: params.clone(),
            })
            .map_err(anyhow::Error::from)?;
            let tx = begin_write(db).await?;
            match claim(&tx, &scope, &key, &hash, now).await? {
                Claim::Ours(id) => {
                    store(&tx, id, status, stored).await?;
                    tx.commit().await?;
                    Err(AppError::Api {
                        status,
                        code,
                        params,
                    })
                }
                // A duplicate got in between and finished: its answer stands.
                Claim::Taken(record) => {
                    drop(tx);
                    replay(*record, &hash)
                }
            }
        }
        // 5xx: nothing is kept, the key stays free for a retry.
        Err(e) => Err(e),
    }
}

enum Claim {
    /// The key is ours now (the record's id).
    Ours(i64),
    /// Someone claimed it first.
    Taken(Box<idempotency_key::Model>),
}

/// Claims the key in `tx`: one `INSERT … ON CONFLICT DO NOTHING RETURNING`,
/// and a read only when it was taken.
async fn claim(
    tx: &DatabaseTransaction,
    scope: &Scope,
    key: &IdemKey,
    hash: &str,
    now: i64,
) -> AppResult<Claim> {
    let row = idempotency_key::ActiveModel {
        brand_id: Set(scope.brand_id),
        caller: Set(scope.caller.clone()),
        route: Set(scope.route.into()),
        key: Set(key.0.clone()),
        body_hash: Set(hash.to_string()),
        status: Set(None),
        response: Set(None),
        created_at: Set(now),
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
        .exec(tx)
        .await;
    match inserted {
        Ok(r) => Ok(Claim::Ours(r.last_insert_id)),
        Err(DbErr::RecordNotInserted) => {
            let record = idempotency_key::Entity::find()
                .filter(idempotency_key::Column::BrandId.eq(scope.brand_id))
                .filter(idempotency_key::Column::Caller.eq(&scope.caller))
                .filter(idempotency_key::Column::Route.eq(scope.route))
                .filter(idempotency_key::Column::Key.eq(&key.0))
                .one(tx)
                .await?
                .ok_or_else(|| {
                    AppError::Internal(anyhow::anyhow!("idempotency record vanished"))
                })?;
            Ok(Claim::Taken(Box::new(record)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn store(
    tx: &DatabaseTransaction,
    id: i64,
    status: StatusCode,
    response: String,
) -> AppResult<()> {
    idempotency_key::Entity::update_many()
        .col_expr(
            idempotency_key::Column::Status,
            Expr::value(i32::from(status.as_u16())),
        )
        .col_expr(idempotency_key::Column::Response, Expr::value(response))
        .filter(idempotency_key::Column::Id.eq(id))
        .exec(tx)
        .await?;
    Ok(())
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
