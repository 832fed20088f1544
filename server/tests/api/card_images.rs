//! Card faces' pictures (issue 15): HQ uploads PNG, JPEG or WebP; anything
//! else, anything over 1 MB and anything wider or taller than 4096 pixels
//! (read from the header) is refused with a clear error and nothing is
//! stored; a stored picture is served under its content hash, cached for
//! good, and a card type shows it to members.

use crate::cards::*;
use crate::helpers::*;
use crate::money::*;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use shared::ErrorCode;
use shared::dto::{CardReceipt, CardType, UploadedImage};
use tongka_server::entity::card_image;

const PNG: &[u8] = include_bytes!("../../../tests/fixtures/card-face.png");
const JPEG: &[u8] = include_bytes!("../../../tests/fixtures/card-face.jpg");
const WEBP: &[u8] = include_bytes!("../../../tests/fixtures/card-face.webp");

/// HQ uploads `bytes` as `content_type`.
pub async fn upload(app: &TestApp, token: &str, content_type: &str, bytes: &[u8]) -> Reply {
    app.post("/api/hq/card-images")
        .token(token)
        .lang("en")
        .bytes(content_type, bytes.to_vec())
        .send()
        .await
}

/// The pictures the brand has stored.
async fn stored(app: &TestApp) -> u64 {
    card_image::Entity::find()
        .filter(card_image::Column::BrandId.eq(app.brand_id))
        .count(&app.db)
        .await
        .expect("count pictures")
}

/// CRC-32 (IEEE), for a well-formed PNG chunk.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A PNG's signature and header chunk claiming `w`×`h` pixels (a
/// decompression bomb's opening), with no pixels after it.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(13u32.to_be_bytes());
    out.extend(&ihdr);
    out.extend(crc32(&ihdr).to_be_bytes());
    out
}

dual_test!(
    hq_uploads_png_jpeg_and_webp_and_members_see_the_face_served_for_good,
    |app| async move {
        let shop = shop(&app).await;
        let mut hashes = Vec::new();
        for (ty, bytes) in [
            ("image/png", PNG),
            ("image/jpeg", JPEG),
            ("image/webp", WEBP),
        ] {
            let reply = upload(&app, &shop.admin, ty, bytes).await;
            reply.status(201);
            let image: UploadedImage = reply.ok();
            assert_eq!((image.width, image.height), (640, 400), "{ty}");
            assert_eq!(image.url, format!("/api/card-images/{}", image.hash));
            // Served as it was uploaded, with its type, cached for good.
            let served = app
                .client
                .get(format!("{}{}", app.address, image.url))
                .send()
                .await
                .expect("get the picture");
            assert_eq!(served.status(), 200);
            let header = |name: &str| {
                served
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            assert_eq!(header("content-type"), ty);
            assert!(
                header("cache-control").contains("immutable"),
                "{}",
                header("cache-control")
            );
            assert_eq!(header("x-content-type-options"), "nosniff");
            assert_eq!(served.bytes().await.expect("bytes").as_ref(), bytes);
            hashes.push(image.hash);
        }
        // The same picture again: the same hash, stored once.
        let before = stored(&app).await;
        let again: UploadedImage = upload(&app, &shop.admin, "image/png", PNG).await.ok();
        assert_eq!(again.hash, hashes[0]);
        assert_eq!(stored(&app).await, before);

        // A card type with the picture: HQ's list and the member's 卡包
        // show it.
        let wash = new_item(&app, &shop.admin, "精致洗车", 5000).await;
        let input = shared::dto::CardTypeInput {
            image_hash: Some(hashes[2].clone()),
            ..count_card("十次卡", 30_000, 10, &[wash.id])
        };
        let t = new_card_type(&app, &shop.admin, &input).await;
        let url = format!("/api/card-images/{}", hashes[2]);
        assert_eq!(t.image_url.as_deref(), Some(url.as_str()));
        let member = new_member(&app).await;
        let sold: CardReceipt = sell(&app, &shop.clerk, &member.phone, t.id).await.ok();
        assert_eq!(sold.card.image_url.as_deref(), Some(url.as_str()));
        let detail = card_of(&app, &member, sold.card.id).await;
        assert_eq!(detail.card.image_url.as_deref(), Some(url.as_str()));

        // Another brand cannot name this brand's picture.
        let other = app.other_brand().await;
        let other_admin = other.login_admin().await;
        let wash2 = new_item(&other, &other_admin, "精致洗车", 5000).await;
        let reply = other
            .post("/api/hq/card-types")
            .token(&other_admin)
            .json(&shared::dto::CardTypeInput {
                image_hash: Some(hashes[2].clone()),
                ..count_card("十次卡", 30_000, 10, &[wash2.id])
            })
            .send()
            .await;
        reply.invalid("image_hash");
        let listed: Vec<CardType> = other
            .get("/api/hq/card-types")
            .token(&other_admin)
            .send()
            .await
            .ok();
        assert!(listed.is_empty());
        assert_reconciled(&app).await;
    }
);

dual_test!(
    an_svg_a_5_mb_file_a_20000_pixel_png_and_text_named_png_are_refused_and_nothing_is_stored,
    |app| async move {
        let shop = shop(&app).await;
        let before = stored(&app).await;

        let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="640" height="400"><script>alert(1)</script></svg>"#;
        let e = upload(&app, &shop.admin, "image/svg+xml", svg)
            .await
            .invalid("image");
        assert_eq!(e.message, "The image must be a PNG, JPEG or WebP picture");

        // A real PNG's opening with 5 MB after it.
        let mut big = PNG.to_vec();
        big.resize(5 * 1024 * 1024, 0);
        let reply = upload(&app, &shop.admin, "image/png", &big).await;
        let e = reply.error(413, ErrorCode::PayloadTooLarge);
        assert_eq!(e.message, "The request body is too large (at most 1024 KB)");

        let bomb = png_header(20_000, 20_000);
        let e = upload(&app, &shop.admin, "image/png", &bomb)
            .await
            .invalid("image");
        assert_eq!(
            e.message,
            "The image is too large (at most 4096 pixels a side)"
        );
        // Just inside the bound is read as a PNG (the header is what counts).
        let edge: UploadedImage = upload(&app, &shop.admin, "image/png", &png_header(4096, 1))
            .await
            .ok();
        assert_eq!((edge.width, edge.height), (4096, 1));

        let text = b"PNG\nthis is a text file with a .png name\n";
        let e = upload(&app, &shop.admin, "image/png", text)
            .await
            .invalid("image");
        assert_eq!(
            e.params.get("reason").map(String::as_str),
            Some("image_format")
        );
        upload(&app, &shop.admin, "image/png", b"")
            .await
            .invalid("image");
        assert_eq!(
            stored(&app).await,
            before + 1,
            "only the 4096-pixel header was stored"
        );

        // Only HQ admin uploads; nobody reads a hash that is not stored.
        upload(&app, &shop.clerk, "image/png", PNG)
            .await
            .error(403, ErrorCode::Forbidden);
        upload(&app, &shop.finance, "image/png", PNG)
            .await
            .error(403, ErrorCode::Forbidden);
        app.post("/api/hq/card-images")
            .bytes("image/png", PNG.to_vec())
            .send()
            .await
            .error(401, ErrorCode::Unauthenticated);
        let absent = format!("/api/card-images/{}", "0".repeat(64));
        app.get(&absent)
            .send()
            .await
            .error(404, ErrorCode::NotFound);
        app.get("/api/card-images/..%2F..%2Fetc")
            .send()
            .await
            .error(404, ErrorCode::NotFound);
        assert_eq!(stored(&app).await, before + 1);
    }
);
