//! HQ's catalogue: service items (服务项目) and card types with their looks.
//! Every change is audited; names are unique in the brand (checked under the
//! brand's catalogue lock, so two saved at once cannot both land).

use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::chain;
use crate::db::{begin_write, lock_key};
use crate::entity::service_item_store;
use crate::entity::{card_image, card_type, card_type_item, card_type_store, service_item};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use shared::dto::{
    AuditAction, AuditField, AuditValue, CardKind, CardPeriod, CardType, CardTypeInput,
    ServiceItem, ServiceItemInput,
};
use shared::money::Fen;
use shared::validate;
use std::collections::{BTreeSet, HashMap};

/// The most a price may be (¥100,000).
const MAX_PRICE: Fen = Fen(10_000_000);

/// Which stores a card type lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreRole {
    /// Where it is sold at the counter.
    Sold,
    /// Where it is honoured.
    Honoured,
}

pub(crate) fn price(field: &str, p: Fen) -> AppResult<Fen> {
    if !p.is_positive() {
        return Err(AppError::invalid(field, "amount_positive"));
    }
    if p > MAX_PRICE {
        return Err(AppError::invalid(field, "amount_too_large"));
    }
    Ok(p)
}

pub(crate) fn text(field: &str, v: &str, max: usize, required: bool) -> AppResult<String> {
    let v = v.trim();
    if required && v.is_empty() {
        return Err(AppError::invalid(field, "required"));
    }
    if v.chars().count() > max {
        return Err(AppError::invalid(field, "too_long"));
    }
    validate::plain_text(v, false).map_err(|r| AppError::invalid(field, r))?;
    Ok(v.to_string())
}

/// The stores asked for, each the brand's (an unknown one is named).
pub(crate) async fn brand_stores(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    field: &str,
    ids: &[i64],
) -> AppResult<BTreeSet<i64>> {
    let known: BTreeSet<i64> = chain::brand_stores(conn, brand_id)
        .await?
        .into_iter()
        .map(|s| s.id)
        .collect();
    let asked: BTreeSet<i64> = ids.iter().copied().collect();
    if !asked.is_subset(&known) {
        return Err(AppError::invalid(field, "unknown"));
    }
    Ok(asked)
}

// ---------------------------------------------------------------------------
// Service items.

/// The brand's service items, by category and name.
pub async fn items(conn: &impl ConnectionTrait, brand_id: i64) -> AppResult<Vec<ServiceItem>> {
    let rows = service_item::Entity::find()
        .filter(service_item::Column::BrandId.eq(brand_id))
        .order_by_asc(service_item::Column::Category)
        .order_by_asc(service_item::Column::Name)
        .all(conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|i| i.id).collect();
    let mut stores: HashMap<i64, Vec<i64>> = HashMap::new();
    if !ids.is_empty() {
        for s in service_item_store::Entity::find()
            .filter(service_item_store::Column::ItemId.is_in(ids))
            .order_by_asc(service_item_store::Column::StoreId)
            .all(conn)
            .await?
        {
            stores.entry(s.item_id).or_default().push(s.store_id);
        }
    }
    Ok(rows
        .into_iter()
        .map(|i| {
            let store_ids = stores.remove(&i.id).unwrap_or_default();
            item_view(i, store_ids)
        })
        .collect())
}

fn item_view(i: service_item::Model, store_ids: Vec<i64>) -> ServiceItem {
    ServiceItem {
        id: i.id,
        name: i.name,
        category: i.category,
        price: Fen(i.price),
        all_stores: i.all_stores,
        store_ids,
        on_sale: i.on_sale,
    }
}

