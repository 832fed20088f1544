//! An order we sent to the payment gateway (a member's self top-up, a
//! split payment's online leg, a card bought online).
use sea_orm::entity::prelude::*;
use shared::money::Fen;
use shared::plan::PaymentPlan;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "gateway_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub member_id: i64,
    pub purpose: String,
    pub order_no: String,
    pub amount: i64,
    pub bonus: i64,
    pub plan_id: Option<i64>,
    pub state: String,
    pub txn_id: Option<String>,
    pub checkout_url: Option<String>,
    pub idem_key: String,
    pub body_hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub paid_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub last_query_at: Option<i64>,
    pub late: bool,
    pub refunded: i64,
    pub store_id: Option<i64>,
    pub original: i64,
    pub sv_principal: i64,
    pub sv_bonus: i64,
    pub payment_id: Option<i64>,
    pub level_discount: i64,
    pub coupon: i64,
    pub points: i64,
    pub points_used: i64,
    pub card_type_id: Option<i64>,
    pub coupon_id: Option<i64>,
}

impl Model {
    /// A split payment's plan: its stored-value part held, the rest
    /// (`amount`) paid online.
    pub fn plan(&self) -> PaymentPlan {
        PaymentPlan {
            original: Fen(self.original),
            level_discount: Fen(self.level_discount),
            coupon: Fen(self.coupon),
            points: Fen(self.points),
            points_used: self.points_used,
            principal: Fen(self.sv_principal),
            bonus: Fen(self.sv_bonus),
            online: Fen(self.amount),
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
