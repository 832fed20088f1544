//! 储值设置: HQ's money settings and top-up plans.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{
    CreateTopUpPlan, DeactivateTopUpPlan, GetMoneySettings, ListTopUpPlans, PutMoneySettings,
    UpdateTopUpPlan,
};
use shared::dto::{ConfirmQuery, MoneySettings, Role, TopUpPlan, TopUpPlanInput};
use shared::money::Fen;
use shared::validate::Reason;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, TopBar, loaded, use_confirm, use_toast, yuan_rule,
    yuan_text,
};
use tongka_app::i18n::{T, tr, use_i18n};

fn percent_rule(value: &str) -> Result<String, Reason> {
    match value.trim().parse::<u32>() {
        Ok(p) if p <= 100 => Ok((p * 100).to_string()),
        _ => Err("rate_range"),
    }
}

fn bonus_rule(value: &str) -> Result<String, Reason> {
    if value.trim().is_empty() || value.trim() == "0" {
        return Ok("0".into());
    }
    yuan_rule(value)
}

/// A percentage with up to two decimals (`0.6` → 60 basis points), 0–10 %.
fn fee_rate_rule(value: &str) -> Result<String, Reason> {
    if value.trim().is_empty() {
        return Ok("0".into());
    }
    match Fen::parse_yuan(value) {
        Ok(bp) if (0..=1_000).contains(&bp.0) => Ok(bp.0.to_string()),
        _ => Err("fee_rate_range"),
    }
}

fn quota_rule(value: &str) -> Result<String, Reason> {
    match value.trim().parse::<i64>() {
        Ok(n) if (0..=1_000).contains(&n) => Ok(n.to_string()),
        _ => Err("quota_range"),
    }
}

fn undo_hours_rule(value: &str) -> Result<String, Reason> {
    match value.trim().parse::<i64>() {
        Ok(n) if (1..=720).contains(&n) => Ok(n.to_string()),
        _ => Err("undo_hours_range"),
    }
}

fn channel_rule(value: &str) -> Result<String, Reason> {
    if value.trim().is_empty() {
        return Ok(String::new());
    }
    shared::validate::https_url(value)
}

/// 储值设置
#[component]
pub fn MoneyPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let settings = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<GetMoneySettings>(&(), token).await }
    });
    let plans = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ListTopUpPlans>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::MoneySettingsTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(settings, move |s: MoneySettings| view! { <SettingsForm settings=s/> }.into_any())}
            <h2 class="cells-title">{tr(T::Plans)}</h2>
            {loaded(plans, move |list: Vec<TopUpPlan>| view! { <PlanList plans=list on_change=move || plans.refetch()/> }.into_any())}
        </section>
    }
}

/// What saving the settings reports to.
#[derive(Clone, Copy)]
struct Ui {
    ctx: crate::shell::Ctx,
    error: RwSignal<Option<Failure>>,
    lang: RwSignal<shared::Lang>,
    toast: tongka_app::components::Toast,
    confirm: tongka_app::components::Confirm,
}