/// The item input checked: name, category, price, stores.
async fn checked_item(
    tx: &DatabaseTransaction,
    brand_id: i64,
    req: &ServiceItemInput,
    other_than: Option<i64>,
) -> AppResult<(String, String, BTreeSet<i64>)> {
    let name = text("name", &req.name, 40, true)?;
    let category = text("category", &req.category, 20, false)?;
    price("price", req.price)?;
    let stores = if req.all_stores {
        BTreeSet::new()
    } else {
        let s = brand_stores(tx, brand_id, "store_ids", &req.store_ids).await?;
        if s.is_empty() {
            return Err(AppError::invalid("store_ids", "stores_required"));
        }
        s
    };
    lock_key(tx, &format!("catalogue:{brand_id}")).await?;
    let mut same = service_item::Entity::find()
        .filter(service_item::Column::BrandId.eq(brand_id))
        .filter(service_item::Column::Name.eq(&name));
    if let Some(id) = other_than {
        same = same.filter(service_item::Column::Id.ne(id));
    }
    if same.one(tx).await?.is_some() {
        return Err(AppError::already_exists("name"));
    }
    Ok((name, category, stores))
}

async fn set_item_stores(
    tx: &DatabaseTransaction,
    item_id: i64,
    stores: &BTreeSet<i64>,
) -> AppResult<()> {
    service_item_store::Entity::delete_many()
        .filter(service_item_store::Column::ItemId.eq(item_id))
        .exec(tx)
        .await?;
    if !stores.is_empty() {
        service_item_store::Entity::insert_many(stores.iter().map(|s| {
            service_item_store::ActiveModel {
                item_id: Set(item_id),
                store_id: Set(*s),
            }
        }))
        .exec_without_returning(tx)
        .await?;
    }
    Ok(())
}

fn item_target(i: &service_item::Model) -> String {
    format!("#{} {}", i.id, i.name)
}

