//! "Me" for staff: change password, language, logout.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{ChangePassword, StaffLogout};
use shared::dto::PasswordChange;
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, LangSwitch, TopBar, use_confirm, use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

/// 我的
#[component]
pub fn MePage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let current = RwSignal::new(String::new());
    let new = FieldState::new("password", "", validate::password);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(n) = new.checked() else { return };
        busy.set(true);
        error.set(None);
        let body = PasswordChange {
            current: current.get_untracked(),
            new: n,
        };
        leptos::task::spawn_local(async move {
            let result = api::send::<ChangePassword>(&(), &body, ctx.token()).await;
            busy.set(false);
            match result {
                Ok(s) => {
                    ctx.session.set(s.token);
                    current.set(String::new());
                    new.value.set(String::new());
                    new.touched.set(false);
                    toast.show(T::PasswordChanged.text(lang.get_untracked()).to_string());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let confirm = use_confirm();
    let logout = move || {
        let token = ctx.token();
        leptos::task::spawn_local(async move {
            let _ = api::fetch::<StaffLogout>(&(), token).await;
            ctx.session.clear();
            ctx.nav.replace(&ctx.path("/login"));
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::Me)().to_string()) back=true/>
        <section class="page">
            <h2 class="cells-title">{tr(T::ChangePassword)}</h2>
            <form class="cells" on:submit=submit novalidate=true>
                <label class="cell">
                    <span class="cell-label">{tr(T::CurrentPassword)}</span>
                    <input class="cell-input" type="password" id="current-password" autocomplete="current-password"
                        prop:value=move || current.get() on:input=move |ev| current.set(event_target_value(&ev))/>
                </label>
                <Field label=T::NewPassword state=new id="new-password" input_type="password" autocomplete="new-password"/>
                <FormError error=error/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" disabled=move || busy.get()>{tr(T::Save)}</button>
                </div>
            </form>
            <div class="cells"><LangSwitch/></div>
            <div class="form-actions">
                <button class="btn btn-warn" id="logout" on:click=move |_| {
                    let l = lang.get_untracked();
                    confirm.ask(T::StaffLogoutQuestion.text(l), T::Logout.text(l), true, logout)
                }>{tr(T::Logout)}</button>
            </div>
        </section>
    }
}

tongka_app::split_page!(me => MePage);
