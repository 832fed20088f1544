//! The card wallet over HTTP: HQ's catalogue, members' cards, counter
//! sales, 退卡 of a card and 延期. Each route is one call into
//! [`crate::cards`].

use crate::auth::StaffCaller;
use crate::auth::{ActiveMember, AnyStaff, Counter, HqAdmin, HqMoney, MemberCaller, MoneyBack};
use crate::cards::{catalogue, images, lifecycle, refund, sale, views};
use crate::error::{AppJson, AppPath, AppResult, ImageUpload};
use crate::idempotency::IdemKey;
use crate::identity::members;
use crate::routes::Api;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use shared::api;
use shared::dto::{
    BuyCard, CardOffer, CardRefundParts, CardType, CardTypeInput, ExtendCard, MemberCard,
    MemberCardDetail, RefundCard, SellCard, ServiceItem, ServiceItemInput, UploadedImage,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::ListServiceItems, list_items)
        .at(api::CreateServiceItem, create_item)
        .at(api::UpdateServiceItem, update_item)
        .at(api::ListCardTypes, list_types)
        .at(api::CreateCardType, create_type)
        .at(api::UpdateCardType, update_type)
        .at(api::UploadCardImage, upload_image)
        .at(api::CardImage, image)
        .at(api::MemberCardOffers, offers)
        .at(api::MemberCards, member_cards)
        .at(api::MemberCardInFull, member_card)
        .at(api::BuyMemberCard, buy)
        .at(api::StartCardOrder, buy_online)
        .at(api::SellCardAtCounter, sell)
        .at(api::StaffMemberCards, staff_member_cards)
        .at(api::StaffCardInFull, staff_card)
        .at(api::CardRefundPreview, refund_preview)
        .at(api::RefundMemberCard, refund_card)
        .at(api::ExtendMemberCard, extend)
}

/// A member: buy a card with the gateway paying what stored value does not.
async fn buy_online(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppJson(req): AppJson<BuyCard>,
) -> AppResult<(StatusCode, Json<shared::dto::TopUpOrderView>)> {
    let order = crate::gateway_orders::self_topup::buy_card(
        &state,
        &caller.brand,
        caller.member.id,
        &key,
        &req,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(order)))
}

/// HQ admin: upload a card face's picture.
async fn upload_image(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    ImageUpload(bytes): ImageUpload,
) -> AppResult<(StatusCode, Json<UploadedImage>)> {
    let image = images::upload(&state, caller.brand.id, &bytes).await?;
    Ok((StatusCode::CREATED, Json(image)))
}

/// Anyone: a card face's picture by its hash, cached for good.
async fn image(
    State(state): State<AppState>,
    AppPath(hash): AppPath<String>,
) -> AppResult<Response> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let (mime, bytes) = images::get(&state, &hash).await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (
                header::CACHE_CONTROL,
                "public, max-age=31536000, immutable".to_string(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// Any staff: the service items.
async fn list_items(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<ServiceItem>>> {
    Ok(Json(catalogue::items(&state.db, caller.brand.id).await?))
}

/// HQ admin: add a service item.
async fn create_item(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<ServiceItemInput>,
) -> AppResult<(StatusCode, Json<ServiceItem>)> {
    let item = catalogue::create_item(&state, &caller.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(item)))
}

/// HQ admin: change a service item.
async fn update_item(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<ServiceItemInput>,
) -> AppResult<Json<ServiceItem>> {
    Ok(Json(
        catalogue::update_item(&state, &caller.actor(), id, &req).await?,
    ))
}

/// Any staff: the card types.
async fn list_types(
    State(state): State<AppState>,
    caller: StaffCaller<AnyStaff>,
) -> AppResult<Json<Vec<CardType>>> {
    Ok(Json(
        catalogue::card_types(&state.db, caller.brand.id, false).await?,
    ))
}

/// HQ admin: add a card type.
async fn create_type(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppJson(req): AppJson<CardTypeInput>,
) -> AppResult<(StatusCode, Json<CardType>)> {
    let t = catalogue::create_type(&state, &caller.actor(), &req).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// HQ admin: change a card type.
async fn update_type(
    State(state): State<AppState>,
    caller: StaffCaller<HqAdmin>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<CardTypeInput>,
) -> AppResult<Json<CardType>> {
    Ok(Json(
        catalogue::update_type(&state, &caller.actor(), id, &req).await?,
    ))
}

/// Member: the cards on offer.
async fn offers(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<CardOffer>>> {
    Ok(Json(views::offers(&state.db, caller.brand.id).await?))
}

/// Member: their cards.
async fn member_cards(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<MemberCard>>> {
    let now = state.clock.now_ms();
    Ok(Json(
        views::member_cards(&state.db, &caller.brand, caller.member.id, now).await?,
    ))
}

/// Member: one of their cards in full.
async fn member_card(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberCardDetail>> {
    let now = state.clock.now_ms();
    let d = views::member_card_detail(&state.db, &caller.brand, Some(caller.member.id), id, now)
        .await?;
    Ok(Json(d))
}

/// Member (not frozen): buy a card from stored value.
async fn buy(
    State(state): State<AppState>,
    ActiveMember(caller): ActiveMember,
    key: IdemKey,
    AppJson(req): AppJson<BuyCard>,
) -> AppResult<Response> {
    sale::buy(&state, caller, key, req).await
}

/// Clerk or store manager: sell a card at their counter.
async fn sell(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    key: IdemKey,
    AppJson(req): AppJson<SellCard>,
) -> AppResult<Response> {
    sale::sell(&state, caller.actor(), key, req).await
}

/// HQ or a store manager: a member's cards.
async fn staff_member_cards(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<Vec<MemberCard>>> {
    let m = members::in_brand(&state.db, caller.brand.id, id).await?;
    let now = state.clock.now_ms();
    Ok(Json(
        views::member_cards(&state.db, &caller.brand, m.id, now).await?,
    ))
}

/// HQ or a store manager: one card in full.
async fn staff_card(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberCardDetail>> {
    let now = state.clock.now_ms();
    Ok(Json(
        views::member_card_detail(&state.db, &caller.brand, None, id, now).await?,
    ))
}

/// HQ or a store manager: what 退卡 of a card would give back.
async fn refund_preview(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<CardRefundParts>> {
    Ok(Json(refund::preview(&state, &caller.actor(), id).await?))
}

/// HQ or a store manager: 退卡 of a card.
async fn refund_card(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<RefundCard>,
) -> AppResult<Response> {
    refund::refund(&state, caller.actor(), id, key, req).await
}

/// HQ: extend a card.
async fn extend(
    State(state): State<AppState>,
    caller: StaffCaller<HqMoney>,
    AppPath(id): AppPath<i64>,
    AppJson(req): AppJson<ExtendCard>,
) -> AppResult<Json<MemberCard>> {
    Ok(Json(
        lifecycle::extend(&state, &caller.actor(), id, &req).await?,
    ))
}
