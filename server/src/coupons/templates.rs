//! HQ's coupon templates: checked, named uniquely in the brand, audited,
//! and listed with their figures. Once any coupon of a template is given
//! out, its rule (what it takes off, the minimum spend, the stores and the
//! validity) is fixed: the coupons members hold keep the rule they were
//! given; the name, stock, limit, how it is given and on/off still change.

use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::cards::catalogue::{brand_stores, price, text};
use crate::cards::period;
use crate::db::{begin_write, lock_key};
use crate::entity::{coupon, coupon_template, coupon_template_store, service_item};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    FromQueryResult, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use shared::dto::{
    AuditAction, AuditField, AuditValue, CouponKind, CouponState, CouponTemplate,
    CouponTemplateInput,
};
use shared::money::Fen;
use std::collections::{BTreeSet, HashMap};

/// The most a template may give out in all.
const MAX_STOCK: i64 = 1_000_000;
/// The most one member may hold of a template.
const MAX_PER_MEMBER: i64 = 100;
/// The longest validity from receipt, in days.
const MAX_DAYS: i64 = 3650;

/// The template input checked: its name and stores.
struct Checked {
    name: String,
    stores: BTreeSet<i64>,
}

fn date(field: &str, v: &str) -> AppResult<NaiveDate> {
    period::parse(v.trim()).ok_or_else(|| AppError::invalid(field, "date_format"))
}

/// Checks `req` for the brand (`today` in its zone); `old`: the template
/// changed, whose rule is fixed once any coupon of it is given out.
async fn checked(
    tx: &DatabaseTransaction,
    brand_id: i64,
    req: &CouponTemplateInput,
    old: Option<&coupon_template::Model>,
    today: NaiveDate,
) -> AppResult<Checked> {
    let name = text("name", &req.name, 40, true)?;
    match req.kind {
        CouponKind::Cash => {
            price("off", req.off)?;
        }
        CouponKind::Percent => {
            if !(1..=9_999).contains(&req.rate_bp) {
                return Err(AppError::invalid("rate_bp", "coupon_rate_range"));
            }
            price("cap", req.cap)?;
        }
        CouponKind::Item => {
            let Some(item_id) = req.item_id else {
                return Err(AppError::invalid("item_id", "required"));
            };
            service_item::Entity::find_by_id(item_id)
                .filter(service_item::Column::BrandId.eq(brand_id))
                .one(tx)
                .await?
                .ok_or_else(|| AppError::invalid("item_id", "unknown"))?;
        }
    }
    if req.min_spend.0 < 0 {
        return Err(AppError::invalid("min_spend", "amount_format"));
    }
    if req.min_spend.is_positive() {
        price("min_spend", req.min_spend)?;
    }
    let fixed = req.valid_from.is_some() || req.valid_until.is_some();
    match (fixed, req.valid_days) {
        (false, None) => return Err(AppError::invalid("valid_days", "validity_required")),
        (true, Some(_)) => return Err(AppError::invalid("valid_days", "validity_both")),
        (false, Some(days)) => {
            if !(1..=MAX_DAYS).contains(&days) {
                return Err(AppError::invalid("valid_days", "days_range"));
            }
        }
        (true, None) => {
            let from = date("valid_from", req.valid_from.as_deref().unwrap_or(""))?;
            let until = date("valid_until", req.valid_until.as_deref().unwrap_or(""))?;
            if from > until {
                return Err(AppError::invalid("valid_from", "date_order"));
            }
            // Offering a coupon whose last day has passed gives nothing.
            if req.on_sale && until < today {
                return Err(AppError::invalid("valid_until", "date_past"));
            }
        }
    }
    if !(1..=MAX_STOCK).contains(&req.stock) {
        return Err(AppError::invalid("stock", "stock_range"));
    }
    if !(1..=MAX_PER_MEMBER).contains(&req.per_member) {
        return Err(AppError::invalid("per_member", "per_member_range"));
    }
    let stores = if req.all_stores {
        BTreeSet::new()
    } else {
        let s = brand_stores(tx, brand_id, "store_ids", &req.store_ids).await?;
        if s.is_empty() {
            return Err(AppError::invalid("store_ids", "stores_required"));
        }
        s
    };
    if let Some(old) = old {
        if req.stock < old.issued {
            return Err(AppError::invalid("stock", "stock_below_issued"));
        }
        if old.issued > 0 {
            let old_stores = stores_of(tx, &[old.id])
                .await?
                .remove(&old.id)
                .unwrap_or_default();
            if let Some(field) = rule_changed(old, req, &old_stores, &stores) {
                return Err(AppError::invalid(field, "unchangeable"));
            }
        }
    }
    lock_key(tx, &format!("coupons:{brand_id}")).await?;
    let mut same = coupon_template::Entity::find()
        .filter(coupon_template::Column::BrandId.eq(brand_id))
        .filter(coupon_template::Column::Name.eq(&name));
    if let Some(old) = old {
        same = same.filter(coupon_template::Column::Id.ne(old.id));
    }
    if same.one(tx).await?.is_some() {
        return Err(AppError::already_exists("name"));
    }
    Ok(Checked { name, stores })
}

