//! Self top-up (充值): pick a plan or an amount, pay at the gateway's hosted
//! checkout, come back to the order page, which shows the new balance as
//! soon as the gateway's callback lands (or our query finds the payment).

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::api::{CloseTopUp, MemberBalance, MemberTopUpPlans, StartTopUp, TopUpStatus};
use shared::dto::{
    BalanceView, OrderPurpose, OrderState, TopUpOrderRequest, TopUpOrderView, TopUpPlan,
};
use shared::money::Fen;
use tongka_app::api::{self, ApiResult, Failure};
use tongka_app::components::{
    CreditedParts, Field, FieldState, FormError, TopBar, loaded, path_id, sleep, use_nav, yuan_rule,
};
use tongka_app::i18n::{T, tr, use_i18n};

/// 充值
#[component]
pub fn TopUpPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let data = LocalResource::new(move || {
        let token = session.token.get();
        async move {
            let balance = api::fetch::<MemberBalance>(&(), token.clone()).await?;
            let plans = api::fetch::<MemberTopUpPlans>(&(), token).await?;
            ApiResult::Ok((balance, plans))
        }
    });
    // Outside demo mode with no gateway configured, nobody pays online:
    // say so instead of a form that can only be refused.
    let brand = use_brand();
    let online = move || !matches!(brand.info.get(), Some(Ok(b)) if !b.online_payments);
    view! {
        <TopBar title=Signal::derive(move || tr(T::TopUp)().to_string()) back=true/>
        <section class="page">
            {move || if online() {
                loaded(data, move |(balance, plans): (BalanceView, Vec<TopUpPlan>)| view! { <TopUpForm balance=balance plans=plans/> }.into_any()).into_any()
            } else {
                view! { <p class="cell-desc" id="topup-offline">{tr(T::OnlinePaymentOff)}</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn TopUpForm(balance: BalanceView, plans: Vec<TopUpPlan>) -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let sandbox = move || matches!(brand.info.get(), Some(Ok(b)) if b.sandbox);
    let amount = FieldState::new("amount", "", yuan_rule);
    // The chosen plan; none means a custom amount.
    let plan = RwSignal::new(plans.first().cloned());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        amount.value.track();
        plan.track();
        key.set(api::new_key());
    });
    let room = Fen((balance.max_balance.0 - balance.total.0).max(0));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let chosen = plan.get_untracked();
        let fen = match &chosen {
            Some(p) => Some(p.pay.0),
            None => amount.checked().and_then(|v| v.parse::<i64>().ok()),
        };
        let Some(fen) = fen else { return };
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        let body = TopUpOrderRequest {
            amount: Fen(fen),
            plan_id: chosen.map(|p| p.id),
        };
        leptos::task::spawn_local(async move {
            let result = api::send_once::<StartTopUp>(&(), &body, session.current(), &k).await;
            match result {
                Ok(order) => match order.checkout_url {
                    // Off to the gateway's checkout; it sends the member back
                    // to this order's page.
                    Some(url) => {
                        let _ = gloo::utils::window().location().set_href(&url);
                    }
                    None => busy.set(false),
                },
                Err(f) => {
                    busy.set(false);
                    error.set(Some(f));
                }
            }
        });
    };
    let plan_buttons = plans
        .into_iter()
        .map(|p| {
            let id = p.id;
            let label_pay = p.pay.to_string();
            let bonus = p.bonus;
            let chosen = p.clone();
            view! {
                <button type="button" class="plan-option" id=format!("plan-{id}")
                    class:plan-selected=move || plan.get().is_some_and(|c| c.id == id)
                    on:click=move |_| plan.set(Some(chosen.clone()))>
                    <span class="plan-pay tabular">{label_pay}</span>
                    {bonus.is_positive().then(|| view! { <span class="plan-bonus">{tr(T::Get)}" "{bonus.to_string()}</span> })}
                </button>
            }
        })
        .collect_view();
    view! {
        <div class="cells">
            <div class="cell">
                <span class="cell-label">{tr(T::Balance)}</span>
                <span class="cell-value tabular" id="topup-balance">{balance.total.to_string()}</span>
            </div>
            <div class="cell">
                <span class="cell-label">{tr(T::RoomLeft)}</span>
                <span class="cell-value tabular">{room.to_string()}</span>
            </div>
        </div>
        <form on:submit=submit novalidate=true id="self-topup-form">
            <h2 class="cells-title">{tr(T::TopUpChoose)}</h2>
            <div class="plan-grid">
                {plan_buttons}
                <button type="button" class="plan-option" id="plan-custom"
                    class:plan-selected=move || plan.get().is_none()
                    on:click=move |_| plan.set(None)>
                    <span class="plan-pay">{tr(T::CustomAmount)}</span>
                </button>
            </div>
            {move || plan.get().is_none().then(|| view! {
                <div class="cells">
                    <Field label=T::Amount state=amount placeholder=T::AmountPlaceholder id="self-topup-amount" inputmode="decimal"/>
                </div>
            })}
            <FormError error=error/>
            {move || sandbox().then(|| view! { <p class="cell-desc sandbox-hint">{tr(T::SandboxHint)}</p> })}
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="self-topup-submit" disabled=move || busy.get()>
                    {move || if busy.get() { tr(T::Starting)() } else { tr(T::GoPay)() }}
                </button>
            </div>
        </form>
    }
}

