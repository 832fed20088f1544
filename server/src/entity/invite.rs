//! One invite: a member who registered through another's link (unique per
//! invitee: bound once), where its rewards stand and what they were.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invites")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub inviter_id: i64,
    pub invitee_id: i64,
    /// `shared::dto::InviteState`.
    pub state: String,
    pub created_at: i64,
    /// The least own money a first payment needs, as the programme said
    /// when the friend registered (fen).
    pub min_payment: i64,
    /// How long that payment must stay unrefunded, as it said then.
    pub window_ms: i64,
    /// The qualifying payment, while pending on one.
    pub payment_id: Option<i64>,
    /// When the rewards are due (pending).
    pub due_at: Option<i64>,
    pub rewarded_at: Option<i64>,
    pub inviter_points: i64,
    pub invitee_points: i64,
    pub inviter_coupon_id: Option<i64>,
    pub invitee_coupon_id: Option<i64>,
    /// The inviter's reward was over the day's cap and not given.
    pub inviter_capped: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