/// The first field of the rule `req` would change, if any.
fn rule_changed(
    old: &coupon_template::Model,
    req: &CouponTemplateInput,
    old_stores: &[i64],
    stores: &BTreeSet<i64>,
) -> Option<&'static str> {
    let new = rule_row(req);
    let trimmed = |v: &Option<String>| v.as_deref().map(str::trim).map(str::to_string);
    if old.kind != new.kind {
        return Some("kind");
    }
    if (old.off_amount, old.rate_bp, old.cap) != (new.off_amount, new.rate_bp, new.cap) {
        return Some(match req.kind {
            CouponKind::Percent if old.rate_bp != new.rate_bp => "rate_bp",
            CouponKind::Percent => "cap",
            _ => "off",
        });
    }
    if old.item_id != new.item_id {
        return Some("item_id");
    }
    if old.min_spend != new.min_spend {
        return Some("min_spend");
    }
    if old.valid_days != req.valid_days {
        return Some("valid_days");
    }
    if old.valid_from != trimmed(&req.valid_from) {
        return Some("valid_from");
    }
    if old.valid_until != trimmed(&req.valid_until) {
        return Some("valid_until");
    }
    let old_set: BTreeSet<i64> = old_stores.iter().copied().collect();
    if old.all_stores != req.all_stores || (!req.all_stores && &old_set != stores) {
        return Some("store_ids");
    }
    None
}

/// What a template stores of its rule: only what its kind uses.
struct RuleRow {
    kind: String,
    off_amount: i64,
    rate_bp: i64,
    cap: i64,
    item_id: Option<i64>,
    min_spend: i64,
}

fn rule_row(req: &CouponTemplateInput) -> RuleRow {
    let (off_amount, rate_bp, cap, item_id) = match req.kind {
        CouponKind::Cash => (req.off.0, 0, 0, None),
        CouponKind::Percent => (0, i64::from(req.rate_bp), req.cap.0, None),
        CouponKind::Item => (0, 0, 0, req.item_id),
    };
    RuleRow {
        kind: req.kind.as_str().to_string(),
        off_amount,
        rate_bp,
        cap,
        item_id,
        min_spend: req.min_spend.0,
    }
}

async fn set_stores(
    tx: &DatabaseTransaction,
    template_id: i64,
    stores: &BTreeSet<i64>,
) -> AppResult<()> {
    coupon_template_store::Entity::delete_many()
        .filter(coupon_template_store::Column::TemplateId.eq(template_id))
        .exec(tx)
        .await?;
    if !stores.is_empty() {
        coupon_template_store::Entity::insert_many(stores.iter().map(|s| {
            coupon_template_store::ActiveModel {
                template_id: Set(template_id),
                store_id: Set(*s),
            }
        }))
        .exec_without_returning(tx)
        .await?;
    }
    Ok(())
}

/// The stores of each template (absent: every store).
pub async fn stores_of(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for r in coupon_template_store::Entity::find()
        .filter(coupon_template_store::Column::TemplateId.is_in(ids.to_vec()))
        .order_by_asc(coupon_template_store::Column::StoreId)
        .all(conn)
        .await?
    {
        out.entry(r.template_id).or_default().push(r.store_id);
    }
    Ok(out)
}

fn target(t: &coupon_template::Model) -> String {
    format!("#{} {}", t.id, t.name)
}

fn today(state: &AppState, by: &Actor) -> NaiveDate {
    let date = crate::ledger::business_date(&by.brand.time_zone, state.clock.now_ms());
    period::parse(&date).unwrap_or_default()
}

