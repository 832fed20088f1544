//! The card wallet (卡包). Cards arrive with a later release; until then the
//! tab says so instead of showing made-up cards.

use crate::shell::{Tab, TabBar, require_login};
use leptos::prelude::*;
use tongka_app::components::TopBar;
use tongka_app::i18n::{T, tr};

/// 卡包
#[component]
pub fn CardsPage() -> impl IntoView {
    require_login();
    view! {
        <TopBar title=Signal::derive(move || tr(T::TabCards)().to_string())/>
        <section class="page page-tabbed">
            <div class="state state-empty">
                <p class="soon-badge">{tr(T::ComingSoon)}</p>
                <p>{tr(T::CardsSoon)}</p>
            </div>
        </section>
        <TabBar active=Tab::Cards/>
    }
}

tongka_app::split_page!(cards => CardsPage);
