//! Counter top-up (会员充值): the clerk takes cash or card and credits the
//! member's stored value; counts toward this store.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{ListTopUpPlans, TopUpAtCounter};
use shared::dto::{CounterTopUp, TopUpMethod, TopUpPlan, TopUpReceipt};
use shared::money::Fen;
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{Field, FieldState, FormError, TopBar, use_toast, yuan_rule};
use tongka_app::i18n::{T, tr, use_i18n};

/// 会员充值
#[component]
pub fn TopUpPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let phone = FieldState::new("member_phone", "", validate::phone);
    let amount = FieldState::new("amount", "", yuan_rule);
    let method = RwSignal::new(TopUpMethod::Cash);
    // The chosen plan, or none for a custom amount.
    let plan = RwSignal::new(None::<TopUpPlan>);
    let plans = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListTopUpPlans>(&(), token).await }
    });
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let done = RwSignal::new(None::<TopUpReceipt>);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        phone.value.track();
        amount.value.track();
        method.track();
        plan.track();
        key.set(api::new_key());
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let chosen = plan.get_untracked();
        let (p, a) = (
            phone.checked(),
            match &chosen {
                Some(plan) => Some(plan.pay.0),
                None => amount.checked().and_then(|v| v.parse::<i64>().ok()),
            },
        );
        let (Some(p), Some(a)) = (p, a) else { return };
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        let body = CounterTopUp {
            member_phone: p,
            amount: Fen(a),
            method: method.get_untracked(),
            plan_id: chosen.as_ref().map(|p| p.id),
        };
        leptos::task::spawn_local(async move {
            let result = api::send_once::<TopUpAtCounter>(&(), &body, ctx.token(), &k).await;
            busy.set(false);
            match result {
                Ok(r) => {
                    toast.show(T::TopUpDone.text(lang.get_untracked()).to_string());
                    done.set(Some(r));
                    amount.value.set(String::new());
                    amount.touched.set(false);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::CounterTopUp)().to_string()) back=true/>
        <section class="page">
            {move || done.get().map(|r| view! {
                <div class="notice" id="topup-receipt">
                    {tr(T::TopUpDone)}" · "{r.member_phone_masked.clone()}" +"{r.amount.to_string()}" · "{tr(T::Balance)}" "{r.balance_after.to_string()}
                </div>
            })}
            <form class="cells" on:submit=submit novalidate=true id="topup-form">
                <Field label=T::MemberPhone state=phone id="topup-phone" input_type="tel" inputmode="numeric" maxlength=13/>
                <label class="cell">
                    <span class="cell-label">{tr(T::Plans)}</span>
                    <select class="cell-input" id="topup-plan"
                        on:change=move |ev| {
                            let id = event_target_value(&ev).parse::<i64>().ok();
                            let all = match plans.get() { Some(Ok(list)) => list, _ => Vec::new() };
                            plan.set(id.and_then(|id| all.into_iter().find(|p| p.id == id)));
                        }>
                        <option value="">{tr(T::CustomAmount)}</option>
                        {move || match plans.get() {
                            Some(Ok(list)) => list.into_iter().filter(|p| p.active).map(|p| view! {
                                <option value=p.id.to_string()>{format!("{} {} · {} {}", T::PayGet.text(lang.get()), p.pay, T::Get.text(lang.get()), p.bonus)}</option>
                            }).collect_view().into_any(),
                            _ => ().into_any(),
                        }}
                    </select>
                </label>
                {move || plan.get().is_none().then(|| view! {
                    <Field label=T::Amount state=amount placeholder=T::AmountPlaceholder id="topup-amount" inputmode="decimal"/>
                })}
                <label class="cell">
                    <span class="cell-label">{tr(T::Method)}</span>
                    <select class="cell-input" id="topup-method"
                        on:change=move |ev| method.set(if event_target_value(&ev) == "card" { TopUpMethod::Card } else { TopUpMethod::Cash })>
                        <option value="cash">{tr(T::Cash)}</option>
                        <option value="card">{tr(T::Card)}</option>
                    </select>
                </label>
                <FormError error=error/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-primary" id="topup-submit" disabled=move || busy.get()>{tr(T::CounterTopUp)}</button>
                </div>
            </form>
        </section>
    }
}

tongka_app::split_page!(top_up => TopUpPage);
