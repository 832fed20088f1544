//! Paying a store from its pay code: the member sees the store, enters the
//! amount, sees the price by the shared rule, and pays from stored value.

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::api::{MemberBalance, MemberPayRequest, MemberStore, Pay, StartSplitPayment};
use shared::dto::{
    BalanceView, PayRequestPublic, PayRequestState, PaymentReceipt, PaymentRequest, StorePublic,
};
use shared::money::Fen;
use shared::plan::{Bill, plan};
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    Field, FieldState, FormError, TopBar, loaded, local_time, path_id, payment_pin_rule, use_nav,
    yuan_rule,
};
use tongka_app::i18n::{T, tr};

/// 付款
#[component]
pub fn PayPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let data = LocalResource::new(move || {
        let token = session.token.get();
        let id = params.read().get("store").unwrap_or_default();
        let one_off = query.read().get("r").filter(|r| !r.is_empty());
        async move {
            let store = api::fetch::<MemberStore>(&path_id(&id)?, token.clone()).await?;
            let balance = api::fetch::<MemberBalance>(&(), token.clone()).await?;
            let fixed = match one_off {
                Some(r) => Some((
                    r.clone(),
                    api::fetch::<MemberPayRequest>(r.as_str(), token).await?,
                )),
                None => None,
            };
            ApiResult::Ok((store, balance, fixed))
        }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::PayTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(data, move |(store, balance, fixed): (StorePublic, BalanceView, Option<(String, PayRequestPublic)>)| view! { <PayForm store=store balance=balance fixed=fixed/> }.into_any())}
        </section>
    }
}

