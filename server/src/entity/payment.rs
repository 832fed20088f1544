//! A member's payment at a store, with what has been refunded of each part.
use sea_orm::entity::prelude::*;
use shared::money::Fen;
use shared::plan::{PaymentPlan, Refunded};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub store_id: i64,
    pub member_id: i64,
    pub original: i64,
    pub amount: i64,
    pub principal: i64,
    pub bonus: i64,
    pub refunded_principal: i64,
    pub refunded_bonus: i64,
    pub bonus_settled: i64,
    pub gateway: i64,
    pub refunded_gateway: i64,
    pub gateway_order_id: Option<i64>,
    pub created_at: i64,
    pub level_discount: i64,
    pub coupon: i64,
    pub points: i64,
    pub points_used: i64,
    pub refunded_points: i64,
    pub refunded_coupon: i64,
    pub points_earned: i64,
    pub refunded_earned: i64,
}

impl Model {
    /// The plan the payment was booked by.
    pub fn plan(&self) -> PaymentPlan {
        PaymentPlan {
            original: Fen(self.original),
            level_discount: Fen(self.level_discount),
            coupon: Fen(self.coupon),
            points: Fen(self.points),
            points_used: self.points_used,
            principal: Fen(self.principal),
            bonus: Fen(self.bonus),
            online: Fen(self.gateway),
        }
    }

    /// What it took from the member's own money: principal and online (not
    /// bonus, coupons or points).
    pub fn own(&self) -> Fen {
        Fen(self.principal + self.gateway)
    }

    /// Of [`Model::own`], what refunds have not given back.
    pub fn own_kept(&self) -> Fen {
        self.own() - Fen(self.refunded_principal + self.refunded_gateway)
    }

    /// What its refunds have given back so far.
    pub fn refunded(&self) -> Refunded {
        Refunded {
            principal: Fen(self.refunded_principal),
            bonus: Fen(self.refunded_bonus),
            online: Fen(self.refunded_gateway),
            points: self.refunded_points,
            coupon: Fen(self.refunded_coupon),
        }
    }
}

impl ActiveModel {
    /// A new payment booked by `plan`, nothing refunded yet; the store is
    /// credited `bonus_settled` of the bonus part.
    pub fn booked(
        [brand_id, store_id, member_id]: [i64; 3],
        plan: &PaymentPlan,
        bonus_settled: Fen,
        gateway_order_id: Option<i64>,
        now: i64,
    ) -> ActiveModel {
        use sea_orm::ActiveValue::Set;
        ActiveModel {
            brand_id: Set(brand_id),
            store_id: Set(store_id),
            member_id: Set(member_id),
            original: Set(plan.original.0),
            amount: Set(plan.payable().0),
            principal: Set(plan.principal.0),
            bonus: Set(plan.bonus.0),
            refunded_principal: Set(0),
            refunded_bonus: Set(0),
            bonus_settled: Set(bonus_settled.0),
            gateway: Set(plan.online.0),
            refunded_gateway: Set(0),
            gateway_order_id: Set(gateway_order_id),
            created_at: Set(now),
            level_discount: Set(plan.level_discount.0),
            coupon: Set(plan.coupon.0),
            points: Set(plan.points.0),
            points_used: Set(plan.points_used),
            refunded_points: Set(0),
            refunded_coupon: Set(0),
            points_earned: Set(0),
            refunded_earned: Set(0),
            ..Default::default()
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
