//! A brand's regions: HQ admin creates and renames them; HQ and region
//! managers list them.

use super::{Reach, reach, region_in_brand};
use crate::audit::{self, Record};
use crate::auth::Actor;
use crate::db::begin_write;
use crate::entity::{region, staff, store};
use crate::error::{AppError, AppResult, check, unique_as};
use crate::state::AppState;
use axum::http::StatusCode;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use shared::ErrorCode;
use shared::dto::{AuditAction, AuditField, RegionInput, RegionView};
use shared::validate;

/// The regions `by`'s scope covers (a region manager sees only theirs),
/// with how many stores each has.
pub async fn list(state: &AppState, by: &Actor) -> AppResult<Vec<RegionView>> {
    let mut q = region::Entity::find().filter(region::Column::BrandId.eq(by.brand.id));
    if let Reach::Region(own) = reach(by) {
        q = q.filter(region::Column::Id.eq(own));
    }
    let regions = q.order_by_asc(region::Column::Id).all(&state.db).await?;
    let mut out = Vec::with_capacity(regions.len());
    for r in regions {
        let store_count = store::Entity::find()
            .filter(store::Column::RegionId.eq(r.id))
            .count(&state.db)
            .await?;
        out.push(RegionView {
            id: r.id,
            name: r.name,
            store_count: store_count as i64,
        });
    }
    Ok(out)
}

/// Creates a region, audited.
pub async fn create(state: &AppState, by: &Actor, req: RegionInput) -> AppResult<RegionView> {
    let name = check("name", validate::place_name(&req.name))?;
    let tx = begin_write(&state.db).await?;
    let now = state.clock.now_ms();
    let r = region::ActiveModel {
        brand_id: Set(by.brand.id),
        name: Set(name),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(unique_as("name"))?;
    let rec = Record::new(AuditAction::RegionCreate, format!("#{} {}", r.id, r.name));
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(RegionView {
        id: r.id,
        name: r.name,
        store_count: 0,
    })
}

/// Renames region `id` of `by`'s brand, audited.
pub async fn rename(
    state: &AppState,
    by: &Actor,
    id: i64,
    req: RegionInput,
) -> AppResult<RegionView> {
    let name = check("name", validate::place_name(&req.name))?;
    let tx = begin_write(&state.db).await?;
    let r = region_in_brand(&tx, by.brand.id, id).await?;
    let old = r.name.clone();
    let mut m = r.into_active_model();
    m.name = Set(name);
    let r = m.update(&tx).await.map_err(unique_as("name"))?;
    let now = state.clock.now_ms();
    let rec = Record::new(AuditAction::RegionRename, format!("#{} {}", r.id, r.name)).change(
        AuditField::Name,
        audit::text(old),
        audit::text(r.name.clone()),
    );
    audit::by(&tx, by, now, rec).await?;
    let store_count = store::Entity::find()
        .filter(store::Column::RegionId.eq(r.id))
        .count(&tx)
        .await? as i64;
    tx.commit().await?;
    Ok(RegionView {
        id: r.id,
        name: r.name,
        store_count,
    })
}

/// Deletes region `id` of `by`'s brand when nothing is in it: no store
/// (under the stores' lock, so none moves in meanwhile) and no region
/// manager; audited.
pub async fn delete(state: &AppState, by: &Actor, id: i64) -> AppResult<()> {
    let tx = begin_write(&state.db).await?;
    super::stores::lock_stores(&tx, by.brand.id).await?;
    let r = region_in_brand(&tx, by.brand.id, id).await?;
    let stores = store::Entity::find()
        .filter(store::Column::RegionId.eq(r.id))
        .count(&tx)
        .await?;
    let staff = staff::Entity::find()
        .filter(staff::Column::BrandId.eq(by.brand.id))
        .filter(staff::Column::RegionId.eq(r.id))
        .count(&tx)
        .await?;
    if stores > 0 || staff > 0 {
        return Err(
            AppError::new(StatusCode::CONFLICT, ErrorCode::RegionNotEmpty)
                .with("stores", stores)
                .with("staff", staff),
        );
    }
    region::Entity::delete_by_id(r.id).exec(&tx).await?;
    let now = state.clock.now_ms();
    let rec = Record::new(AuditAction::RegionDelete, format!("#{} {}", r.id, r.name));
    audit::by(&tx, by, now, rec).await?;
    tx.commit().await?;
    Ok(())
}
