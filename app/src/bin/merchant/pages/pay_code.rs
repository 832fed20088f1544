//! A store's pay code (收款码), full screen and printable.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::dto::PayCode;
use tongka_app::api;
use tongka_app::components::{TopBar, loaded};
use tongka_app::i18n::{T, tr};

/// 收款码
#[component]
pub fn PayCodePage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let code = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = params.read().get("id").unwrap_or_default();
        async move { api::get::<PayCode>(&format!("/staff/stores/{id}/pay-code"), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::PayCode)().to_string()) back=true/>
        <section class="page">
            {loaded(code, move |c: PayCode| view! {
                <div class="paycode" id="pay-code">
                    <h2>{c.store_name.clone()}</h2>
                    <div class="paycode-qr" inner_html=c.svg.clone()></div>
                    <p>{tr(T::PayCodeHint)}</p>
                    <p class="paycode-url" id="pay-code-url">{c.url.clone()}</p>
                </div>
                <div class="form-actions">
                    <button class="btn btn-default" on:click=|_| { let _ = gloo::utils::window().print(); }>{tr(T::Print)}</button>
                </div>
            }.into_any())}
        </section>
    }
}
