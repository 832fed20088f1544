//! The member's home: paying first (the balance, the stores paid at before
//! and how to pay anywhere else), then who they are.

use crate::shell::{Tab, TabBar, require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{MemberBalance, MemberMe, RecentStores};
use shared::dto::MemberProfile;
use shared::validate::mask_phone;
use tongka_app::api;
use tongka_app::components::{TopBar, loaded};
use tongka_app::i18n::{T, tr};

/// 首页
#[component]
pub fn HomePage() -> impl IntoView {
    require_login();
    let brand = use_brand();
    let session = use_session();
    let brand_for_card = brand.clone();
    let me = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberMe>(&(), token).await }
    });
    let balance = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberBalance>(&(), token).await }
    });
    let title = Signal::derive(move || match brand.info.get() {
        Some(Ok(b)) => b.name,
        _ => String::new(),
    });
    let recent = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<RecentStores>(&(), token).await }
    });
    let brand_for_pay = brand_for_card.clone();
    let sign_in_href = StoredValue::new(brand.path("/sign-in"));
    let invites_href = StoredValue::new(brand.path("/invites"));
    let info = brand.info;
    let programmes = move || match info.get() {
        Some(Ok(b)) => (b.sign_in, b.invites),
        _ => (false, false),
    };
    let topup_href = brand_for_card.path("/topup");
    let level_href = StoredValue::new(brand_for_card.path("/level"));
    let store_href = {
        let b = brand_for_card.clone();
        StoredValue::new(b.path("/pay/"))
    };
    view! {
        <TopBar title=title/>
        <section class="page page-tabbed">
            // The member code one tap away: a clerk scans it to use a card
            // or a coupon, or to take a payment.
            <A href=brand_for_pay.path("/code") attr:class="code-entry" attr:id="open-member-code">
                <span class="code-entry-icon" aria-hidden="true">
                    <svg viewBox="0 0 24 24" width="28" height="28" fill="currentColor">
                        <path d="M3 3h8v8H3zm2 2v4h4V5zm8-2h8v8h-8zm2 2v4h4V5zM3 13h8v8H3zm2 2v4h4v-4zm8-2h2v2h-2zm2 2h2v2h-2zm2-2h2v2h-2zm2 2h2v2h-2zm-6 2h2v2h-2zm2 2h2v2h-2zm2-2h2v2h-2zm2 2h2v2h-2z"/>
                    </svg>
                </span>
                <span class="code-entry-text">{tr(T::MemberCode)}</span>
                <span class="code-entry-desc">{tr(T::CodeShow)}</span>
            </A>
            // 付款 first: the balance, the stores paid at before, and how to
            // pay anywhere else (scan the store's code).
            <h2 class="cells-title">{tr(T::PayTitle)}</h2>
            <div class="balance-card">
                <A href=brand_for_pay.path("/history") attr:class="balance-main" attr:id="balance-card">
                    <span class="balance-label">{tr(T::Balance)}</span>
                    <span class="balance-value tabular" id="balance">
                        {move || match balance.get() {
                            Some(Ok(b)) => b.total.to_string(),
                            Some(Err(_)) => "—".to_string(),
                            None => "…".to_string(),
                        }}
                    </span>
                </A>
                {move || match balance.get() {
                    Some(Err(_)) => view! {
                        <button class="btn btn-default btn-small" id="balance-retry"
                            on:click=move |_| balance.refetch()>{tr(T::Retry)}</button>
                    }.into_any(),
                    _ => view! {
                        <A href=topup_href.clone() attr:class="btn btn-primary btn-small" attr:id="open-topup">{tr(T::TopUp)}</A>
                    }.into_any(),
                }}
            </div>
            <div class="cells" id="pay-stores">
                {move || match recent.get() {
                    Some(Ok(stores)) => stores.into_iter().map(|s| view! {
                        <A href=format!("{}{}", store_href.get_value(), s.id) attr:class="cell cell-link recent-store">
                            <span class="cell-main">
                                <span class="cell-title">{tr(T::PayAt)}" "{s.name}</span>
                                <span class="cell-desc">{s.address}</span>
                            </span>
                        </A>
                    }).collect_view().into_any(),
                    _ => ().into_any(),
                }}
                <p class="cell cell-desc" id="pay-hint">{tr(T::ScanToPay)}</p>
            </div>
            <div class="cells">
                // Sign-in and invites only while HQ has them on.
                {move || programmes().0.then(|| view! {
                    <A href=sign_in_href.get_value() attr:class="cell cell-link" attr:id="open-sign-in">
                        <span class="cell-main">{tr(T::SignInTitle)}</span>
                        <span class="cell-value">{tr(T::SignInEntryDesc)}</span>
                    </A>
                })}
                {move || programmes().1.then(|| view! {
                    <A href=invites_href.get_value() attr:class="cell cell-link" attr:id="open-invites">
                        <span class="cell-main">{tr(T::MyInviteTitle)}</span>
                        <span class="cell-value">{tr(T::MyInviteEntryDesc)}</span>
                    </A>
                })}
                <crate::pages::messages::MessagesLink/>
            </div>
            {loaded(me, move |m: MemberProfile| {
                let display = if m.name.is_empty() { mask_phone(&m.phone) } else { m.name.clone() };
                view! {
                    {m.frozen.then(|| view! { <div class="notice notice-warn">{tr(T::Frozen)}</div> })}
                    <div class="member-card" id="member-card">
                        <p class="member-card-hello">{tr(T::Hello)}</p>
                        <p class="member-card-name" id="member-name">{display}</p>
                        {m.home_store.clone().map(|s| view! {
                            <p class="member-card-store"><span>{tr(T::HomeStore)}</span>" · "{s}</p>
                        })}
                        <A href=level_href.get_value() attr:class="member-card-level" attr:id="open-level">{tr(T::LevelTitle)}" ›"</A>
                    </div>
                }.into_any()
            })}
        </section>
        <TabBar active=Tab::Home/>
    }
}