/// HQ adds a coupon template.
pub async fn create(
    state: &AppState,
    by: &Actor,
    req: &CouponTemplateInput,
) -> AppResult<CouponTemplate> {
    let tx = begin_write(&state.db).await?;
    let c = checked(&tx, by.brand.id, req, None, today(state, by)).await?;
    let now = state.clock.now_ms();
    let rule = rule_row(req);
    let t = coupon_template::ActiveModel {
        brand_id: Set(by.brand.id),
        name: Set(c.name),
        kind: Set(rule.kind),
        off_amount: Set(rule.off_amount),
        rate_bp: Set(rule.rate_bp),
        cap: Set(rule.cap),
        item_id: Set(rule.item_id),
        min_spend: Set(rule.min_spend),
        valid_from: Set(req.valid_from.as_deref().map(|d| d.trim().to_string())),
        valid_until: Set(req.valid_until.as_deref().map(|d| d.trim().to_string())),
        valid_days: Set(req.valid_days),
        stock: Set(req.stock),
        issued: Set(0),
        per_member: Set(req.per_member),
        all_stores: Set(req.all_stores),
        claimable: Set(req.claimable),
        issuable: Set(req.issuable),
        on_sale: Set(req.on_sale),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    set_stores(&tx, t.id, &c.stores).await?;
    let rec = Record::new(AuditAction::CouponTemplateCreate, target(&t))
        .set(AuditField::Stock, AuditValue::Text(t.stock.to_string()))
        .set(AuditField::OnSale, AuditValue::Flag(t.on_sale));
    audit::by(&tx, by, now, rec).await?;
    let view = views_of(&tx, vec![t], now).await?.pop();
    tx.commit().await?;
    view.ok_or_else(AppError::not_found)
}

/// HQ changes a coupon template.
pub async fn update(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: &CouponTemplateInput,
) -> AppResult<CouponTemplate> {
    let tx = begin_write(&state.db).await?;
    // Held until the change commits: a coupon given meanwhile waits, then
    // counts, so "none given out yet" stays true while the rule changes.
    let old = coupon_template::Entity::find_by_id(id)
        .filter(coupon_template::Column::BrandId.eq(by.brand.id))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let c = checked(&tx, by.brand.id, req, Some(&old), today(state, by)).await?;
    let now = state.clock.now_ms();
    let mut rec = Record::new(AuditAction::CouponTemplateUpdate, target(&old));
    if old.name != c.name {
        rec = rec.change(
            AuditField::Name,
            AuditValue::Text(old.name.clone()),
            AuditValue::Text(c.name.clone()),
        );
    }
    if old.stock != req.stock {
        rec = rec.change(
            AuditField::Stock,
            AuditValue::Text(old.stock.to_string()),
            AuditValue::Text(req.stock.to_string()),
        );
    }
    if old.on_sale != req.on_sale {
        rec = rec.change(
            AuditField::OnSale,
            AuditValue::Flag(old.on_sale),
            AuditValue::Flag(req.on_sale),
        );
    }
    let rule = rule_row(req);
    let mut am = old.into_active_model();
    am.name = Set(c.name);
    am.kind = Set(rule.kind);
    am.off_amount = Set(rule.off_amount);
    am.rate_bp = Set(rule.rate_bp);
    am.cap = Set(rule.cap);
    am.item_id = Set(rule.item_id);
    am.min_spend = Set(rule.min_spend);
    am.valid_from = Set(req.valid_from.as_deref().map(|d| d.trim().to_string()));
    am.valid_until = Set(req.valid_until.as_deref().map(|d| d.trim().to_string()));
    am.valid_days = Set(req.valid_days);
    am.stock = Set(req.stock);
    am.per_member = Set(req.per_member);
    am.all_stores = Set(req.all_stores);
    am.claimable = Set(req.claimable);
    am.issuable = Set(req.issuable);
    am.on_sale = Set(req.on_sale);
    let t = am.update(&tx).await?;
    set_stores(&tx, t.id, &c.stores).await?;
    audit::by(&tx, by, now, rec).await?;
    let view = views_of(&tx, vec![t], now).await?.pop();
    tx.commit().await?;
    view.ok_or_else(AppError::not_found)
}

/// The brand's templates, newest first, with their figures at `now`.
pub async fn list(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    now: i64,
) -> AppResult<Vec<CouponTemplate>> {
    let rows = coupon_template::Entity::find()
        .filter(coupon_template::Column::BrandId.eq(brand_id))
        .order_by_desc(coupon_template::Column::Id)
        .all(conn)
        .await?;
    views_of(conn, rows, now).await
}

/// One template of the brand.
pub async fn in_brand(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    id: i64,
) -> AppResult<coupon_template::Model> {
    coupon_template::Entity::find_by_id(id)
        .filter(coupon_template::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

#[derive(FromQueryResult)]
struct Tally {
    template_id: i64,
    state: String,
    n: i64,
    worth: Option<i64>,
}

/// Per template: coupons used, expired (marked, or issued and past their
/// end at `now`) and what the used ones took off.
async fn figures(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    now: i64,
) -> AppResult<HashMap<i64, (i64, i64, Fen)>> {
    let mut out: HashMap<i64, (i64, i64, Fen)> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let tallies = coupon::Entity::find()
        .select_only()
        .column(coupon::Column::TemplateId)
        .column(coupon::Column::State)
        .column_as(Expr::col(coupon::Column::Id).count(), "n")
        .column_as(
            Expr::col(coupon::Column::Worth).sum().cast_as("BIGINT"),
            "worth",
        )
        .filter(coupon::Column::TemplateId.is_in(ids.to_vec()))
        .filter(
            coupon::Column::State
                .is_in([CouponState::Used.as_str(), CouponState::Expired.as_str()]),
        )
        .group_by(coupon::Column::TemplateId)
        .group_by(coupon::Column::State)
        .into_model::<Tally>()
        .all(conn)
        .await?;
    for t in tallies {
        let e = out.entry(t.template_id).or_insert((0, 0, Fen::ZERO));
        if t.state == CouponState::Used.as_str() {
            e.0 += t.n;
            e.2 += Fen(t.worth.unwrap_or(0));
        } else {
            e.1 += t.n;
        }
    }
    let past = coupon::Entity::find()
        .select_only()
        .column(coupon::Column::TemplateId)
        .column(coupon::Column::State)
        .column_as(Expr::col(coupon::Column::Id).count(), "n")
        .column_as(Expr::val(0i64).cast_as("BIGINT"), "worth")
        .filter(coupon::Column::TemplateId.is_in(ids.to_vec()))
        .filter(coupon::Column::State.eq(CouponState::Issued.as_str()))
        .filter(coupon::Column::EndsAt.lte(now))
        .group_by(coupon::Column::TemplateId)
        .group_by(coupon::Column::State)
        .into_model::<Tally>()
        .all(conn)
        .await?;
    for t in past {
        out.entry(t.template_id).or_insert((0, 0, Fen::ZERO)).1 += t.n;
    }
    Ok(out)
}

/// Templates as the API shows them.
pub async fn views_of(
    conn: &impl ConnectionTrait,
    rows: Vec<coupon_template::Model>,
    now: i64,
) -> AppResult<Vec<CouponTemplate>> {
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let mut stores = stores_of(conn, &ids).await?;
    let figures = figures(conn, &ids, now).await?;
    rows.into_iter()
        .map(|t| {
            let (used, expired, cost) = figures.get(&t.id).copied().unwrap_or((0, 0, Fen::ZERO));
            Ok(CouponTemplate {
                id: t.id,
                issued: t.issued,
                used,
                expired,
                cost,
                terms: input_of(&t, stores.remove(&t.id).unwrap_or_default())?,
            })
        })
        .collect()
}

/// A stored template as its input.
pub fn input_of(t: &coupon_template::Model, store_ids: Vec<i64>) -> AppResult<CouponTemplateInput> {
    let kind = CouponKind::parse(&t.kind)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon kind {}", t.kind)))?;
    Ok(CouponTemplateInput {
        name: t.name.clone(),
        kind,
        off: Fen(t.off_amount),
        rate_bp: u32::try_from(t.rate_bp).unwrap_or(0),
        cap: Fen(t.cap),
        item_id: t.item_id,
        min_spend: Fen(t.min_spend),
        valid_from: t.valid_from.clone(),
        valid_until: t.valid_until.clone(),
        valid_days: t.valid_days,
        stock: t.stock,
        per_member: t.per_member,
        all_stores: t.all_stores,
        store_ids,
        claimable: t.claimable,
        issuable: t.issuable,
        on_sale: t.on_sale,
    })
}
