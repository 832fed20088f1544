//! A store's pay codes (收款码): the static code (the customer enters the
//! amount), full screen and printable, and one-off codes for a fixed amount
//! that show when they are paid.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{CreatePayRequest, GetPayRequest, StorePayCode};
use shared::dto::{PayCode, PayRequestInput, PayRequestState, PayRequestView};
use shared::money::Fen;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, TopBar, loaded, path_id, sleep, yuan_rule,
};
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
        async move { api::fetch::<StorePayCode>(&path_id(&id)?, token).await }
    });
    // Only the store's own staff can make one-off codes.
    let own_store = move || {
        let id = params.read().get("id").and_then(|v| v.parse::<i64>().ok());
        id.is_some() && ctx.store_id() == id
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::PayCode)().to_string()) back=true/>
        <section class="page">
            {move || own_store().then(|| view! { <OneOffCode/> })}
            <h2 class="cells-title no-print">{tr(T::StaticCode)}</h2>
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

/// A code for one fixed amount; it turns to "paid" when the member pays.
#[component]
fn OneOffCode() -> impl IntoView {
    let ctx = use_ctx();
    let amount = FieldState::new("amount", "", yuan_rule);
    let code = RwSignal::new(None::<PayRequestView>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    // Each code gets its own poll; a newer code ends the older poll.
    let generation = RwSignal::new(0u32);
    let alive = RwSignal::new(true);
    on_cleanup(move || alive.set(false));
    let make = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(fen) = amount.checked().and_then(|v| v.parse::<i64>().ok()) else {
            return;
        };
        busy.set(true);
        error.set(None);
        let body = PayRequestInput { amount: Fen(fen) };
        leptos::task::spawn_local(async move {
            let made = api::send::<CreatePayRequest>(&(), &body, ctx.token()).await;
            busy.set(false);
            let r = match made {
                Ok(r) => r,
                Err(f) => {
                    error.set(Some(f));
                    return;
                }
            };
            let id = r.id;
            code.set(Some(r));
            generation.update(|g| *g += 1);
            let mine = generation.get_untracked();
            loop {
                sleep(1_000).await;
                if !alive.get_untracked() || generation.get_untracked() != mine {
                    return;
                }
                if let Ok(now) = api::fetch::<GetPayRequest>(&id, ctx.token()).await {
                    let done = now.state != PayRequestState::Open;
                    code.set(Some(now));
                    if done {
                        return;
                    }
                }
            }
        });
    };
    view! {
        <h2 class="cells-title no-print">{tr(T::OneOffCode)}</h2>
        <form class="cells no-print" on:submit=make novalidate=true id="one-off-form">
            <Field label=T::Amount state=amount placeholder=T::AmountPlaceholder id="one-off-amount" inputmode="decimal"/>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="one-off-submit" disabled=move || busy.get()>{tr(T::MakeCode)}</button>
            </div>
        </form>
        {move || code.get().map(|c| {
            let (class, words) = match c.state {
                PayRequestState::Open => ("notice", T::OneOffWaiting),
                PayRequestState::Paid => ("notice notice-ok", T::OneOffPaid),
                PayRequestState::Expired => ("notice notice-warn", T::OneOffExpired),
            };
            view! {
                <div class="paycode" id="one-off-code" data-state=format!("{:?}", c.state).to_lowercase()>
                    <p class="receipt-amount tabular">{c.amount.to_string()}</p>
                    {(c.state == PayRequestState::Open).then(|| view! {
                        <div class="paycode-qr" inner_html=c.svg.clone()></div>
                        <p class="paycode-url" id="one-off-url">{c.url.clone()}</p>
                    })}
                    <p class=class id="one-off-state">{tr(words)}</p>
                </div>
            }
        })}
    }
}

tongka_app::split_page!(pay_code => PayCodePage);
