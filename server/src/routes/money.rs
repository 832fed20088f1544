//! Stored value over HTTP: counter top-ups, paying a store, refunds, 退卡,
//! the balance and the history. Each movement is one call into
//! [`crate::stored_value`].

use crate::auth::{Counter, MemberCaller, MemberToken, MoneyBack, StaffCaller};
use crate::error::{AppJson, AppPath, AppQuery, AppResult};
use crate::idempotency::IdemKey;
use crate::ledger;
use crate::routes::Api;
use crate::state::AppState;
use crate::stored_value;
use crate::stored_value::settings::settings;
use crate::stored_value::{counter, refund};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use shared::api;
use shared::dto::HistoryQuery;
use shared::dto::PhoneQuery;
use shared::dto::{
    AfterQuery, BalanceView, CloseStoredValue, CounterMemberView, CounterTopUp, HistoryDetail,
    HistoryItem, MemberMessage, MemberMoney, MemberUnread, Named, Page, PaymentRequest,
    RefundRequest,
};

/// Routes.
pub fn router() -> Api {
    Api::new()
        .at(api::MemberBalance, balance)
        .at(api::Pay, pay)
        .at(api::MemberHistory, history)
        .at(api::MemberHistoryDetail, history_detail)
        .at(api::MemberHistoryStores, history_stores)
        .at(api::MemberMessages, messages)
        .at(api::MemberUnreadMessages, unread_messages)
        .at(api::ReadMemberMessages, read_messages)
        .at(api::TopUpAtCounter, counter_topup)
        .at(api::RefundPayment, refund)
        .at(api::CloseMemberStoredValue, close_stored_value)
        .at(api::MemberMoneyByPhone, member_money)
        .at(api::MemberMoneyById, member_money_by_id)
        .at(api::CounterMember, counter_member)
}

/// Member: their stored value.
async fn balance(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<BalanceView>> {
    let (principal, bonus) =
        ledger::member_balance(&state.db, caller.brand.id, caller.member.id).await?;
    let rules = settings(&state.db, caller.brand.id).await?;
    Ok(Json(BalanceView {
        principal,
        bonus,
        total: principal + bonus,
        max_balance: rules.max_balance,
        pin_set: crate::stored_value::pin::is_set(&state.db, caller.member.id).await?,
        pin_above: rules.pin_above,
    }))
}

/// Member (not frozen): pay a store of their brand from stored value,
/// principal first, then bonus.
async fn pay(
    State(state): State<AppState>,
    token: MemberToken,
    key: IdemKey,
    AppJson(req): AppJson<PaymentRequest>,
) -> AppResult<Response> {
    stored_value::payment::pay(&state, &token.0, key, req).await
}

/// Clerk or store manager: top a member up at the counter (cash or card
/// taken by the store); counts toward that store.
async fn counter_topup(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    key: IdemKey,
    AppJson(req): AppJson<CounterTopUp>,
) -> AppResult<Response> {
    counter::top_up(&state, caller.actor(), key, req).await
}

/// The payment's store manager, HQ admin or HQ finance: refund part or all
/// of a payment, split over principal and bonus by largest remainder.
async fn refund(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(payment_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<RefundRequest>,
) -> AppResult<Response> {
    refund::refund(&state, caller.actor(), payment_id, key, req).await
}

/// Store manager (their store) or HQ (naming the store): close a member's
/// stored value (退卡). The principal goes back the way counter top-ups came
/// (cash at that store); the unspent bonus is clawed back.
async fn close_stored_value(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(member_id): AppPath<i64>,
    key: IdemKey,
    AppJson(req): AppJson<CloseStoredValue>,
) -> AppResult<Response> {
    counter::close(&state, caller.actor(), member_id, key, req).await
}

/// Store manager or HQ: a member's stored value by phone, and how 退卡 would
/// pay it back.
async fn member_money(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppQuery(q): AppQuery<PhoneQuery>,
) -> AppResult<Json<MemberMoney>> {
    Ok(Json(
        counter::member_money(&state, &caller.actor(), &q.phone).await?,
    ))
}

/// HQ or a store manager: a member's stored value by id, for 退卡.
async fn member_money_by_id(
    State(state): State<AppState>,
    caller: StaffCaller<MoneyBack>,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<MemberMoney>> {
    Ok(Json(
        counter::member_money_by_id(&state, &caller.actor(), id).await?,
    ))
}

/// Staff at the counter: the member a top-up is for.
async fn counter_member(
    State(state): State<AppState>,
    caller: StaffCaller<Counter>,
    AppQuery(q): AppQuery<PhoneQuery>,
) -> AppResult<Json<CounterMemberView>> {
    Ok(Json(
        counter::counter_member(&state, &caller.actor(), &q.phone).await?,
    ))
}

/// Member: every movement of their money, points, cards and coupons,
/// newest first.
async fn history(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppQuery(query): AppQuery<HistoryQuery>,
) -> AppResult<Json<Page<HistoryItem>>> {
    let page = crate::history::page(&state.db, caller.brand.id, caller.member.id, &query);
    Ok(Json(page.await?))
}

/// Member: the stores their history names.
async fn history_stores(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<Vec<Named>>> {
    let stores = crate::history::stores(&state.db, caller.brand.id, caller.member.id);
    Ok(Json(stores.await?))
}

/// Member: one movement in full.
async fn history_detail(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppPath(id): AppPath<i64>,
) -> AppResult<Json<HistoryDetail>> {
    let d = crate::history::detail(&state.db, caller.brand.id, caller.member.id, id);
    Ok(Json(d.await?))
}

/// Member: their messages, newest first.
async fn messages(
    State(state): State<AppState>,
    caller: MemberCaller,
    AppQuery(query): AppQuery<AfterQuery>,
) -> AppResult<Json<Page<MemberMessage>>> {
    let page =
        stored_value::messages::page(&state.db, caller.brand.id, &caller.member, query.after);
    Ok(Json(page.await?))
}

/// Member: how many messages are unread.
async fn unread_messages(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<Json<MemberUnread>> {
    let n = stored_value::messages::unread(&state.db, caller.brand.id, &caller.member);
    Ok(Json(n.await?))
}

/// Member: marks every message read.
async fn read_messages(
    State(state): State<AppState>,
    caller: MemberCaller,
) -> AppResult<axum::http::StatusCode> {
    let newest =
        stored_value::messages::newest_unread(&state.db, caller.brand.id, &caller.member).await?;
    if let Some(newest) = newest {
        let tx = crate::db::begin_write(&state.db).await?;
        stored_value::messages::read_through(&tx, &caller.member, newest).await?;
        tx.commit().await?;
    }
    Ok(axum::http::StatusCode::NO_CONTENT)
}
