//! 消息: what the member was told (top-ups, payments, refunds, 退卡), newest
//! first; opening the list marks them read. [`MessagesLink`] shows the
//! unread count wherever the member starts from.

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{MemberMessages, MemberUnreadMessages, ReadMemberMessages};
use shared::dto::{AfterQuery, EntryKind, MemberMessage};
use tongka_app::api;
use tongka_app::components::{PagedCells, Pager, TopBar, local_time};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

/// A link to the message centre with the unread count.
#[component]
pub fn MessagesLink() -> impl IntoView {
    let brand = use_brand();
    let session = use_session();
    let unread = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberUnreadMessages>(&(), token).await }
    });
    let lang = use_i18n().0;
    view! {
        <A href=brand.path("/messages") attr:class="cell cell-link" attr:id="open-messages">
            <span class="cell-main">{tr(T::Messages)}</span>
            {move || match unread.get() {
                Some(Ok(u)) if u.unread > 0 => {
                    let shown = if u.unread >= 99 { "99+".to_string() } else { u.unread.to_string() };
                    let label = T::UnreadCount.text(lang.get()).replace("{n}", &shown);
                    Some(view! { <span class="badge" id="messages-unread" aria-label=label>{shown}</span> })
                }
                _ => None,
            }}
        </A>
    }
}

fn title(kind: EntryKind) -> Txt {
    match kind {
        EntryKind::TopUp => T::MsgTopUp,
        EntryKind::Refund => T::MsgRefund,
        EntryKind::Close => T::MsgClose,
        EntryKind::Release => T::MsgRelease,
        EntryKind::CouponIssued => T::MsgCouponIssued,
        EntryKind::WriteOffUndo => T::MsgWriteOffUndone,
        EntryKind::PointsReminder => T::MsgPointsExpiring,
        _ => T::MsgPayment,
    }
}

#[component]
fn MessageRow(m: MemberMessage) -> impl IntoView {
    let brand = use_brand();
    let lang = use_i18n().0;
    let extra = move || {
        let l = lang.get();
        match m.kind {
            EntryKind::TopUp if m.bonus.is_positive() => Some(
                T::MsgBonusIncl
                    .text(l)
                    .replace("{amount}", &m.bonus.to_string()),
            ),
            EntryKind::Close if m.bonus.is_positive() => Some(
                T::MsgBonusBack
                    .text(l)
                    .replace("{amount}", &m.bonus.to_string()),
            ),
            EntryKind::CouponIssued => m.note.as_ref().map(|name| format!("「{name}」")),
            EntryKind::PointsReminder => m.until.as_ref().map(|at| {
                T::PointsNextExpiry
                    .text(l)
                    .replace("{n}", &m.points.to_string())
                    .replace("{at}", &local_time(at))
            }),
            _ => None,
        }
    };
    let store = m.store_name.clone();
    // A coupon or an undone write-off moves none of the member's money: it
    // opens their coupons or cards.
    let (href, amount) = match m.kind {
        EntryKind::CouponIssued => (brand.path("/coupons"), None),
        EntryKind::WriteOffUndo => (brand.path("/cards"), None),
        EntryKind::PointsReminder => (brand.path("/points"), None),
        _ => (
            brand.path(&format!("/history/{}", m.id)),
            Some(m.amount.to_string()),
        ),
    };
    view! {
        <A href=href attr:class="cell cell-link message-row"
            attr:data-unread=m.unread.to_string()>
            <span class="cell-main">
                <span class="cell-title">
                    {m.unread.then(|| view! { <span class="unread-dot" aria-hidden="true"></span> })}
                    {tr(title(m.kind))}
                </span>
                <span class="cell-desc">{store.map(|s| format!("{s} · "))}<span class="tabular">{local_time(&m.at)}</span></span>
                {move || extra().map(|e| view! { <span class="cell-desc">{e}</span> })}
            </span>
            <span class="cell-value tabular">{amount}</span>
        </A>
    }
}

/// 消息
#[component]
pub fn MessagesPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let pager = Pager::new::<MemberMessages>(
        |after| ((), AfterQuery { after }),
        move || session.current(),
    );
    // Seen once shown: the mark moves to the newest (the rows keep their
    // unread dot until the page is opened again).
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || pager.items.with(Vec::is_empty) {
            return done.unwrap_or(false);
        }
        let token = session.current();
        leptos::task::spawn_local(async move {
            let _ = api::fetch::<ReadMemberMessages>(&(), token).await;
        });
        true
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::Messages)().to_string()) back=true/>
        <section class="page">
            <PagedCells pager=pager id="message-list" empty=T::MessagesNone nav=true row=move |m| view! { <MessageRow m=m/> }/>
        </section>
    }
}

tongka_app::split_page!(messages => MessagesPage);