#[component]
fn PayForm(
    store: StorePublic,
    balance: BalanceView,
    fixed: Option<(String, PayRequestPublic)>,
) -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let nav = use_nav();
    // A fixed amount (a one-off code), else what was typed before going to
    // set the PIN (`?amount=`), else empty.
    let typed_before = use_query_map()
        .read_untracked()
        .get("amount")
        .filter(|a| Fen::parse_yuan(a).is_ok())
        .unwrap_or_default();
    let initial = fixed
        .as_ref()
        .map(|(_, r)| format!("{}.{:02}", r.amount.0 / 100, r.amount.0 % 100))
        .unwrap_or(typed_before);
    let amount = FieldState::new("amount", &initial, yuan_rule);
    let one_off = StoredValue::new(fixed.as_ref().map(|(token, _)| token.clone()));
    let fixed_state = fixed.as_ref().map(|(_, r)| r.state);
    let usable = fixed_state.is_none_or(|s| s == PayRequestState::Open);
    let pin = FieldState::new("pin", "", payment_pin_rule);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let receipt = RwSignal::new(None::<PaymentReceipt>);
    // One key per intended payment: a retry after a network error reuses it.
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        amount.value.track();
        key.set(api::new_key());
    });
    // The server's own price plan, from the member's balance.
    let (principal, bonus) = (balance.principal, balance.bonus);
    let plan_for = move |bill: Fen| plan(&Bill::plain(bill, principal, bonus));
    let preview = move || {
        Fen::parse_yuan(&amount.value.get())
            .ok()
            .filter(|f| f.is_positive())
            .map(plan_for)
    };
    let store_id = store.id;
    let pin_above = balance.pin_above;
    let pin_set = balance.pin_set;
    let pin_page = StoredValue::new(brand.path("/me"));
    // The PIN guards what is taken from stored value.
    let needs_pin = move || preview().is_some_and(|p| p.stored_value() > pin_above);
    // Short of stored value: the rest is paid online (not for one-off codes).
    let split_ok = one_off.with_value(|o| o.is_none());
    let shortfall = move || {
        preview()
            .map(|p| p.online)
            .filter(|s| s.is_positive() && split_ok)
    };
    // Nothing stored at all: plain online payment, not "balance + online".
    let all_online =
        move || shortfall().is_some() && preview().is_some_and(|p| !p.stored_value().is_positive());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(fen) = amount.checked().and_then(|v| v.parse::<i64>().ok()) else {
            return;
        };
        let planned = plan_for(Fen(fen));
        let needs_pin = planned.stored_value() > pin_above;
        let split = split_ok && planned.online.is_positive();
        let pin_value = if needs_pin {
            match pin.checked() {
                Some(p) => Some(p),
                None => return,
            }
        } else {
            None
        };
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        let one = one_off.get_value();
        leptos::task::spawn_local(async move {
            let req = PaymentRequest {
                coupon_id: None,
                without_coupon_if_gone: false,
                store_id,
                amount: Fen(fen),
                pin: pin_value,
                pay_request: one,
            };
            if split {
                let started =
                    api::send_once::<StartSplitPayment>(&(), &req, session.current(), &k).await;
                super::topup::to_checkout(started, busy, key, error);
                return;
            }
            let result = api::send_once::<Pay>(&(), &req, session.current(), &k).await;
            busy.set(false);
            match result {
                Ok(r) => receipt.set(Some(r)),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let home = brand.path("");
    view! {
        {move || match receipt.get() {
            Some(r) => {
                let home = home.clone();
                view! {
                    <div class="receipt" id="pay-receipt">
                        <div class="receipt-icon" aria-hidden="true">"✓"</div>
                        <p class="receipt-title">{tr(T::PaySuccess)}</p>
                        <p class="receipt-amount tabular" id="paid-amount">{r.quote.payable.to_string()}</p>
                        <p class="cell-desc">{r.store_name.clone()}</p>
                        <p class="cell-desc tabular">{tr(T::Balance)}" "{r.balance_after.to_string()}</p>
                        <p class="cell-desc tabular" id="paid-order">{tr(T::PaymentNo)}" "{r.payment_id}" · "{local_time(&r.at)}</p>
                        <div class="form-actions">
                            {r.channel_url.clone().map(|url| view! {
                                <a class="btn" id="channel-link" href=url target="_blank" rel="noopener">{tr(T::ChannelLink)}</a>
                            })}
                            <button class="btn btn-primary" on:click=move |_| nav.replace(&home)>{tr(T::Done)}</button>
                        </div>
                    </div>
                }.into_any()
            }
            None => view! {
                <div class="pay-store">
                    <p class="cell-desc">{tr(T::PayTo)}</p>
                    <h2 id="pay-store-name">{store.name.clone()}</h2>
                    <p class="cell-desc">{store.address.clone()}</p>
                </div>
                {(!store.active).then(|| view! { <div class="notice notice-warn">{tr(T::StoreClosedNotice)}</div> })}
                <form class="cells" on:submit=submit novalidate=true id="pay-form">
                    {match fixed_state {
                        None => view! {
                            <Field label=T::Amount state=amount placeholder=T::AmountPlaceholder id="pay-amount" inputmode="decimal"/>
                        }.into_any(),
                        Some(_) => view! {
                            <div class="cell">
                                <span class="cell-label">{tr(T::Amount)}</span>
                                <span class="cell-value tabular" id="pay-fixed-amount">{move || Fen::parse_yuan(&amount.value.get()).map(|f| f.to_string()).unwrap_or_default()}</span>
                            </div>
                        }.into_any(),
                    }}
                    {(!usable).then(|| view! { <div class="notice notice-warn" id="pay-code-used">{tr(T::PayCodeUsedNotice)}</div> })}
                    <div class="cell">
                        <span class="cell-label">{tr(T::Payable)}</span>
                        <span class="cell-value tabular payable" id="payable">{move || preview().map(|p| p.payable().to_string()).unwrap_or_default()}</span>
                    </div>
                    <div class="cell">
                        <span class="cell-label">{tr(T::Balance)}</span>
                        <span class="cell-value tabular">{balance.total.to_string()}</span>
                    </div>
                    {move || shortfall().map(|s| {
                        let text = if all_online() { T::AllOnline } else { T::ShortfallOnline };
                        view! { <div class="notice" id="pay-shortfall">{tr(text)}" "{s.to_string()}</div> }
                    })}
                    {move || needs_pin().then(|| {
                        // To the PIN and back, keeping the amount typed.
                        let me = move |forgot: bool| {
                            format!(
                                "{}?pay={store_id}&amount={}{}",
                                pin_page.get_value(),
                                String::from(js_sys::encode_uri_component(amount.value.get().trim())),
                                if forgot { "&forgot=1" } else { "" }
                            )
                        };
                        if pin_set {
                            view! {
                                <Field label=T::PinForPayment state=pin input_type="password" id="pay-pin" inputmode="numeric" maxlength=6 placeholder=T::PinPlaceholder autocomplete="off"/>
                                <A href=move || me(true) attr:class="cell cell-link cell-quiet" attr:id="pay-forgot-pin"><span class="cell-main">{tr(T::ForgotPin)}</span></A>
                            }.into_any()
                        } else {
                            view! {
                                <A href=move || me(false) attr:class="cell cell-link" attr:id="pay-set-pin">{tr(T::SetPinToPay)}</A>
                            }.into_any()
                        }
                    })}
                    <FormError error=error/>
                    <div class="form-actions">
                        <button type="submit" class="btn btn-primary" id="pay-submit" disabled=move || busy.get() || !store.active || !usable>
                            {move || if busy.get() { tr(T::Paying)() } else if all_online() { tr(T::PayOnline)() } else if shortfall().is_some() { tr(T::PaySplit)() } else { tr(T::PayButton)() }}
                        </button>
                    </div>
                </form>
            }.into_any(),
        }}
    }
}

tongka_app::split_page!(pay => PayPage);