#[component]
fn SettingsForm(settings: MoneySettings) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let max_balance = FieldState::new("max_balance", &yuan_text(settings.max_balance), yuan_rule);
    let max_payment = FieldState::new("max_payment", &yuan_text(settings.max_payment), yuan_rule);
    let settle = FieldState::new(
        "bonus_settle_bp",
        &(settings.bonus_settle_bp / 100).to_string(),
        percent_rule,
    );
    let custom = RwSignal::new(settings.allow_custom_topup);
    let pin_above = FieldState::new("pin_above", &yuan_text(settings.pin_above), bonus_rule);
    let channel = FieldState::new(
        "channel_url",
        settings.channel_url.as_deref().unwrap_or(""),
        channel_rule,
    );
    let withdraw_min =
        FieldState::new("withdraw_min", &yuan_text(settings.withdraw_min), yuan_rule);
    let fee_fixed = FieldState::new(
        "withdraw_fee_fixed",
        &yuan_text(settings.withdraw_fee_fixed),
        bonus_rule,
    );
    let fee_rate = FieldState::new(
        "withdraw_fee_bp",
        &yuan_text(Fen(i64::from(settings.withdraw_fee_bp))),
        fee_rate_rule,
    );
    let quota = FieldState::new(
        "coupon_quota",
        &settings.coupon_quota.to_string(),
        quota_rule,
    );
    let undo_hours = FieldState::new(
        "write_off_undo_hours",
        &settings.write_off_undo_hours.to_string(),
        undo_hours_rule,
    );
    let error = RwSignal::new(None::<Failure>);
    let ui = Ui {
        ctx,
        error,
        lang,
        toast,
        confirm: use_confirm(),
    };
    // A cap below what some members hold: the server says how many, and the
    // settings are saved only once HQ confirms knowing it.
    fn save(body: MoneySettings, confirm_above: Option<u64>, ui: Ui) {
        let Ui {
            ctx,
            error,
            lang,
            toast,
            confirm,
        } = ui;
        leptos::task::spawn_local(async move {
            let query = ConfirmQuery { confirm_above };
            match api::call::<PutMoneySettings>(&(), &query, &body, ctx.token(), None).await {
                Ok(_) => toast.show(T::Saved.text(lang.get_untracked()).to_string()),
                // HQ left the page meanwhile: nothing to ask.
                Err(Failure::Api(_)) if error.try_get_untracked().is_none() => {}
                Err(Failure::Api(e)) if e.code == shared::ErrorCode::CapBelowBalances => {
                    let n = e.params.get("members").and_then(|n| n.parse().ok());
                    let l = lang.get_untracked();
                    let why = Failure::Api(e).text(l);
                    confirm.ask(why, T::SaveAnyway.text(l), true, move || {
                        save(body.clone(), n, ui)
                    });
                }
                Err(f) => error.set(Some(f)),
            }
        });
    }
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let values = (
            max_balance.checked(),
            max_payment.checked(),
            settle.checked(),
            pin_above.checked(),
            channel.checked(),
        );
        let withdraw = (
            withdraw_min.checked(),
            fee_fixed.checked(),
            fee_rate.checked(),
        );
        let (Some(b), Some(p), Some(r), Some(pin), Some(url)) = values else {
            return;
        };
        let (Some(min), Some(fixed), Some(rate)) = withdraw else {
            return;
        };
        let (Some(quota), Some(hours)) = (quota.checked(), undo_hours.checked()) else {
            return;
        };
        let body = MoneySettings {
            max_balance: Fen(b.parse().unwrap_or(0)),
            max_payment: Fen(p.parse().unwrap_or(0)),
            bonus_settle_bp: r.parse().unwrap_or(10_000),
            allow_custom_topup: custom.get_untracked(),
            pin_above: Fen(pin.parse().unwrap_or(0)),
            channel_url: (!url.is_empty()).then_some(url),
            withdraw_min: Fen(min.parse().unwrap_or(0)),
            withdraw_fee_fixed: Fen(fixed.parse().unwrap_or(0)),
            withdraw_fee_bp: rate.parse().unwrap_or(0),
            coupon_quota: quota.parse().unwrap_or(0),
            write_off_undo_hours: hours.parse().unwrap_or(24),
        };
        save(body, None, ui);
    };
    view! {
        <form class="cells wide-labels" on:submit=submit novalidate=true id="money-settings">
            <Field label=T::MaxBalance state=max_balance id="max-balance" inputmode="decimal"/>
            <Field label=T::MaxPayment state=max_payment id="max-payment" inputmode="decimal"/>
            <Field label=T::BonusSettle state=settle id="bonus-settle" inputmode="numeric"/>
            <label class="cell">
                <span class="cell-label">{tr(T::AllowCustom)}</span>
                <input type="checkbox" id="allow-custom" prop:checked=move || custom.get()
                    on:change=move |ev| custom.set(event_target_checked(&ev))/>
            </label>
            <Field label=T::PinAbove state=pin_above id="pin-above" inputmode="decimal"/>
            <Field label=T::ChannelUrl state=channel id="channel-url" input_type="url" placeholder=T::ChannelUrlPlaceholder/>
            <Field label=T::WithdrawMin state=withdraw_min id="withdraw-min" inputmode="decimal"/>
            <Field label=T::WithdrawFeeFixed state=fee_fixed id="withdraw-fee-fixed" inputmode="decimal"/>
            <Field label=T::WithdrawFeeRate state=fee_rate id="withdraw-fee-rate" inputmode="decimal"/>
            <Field label=T::CouponQuota state=quota id="coupon-quota" inputmode="numeric"/>
            <Field label=T::WriteOffUndoHours state=undo_hours id="write-off-undo-hours" inputmode="numeric"/>
            <FormError error=error/>
            {move || admin().then(|| view! {
                <div class="form-actions"><button type="submit" class="btn btn-primary" id="save-money">{tr(T::Save)}</button></div>
            })}
        </form>
    }
}

