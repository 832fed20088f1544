//! Staff login: account + password, scoped to the brand in the URL.

use crate::shell::use_ctx;
use leptos::prelude::*;
use shared::api::{BrandInfo, StaffLogin};
use shared::dto::StaffLoginRequest;
use tongka_app::api::{self, Failure};
use tongka_app::components::{AuthGate, FormError, LangSwitch, SessionEndedNotice};
use tongka_app::i18n::{T, tr, use_i18n};

/// 商家登录
#[component]
pub fn LoginPage() -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let gate = expect_context::<AuthGate>();
    let account = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let missing = RwSignal::new(false);
    let brand = LocalResource::new(move || {
        let slug = ctx.slug.get_value();
        async move { api::fetch::<BrandInfo>(slug.as_str(), None).await }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let (a, p) = (account.get_untracked(), password.get_untracked());
        if a.trim().is_empty() || p.is_empty() {
            missing.set(true);
            return;
        }
        missing.set(false);
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let slug = ctx.slug.get_value();
            let body = StaffLoginRequest {
                account: a,
                password: p,
            };
            let result = api::send::<StaffLogin>(slug.as_str(), &body, None).await;
            busy.set(false);
            match result {
                Ok(s) => {
                    ctx.session.set(s.token);
                    gate.expired.set(false);
                    ctx.nav
                        .replace(&tongka_app::components::return_target(&ctx.path("")));
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let brand_name = move || match brand.get() {
        Some(Ok(b)) => b.name,
        Some(Err(f)) => f.text(lang.get()),
        None => String::new(),
    };
    view! {
        <section class="page login-page">
            <div class="login-brand">
                <div class="login-logo" aria-hidden="true">"商"</div>
                <h1 class="login-brand-name">{brand_name}</h1>
                <p class="login-title">{tr(T::MerchantLogin)}</p>
            </div>
            <SessionEndedNotice/>
            <form class="cells" on:submit=submit novalidate=true>
                <label class="cell">
                    <span class="cell-label">{tr(T::Account)}</span>
                    <input class="cell-input" id="account" autocomplete="username" autocapitalize="off"
                        placeholder=move || T::AccountPlaceholder.text(lang.get())
                        prop:value=move || account.get() on:input=move |ev| account.set(event_target_value(&ev))/>
                </label>
                <label class="cell">
                    <span class="cell-label">{tr(T::Password)}</span>
                    <input class="cell-input" id="password" type="password" autocomplete="current-password"
                        placeholder=move || T::PasswordPlaceholder.text(lang.get())
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                </label>
                {move || missing.get().then(|| view! { <p class="field-error" role="alert">{tr(T::Required)}</p> })}
                <FormError error=error/>
                <div class="form-actions">
                    <button type="submit" id="login" class="btn btn-primary" disabled=move || busy.get()>
                        {move || if busy.get() { tr(T::LoggingIn)() } else { tr(T::Login)() }}
                    </button>
                </div>
            </form>
            <div class="cells"><LangSwitch/></div>
        </section>
    }
}
tongka_app::split_page!(login => LoginPage);
