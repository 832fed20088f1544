//! Coupons as members see them: each with its rule in full (item and store
//! names), the coupon centre, and a member's coupons by shelf.

use super::templates::stores_of;
use crate::clock::rfc3339;
use crate::entity::{coupon, coupon_template, coupon_template_store, member, service_item};
use crate::error::{AppError, AppResult};
use crate::names;
use crate::paging::{PAGE_SIZE, split_page};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use shared::dto::{
    CouponKind, CouponOffer, CouponQuery, CouponRule, CouponShelf, CouponSource, CouponState,
    MemberCoupon, Named, Page,
};
use shared::money::Fen;
use std::collections::HashMap;

/// The rules of these templates, by template id.
pub async fn rules_of(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    templates: Vec<coupon_template::Model>,
) -> AppResult<HashMap<i64, CouponRule>> {
    let ids: Vec<i64> = templates.iter().map(|t| t.id).collect();
    let stores = stores_of(conn, &ids).await?;
    let store_names =
        names::store_names(conn, brand_id, stores.values().flatten().copied().collect()).await?;
    let item_ids: Vec<i64> = templates.iter().filter_map(|t| t.item_id).collect();
    let items: HashMap<i64, String> = if item_ids.is_empty() {
        HashMap::new()
    } else {
        service_item::Entity::find()
            .filter(service_item::Column::Id.is_in(item_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect()
    };
    templates
        .into_iter()
        .map(|t| {
            let kind = CouponKind::parse(&t.kind)
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon kind {}", t.kind)))?;
            let stores = stores
                .get(&t.id)
                .into_iter()
                .flatten()
                .map(|id| Named {
                    id: *id,
                    name: store_names.get(id).cloned().unwrap_or_default(),
                })
                .collect();
            let item = t.item_id.map(|id| Named {
                id,
                name: items.get(&id).cloned().unwrap_or_default(),
            });
            Ok((
                t.id,
                CouponRule {
                    template_id: t.id,
                    name: t.name,
                    kind,
                    off: Fen(t.off_amount),
                    rate_bp: u32::try_from(t.rate_bp).unwrap_or(0),
                    cap: Fen(t.cap),
                    item,
                    min_spend: Fen(t.min_spend),
                    all_stores: t.all_stores,
                    stores,
                },
            ))
        })
        .collect()
}

/// Where a coupon stands at `now`: an issued one past its end is expired
/// whether or not the job has marked it yet.
pub fn state_at(c: &coupon::Model, now: i64) -> CouponState {
    match CouponState::parse(&c.state) {
        Some(CouponState::Issued) if c.ends_at <= now => CouponState::Expired,
        Some(s) => s,
        None => CouponState::Revoked,
    }
}

/// A coupon as the API shows it (its state as stored; see [`state_at`]).
pub fn coupon_view(c: coupon::Model, rule: CouponRule, zone: &str) -> AppResult<MemberCoupon> {
    let state = CouponState::parse(&c.state)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon state {}", c.state)))?;
    let source = CouponSource::parse(&c.source).unwrap_or(CouponSource::Claimed);
    Ok(MemberCoupon {
        id: c.id,
        rule,
        state,
        starts_at: rfc3339(c.starts_at),
        ends_at: rfc3339(c.ends_at),
        // The end is the first instant it no longer works: its last day is
        // the day before, in the brand's zone.
        last_day: crate::ledger::business_date(zone, c.ends_at - 1),
        source,
        used_at: c.used_at.map(rfc3339),
        worth: Fen(c.worth),
    })
}

/// A page of member `m`'s coupons on one shelf at `now`, newest first.
pub async fn member_coupons(
    conn: &impl ConnectionTrait,
    brand: &crate::entity::brand::Model,
    m: &member::Model,
    q: &CouponQuery,
    now: i64,
) -> AppResult<Page<MemberCoupon>> {
    use coupon::Column as C;
    let live = [CouponState::Issued.as_str(), CouponState::Reserved.as_str()];
    let shelf = match q.shelf.unwrap_or(CouponShelf::Usable) {
        CouponShelf::Usable => Condition::all()
            .add(C::State.is_in(live))
            .add(C::EndsAt.gt(now)),
        CouponShelf::Used => Condition::all().add(C::State.eq(CouponState::Used.as_str())),
        CouponShelf::Expired => Condition::any()
            .add(C::State.is_in([CouponState::Expired.as_str(), CouponState::Revoked.as_str()]))
            .add(
                Condition::all()
                    .add(C::State.eq(CouponState::Issued.as_str()))
                    .add(C::EndsAt.lte(now)),
            ),
    };
    let mut find = coupon::Entity::find()
        .filter(C::BrandId.eq(brand.id))
        .filter(C::MemberId.eq(m.id))
        .filter(shelf);
    if let Some(store_id) = q.usable_at {
        find = find
            .filter(C::State.eq(CouponState::Issued.as_str()))
            .filter(C::StartsAt.lte(now))
            .filter(C::TemplateId.is_in(paying_at(conn, brand.id, store_id).await?));
    }
    if let Some(after) = q.after {
        find = find.filter(C::Id.lt(after));
    }
    let rows = find
        .order_by_desc(C::Id)
        .limit(PAGE_SIZE + 1)
        .all(conn)
        .await?;
    let (rows, next_cursor) = split_page(rows, |c| c.id);
    let mut template_ids: Vec<i64> = rows.iter().map(|c| c.template_id).collect();
    template_ids.sort_unstable();
    template_ids.dedup();
    let templates = coupon_template::Entity::find()
        .filter(coupon_template::Column::Id.is_in(template_ids))
        .all(conn)
        .await?;
    let rules = rules_of(conn, brand.id, templates).await?;
    let mut items = Vec::with_capacity(rows.len());
    for c in rows {
        let rule = rules
            .get(&c.template_id)
            .cloned()
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("coupon {} has no rule", c.id)))?;
        let shown = state_at(&c, now);
        let mut view = coupon_view(c, rule, &brand.time_zone)?;
        view.state = shown;
        items.push(view);
    }
    Ok(Page { items, next_cursor })
}

