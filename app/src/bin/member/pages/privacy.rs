//! The privacy policy and member terms a member agrees to on registering.

use leptos::prelude::*;
use tongka_app::components::TopBar;
use tongka_app::i18n::{T, tr};

/// 隐私政策与会员协议
#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! {
        <TopBar title=Signal::derive(move || tr(T::PrivacyTitle)().to_string()) back=true/>
        <article class="page prose" id="privacy">
            <p>{tr(T::PrivacyCollect)}</p>
            <p>{tr(T::PrivacyUse)}</p>
            <p>{tr(T::PrivacyShare)}</p>
            <p>{tr(T::PrivacyRights)}</p>
        </article>
    }
}

tongka_app::split_page!(privacy => PrivacyPage);