/// HQ adds a service item.
pub async fn create_item(
    state: &AppState,
    by: &Actor,
    req: &ServiceItemInput,
) -> AppResult<ServiceItem> {
    let tx = begin_write(&state.db).await?;
    let (name, category, stores) = checked_item(&tx, by.brand.id, req, None).await?;
    let now = state.clock.now_ms();
    let i = service_item::ActiveModel {
        brand_id: Set(by.brand.id),
        name: Set(name),
        category: Set(category),
        price: Set(req.price.0),
        all_stores: Set(req.all_stores),
        on_sale: Set(req.on_sale),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    set_item_stores(&tx, i.id, &stores).await?;
    let rec = Record::new(AuditAction::ServiceItemCreate, item_target(&i))
        .set(AuditField::Price, AuditValue::Money(req.price))
        .set(AuditField::OnSale, AuditValue::Flag(req.on_sale));
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(item_view(i, stores.into_iter().collect()))
}

/// HQ changes a service item (or puts it on or off sale).
pub async fn update_item(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: &ServiceItemInput,
) -> AppResult<ServiceItem> {
    let tx = begin_write(&state.db).await?;
    let (name, category, stores) = checked_item(&tx, by.brand.id, req, Some(id)).await?;
    let old = service_item::Entity::find_by_id(id)
        .filter(service_item::Column::BrandId.eq(by.brand.id))
        .one(&tx)
        .await?
        .ok_or_else(AppError::not_found)?;
    let mut rec = Record::new(AuditAction::ServiceItemUpdate, item_target(&old));
    if old.name != name {
        rec = rec.change(
            AuditField::Name,
            AuditValue::Text(old.name.clone()),
            AuditValue::Text(name.clone()),
        );
    }
    if old.price != req.price.0 {
        rec = rec.change(
            AuditField::Price,
            AuditValue::Money(Fen(old.price)),
            AuditValue::Money(req.price),
        );
    }
    if old.on_sale != req.on_sale {
        rec = rec.change(
            AuditField::OnSale,
            AuditValue::Flag(old.on_sale),
            AuditValue::Flag(req.on_sale),
        );
    }
    let mut am = old.into_active_model();
    am.name = Set(name);
    am.category = Set(category);
    am.price = Set(req.price.0);
    am.all_stores = Set(req.all_stores);
    am.on_sale = Set(req.on_sale);
    let i = am.update(&tx).await?;
    set_item_stores(&tx, i.id, &stores).await?;
    audit::by(&tx, by, state.clock.now_ms(), rec).await?;
    tx.commit().await?;
    Ok(item_view(i, stores.into_iter().collect()))
}

// ---------------------------------------------------------------------------
// Card types.

/// The brand's card types, newest first (`on_sale_only`: what members may
/// buy).
pub async fn card_types(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    on_sale_only: bool,
) -> AppResult<Vec<CardType>> {
    let mut q = card_type::Entity::find().filter(card_type::Column::BrandId.eq(brand_id));
    if on_sale_only {
        q = q.filter(card_type::Column::OnSale.eq(true));
    }
    let rows = q.order_by_desc(card_type::Column::Id).all(conn).await?;
    views_of(conn, rows).await
}

/// One card type of the brand.
pub async fn card_type_in_brand(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    id: i64,
) -> AppResult<card_type::Model> {
    card_type::Entity::find_by_id(id)
        .filter(card_type::Column::BrandId.eq(brand_id))
        .one(conn)
        .await?
        .ok_or_else(AppError::not_found)
}

/// Card types as the API shows them, with their items and stores.
pub async fn views_of(
    conn: &impl ConnectionTrait,
    rows: Vec<card_type::Model>,
) -> AppResult<Vec<CardType>> {
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let mut items: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut sold: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut honoured: HashMap<i64, Vec<i64>> = HashMap::new();
    if !ids.is_empty() {
        for r in card_type_item::Entity::find()
            .filter(card_type_item::Column::CardTypeId.is_in(ids.clone()))
            .order_by_asc(card_type_item::Column::ItemId)
            .all(conn)
            .await?
        {
            items.entry(r.card_type_id).or_default().push(r.item_id);
        }
        for r in card_type_store::Entity::find()
            .filter(card_type_store::Column::CardTypeId.is_in(ids))
            .order_by_asc(card_type_store::Column::StoreId)
            .all(conn)
            .await?
        {
            if r.sold {
                sold.entry(r.card_type_id).or_default().push(r.store_id);
            }
            if r.honoured {
                honoured.entry(r.card_type_id).or_default().push(r.store_id);
            }
        }
    }
    rows.into_iter()
        .map(|t| {
            let kind = CardKind::parse(&t.kind)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("card type kind {}", t.kind)))?;
            Ok(CardType {
                id: t.id,
                image_url: t.image_hash.as_deref().map(super::images::url),
                terms: CardTypeInput {
                    name: t.name,
                    kind,
                    uses: t.uses,
                    period: t.period.as_deref().and_then(CardPeriod::parse),
                    per_day_limit: t.per_day_limit,
                    valid_days: t.valid_days,
                    price: Fen(t.price),
                    theme_color: t.theme_color,
                    image_hash: t.image_hash,
                    description: t.description,
                    item_ids: items.remove(&t.id).unwrap_or_default(),
                    sold_everywhere: t.sold_everywhere,
                    sold_store_ids: sold.remove(&t.id).unwrap_or_default(),
                    honoured_everywhere: t.honoured_everywhere,
                    honoured_store_ids: honoured.remove(&t.id).unwrap_or_default(),
                    on_sale: t.on_sale,
                },
            })
        })
        .collect()
}

/// What a card type's input becomes when saved.
struct CheckedType {
    name: String,
    description: String,
    theme_color: String,
    items: BTreeSet<i64>,
    sold: BTreeSet<i64>,
    honoured: BTreeSet<i64>,
}

fn in_range(field: &str, v: Option<i64>, max: i64, reason: &'static str) -> AppResult<()> {
    match v {
        Some(n) if !(1..=max).contains(&n) => Err(AppError::invalid(field, reason)),
        _ => Ok(()),
    }
}

