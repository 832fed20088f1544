//! The member's home: who they are, their level (to come), and the entries
//! of features that arrive in later releases.

use crate::shell::{Tab, TabBar, require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{MemberBalance, MemberMe};
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
    view! {
        <TopBar title=title/>
        <section class="page page-tabbed">
            {loaded(me, move |m: MemberProfile| {
                let display = if m.name.is_empty() { mask_phone(&m.phone) } else { m.name.clone() };
                view! {
                    <div class="member-card" id="member-card">
                        <p class="member-card-hello">{tr(T::Hello)}</p>
                        <p class="member-card-name" id="member-name">{display}</p>
                        <p class="member-card-level">
                            <span>{tr(T::Level)}</span>" · "<span>{tr(T::LevelSoon)}</span>
                        </p>
                        {m.home_store.clone().map(|s| view! {
                            <p class="member-card-store"><span>{tr(T::HomeStore)}</span>" · "{s}</p>
                        })}
                    </div>
                    <A href=brand_for_card.path("/history") attr:class="balance-card" attr:id="balance-card">
                        <span class="balance-label">{tr(T::Balance)}</span>
                        <span class="balance-value tabular" id="balance">
                            {move || match balance.get() {
                                Some(Ok(b)) => b.total.to_string(),
                                Some(Err(_)) => "—".to_string(),
                                None => "…".to_string(),
                            }}
                        </span>
                        <span class="balance-link">{tr(T::History)}</span>
                    </A>
                    {m.frozen.then(|| view! { <div class="notice notice-warn">{tr(T::Frozen)}</div> })}
                    <div class="grid">
                        <A href=brand_for_card.path("/topup") attr:class="grid-item" attr:id="open-topup">
                            <span class="grid-icon" aria-hidden="true">"¥"</span>
                            <span class="grid-label">{tr(T::TopUp)}</span>
                        </A>
                        {[(T::CheckIn, "✓"), (T::Invite, "✉")].into_iter().map(|(label, icon)| view! {
                            <div class="grid-item grid-item-soon" aria-disabled="true">
                                <span class="grid-icon" aria-hidden="true">{icon}</span>
                                <span class="grid-label">{tr(label)}</span>
                                <span class="soon-badge">{tr(T::ComingSoon)}</span>
                            </div>
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
        </section>
        <TabBar active=Tab::Home/>
    }
}
