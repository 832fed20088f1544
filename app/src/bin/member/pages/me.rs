//! "Me": profile editing (name, birthday, gender), SMS reminders of expiring
//! points, language, logout.

use crate::shell::{Tab, TabBar, require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;
use shared::api::{
    MemberBalance, MemberLogout, MemberMe, ResetPaymentPin, SendPinResetCode, SetPaymentPin,
    UpdateMemberMe,
};
use shared::dto::{BalanceView, MemberProfile, MemberProfileUpdate, PinReset, SetPin};
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
            {loaded(me, move |m: MemberProfile| {
                let agreed = m.points_sms;
                view! { <ProfileForm profile=m/><PointsSmsSwitch agreed=agreed/> }.into_any()
            })}
            {loaded(balance, move |b: BalanceView| view! { <PinForm pin_set=b.pin_set pin_above=b.pin_above/> }.into_any())}
            <div class="cells">
                <crate::pages::messages::MessagesLink/>
                <A href=brand.path("/history") attr:class="cell cell-link" attr:id="open-history">
                    <span class="cell-main">{tr(T::History)}</span>
                </A>
                <LangSwitch/>
            </div>
            <LogoutButton/>
            <div class="cells">
                <A href=brand.path("/close-account") attr:class="cell cell-link cell-quiet" attr:id="open-close-account"><span class="cell-main">{tr(T::CloseAccount)}</span></A>
            </div>
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
    // The birthday once saved: shown, no longer a field.
    let fixed = RwSignal::new(profile.birthday.clone());
    let confirm = tongka_app::components::use_confirm();
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let (n, b) = (name.checked(), birthday.checked());
        let (Some(n), Some(b)) = (n, b) else { return };
        // Set once: only staff change it after.
        let first = fixed.get_untracked().is_none() && !b.is_empty();
        let b = fixed.get_untracked().is_none().then_some(b);
        let update = MemberProfileUpdate {
            name: Some(n),
            birthday: b,
            gender: Some(gender.get_untracked()),
            points_sms: None,
        };
        let save = move || {
            let update = update.clone();
            saving.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let result = api::send::<UpdateMemberMe>(&(), &update, session.current()).await;
                saving.set(false);
                match result {
                    Ok(p) => {
                        fixed.set(p.birthday);
                        toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        };
        if first {
            // It cannot be changed after: asked first.
            let l = lang.get_untracked();
            confirm.ask(T::BirthdayConfirm.text(l), T::Save.text(l), false, save);
        } else {
            save();
        }
    };
    view! {
        <h2 class="cells-title">{tr(T::Profile)}</h2>
        <form class="cells" on:submit=submit novalidate=true id="profile-form">
            <div class="cell">
                <span class="cell-label">{tr(T::Phone)}</span>
                <span class="cell-value tabular" id="profile-phone">{profile.phone.clone()}</span>
            </div>
            <Field label=T::Name state=name placeholder=T::NamePlaceholder id="name" maxlength=20/>
            {move || match fixed.get() {
                Some(day) => view! {
                    <div class="cell">
                        <span class="cell-main">
                            <span class="cell-title">{tr(T::Birthday)}</span>
                            <span class="cell-desc">{tr(T::BirthdaySetOnce)}</span>
                        </span>
                        <span class="cell-value tabular" id="birthday-fixed">{day}</span>
                    </div>
                }.into_any(),
                None => view! {
                    <Field label=T::Birthday state=birthday input_type="date" id="birthday"/>
                    <p class="cell cell-desc" id="birthday-once">{tr(T::BirthdayOnceHint)}</p>
                }.into_any(),
            }}
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

/// 积分到期短信提醒: the member's agreement to an SMS before points expire,
/// saved as it is switched (消息 tells everyone; an SMS goes only to those
/// who agreed). A failed save puts the switch back and says why.
#[component]
fn PointsSmsSwitch(agreed: bool) -> impl IntoView {
    let session = use_session();
    let toast = use_toast();
    let lang = use_i18n().0;
    let on = RwSignal::new(agreed);
    let saving = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let change = move |ev: leptos::ev::Event| {
        let want = event_target_checked(&ev);
        on.set(want);
        saving.set(true);
        error.set(None);
        let update = MemberProfileUpdate {
            points_sms: Some(want),
            ..Default::default()
        };
        leptos::task::spawn_local(async move {
            let result = api::send::<UpdateMemberMe>(&(), &update, session.current()).await;
            saving.try_set(false);
            match result {
                Ok(p) => {
                    on.try_set(p.points_sms);
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                }
                Err(f) => {
                    on.try_set(!want);
                    error.try_set(Some(f));
                }
            }
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::NotifyTitle)}</h2>
        <div class="cells" id="notify">
            <label class="cell">
                <span class="cell-main">
                    <span class="cell-title">{tr(T::PointsSmsTitle)}</span>
                    <span class="cell-desc">{tr(T::PointsSmsHint)}</span>
                </span>
                <input type="checkbox" id="points-sms" prop:checked=move || on.get()
                    disabled=move || saving.get() on:change=change/>
            </label>
            <FormError error=error/>
        </div>
    }
}

/// The payment PIN: set it (typed twice), change it with the current one,
/// or reset a forgotten one with a code sent to the phone. Reached from the
/// pay page (`?pay=STORE&amount=…`), it opens at once and leads back there
/// with the amount kept.
#[component]
fn PinForm(pin_set: bool, pin_above: Fen) -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let toast = use_toast();
    let lang = use_i18n().0;
    let query = use_query_map();
    let from_pay = query
        .read_untracked()
        .get("pay")
        .filter(|p| p.parse::<i64>().is_ok());
    let back_to_pay = from_pay.as_ref().map(|store| {
        let amount = query.read_untracked().get("amount").unwrap_or_default();
        brand.path(&format!("/pay/{store}?amount={amount}"))
    });
    let forgot_asked = query.read_untracked().get("forgot").is_some();
    if from_pay.is_some() {
        // Arriving from the pay page: the PIN is what they came for.
        request_animation_frame(|| {
            if let Some(el) = gloo::utils::document().get_element_by_id("pin-section") {
                el.scroll_into_view();
            }
        });
    }
    let is_set = RwSignal::new(pin_set);
    let open = RwSignal::new(from_pay.is_some());
    // Resetting a forgotten PIN by SMS instead of changing it.
    let forgot = RwSignal::new(forgot_asked && pin_set);
    let saved = RwSignal::new(false);
    let pin = FieldState::new("pin", "", validate::pin);
    // The second entry only has to match the first (checked below); the
    // PIN's own rules are said once, under the first.
    let again = FieldState::new("pin_again", "", |v| match v.trim() {
        "" => Err("required"),
        v => Ok(v.to_string()),
    });
    let current = FieldState::new("current", "", validate::sms_code);
    let code = FieldState::new("code", "", validate::sms_code);
    let saving = RwSignal::new(false);
    let sending = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let mismatch = move || {
        again.touched.get() && !again.value.get().is_empty() && again.value.get() != pin.value.get()
    };
    let send_code = move |_| {
        error.set(None);
        sending.set(true);
        leptos::task::spawn_local(async move {
            let sent = api::fetch::<SendPinResetCode>(&(), session.current()).await;
            sending.set(false);
            match sent {
                Ok(_) => toast.show(T::CodeSent.text(lang.get_untracked()).to_string()),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let resetting = forgot.get_untracked();
        let cur = if is_set.get_untracked() && !resetting {
            match current.checked() {
                Some(c) => Some(c),
                None => return,
            }
        } else {
            None
        };
        let sms = if resetting {
            match code.checked() {
                Some(c) => Some(c),
                None => return,
            }
        } else {
            None
        };
        let (Some(p), Some(a)) = (pin.checked(), again.checked()) else {
            return;
        };
        if p != a {
            return;
        }
        saving.set(true);
        leptos::task::spawn_local(async move {
            let result = match sms {
                Some(code) => {
                    let body = PinReset { code, pin: p };
                    api::send::<ResetPaymentPin>(&(), &body, session.current()).await
                }
                None => {
                    let body = SetPin {
                        pin: p,
                        current: cur,
                    };
                    api::send::<SetPaymentPin>(&(), &body, session.current()).await
                }
            };
            saving.set(false);
            match result {
                Ok(()) => {
                    let l = lang.get_untracked();
                    let said = if resetting {
                        T::PinResetDone
                            .text(l)
                            .replace("{amount}", &pin_above.to_string())
                    } else {
                        T::PinSaved.text(l).to_string()
                    };
                    toast.show(said);
                    is_set.set(true);
                    open.set(false);
                    forgot.set(false);
                    saved.set(true);
                    for f in [pin, again, current, code] {
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
                    <span class="cell-main">{move || if is_set.get() { tr(T::ChangePin)() } else { tr(T::SetPin)() }}</span>
                </button>
            })}
            {back_to_pay.clone().map(|href| view! {
                {move || saved.get().then(|| view! {
                    <A href=href.clone() attr:class="cell cell-link" attr:id="back-to-pay"><span class="cell-main">{tr(T::BackToPay)}</span></A>
                })}
            })}
        </div>
        {move || open.get().then(|| view! {
            <form class="cells" on:submit=submit novalidate=true id="pin-form">
                {move || (is_set.get() && !forgot.get()).then(|| view! {
                    <Field label=T::CurrentPin state=current input_type="password" id="pin-current" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                    <button type="button" class="cell cell-link cell-quiet" id="forgot-pin" on:click=move |_| forgot.set(true)><span class="cell-main">{tr(T::ForgotPin)}</span></button>
                })}
                {move || forgot.get().then(|| view! {
                    <div class="notice" id="pin-reset-notice">{move || T::PinResetWarning.text(lang.get()).replace("{amount}", &pin_above.to_string())}</div>
                    <div class="cell">
                        <span class="cell-main">{tr(T::PinResetCodeTo)}</span>
                        <button type="button" class="btn btn-default btn-small" id="pin-reset-send" disabled=move || sending.get() on:click=send_code>
                            {move || if sending.get() { tr(T::Sending)() } else { tr(T::SendCode)() }}
                        </button>
                    </div>
                    <Field label=T::SmsCode state=code id="pin-reset-code" inputmode="numeric" maxlength=6 placeholder=T::CodePlaceholder autocomplete="one-time-code"/>
                })}
                <Field label=T::NewPin state=pin input_type="password" id="pin-new" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                <Field label=T::NewPinAgain state=again input_type="password" id="pin-again" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                {move || mismatch().then(|| view! { <p class="field-error" role="alert" id="pin-mismatch">{tr(T::PinMismatch)}</p> })}
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