/// A card type's terms checked, field by field, under the catalogue lock.
async fn checked_type(
    tx: &DatabaseTransaction,
    brand_id: i64,
    req: &CardTypeInput,
    other_than: Option<i64>,
) -> AppResult<CheckedType> {
    let name = text("name", &req.name, 40, true)?;
    let description = text("description", &req.description, 200, false)?;
    match req.kind {
        CardKind::Count => {
            match req.uses {
                None => return Err(AppError::invalid("uses", "required")),
                v => in_range("uses", v, 1000, "uses_range")?,
            }
            if req.period.is_some() {
                return Err(AppError::invalid("period", "period_card_only"));
            }
            if req.per_day_limit.is_some() {
                return Err(AppError::invalid("per_day_limit", "period_card_only"));
            }
            in_range("valid_days", req.valid_days, 3650, "days_range")?;
        }
        CardKind::Period => {
            if req.period.is_none() {
                return Err(AppError::invalid("period", "required"));
            }
            if req.uses.is_some() {
                return Err(AppError::invalid("uses", "count_card_only"));
            }
            if req.valid_days.is_some() {
                return Err(AppError::invalid("valid_days", "count_card_only"));
            }
            in_range("per_day_limit", req.per_day_limit, 100, "per_day_range")?;
        }
    }
    price("price", req.price)?;
    let theme_color =
        validate::color(&req.theme_color).map_err(|r| AppError::invalid("theme_color", r))?;
    if let Some(hash) = &req.image_hash {
        let found = card_image::Entity::find_by_id(hash.clone())
            .filter(card_image::Column::BrandId.eq(brand_id))
            .one(tx)
            .await?;
        if found.is_none() {
            return Err(AppError::invalid("image_hash", "unknown"));
        }
    }
    let items: BTreeSet<i64> = req.item_ids.iter().copied().collect();
    if items.is_empty() {
        return Err(AppError::invalid("item_ids", "items_required"));
    }
    let known = service_item::Entity::find()
        .filter(service_item::Column::BrandId.eq(brand_id))
        .filter(service_item::Column::Id.is_in(items.iter().copied()))
        .all(tx)
        .await?;
    if known.len() != items.len() {
        return Err(AppError::invalid("item_ids", "unknown"));
    }
    let sold = if req.sold_everywhere {
        BTreeSet::new()
    } else {
        let s = brand_stores(tx, brand_id, "sold_store_ids", &req.sold_store_ids).await?;
        if s.is_empty() {
            return Err(AppError::invalid("sold_store_ids", "stores_required"));
        }
        s
    };
    let honoured = if req.honoured_everywhere {
        BTreeSet::new()
    } else {
        let s = brand_stores(tx, brand_id, "honoured_store_ids", &req.honoured_store_ids).await?;
        if s.is_empty() {
            return Err(AppError::invalid("honoured_store_ids", "stores_required"));
        }
        s
    };
    lock_key(tx, &format!("catalogue:{brand_id}")).await?;
    let mut same = card_type::Entity::find()
        .filter(card_type::Column::BrandId.eq(brand_id))
        .filter(card_type::Column::Name.eq(&name));
    if let Some(id) = other_than {
        same = same.filter(card_type::Column::Id.ne(id));
    }
    if same.one(tx).await?.is_some() {
        return Err(AppError::already_exists("name"));
    }
    Ok(CheckedType {
        name,
        description,
        theme_color,
        items,
        sold,
        honoured,
    })
}

async fn set_type_links(tx: &DatabaseTransaction, id: i64, c: &CheckedType) -> AppResult<()> {
    card_type_item::Entity::delete_many()
        .filter(card_type_item::Column::CardTypeId.eq(id))
        .exec(tx)
        .await?;
    card_type_item::Entity::insert_many(c.items.iter().map(|i| card_type_item::ActiveModel {
        card_type_id: Set(id),
        item_id: Set(*i),
    }))
    .exec_without_returning(tx)
    .await?;
    card_type_store::Entity::delete_many()
        .filter(card_type_store::Column::CardTypeId.eq(id))
        .exec(tx)
        .await?;
    let stores: BTreeSet<i64> = c.sold.union(&c.honoured).copied().collect();
    if !stores.is_empty() {
        card_type_store::Entity::insert_many(stores.into_iter().map(|s| {
            card_type_store::ActiveModel {
                card_type_id: Set(id),
                store_id: Set(s),
                sold: Set(c.sold.contains(&s)),
                honoured: Set(c.honoured.contains(&s)),
            }
        }))
        .exec_without_returning(tx)
        .await?;
    }
    Ok(())
}

