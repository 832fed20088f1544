//! 现金上缴: counter cash a store took for top-ups is HQ's money. Until the
//! store hands it in, what it may withdraw is its wallet less that cash
//! ([`super::withdrawals::freeze`]); HQ finance records each hand-in
//! (counter cash → HQ's bank clearing), audited.
//!
//! Locks: the store's wallet (`wallet:ID`).

use super::withdrawals::cash_to_hand_in;
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::chain::store_in_brand;
use crate::clock::rfc3339;
use crate::db::lock_key;
use crate::error::{AppError, AppResult, check};
use crate::idempotency::{self, IdemKey, Scope};
use crate::ledger::post_or_fail;
use crate::ledger::{self, Entry, Kind, Line};
use crate::state::AppState;
use crate::stored_value::positive;
use axum::response::Response;
use shared::dto::{AuditAction, EntryKind};
use shared::dto::{CashHandInInput, CashHandInReceipt};
use shared::money::Fen;
use shared::validate;

/// HQ finance records that the store handed in `amount` of its counter cash
/// (at most what it holds), under the deposit's reference; idempotent on
/// the key.
pub async fn hand_in(
    state: &AppState,
    by: Actor,
    store_id: i64,
    key: IdemKey,
    req: CashHandInInput,
) -> AppResult<Response> {
    let reference = check("reference", validate::transfer_reference(&req.reference))?;
    let shop = store_in_brand(&state.db, by.brand.id, store_id).await?;
    let now = state.clock.now_ms();
    let scope = Scope::staff(&by, "cash_handin");
    let brand = by.brand.clone();
    let staff_id = by.staff_id;
    let body = (store_id, req.clone());
    idempotency::run(&state.db, scope, key, &body, now, move |tx, op_id| {
        Box::pin(async move {
            let amount = positive(req.amount)?;
            // The wallet's lock: counter top-ups and withdrawals read the
            // cash held under it.
            lock_key(tx, &format!("wallet:{}", shop.id)).await?;
            let cash = cash_to_hand_in(tx, brand.id, shop.id).await?;
            if amount > cash {
                return Err(AppError::invalid("amount", "above_cash").with("cash", cash.0));
            }
            let clearing =
                ledger::account_id(tx, brand.id, Kind::CounterClearing, shop.id, now).await?;
            let bank = ledger::account_id(tx, brand.id, Kind::HqBankClearing, 0, now).await?;
            post_or_fail(
                tx,
                Entry {
                    brand_id: brand.id,
                    kind: EntryKind::CashHandIn,
                    op_ref: op_id,
                    store_id: Some(shop.id),
                    member_id: None,
                    member_delta: Fen::ZERO,
                    member_balance_after: None,
                    actor: format!("staff:{staff_id}"),
                    business_date: ledger::business_date(&brand.time_zone, now),
                    at: now,
                    lines: vec![Line::fen(clearing, amount), Line::fen(bank, -amount)],
                },
            )
            .await?;
            let rec = Record::new(
                AuditAction::CashHandIn,
                format!("#{} {}", shop.id, shop.name),
            )
            .store(shop.id)
            .amount(amount)
            .note(reference.clone())
            .extra(serde_json::json!({"before": cash.0, "after": cash.0 - amount.0}));
            audit::record(tx, now, brand.id, Some(staff_id), rec).await?;
            Ok(CashHandInReceipt {
                store_id: shop.id,
                amount,
                cash_to_hand_in: cash - amount,
                at: rfc3339(now),
            })
        })
    })
    .await
}