/// The order page the checkout returns to.
#[component]
pub fn TopUpOrderPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let params = use_params_map();
    let order = RwSignal::new(None::<ApiResult<TopUpOrderView>>);
    let alive = RwSignal::new(true);
    on_cleanup(move || alive.set(false));
    // Still open a few seconds after coming back from the checkout: the
    // gateway has been asked and says not paid (cancelled or left), so the
    // page says so instead of "confirming" (a late callback still updates it).
    let settled_unpaid = RwSignal::new(false);
    set_timeout(
        move || {
            let _ = settled_unpaid.try_set(true);
        },
        std::time::Duration::from_secs(5),
    );
    // Poll while the order is open: the callback usually lands within a
    // second; the server queries the gateway itself if it does not.
    leptos::task::spawn_local(async move {
        let id = params.get_untracked().get("order").unwrap_or_default();
        let mut wait = 700;
        for _ in 0..120 {
            // The page may be gone (and its signals with it) by the time an
            // answer comes back: never touch a disposed signal.
            if !alive.try_get_untracked().unwrap_or(false) {
                return;
            }
            let got = match path_id(&id) {
                Ok(id) => api::fetch::<TopUpStatus>(&id, session.current()).await,
                Err(f) => Err(f),
            };
            let open = matches!(&got, Ok(o) if matches!(o.state, OrderState::Created | OrderState::Failed));
            let network = matches!(&got, Err(Failure::Network));
            if !alive.try_get_untracked().unwrap_or(false) || order.try_set(Some(got)).is_some() {
                return;
            }
            if !open && !network {
                return;
            }
            sleep(wait).await;
            wait = (wait + 300).min(3_000);
        }
    });
    // A split payment's order reads as a payment, a card's as buying it.
    let title = Signal::derive(move || {
        let title = match order.get() {
            Some(Ok(o)) if o.purpose == OrderPurpose::Payment => T::PayTitle,
            Some(Ok(o)) if o.purpose == OrderPurpose::Card => T::BuyACard,
            _ => T::TopUp,
        };
        tr(title)().to_string()
    });
    view! {
        <TopBar title=title back=true/>
        <section class="page">
            {move || match order.get() {
                None => view! { <tongka_app::components::Loading/> }.into_any(),
                Some(Err(f)) => view! { <div class="form-error" role="alert">{move || f.text(tongka_app::i18n::current())}</div> }.into_any(),
                Some(Ok(o)) => view! { <OrderStatus order=o unpaid=settled_unpaid.get()/> }.into_any(),
            }}
        </section>
    }
}

/// After starting an order that holds stored value (a split payment, a
/// card): off to the gateway's checkout, which returns to the order page;
/// or, if it could not start, the reason shown and a fresh key when the
/// order was closed (its hold already released).
pub fn to_checkout(
    started: ApiResult<TopUpOrderView>,
    busy: RwSignal<bool>,
    key: RwSignal<String>,
    error: RwSignal<Option<Failure>>,
) {
    match started {
        Ok(TopUpOrderView {
            checkout_url: Some(url),
            ..
        }) => {
            let _ = gloo::utils::window().location().set_href(&url);
        }
        // Closed already (the gateway was down): start afresh.
        Ok(_) => {
            busy.set(false);
            key.set(api::new_key());
            error.set(Some(Failure::Api(shared::ApiError::new(
                shared::ErrorCode::OrderClosed,
                Default::default(),
                tongka_app::i18n::current(),
            ))));
        }
        Err(f) => {
            busy.set(false);
            if matches!(&f, Failure::Api(e) if e.code == shared::ErrorCode::GatewayUnavailable) {
                key.set(api::new_key());
            }
            error.set(Some(f));
        }
    }
}

