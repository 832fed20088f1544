//! Card faces' background pictures: HQ uploads PNG, JPEG or WebP (at most
//! 1 MB, at most 4096 pixels a side, both read from the header before
//! anything is stored); each is kept in the database under a hash of its
//! brand and bytes and served under that hash, cached for good (the bytes
//! behind a hash never change).

use crate::entity::card_image;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use sha2::{Digest, Sha256};
use shared::api::{CardImage, Endpoint, MAX_IMAGE_SIDE};
use shared::dto::UploadedImage;

/// The URL a picture is served under.
pub fn url(hash: &str) -> String {
    format!("/api{}", CardImage::path(hash))
}

/// What a picture is, read from its header: its type and pixel size, or
/// why it is refused (`image_format`: not a PNG, JPEG or WebP, an SVG, text
/// named `.png`; `image_pixels`: wider or taller than allowed).
pub fn inspect(bytes: &[u8]) -> AppResult<(&'static str, u32, u32)> {
    use imagesize::ImageType;
    if bytes.is_empty() {
        return Err(AppError::invalid("image", "required"));
    }
    let mime = match imagesize::image_type(bytes) {
        Ok(ImageType::Png) => "image/png",
        Ok(ImageType::Jpeg) => "image/jpeg",
        Ok(ImageType::Webp) => "image/webp",
        _ => return Err(AppError::invalid("image", "image_format")),
    };
    let size =
        imagesize::blob_size(bytes).map_err(|_| AppError::invalid("image", "image_format"))?;
    if size.width == 0 || size.height == 0 {
        return Err(AppError::invalid("image", "image_format"));
    }
    let side = MAX_IMAGE_SIDE as usize;
    if size.width > side || size.height > side {
        return Err(AppError::invalid("image", "image_pixels").with("max", MAX_IMAGE_SIDE));
    }
    Ok((mime, size.width as u32, size.height as u32))
}

/// Stores a picture for the brand's card faces (the same one twice is
/// stored once and answers the same hash).
pub async fn upload(state: &AppState, brand_id: i64, bytes: &[u8]) -> AppResult<UploadedImage> {
    let (mime, width, height) = inspect(bytes)?;
    let mut h = Sha256::new();
    h.update(brand_id.to_be_bytes());
    h.update(bytes);
    let hash = hex::encode(h.finalize());
    let tx = crate::db::begin_write(&state.db).await?;
    card_image::Entity::insert(card_image::ActiveModel {
        hash: Set(hash.clone()),
        brand_id: Set(brand_id),
        mime: Set(mime.to_string()),
        width: Set(width as i32),
        height: Set(height as i32),
        bytes: Set(bytes.to_vec()),
        created_at: Set(state.clock.now_ms()),
    })
    .on_conflict(
        OnConflict::column(card_image::Column::Hash)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    tx.commit().await?;
    Ok(UploadedImage {
        url: url(&hash),
        hash,
        width,
        height,
    })
}

/// A stored picture: its type and bytes. Anything that is not a stored
/// hash is not found.
pub async fn get(state: &AppState, hash: &str) -> AppResult<(String, Vec<u8>)> {
    let well_formed =
        hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if !well_formed {
        return Err(AppError::not_found());
    }
    let found = card_image::Entity::find_by_id(hash.to_string())
        .one(&state.db)
        .await?
        .ok_or_else(AppError::not_found)?;
    Ok((found.mime, found.bytes))
}
