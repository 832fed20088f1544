//! "Me": profile editing (name, birthday, gender), language, logout.

use crate::shell::{Tab, TabBar, require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{MemberBalance, MemberLogout, MemberMe, SetPaymentPin, UpdateMemberMe};
use shared::dto::{BalanceView, MemberProfile, MemberProfileUpdate, SetPin};
use shared::money::Fen;
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, LangSwitch, TopBar, loaded, local_time, use_confirm, use_nav,
    use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

/// Today in the browser, `YYYY-MM-DD`.
fn today() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}

/// A birthday may be left empty; otherwise a real past date.
fn birthday_rule(value: &str) -> Result<String, &'static str> {
    if value.trim().is_empty() {
        Ok(String::new())
    } else {
        validate::birthday(value, &today())
    }
}

/// 我的
#[component]
pub fn MePage() -> impl IntoView {
    require_login();
    let session = use_session();
    let brand = use_brand();
    let me = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberMe>(&(), token).await }
    });
    let balance = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberBalance>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::TabMe)().to_string())/>
        <section class="page page-tabbed">
            {loaded(me, move |m: MemberProfile| view! { <ProfileForm profile=m/> }.into_any())}
            {loaded(balance, move |b: BalanceView| view! { <PinForm pin_set=b.pin_set pin_above=b.pin_above/> }.into_any())}
            <div class="cells">
                <crate::pages::messages::MessagesLink/>
                <A href=brand.path("/history") attr:class="cell cell-link" attr:id="open-history">
                    <span class="cell-main">{tr(T::History)}</span>
                </A>
                <LangSwitch/>
            </div>
            <LogoutButton/>
        </section>
        <TabBar active=Tab::Me/>
    }
}

#[component]
fn ProfileForm(profile: MemberProfile) -> impl IntoView {
    let session = use_session();
    let toast = use_toast();
    let lang = use_i18n().0;
    let name = FieldState::new("member_name", &profile.name, validate::person_name);
    let birthday = FieldState::new(
        "birthday",
        profile.birthday.as_deref().unwrap_or(""),
        birthday_rule,
    );
    let gender = RwSignal::new(profile.gender.clone().unwrap_or_default());
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let (n, b) = (name.checked(), birthday.checked());
        let (Some(n), Some(b)) = (n, b) else { return };
        saving.set(true);
        error.set(None);
        let update = MemberProfileUpdate {
            name: Some(n),
            birthday: Some(b),
            gender: Some(gender.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            let result = api::send::<UpdateMemberMe>(&(), &update, session.current()).await;
            saving.set(false);
            match result {
                Ok(_) => toast.show(T::Saved.text(lang.get_untracked()).to_string()),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::Profile)}</h2>
        <form class="cells" on:submit=submit novalidate=true id="profile-form">
            <div class="cell">
                <span class="cell-label">{tr(T::Phone)}</span>
                <span class="cell-value tabular" id="profile-phone">{profile.phone.clone()}</span>
            </div>
            <Field label=T::Name state=name placeholder=T::NamePlaceholder id="name" maxlength=20/>
            <Field label=T::Birthday state=birthday input_type="date" id="birthday"/>
            <label class="cell">
                <span class="cell-label">{tr(T::Gender)}</span>
                <select class="cell-input" id="gender" prop:value=move || gender.get()
                    on:change=move |ev| gender.set(event_target_value(&ev))>
                    <option value="">{tr(T::Unset)}</option>
                    <option value="male">{tr(T::Male)}</option>
                    <option value="female">{tr(T::Female)}</option>
                </select>
            </label>
            <div class="cell">
                <span class="cell-label">{tr(T::MemberSince)}</span>
                <span class="cell-value tabular">{local_time(&profile.registered_at)}</span>
            </div>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="save-profile" disabled=move || saving.get()>
                    {move || if saving.get() { tr(T::Saving)() } else { tr(T::Save)() }}
                </button>
            </div>
        </form>
    }
}

/// The payment PIN: set it, or change it with the current one.
#[component]
fn PinForm(pin_set: bool, pin_above: Fen) -> impl IntoView {
    let session = use_session();
    let toast = use_toast();
    let lang = use_i18n().0;
    let is_set = RwSignal::new(pin_set);
    let open = RwSignal::new(false);
    let pin = FieldState::new("pin", "", validate::pin);
    let current = FieldState::new("current", "", validate::sms_code);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let cur = if is_set.get_untracked() {
            match current.checked() {
                Some(c) => Some(c),
                None => return,
            }
        } else {
            None
        };
        let Some(p) = pin.checked() else { return };
        saving.set(true);
        error.set(None);
        let body = SetPin {
            pin: p,
            current: cur,
        };
        leptos::task::spawn_local(async move {
            let result = api::send::<SetPaymentPin>(&(), &body, session.current()).await;
            saving.set(false);
            match result {
                Ok(()) => {
                    toast.show(T::PinSaved.text(lang.get_untracked()).to_string());
                    is_set.set(true);
                    open.set(false);
                    for f in [pin, current] {
                        f.value.set(String::new());
                        f.touched.set(false);
                    }
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::PinTitle)}</h2>
        <div class="cells" id="pin-section">
            <div class="cell">
                <span class="cell-label">{tr(T::PinTitle)}</span>
                <span class="cell-value" id="pin-state">{move || if is_set.get() { tr(T::PinIsSet)() } else { tr(T::PinNotSetYet)() }}</span>
            </div>
            <div class="cell">
                <span class="cell-label">{tr(T::PinFreeUpTo)}</span>
                <span class="cell-value tabular">{pin_above.to_string()}</span>
            </div>
            {move || (!open.get()).then(|| view! {
                <button class="cell cell-link" id="open-pin-form" on:click=move |_| open.set(true)>
                    {move || if is_set.get() { tr(T::ChangePin)() } else { tr(T::SetPin)() }}
                </button>
            })}
        </div>
        {move || open.get().then(|| view! {
            <form class="cells" on:submit=submit novalidate=true id="pin-form">
                {move || is_set.get().then(|| view! {
                    <Field label=T::CurrentPin state=current input_type="password" id="pin-current" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                })}
                <Field label=T::NewPin state=pin input_type="password" id="pin-new" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                <FormError error=error/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="save-pin" disabled=move || saving.get()>
                        {move || if saving.get() { tr(T::Saving)() } else { tr(T::Save)() }}
                    </button>
                </div>
            </form>
        })}
    }
}

#[component]
fn LogoutButton() -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let nav = use_nav();
    let confirm = use_confirm();
    let lang = use_i18n().0;
    let logout = move || {
        let token = session.current();
        let to = brand.path("/login");
        leptos::task::spawn_local(async move {
            // The local session ends even if the server is unreachable.
            let _ = api::fetch::<MemberLogout>(&(), token).await;
            session.clear();
            nav.replace(&to);
        });
    };
    view! {
        <div class="form-actions">
            <button class="btn btn-warn" id="logout" on:click=move |_| {
                let l = lang.get_untracked();
                confirm.ask(T::LogoutQuestion.text(l), T::Logout.text(l), true, logout.clone())
            }>{tr(T::Logout)}</button>
        </div>
    }
}

tongka_app::split_page!(me => MePage);