#[component]
fn OrderStatus(order: TopUpOrderView, unpaid: bool) -> impl IntoView {
    let brand = use_brand();
    let session = use_session();
    let nav = use_nav();
    let closing = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    // A split payment or a card: stored value held, the rest online.
    let payment = order.purpose != OrderPurpose::TopUp;
    let card = order.purpose == OrderPurpose::Card;
    let (icon, title, class) = match (order.state, payment) {
        (OrderState::Paid, false) => ("✓", T::TopUpDone, "receipt-icon"),
        (OrderState::Paid, true) if card => ("✓", T::CardBoughtTitle, "receipt-icon"),
        (OrderState::Paid, true) => ("✓", T::SplitPaid, "receipt-icon"),
        // The gateway was asked and says not paid (the member cancelled or
        // left its checkout): say so, not "confirming".
        (OrderState::Created, _) if unpaid => ("!", T::OrderUnpaid, "receipt-icon receipt-warn"),
        (OrderState::Created, false) => ("…", T::OrderWaiting, "receipt-icon receipt-wait"),
        (OrderState::Created, true) => ("…", T::SplitWaiting, "receipt-icon receipt-wait"),
        (OrderState::Failed, _) => ("!", T::OrderFailed, "receipt-icon receipt-warn"),
        (OrderState::Closed, false) => ("×", T::OrderClosed, "receipt-icon receipt-warn"),
        (OrderState::Closed, true) => ("×", T::SplitClosed, "receipt-icon receipt-warn"),
        (OrderState::Refunded, false) => ("↩", T::OrderRefunded, "receipt-icon receipt-warn"),
        (OrderState::Refunded, true) => ("↩", T::SplitRefunded, "receipt-icon receipt-warn"),
    };
    let id = order.id;
    let give_up = move |_| {
        closing.set(true);
        leptos::task::spawn_local(async move {
            let r = api::fetch::<CloseTopUp>(&id, session.current()).await;
            closing.set(false);
            match r {
                // Reload the page's state by navigating to it again.
                Ok(_) => {
                    let _ = gloo::utils::window().location().reload();
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let (home, again) = (brand.path(""), brand.path("/topup"));
    let open = matches!(order.state, OrderState::Created | OrderState::Failed);
    view! {
        <div class="receipt" id="topup-order" data-state=format!("{:?}", order.state).to_lowercase()>
            <div class=class aria-hidden="true">{icon}</div>
            <p class="receipt-title" id="topup-order-title">{tr(title)}</p>
            {order.card_name.clone().or_else(|| order.store_name.clone()).map(|s| view! { <p class="cell-desc" id="order-store">{s}</p> })}
            <p class="receipt-amount tabular" id="order-total">{Fen(order.amount.0 + order.stored_value.0).to_string()}</p>
            {payment.then(|| view! {
                <p class="cell-desc tabular">{tr(T::StoredValuePart)}" "{order.stored_value.to_string()}" · "{tr(T::OnlinePart)}" "{order.amount.to_string()}</p>
            })}
            // Points held (then spent) for it, as the pay page showed them.
            {(order.points_used > 0).then(|| {
                let lang = use_i18n().0;
                let n = order.points_used.to_string();
                view! {
                    <p class="cell-desc tabular" id="order-points">{tr(T::PointsOff)}" -"{order.points_off.to_string()}" ("{move || T::PointsSpent.text(lang.get()).replace("{n}", &n)}")"</p>
                }
            })}
            // A top-up credited: principal and bonus apart.
            {(!payment && order.state == OrderState::Paid).then(|| view! {
                <CreditedParts principal=order.amount bonus=order.bonus balance_after=None/>
            })}
            {(payment || order.state != OrderState::Paid).then(|| order.bonus.is_positive().then(|| view! {
                <p class="cell-desc">{tr(T::Get)}" "{order.bonus.to_string()}</p>
            }))}
            {order.balance_after.map(|b| view! {
                <p class="cell-desc tabular" id="topup-balance-after">{tr(T::Balance)}" "{b.to_string()}</p>
            })}
            <p class="cell-desc">{tr(T::OrderNo)}" "{order.order_no.clone()}</p>
            <FormError error=error/>
            <div class="form-actions">
                {order.channel_url.clone().map(|url| view! {
                    <a class="btn" id="channel-link" href=url target="_blank" rel="noopener">{tr(T::ChannelLink)}</a>
                })}
                // The checkout is another site's page: leave the app for it
                // (rel=external keeps the router from trying to route it).
                {order.checkout_url.clone().filter(|_| open).map(|url| view! {
                    <a class="btn btn-primary" id="topup-continue" href=url rel="external">{tr(T::ContinuePay)}</a>
                })}
                {open.then(|| view! {
                    <button class="btn" id="topup-cancel" disabled=move || closing.get() on:click=give_up>{tr(T::CancelOrder)}</button>
                })}
                {(!open && !payment).then(|| {
                    let again = again.clone();
                    view! { <button class="btn" on:click=move |_| nav.push(&again)>{tr(T::TopUpAgain)}</button> }
                })}
                {order.card_id.map(|id| {
                    let to = brand.path(&format!("/cards/{id}"));
                    view! { <button class="btn btn-primary" id="order-card" on:click=move |_| nav.replace(&to)>{tr(T::SeeTheCard)}</button> }
                })}
                // One primary action: paying on while the order is open.
                <button class="btn" class:btn-primary=!open && order.card_id.is_none() id="topup-done" on:click=move |_| nav.replace(&home)>{tr(T::Done)}</button>
            </div>
        </div>
    }
}

tongka_app::split_page!(top_up => TopUpPage);
tongka_app::split_page!(top_up_order => TopUpOrderPage);
