//! Login (and registration on first login) by phone + SMS code; through an
//! invite link (`?invite=CODE`) the registration carries the friend's code.

use crate::shell::{use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::ErrorCode;
use shared::api::{MemberLogin, SendSmsCode};
use shared::dto::{InviteBinding, MemberLoginRequest, SmsCodeRequest};
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    AuthGate, Field, FieldState, FormError, SessionEndedNotice, use_nav, use_toast,
};
use tongka_app::i18n::{T, tr, use_i18n};

/// `path` with this address's query but its `invite`.
fn without_invite(path: &str) -> String {
    let search = gloo::utils::window()
        .location()
        .search()
        .unwrap_or_default();
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|pair| !pair.is_empty() && !pair.starts_with("invite="))
        .collect();
    if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    }
}

/// 会员登录
#[component]
pub fn LoginPage() -> impl IntoView {
    let brand = use_brand();
    let session = use_session();
    let lang = use_i18n().0;
    let toast = use_toast();
    let nav = use_nav();
    let gate = expect_context::<AuthGate>();
    let phone = FieldState::new("phone", "", validate::phone);
    let code = FieldState::new("code", "", validate::sms_code);
    let consent = RwSignal::new(false);
    let countdown = RwSignal::new(0u64);
    let sending = RwSignal::new(false);
    let logging_in = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let consent_missing = RwSignal::new(false);
    // The friend's code from the link; the newcomer may go on without it
    // (a code that is wrong, or no longer anyone's, would stop them).
    let invite = RwSignal::new(
        leptos_router::hooks::use_query_map()
            .read_untracked()
            .get("invite")
            .filter(|c| !c.trim().is_empty()),
    );

    // What is typed survives a visit to the privacy terms and back (and a
    // reload): a draft in this tab's session storage until the login.
    let draft_key = format!("tongka.login.{}", brand.slug.get_value());
    if let Ok(Some(saved)) = gloo::utils::window()
        .session_storage()
        .map(|s| s.and_then(|s| s.get_item(&draft_key).ok().flatten()))
    {
        let mut parts = saved.splitn(3, '|');
        let (p, c, agreed) = (parts.next(), parts.next(), parts.next());
        phone.value.set(p.unwrap_or_default().to_string());
        code.value.set(c.unwrap_or_default().to_string());
        consent.set(agreed == Some("1"));
    }
    let draft = StoredValue::new(draft_key);
    Effect::new(move |_| {
        let saved = format!(
            "{}|{}|{}",
            phone.value.get(),
            code.value.get(),
            if consent.get() { "1" } else { "0" }
        );
        if let Ok(Some(store)) = gloo::utils::window().session_storage() {
            let _ = store.set_item(&draft.get_value(), &saved);
        }
    });

    let start_countdown = move |secs: u64| {
        countdown.set(secs);
        if let Ok(handle) = set_interval_with_handle(
            move || countdown.update(|c| *c = c.saturating_sub(1)),
            std::time::Duration::from_secs(1),
        ) {
            Effect::new(move |_| {
                if countdown.get() == 0 {
                    handle.clear();
                }
            });
        }
    };

    let slug = brand.slug;
    let send_code = move |_| {
        let Some(p) = phone.checked() else { return };
        sending.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let slug = slug.get_value();
            let result =
                api::send::<SendSmsCode>(slug.as_str(), &SmsCodeRequest { phone: p }, None).await;
            sending.set(false);
            match result {
                Ok(sent) => {
                    toast.show(T::CodeSent.text(lang.get_untracked()).to_string());
                    start_countdown(sent.resend_after);
                }
                Err(f) => {
                    // A refusal says when to try again: count down to it.
                    let retry_after = match &f {
                        Failure::Api(e) if e.code == ErrorCode::RateLimited => {
                            e.params.get("retry_after")
                        }
                        _ => None,
                    };
                    if let Some(secs) = retry_after {
                        start_countdown(secs.parse().unwrap_or(60));
                    }
                    error.set(Some(f));
                }
            }
        });
    };

    let home = brand.path("");
    let login_path = StoredValue::new(brand.path("/login"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let (p, c) = (phone.checked(), code.checked());
        let (Some(p), Some(c)) = (p, c) else { return };
        if !consent.get_untracked() {
            consent_missing.set(true);
            return;
        }
        logging_in.set(true);
        error.set(None);
        let home = home.clone();
        leptos::task::spawn_local(async move {
            let slug = slug.get_value();
            let req = MemberLoginRequest {
                phone: p,
                code: c,
                consent: true,
                invite_code: invite.get_untracked(),
            };
            let result = api::send::<MemberLogin>(slug.as_str(), &req, None).await;
            logging_in.set(false);
            match result {
                Ok(s) => {
                    if s.invite == Some(InviteBinding::Bound) {
                        toast.show(T::MyInviteBound.text(lang.get_untracked()).to_string());
                    }
                    if let Ok(Some(store)) = gloo::utils::window().session_storage() {
                        let _ = store.remove_item(&draft.get_value());
                    }
                    session.set(s.token);
                    gate.expired.set(false);
                    nav.replace(&tongka_app::components::return_target(&home));
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };

    let brand_name = move || match brand.info.get() {
        Some(Ok(b)) => b.name,
        _ => String::new(),
    };
    let send_label = move || {
        let n = countdown.get();
        if sending.get() {
            T::Sending.text(lang.get()).to_string()
        } else if n > 0 {
            format!("{n}{}", T::ResendIn.text(lang.get()))
        } else {
            T::SendCode.text(lang.get()).to_string()
        }
    };
    view! {
        <section class="page login-page">
            <div class="login-brand">
                <div class="login-logo" aria-hidden="true">{move || brand_name().chars().next().map(String::from).unwrap_or_default()}</div>
                <h1 class="login-brand-name">{brand_name}</h1>
                <p class="login-title">{tr(T::MemberLogin)}</p>
            </div>
            <SessionEndedNotice/>
            {move || invite.get().map(|c| view! {
                <div class="notice" id="invite-banner">
                    {tr(T::MyInviteBanner)}" "<span class="tabular">{c}</span>" "
                    <button type="button" class="link" id="invite-drop" on:click=move |_| {
                        invite.set(None);
                        error.set(None);
                        // Not back with a reload: the address loses the code
                        // too (and keeps where to go after the login).
                        nav.replace(&without_invite(&login_path.get_value()));
                    }>{tr(T::MyInviteDrop)}</button>
                </div>
            })}
            <form class="cells" on:submit=submit novalidate=true>
                <Field label=T::Phone state=phone placeholder=T::PhonePlaceholder input_type="tel" id="phone" inputmode="numeric" maxlength=13 autocomplete="tel"/>
                <div class="cell-row">
                    <Field label=T::SmsCode state=code placeholder=T::CodePlaceholder id="code" inputmode="numeric" maxlength=6 autocomplete="one-time-code"/>
                    <button type="button" id="send-code" class="btn btn-plain btn-small code-btn"
                        disabled=move || { sending.get() || countdown.get() > 0 }
                        on:click=send_code>{send_label}</button>
                </div>
                <label class="consent">
                    <input type="checkbox" id="consent" prop:checked=move || consent.get()
                        on:change=move |ev| { consent.set(event_target_checked(&ev)); consent_missing.set(false); }/>
                    <span>{tr(T::Consent)}" "<A href=brand.path("/privacy") attr:class="link" attr:id="privacy-link">{tr(T::PrivacyLink)}</A></span>
                </label>
                {move || consent_missing.get().then(|| view! { <p class="field-error" role="alert">{tr(T::ConsentNeeded)}</p> })}
                <FormError error=error/>
                <div class="form-actions">
                    <button type="submit" id="login" class="btn btn-primary" disabled=move || logging_in.get()>
                        {move || if logging_in.get() { tr(T::LoggingIn)() } else { tr(T::LoginButton)() }}
                    </button>
                </div>
            </form>
        </section>
    }
}
tongka_app::split_page!(login => LoginPage);
