//! Undoing a write-off (撤销核销): the store's manager or HQ, within HQ's
//! window, not once a card it used has expired. Its uses go back to their
//! cards and its coupons to the member, the store giving back what it was
//! settled in one reversing entry the member is told of; a store manager
//! only from what the wallet holds (HQ may take it below, shown as owed).
//! The write-off is marked undone by compare-and-set, so of two undos at
//! once one does it.

use super::records::{undo_until, views};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::cards::usage::{record_undone, reversal_of, wallet_covers};
use crate::coupons::redeem::give_back_item;
use crate::db::lock_key;
use crate::entity::{card_event, write_off, write_off_line};
use crate::error::{AppError, AppResult};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use crate::stored_value::settings::settings;
use crate::wallet::withdraw::reason;
use axum::http::StatusCode;
use axum::response::Response;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder};
use shared::ErrorCode;
use shared::dto::{AuditAction, EntryKind, Role, WriteOffListItem, WriteOffUndoInput};
use shared::money::Fen;

/// Why an undo is refused (the `reason` of `write_off_undo_refused`).
fn refused(reason: &str) -> AppError {
    AppError::new(StatusCode::CONFLICT, ErrorCode::WriteOffUndoRefused).with("reason", reason)
}

/// Undoes write-off `id` for `by` under the request's idempotency key.
pub async fn undo(
    state: &AppState,
    by: Actor,
    id: i64,
    key: IdemKey,
    req: WriteOffUndoInput,
) -> AppResult<Response> {
    let why = reason(&req.reason)?;
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "write-off-undo");
    let identity = (id, req.reason.clone());
    idempotency::run(&state.db, scope, key, &identity, now, move |tx, _| {
        Box::pin(async move { book(tx, &by, id, &why, now).await })
    })
    .await
}

/// Books the undo of write-off `id` in `tx`.
async fn book(
    tx: &DatabaseTransaction,
    by: &Actor,
    id: i64,
    why: &str,
    now: i64,
) -> AppResult<WriteOffListItem> {
    let brand = &by.brand;
    let w = write_off::Entity::find_by_id(id)
        .filter(write_off::Column::BrandId.eq(brand.id))
        .one(tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    if by.role == Role::StoreManager && by.store_id != Some(w.store_id) {
        return Err(AppError::not_found());
    }
    if w.undone_at.is_some() {
        return Err(refused("undone"));
    }
    let window = settings(tx, brand.id).await?.write_off_undo_hours;
    if now > undo_until(&w, window) {
        return Err(refused("window").with("hours", window));
    }
    // Two undos at once: the second waits here, then finds it undone.
    let marked = write_off::Entity::update_many()
        .col_expr(write_off::Column::UndoneAt, Expr::value(now))
        .col_expr(write_off::Column::UndoneBy, Expr::value(by.staff_id))
        .filter(write_off::Column::Id.eq(w.id))
        .filter(write_off::Column::UndoneAt.is_null())
        .exec(tx)
        .await?;
    if marked.rows_affected != 1 {
        return Err(refused("undone"));
    }
    lock_key(tx, &format!("wallet:{}", w.store_id)).await?;
    let lines = write_off_line::Entity::find()
        .filter(write_off_line::Column::WriteOffId.eq(w.id))
        .order_by_asc(write_off_line::Column::CardId)
        .order_by_asc(write_off_line::Column::Id)
        .all(tx)
        .await?;
    let ids = ledger::account_ids(
        tx,
        brand.id,
        &[(Kind::PromotionExpense, 0), (Kind::StoreWallet, w.store_id)],
        now,
    )
    .await?;
    let actor = by.name();
    let mut reversed: Vec<Line> = Vec::new();
    let mut uses = Vec::new();
    for l in &lines {
        if let Some(event_id) = l.card_event_id {
            let used = card_event::Entity::find_by_id(event_id)
                .one(tx)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("use {event_id} is gone")))?;
            let (_, back) = reversal_of(tx, brand, &used, now)
                .await
                .map_err(card_refusal)?;
            reversed.extend(back);
            uses.push(used);
        } else if let Some(coupon_id) = l.coupon_id {
            give_back_item(tx, coupon_id, now).await?;
            reversed.push(Line::fen(ids[0], Fen(l.amount)));
            reversed.push(Line::fen(ids[1], -Fen(l.amount)));
        }
    }
    let hq = matches!(by.role, Role::HqAdmin | Role::HqFinance);
    if !hq {
        wallet_covers(tx, brand.id, w.store_id, &reversed, now).await?;
    }
    let entry_id = ledger::post_or_fail(
        tx,
        Entry {
            brand_id: brand.id,
            kind: EntryKind::WriteOffUndo,
            op_ref: format!("write-off-undo:{}", w.id),
            store_id: Some(w.store_id),
            member_id: Some(w.member_id),
            member_delta: Fen::ZERO,
            member_balance_after: None,
            actor: actor.clone(),
            business_date: ledger::business_date(&brand.time_zone, now),
            at: now,
            // Two uses of one card name its uses twice: one line each.
            lines: ledger::merged(reversed),
        },
    )
    .await?;
    for used in &uses {
        record_undone(tx, brand.id, used, Some(entry_id), &actor, now).await?;
    }
    let rec = Record::new(AuditAction::WriteOffUndo, format!("#{}", w.id))
        .store(w.store_id)
        .amount(Fen(w.amount))
        .note(why.to_string())
        .extra(serde_json::json!({ "entry": entry_id, "member": w.member_id }));
    audit::by(tx, by, now, rec).await?;
    let undone = write_off::Model {
        undone_at: Some(now),
        undone_by: Some(by.staff_id),
        ..w
    };
    let mut shown = views(tx, brand.id, vec![undone]).await?;
    shown
        .pop()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("write-off {id} not shown")))
}

/// A card that can no longer take its use back, said as the undo's
/// refusal; other errors pass.
fn card_refusal(e: AppError) -> AppError {
    match &e {
        AppError::Api {
            code: ErrorCode::CardClosed,
            params,
            ..
        } => match params.get("state").map(String::as_str) {
            Some("refunded") => refused("card_refunded"),
            _ => refused("card_expired"),
        },
        _ => e,
    }
}