#[component]
fn PlanList(plans: Vec<TopUpPlan>, #[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let pay = FieldState::new("pay", "", yuan_rule);
    let bonus = FieldState::new("bonus", "0", bonus_rule);
    let error = RwSignal::new(None::<Failure>);
    let admin = move || ctx.role() == Some(Role::HqAdmin);
    // The plan being edited; none: the form adds one.
    let editing = RwSignal::new(None::<i64>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let (Some(p), Some(b)) = (pay.checked(), bonus.checked()) else {
            return;
        };
        let body = TopUpPlanInput {
            pay: Fen(p.parse().unwrap_or(0)),
            bonus: Fen(b.parse().unwrap_or(0)),
        };
        error.set(None);
        leptos::task::spawn_local(async move {
            let saved = match editing.get_untracked() {
                Some(id) => api::send::<UpdateTopUpPlan>(&id, &body, ctx.token()).await,
                None => api::send::<CreateTopUpPlan>(&(), &body, ctx.token()).await,
            };
            match saved {
                Ok(_) => {
                    editing.set(None);
                    on_change.run(())
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let confirm = use_confirm();
    let withdraw = move |id: i64| {
        leptos::task::spawn_local(async move {
            match api::fetch::<DeactivateTopUpPlan>(&id, ctx.token()).await {
                Ok(_) => on_change.run(()),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let empty = plans.is_empty();
    view! {
        {empty.then(|| view! { <EmptyState/> })}
        <div class="cells" id="plan-list">
            {plans.into_iter().map(|p| {
                let id = p.id;
                let (plan_pay, plan_bonus) = (p.pay, p.bonus);
                view! {
                    <div class="cell plan-row">
                        <span class="cell-main tabular">
                            {move || format!("{} {} · {} {}", T::PayGet.text(lang.get()), p.pay, T::Get.text(lang.get()), p.bonus)}
                            {(!p.active).then(|| view! { <span class="tag tag-grey">{tr(T::Withdrawn)}</span> })}
                        </span>
                        {move || (admin() && p.active).then(|| view! {
                            <button class="btn btn-plain btn-small edit-plan" on:click=move |_| {
                                editing.set(Some(id));
                                pay.value.set(yuan_text(plan_pay));
                                bonus.value.set(yuan_text(plan_bonus));
                            }>{tr(T::Edit)}</button>
                        })}
                        {move || (admin() && p.active).then(|| view! {
                            <button class="btn btn-plain btn-small withdraw-plan" on:click=move |_| {
                                let l = lang.get_untracked();
                                let text = T::WithdrawPlanQuestion.text(l)
                                    .replace("{pay}", &plan_pay.to_string())
                                    .replace("{bonus}", &plan_bonus.to_string());
                                confirm.ask(text, T::Withdraw.text(l), true, move || withdraw(id))
                            }>{tr(T::Withdraw)}</button>
                        })}
                    </div>
                }
            }).collect_view()}
        </div>
        <FormError error=error/>
        {move || admin().then(|| view! {
            <h2 class="cells-title" id="plan-form-title">{move || if editing.get().is_some() { tr(T::EditPlan)() } else { tr(T::AddPlan)() }}</h2>
            <form class="cells" on:submit=add novalidate=true id="plan-form">
                <Field label=T::PlanPay state=pay id="plan-pay" inputmode="decimal"/>
                <Field label=T::PlanBonus state=bonus id="plan-bonus" inputmode="decimal"/>
                <div class="form-actions">
                    <button type="submit" class="btn btn-default" id="add-plan">
                        {move || if editing.get().is_some() { tr(T::Save)() } else { tr(T::AddPlan)() }}
                    </button>
                    {move || editing.get().is_some().then(|| view! {
                        <button type="button" class="btn btn-default" id="cancel-plan-edit" on:click=move |_| {
                            editing.set(None);
                            pay.value.set(String::new());
                            bonus.value.set("0".into());
                        }>{tr(T::Cancel)}</button>
                    })}
                </div>
            </form>
        })}
    }
}

tongka_app::split_page!(money => MoneyPage);
