//! A brand's money settings, set by HQ.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "money_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub brand_id: i64,
    pub max_balance: i64,
    pub max_payment: i64,
    pub bonus_settle_bp: i32,
    pub allow_custom_topup: bool,
    pub pin_above: i64,
    pub channel_url: Option<String>,
    pub withdraw_min: i64,
    pub withdraw_fee_fixed: i64,
    pub withdraw_fee_bp: i64,
    pub updated_at: i64,
    pub coupon_quota: i64,
    pub write_off_undo_hours: i64,
    pub points_per_yuan: i64,
    pub points_expiry_days: i64,
    pub points_step: i64,
    pub points_step_worth: i64,
    pub points_max_share_bp: i64,
    pub points_birthday_bp: i64,
    pub points_remind_days: i64,
    pub levels_refund_lower: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
