//! The built-in SANDBOX payout channel: no money moves. It keeps its own book
//! of payout numbers in the database (as a real channel keeps its own), pays
//! each number at most once however often it is submitted, and can be told
//! how to behave:
//!
//! - `succeed`: accepted and paid at once;
//! - `fail`: refused (the account cannot receive money);
//! - `hang`: the submission times out (we cannot know it arrived); the
//!   channel has it and pays it [`HANG_MS`] later, which only a query finds;
//! - `hang_fail`: the same, but it fails in the end.
//!
//! It exists in demo mode only. HQ admin switches it for their brand with
//! `POST /api/hq/sandbox/payout-mode {"mode": "hang"}` (audited); the mode
//! is kept in the database, so every replica behaves the same.

use super::{Payout, PayoutOrder, PayoutStatus, Submitted, Unreachable};
use crate::clock::Clock;
use crate::entity::{sandbox_mode, sandbox_payout};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

/// How long a hung payout takes to settle at the channel: a day and a half.
pub const HANG_MS: i64 = 36 * 3600 * 1000;

/// What the sandbox does with the next submissions (declared in `shared`).
pub use shared::dto::PayoutMode as Mode;

/// The sandbox channel.
pub struct SandboxPayout {
    db: DatabaseConnection,
    clock: Clock,
}

/// Why the sandbox refuses in `fail` mode.
pub const REFUSAL: &str = "SANDBOX_ACCOUNT_CANNOT_RECEIVE";

impl SandboxPayout {
    /// A sandbox keeping its book in `db`.
    pub fn new(db: DatabaseConnection, clock: Clock) -> SandboxPayout {
        SandboxPayout { db, clock }
    }

    /// How `brand`'s next submissions are treated (kept in the database, so
    /// every replica's sandbox agrees).
    pub async fn set_mode(&self, brand_id: i64, mode: Mode) -> Result<(), sea_orm::DbErr> {
        let tx = crate::db::begin_write(&self.db).await?;
        sandbox_mode::Entity::insert(sandbox_mode::ActiveModel {
            brand_id: Set(brand_id),
            payout_mode: Set(mode.as_str().into()),
        })
        .on_conflict(
            OnConflict::column(sandbox_mode::Column::BrandId)
                .update_column(sandbox_mode::Column::PayoutMode)
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await?;
        tx.commit().await
    }

    /// `brand`'s current mode (`succeed` until HQ admin sets another).
    pub async fn mode(&self, brand_id: i64) -> Result<Mode, sea_orm::DbErr> {
        Ok(sandbox_mode::Entity::find_by_id(brand_id)
            .one(&self.db)
            .await?
            .map(|m| Mode::parse(&m.payout_mode))
            .unwrap_or_default())
    }

    /// The sandbox's record of a payout number (tests read what "the bank"
    /// received).
    pub async fn record(&self, payout_no: &str) -> anyhow::Result<Option<sandbox_payout::Model>> {
        Ok(sandbox_payout::Entity::find()
            .filter(sandbox_payout::Column::PayoutNo.eq(payout_no))
            .one(&self.db)
            .await?)
    }

    /// Settles a hung payout whose time has come.
    async fn settle_due(
        &self,
        rec: sandbox_payout::Model,
    ) -> anyhow::Result<sandbox_payout::Model> {
        let now = self.clock.now_ms();
        if rec.state != "processing" || now < rec.settles_at {
            return Ok(rec);
        }
        let tx = crate::db::begin_write(&self.db).await?;
        sandbox_payout::Entity::update_many()
            .col_expr(
                sandbox_payout::Column::State,
                Expr::value(rec.outcome.clone()),
            )
            .filter(sandbox_payout::Column::Id.eq(rec.id))
            .filter(sandbox_payout::Column::State.eq("processing"))
            .exec(&tx)
            .await?;
        tx.commit().await?;
        Ok(self.record(&rec.payout_no).await?.unwrap_or(rec))
    }
}

fn unreachable(e: impl std::fmt::Display) -> Unreachable {
    Unreachable(e.to_string())
}

#[async_trait]
impl Payout for SandboxPayout {
    async fn submit(&self, order: &PayoutOrder) -> Result<Submitted, Unreachable> {
        let now = self.clock.now_ms();
        let mode = self.mode(order.brand_id).await.map_err(unreachable)?;
        let (state, outcome, settles_at) = match mode {
            Mode::Succeed => ("success", "success", now),
            Mode::Fail => ("failed", "failed", now),
            Mode::Hang => ("processing", "success", now + HANG_MS),
            Mode::HangFail => ("processing", "failed", now + HANG_MS),
        };
        let last4: String = order
            .account_no
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        // The first submission of a number is recorded; every later one
        // finds it and pays nothing more.
        let tx = crate::db::begin_write(&self.db)
            .await
            .map_err(unreachable)?;
        sandbox_payout::Entity::insert(sandbox_payout::ActiveModel {
            payout_no: Set(order.payout_no.clone()),
            amount: Set(order.amount),
            account_name: Set(order.account_name.clone()),
            account_no_last4: Set(last4),
            state: Set(state.into()),
            outcome: Set(outcome.into()),
            settles_at: Set(settles_at),
            submits: Set(0),
            created_at: Set(now),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::column(sandbox_payout::Column::PayoutNo)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&tx)
        .await
        .map_err(unreachable)?;
        sandbox_payout::Entity::update_many()
            .col_expr(
                sandbox_payout::Column::Submits,
                Expr::col(sandbox_payout::Column::Submits).add(1),
            )
            .filter(sandbox_payout::Column::PayoutNo.eq(order.payout_no.clone()))
            .exec(&tx)
            .await
            .map_err(unreachable)?;
        tx.commit().await.map_err(unreachable)?;
        let rec = self
            .record(&order.payout_no)
            .await
            .map_err(unreachable)?
            .ok_or_else(|| Unreachable("sandbox lost its record".into()))?;
        if matches!(mode, Mode::Hang | Mode::HangFail) {
            return Err(Unreachable("sandbox payout: timed out (hang mode)".into()));
        }
        Ok(match rec.state.as_str() {
            "failed" => Submitted::Refused(REFUSAL.into()),
            _ => Submitted::Accepted,
        })
    }

    async fn query(&self, payout_no: &str) -> Result<PayoutStatus, Unreachable> {
        let Some(rec) = self.record(payout_no).await.map_err(unreachable)? else {
            return Ok(PayoutStatus::NotFound);
        };
        let rec = self.settle_due(rec).await.map_err(unreachable)?;
        Ok(match rec.state.as_str() {
            "success" => PayoutStatus::Paid,
            "failed" => PayoutStatus::Failed(REFUSAL.into()),
            _ => PayoutStatus::Processing,
        })
    }
}
