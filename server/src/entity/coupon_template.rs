//! A coupon template HQ defines: its rule, validity, stock (with the
//! guarded `issued` counter), per-member limit, stores and how it is given.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "coupon_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub brand_id: i64,
    pub name: String,
    pub kind: String,
    pub off_amount: i64,
    pub rate_bp: i64,
    pub cap: i64,
    pub item_id: Option<i64>,
    pub min_spend: i64,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub valid_days: Option<i64>,
    pub stock: i64,
    pub issued: i64,
    pub per_member: i64,
    pub all_stores: bool,
    pub claimable: bool,
    pub issuable: bool,
    pub on_sale: bool,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