/// The brand's templates whose coupons can pay a bill at `store_id`: not a
/// free item, and honoured at every store or at that one.
async fn paying_at(
    conn: &impl ConnectionTrait,
    brand_id: i64,
    store_id: i64,
) -> AppResult<Vec<i64>> {
    use coupon_template::Column as T;
    let there = coupon_template_store::Entity::find()
        .filter(coupon_template_store::Column::StoreId.eq(store_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| r.template_id);
    let ids = coupon_template::Entity::find()
        .filter(T::BrandId.eq(brand_id))
        .filter(T::Kind.ne(CouponKind::Item.as_str()))
        .filter(
            Condition::any()
                .add(T::AllStores.eq(true))
                .add(T::Id.is_in(there.collect::<Vec<_>>())),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|t| t.id)
        .collect();
    Ok(ids)
}

/// The coupon centre for member `m` at `now`: templates on offer to claim
/// whose last day has not passed, with what is left and what `m` holds.
pub async fn centre(
    conn: &impl ConnectionTrait,
    brand: &crate::entity::brand::Model,
    m: &member::Model,
    now: i64,
) -> AppResult<Vec<CouponOffer>> {
    let today = crate::ledger::business_date(&brand.time_zone, now);
    let templates: Vec<coupon_template::Model> = coupon_template::Entity::find()
        .filter(coupon_template::Column::BrandId.eq(brand.id))
        .filter(coupon_template::Column::OnSale.eq(true))
        .filter(coupon_template::Column::Claimable.eq(true))
        .filter(
            Condition::any()
                .add(coupon_template::Column::ValidUntil.is_null())
                .add(coupon_template::Column::ValidUntil.gte(today.as_str())),
        )
        .order_by_desc(coupon_template::Column::Id)
        .all(conn)
        .await?;
    let ids: Vec<i64> = templates.iter().map(|t| t.id).collect();
    let held = holdings(conn, m.id, &ids).await?;
    let mut rules = rules_of(conn, brand.id, templates.clone()).await?;
    Ok(templates
        .into_iter()
        .filter_map(|t| {
            Some(CouponOffer {
                rule: rules.remove(&t.id)?,
                left: std::cmp::max(t.stock - t.issued, 0),
                held: held.get(&t.id).copied().unwrap_or(0),
                per_member: t.per_member,
                valid_from: t.valid_from,
                valid_until: t.valid_until,
                valid_days: t.valid_days,
            })
        })
        .collect())
}

/// How many of each template member `member_id` holds.
async fn holdings(
    conn: &impl ConnectionTrait,
    member_id: i64,
    ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    #[derive(sea_orm::FromQueryResult)]
    struct Held {
        template_id: i64,
        n: i64,
    }
    let rows = coupon::Entity::find()
        .select_only()
        .column(coupon::Column::TemplateId)
        .column_as(Expr::col(coupon::Column::Id).count(), "n")
        .filter(coupon::Column::MemberId.eq(member_id))
        .filter(coupon::Column::TemplateId.is_in(ids.to_vec()))
        .group_by(coupon::Column::TemplateId)
        .into_model::<Held>()
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|h| (h.template_id, h.n)).collect())
}
