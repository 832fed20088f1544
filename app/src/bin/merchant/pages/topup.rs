//! Counter top-up (会员充值): the clerk types the member's phone and sees who
//! it is (name, masked phone, balance; an unregistered phone says so), then
//! confirms the amount, bonus and balance after, takes cash or card and
//! credits the member's stored value; counts toward this store.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{CounterMember, ListTopUpPlans, TopUpAtCounter};
use shared::dto::{
    CounterMemberView, CounterTopUp, PhoneQuery, TopUpMethod, TopUpPlan, TopUpReceipt,
};
use shared::money::Fen;
use shared::validate;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    CreditedParts, Field, FieldState, FormError, TopBar, local_time, use_confirm, use_toast,
    yuan_rule,
};
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
    // Who the phone belongs to, looked up as soon as it is a phone number.
    let member = LocalResource::new(move || {
        let typed = validate::phone(&phone.value.get()).ok();
        let token = ctx.session.token.get();
        async move {
            match typed {
                Some(phone) => {
                    Some(api::fetch_q::<CounterMember>(&(), &PhoneQuery { phone }, token).await)
                }
                None => None,
            }
        }
    });
    let found = move || match member.get() {
        Some(Some(Ok(m))) => Some(m),
        _ => None,
    };
    let confirm = use_confirm();
    let top_up = move |body: CounterTopUp| {
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        leptos::task::spawn_local(async move {
            let result = api::send_once::<TopUpAtCounter>(&(), &body, ctx.token(), &k).await;
            busy.set(false);
            match result {
                Ok(r) => {
                    toast.show(T::TopUpDone.text(lang.get_untracked()).to_string());
                    done.set(Some(r));
                    // A fresh form for the next customer: nothing of this
                    // one's left to tap again by mistake.
                    for field in [amount, phone] {
                        field.value.set(String::new());
                        field.touched.set(false);
                    }
                    plan.set(None);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
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
        // An unregistered phone is already said under the field (an ended
        // session is not: the look-up below finds it and goes to login).
        if matches!(member.get_untracked(), Some(Some(Err(f))) if !f.is_unauthenticated()) {
            return;
        }
        // The member is looked up again as the money is about to be taken:
        // who it is and the balance after are as of now.
        let amount = Fen(a);
        let bonus = chosen.as_ref().map_or(Fen::ZERO, |p| p.bonus);
        let method_now = method.get_untracked();
        let body = CounterTopUp {
            member_phone: p.clone(),
            amount,
            method: method_now,
            plan_id: chosen.as_ref().map(|p| p.id),
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            let found =
                api::fetch_q::<CounterMember>(&(), &PhoneQuery { phone: p }, ctx.token()).await;
            // The clerk left the page meanwhile: nothing to ask.
            if busy.try_get_untracked().is_none() {
                return;
            }
            busy.set(false);
            let m = match found {
                Ok(m) => m,
                // Said under the field already.
                Err(Failure::Api(e)) if e.code == shared::ErrorCode::MemberNotRegistered => return,
                Err(f) => return error.set(Some(f)),
            };
            let l = lang.get_untracked();
            // Above the cap: refused now, before any money is taken.
            let held = m.principal + m.bonus;
            if held + amount + bonus > m.max_balance {
                let params = [
                    ("max".to_string(), m.max_balance.0.to_string()),
                    (
                        "room".to_string(),
                        (m.max_balance.0 - held.0).max(0).to_string(),
                    ),
                ]
                .into_iter()
                .collect();
                let refused = shared::ApiError::new(shared::ErrorCode::BalanceLimit, params, l);
                return error.set(Some(Failure::Api(refused)));
            }
            let bonus_text = if bonus.is_positive() {
                T::TopUpBonusPart
                    .text(l)
                    .replace("{bonus}", &bonus.to_string())
            } else {
                String::new()
            };
            let method_text = match method_now {
                TopUpMethod::Cash => T::Cash.text(l),
                TopUpMethod::Card => T::Card.text(l),
            };
            let text = T::CounterTopUpQuestion
                .text(l)
                .replace("{who}", &who(&m))
                .replace("{amount}", &amount.to_string())
                .replace("{bonus}", &bonus_text)
                .replace("{method}", method_text)
                .replace(
                    "{after}",
                    &(m.principal + m.bonus + amount + bonus).to_string(),
                );
            confirm.ask(text, T::ConfirmTopUp.text(l), false, move || {
                top_up(body.clone())
            });
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::CounterTopUp)().to_string()) back=true/>
        <section class="page">
            {move || done.get().map(|r| view! {
                <div class="receipt" role="status" id="topup-receipt">
                    <div class="receipt-icon" aria-hidden="true">"✓"</div>
                    <p class="receipt-title">{tr(T::TopUpDone)}</p>
                    <p class="cell-desc tabular">{r.member_phone_masked.clone()}" · "{local_time(&r.at)}</p>
                    <p class="receipt-amount tabular">{(r.amount + r.bonus).to_string()}</p>
                    <CreditedParts principal=r.amount bonus=r.bonus balance_after=Some(r.balance_after)/>
                </div>
            })}
            <form class="cells" on:submit=submit novalidate=true id="topup-form">
                <Field label=T::MemberPhone state=phone id="topup-phone" input_type="tel" inputmode="numeric" maxlength=13/>
                {move || match member.get() {
                    Some(Some(Ok(m))) => view! { <MemberFound member=m/> }.into_any(),
                    Some(Some(Err(f))) => view! {
                        <p class="field-error" id="topup-member-error" role="alert">{move || f.text(lang.get())}</p>
                    }.into_any(),
                    Some(None) => ().into_any(),
                    None => view! { <div class="cell cell-desc" id="topup-member-loading">{tr(T::Loading)}</div> }.into_any(),
                }}
                <label class="cell">
                    <span class="cell-label">{tr(T::Plans)}</span>
                    <select class="cell-input" id="topup-plan"
                        on:change=move |ev| {
                            let id = event_target_value(&ev).parse::<i64>().ok();
                            let all = match plans.get() { Some(Ok(list)) => list, _ => Vec::new() };
                            plan.set(id.and_then(|id| all.into_iter().find(|p| p.id == id)));
                        }>
                        <option value="" prop:selected=move || plan.with(Option::is_none)>{tr(T::CustomAmount)}</option>
                        {move || match plans.get() {
                            Some(Ok(list)) => list.into_iter().filter(|p| p.active).map(|p| view! {
                                <option value=p.id.to_string() prop:selected=move || plan.with(|c| c.as_ref().map(|c| c.id)) == Some(p.id)>{format!("{} {} · {} {}", T::PayGet.text(lang.get()), p.pay, T::Get.text(lang.get()), p.bonus)}</option>
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
                    <button type="submit" class="btn btn-primary" id="topup-submit"
                        disabled=move || busy.get() || found().is_some_and(|m| m.frozen)>{tr(T::CounterTopUp)}</button>
                </div>
            </form>
        </section>
    }
}

/// "张三 138****0000", or the masked phone alone.
fn who(m: &CounterMemberView) -> String {
    format!("{} {}", m.name, m.phone_masked).trim().to_string()
}

/// The member the phone belongs to: name, masked phone, balance (principal
/// and bonus apart), frozen or not.
#[component]
fn MemberFound(member: CounterMemberView) -> impl IntoView {
    let total = member.principal + member.bonus;
    view! {
        <div class="cell" id="topup-member">
            <span class="cell-main">
                <span class="cell-title">
                    {who(&member)}
                    {member.frozen.then(|| view! { <span class="tag tag-red">{tr(T::FrozenTag)}</span> })}
                </span>
                <span class="cell-desc tabular">
                    {tr(T::Principal)}" "{member.principal.to_string()}" · "{tr(T::Bonus)}" "{member.bonus.to_string()}
                </span>
            </span>
            <span class="cell-value tabular" id="topup-member-balance">{total.to_string()}</span>
        </div>
    }
}

tongka_app::split_page!(top_up => TopUpPage);