fn type_target(t: &card_type::Model) -> String {
    format!("#{} {}", t.id, t.name)
}

fn apply(am: &mut card_type::ActiveModel, req: &CardTypeInput, c: &CheckedType) {
    am.name = Set(c.name.clone());
    am.kind = Set(req.kind.as_str().into());
    am.uses = Set(req.uses);
    am.period = Set(req.period.map(|p| p.as_str().to_string()));
    am.per_day_limit = Set(req.per_day_limit);
    am.valid_days = Set(req.valid_days);
    am.price = Set(req.price.0);
    am.theme_color = Set(c.theme_color.clone());
    am.image_hash = Set(req.image_hash.clone());
    am.description = Set(c.description.clone());
    am.sold_everywhere = Set(req.sold_everywhere);
    am.honoured_everywhere = Set(req.honoured_everywhere);
    am.on_sale = Set(req.on_sale);
}

/// HQ adds a card type.
pub async fn create_type(state: &AppState, by: &Actor, req: &CardTypeInput) -> AppResult<CardType> {
    let tx = begin_write(&state.db).await?;
    let c = checked_type(&tx, by.brand.id, req, None).await?;
    let now = state.clock.now_ms();
    let mut am = card_type::ActiveModel {
        brand_id: Set(by.brand.id),
        created_at: Set(now),
        ..Default::default()
    };
    apply(&mut am, req, &c);
    let t = am.insert(&tx).await?;
    set_type_links(&tx, t.id, &c).await?;
    let rec = Record::new(AuditAction::CardTypeCreate, type_target(&t))
        .set(AuditField::Price, AuditValue::Money(req.price))
        .set(AuditField::OnSale, AuditValue::Flag(req.on_sale));
    audit::by(&tx, by, now, rec).await?;
    let view = views_of(&tx, vec![t]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}

/// HQ changes a card type (or puts it on or off sale). Cards already sold
/// keep the price, uses and dates they were sold with; where they are
/// honoured and what they cover follow the type.
pub async fn update_type(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: &CardTypeInput,
) -> AppResult<CardType> {
    let tx = begin_write(&state.db).await?;
    let c = checked_type(&tx, by.brand.id, req, Some(id)).await?;
    let old = card_type_in_brand(&tx, by.brand.id, id).await?;
    if old.kind != req.kind.as_str() {
        return Err(AppError::invalid("kind", "unchangeable"));
    }
    let mut rec = Record::new(AuditAction::CardTypeUpdate, type_target(&old));
    if old.name != c.name {
        rec = rec.change(
            AuditField::Name,
            AuditValue::Text(old.name.clone()),
            AuditValue::Text(c.name.clone()),
        );
    }
    if old.price != req.price.0 {
        rec = rec.change(
            AuditField::Price,
            AuditValue::Money(Fen(old.price)),
            AuditValue::Money(req.price),
        );
    }
    if old.on_sale != req.on_sale {
        rec = rec.change(
            AuditField::OnSale,
            AuditValue::Flag(old.on_sale),
            AuditValue::Flag(req.on_sale),
        );
    }
    let mut am = old.into_active_model();
    apply(&mut am, req, &c);
    let t = am.update(&tx).await?;
    set_type_links(&tx, t.id, &c).await?;
    audit::by(&tx, by, state.clock.now_ms(), rec).await?;
    let view = views_of(&tx, vec![t]).await?.remove(0);
    tx.commit().await?;
    Ok(view)
}
