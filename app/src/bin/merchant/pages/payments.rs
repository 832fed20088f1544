//! 收款记录: payments at the stores in the caller's scope; managers and HQ
//! refund part or all of one.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{ListPayments, RefundPayment, WaitReceipts};
use shared::dto::{PaymentListItem, PaymentsQuery, RefundRequest, Role, WaitQuery};
use shared::money::Fen;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    Field, FieldState, PagedCells, Pager, TopBar, local_time, use_confirm, use_toast, yuan_rule,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

/// 收款记录
#[component]
pub fn PaymentsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    // Opens on today's receipts and refunds; "all" pages back through time.
    let today = RwSignal::new(true);
    let search = RwSignal::new(String::new());
    let pager = Pager::new::<ListPayments>(
        move |after| {
            let today = today.get_untracked();
            let q = Some(search.get_untracked()).filter(|s| !s.trim().is_empty());
            ((), PaymentsQuery { after, today, q })
        },
        move || ctx.token(),
    );
    let show = move |t: bool| {
        today.set(t);
        pager.load(false);
    };
    // Today's takings in the caller's scope, net of refunds (the feed's
    // standing, asked without waiting); again after a refund, not on every
    // page loaded.
    let refunds_made = RwSignal::new(0u32);
    let summary = LocalResource::new(move || {
        let token = ctx.session.token.get();
        refunds_made.track();
        async move { api::fetch_q::<WaitReceipts>(&(), &WaitQuery::default(), token).await }
    });
    let refunding = RwSignal::new(None::<i64>);
    let confirm = use_confirm();
    let toast = use_toast();
    // A payment its coupon covered in full (nothing paid) is voided, not
    // refunded: the coupon goes back. The one being voided, and why the
    // last void failed.
    let voiding = RwSignal::new(None::<i64>);
    let void_failed = RwSignal::new(None::<(i64, Failure)>);
    let void = move |id: i64, coupon: Fen, member: String| {
        void_failed.set(None);
        let l = lang.get_untracked();
        let text = T::VoidQuestion
            .text(l)
            .replace("{member}", &member)
            .replace("{coupon}", &coupon.to_string());
        confirm.ask(text, T::ConfirmVoid.text(l), true, move || {
            voiding.set(Some(id));
            let key = api::new_key();
            leptos::task::spawn_local(async move {
                let body = RefundRequest { amount: Fen::ZERO };
                let result = api::send_once::<RefundPayment>(&id, &body, ctx.token(), &key).await;
                voiding.set(None);
                match result {
                    Ok(_) => {
                        toast.show(T::VoidDone.text(lang.get_untracked()).to_string());
                        refunds_made.update(|n| *n += 1);
                        pager.load(false);
                    }
                    Err(f) => void_failed.set(Some((id, f))),
                }
            });
        });
    };
    // The payment whose receipt (小票) is open for printing.
    let receipt = RwSignal::new(None::<PaymentListItem>);
    let brand_name = move || match ctx.me.get() {
        Some(Ok(s)) => s.brand.name,
        _ => String::new(),
    };
    let can_refund = move || {
        matches!(
            ctx.role(),
            Some(Role::StoreManager | Role::HqAdmin | Role::HqFinance)
        )
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::Payments)().to_string()) back=true/>
        <section class="page" class:printing-receipt=move || receipt.get().is_some()>
            {move || receipt.get().map(|p| view! {
                <Receipt p=p brand=brand_name() on_close=move || receipt.set(None)/>
            })}
            <div class="segments" role="group">
                <button class="seg" id="payments-all" class:seg-active=move || !today.get() aria-pressed=move || bool::to_string(&(!today.get())) on:click=move |_| show(false)>{tr(T::HistoryAll)}</button>
                <button class="seg" id="payments-today" class:seg-active=move || today.get() aria-pressed=move || bool::to_string(&(today.get())) on:click=move |_| show(true)>{tr(T::Today)}</button>
            </div>
            <div class="today-summary" id="payments-today-summary">
                {move || match summary.get() {
                    Some(Ok(f)) => view! {
                        <span>{tr(T::TodayTakings)}</span>
                        <strong class="tabular" id="payments-today-total">{f.today_total.to_string()}</strong>
                        <span class="tabular" id="payments-today-count">{move || T::PaymentsCount.text(lang.get()).replace("{n}", &f.today_count.to_string())}</span>
                    }.into_any(),
                    Some(Err(_)) => view! { <span>"—"</span> }.into_any(),
                    None => view! { <span>{tr(T::Loading)}</span> }.into_any(),
                }}
            </div>
            <form class="cells filters" id="payments-search" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                pager.load(false);
            }>
                <label class="cell">
                    <span class="cell-label">{tr(T::Search)}</span>
                    <input class="cell-input" type="search" id="payments-q" enterkeyhint="search"
                        placeholder=move || T::PaymentsSearchHint.text(lang.get())
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))
                        on:change=move |_| pager.load(false)/>
                </label>
            </form>
            <PagedCells pager=pager id="payment-list" row=move |p| {
                let id = p.id;
                let this = StoredValue::new(p.clone());
                let left = Fen(p.amount.0 - p.refunded.0);
                let member = p.member_phone_masked.clone();
                let coupon = p.coupon;
                let voidable = !p.amount.is_positive() && coupon.is_positive() && !p.refunded_in_full;
                let voided = !p.amount.is_positive() && p.refunded_in_full;
                let payer = StoredValue::new(member.clone());
                view! {
                    <div class="cell payment-row" data-payment=id.to_string()>
                        <span class="cell-main">
                            <span class="cell-title tabular">{p.amount.to_string()}
                                {(p.refunded.0 > 0).then(|| view! { <span class="tag tag-grey">{tr(T::Refunded)}" "{p.refunded.to_string()}</span> })}
                                {p.online.is_positive().then(|| view! { <span class="tag tag-split">{tr(T::SplitTag)}" "{p.online.to_string()}</span> })}
                                {coupon.is_positive().then(|| view! { <span class="tag tag-coupon">{tr(T::CouponOff)}" "{coupon.to_string()}</span> })}
                                {voided.then(|| view! { <span class="tag tag-grey">{tr(T::Voided)}</span> })}
                            </span>
                            <span class="cell-desc">{p.store_name.clone()}" · "{p.member_phone_masked.clone()}</span>
                            <span class="cell-desc tabular">{local_time(&p.at)}</span>
                        </span>
                        <span class="row-actions">
                            <button class="btn btn-plain btn-small receipt-btn" on:click=move |_| receipt.set(Some(this.get_value()))>{tr(T::ReceiptAction)}</button>
                            {move || (can_refund() && left.is_positive()).then(|| view! {
                                <button class="btn btn-plain btn-small refund-btn" on:click=move |_| refunding.set(Some(id))>{tr(T::RefundAction)}</button>
                            })}
                            {move || (can_refund() && voidable).then(|| view! {
                                <button class="btn btn-plain btn-small void-btn" disabled=move || voiding.get() == Some(id)
                                    on:click=move |_| void(id, coupon, payer.get_value())>
                                    {move || if voiding.get() == Some(id) { tr(T::Voiding)() } else { tr(T::VoidAction)() }}
                                </button>
                            })}
                        </span>
                    </div>
                    {move || void_failed.get().filter(|(at, _)| *at == id).map(|(_, f)| view! {
                        <div class="form-error" role="alert">{f.text(lang.get())}</div>
                    })}
                    {move || (refunding.get() == Some(id)).then(|| view! { <RefundForm payment_id=id left=left member=member.clone() on_done=move || { refunding.set(None); refunds_made.update(|n| *n += 1); pager.load(false); }/> })}
                }
            }/>
        </section>
    }
}

/// A payment's receipt (小票), laid out for a narrow receipt printer: the
/// page prints this alone.
#[component]
fn Receipt(
    p: PaymentListItem,
    brand: String,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let line = |label: Txt, value: String, id: &'static str| {
        view! {
            <div class="receipt-line">
                <span>{tr(label)}</span>
                <span class="tabular" id=id>{value}</span>
            </div>
        }
    };
    let net = Fen(p.amount.0 - p.refunded.0);
    view! {
        <div class="print-receipt" id="print-receipt" role="region" aria-label=move || tr(T::ReceiptAction)()>
            <p class="print-receipt-brand">{brand}</p>
            <p class="print-receipt-store">{p.store_name.clone()}</p>
            <p class="print-receipt-title">{tr(T::ReceiptTitle)}</p>
            {line(T::PaymentNo, p.id.to_string(), "receipt-no")}
            {line(T::DetailTime, local_time(&p.at), "receipt-time")}
            {line(T::Member, p.member_phone_masked.clone(), "receipt-member")}
            {line(T::PaymentTotal, p.amount.to_string(), "receipt-amount")}
            {p.online.is_positive().then(|| line(T::PartOnlinePaid, p.online.to_string(), "receipt-online"))}
            {p.online.is_positive().then(|| line(T::StoredValuePart, Fen(p.amount.0 - p.online.0).to_string(), "receipt-stored"))}
            {p.refunded.is_positive().then(|| line(T::Refunded, p.refunded.to_string(), "receipt-refunded"))}
            {p.refunded.is_positive().then(|| line(T::ReceiptNet, net.to_string(), "receipt-net"))}
            <div class="form-actions no-print">
                <button class="btn btn-primary" id="receipt-print" on:click=move |_| {
                    let _ = gloo::utils::window().print();
                }>{tr(T::PrintReceipt)}</button>
                <button class="btn btn-default" id="receipt-close" on:click=move |_| on_close.run(())>{tr(T::Close)}</button>
            </div>
        </div>
    }
}

#[component]
fn RefundForm(
    payment_id: i64,
    /// What can still be refunded.
    left: Fen,
    /// The payer's masked phone.
    member: String,
    #[prop(into)] on_done: Callback<()>,
) -> impl IntoView {
    let confirm = use_confirm();
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let amount = FieldState::new("amount", "", yuan_rule);
    let error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let key = RwSignal::new(api::new_key());
    Effect::new(move |_| {
        amount.value.track();
        key.set(api::new_key());
    });
    let refund = move |fen: i64| {
        busy.set(true);
        error.set(None);
        let k = key.get_untracked();
        leptos::task::spawn_local(async move {
            let body = RefundRequest { amount: Fen(fen) };
            let result = api::send_once::<RefundPayment>(&payment_id, &body, ctx.token(), &k).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    toast.show(T::RefundDone.text(lang.get_untracked()).to_string());
                    on_done.run(());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(fen) = amount.checked().and_then(|v| v.parse::<i64>().ok()) else {
            return;
        };
        // More than is left is refused before asking (the server would).
        if fen > left.0 {
            let params = [("refundable".to_string(), left.0.to_string())]
                .into_iter()
                .collect();
            let refused = shared::ApiError::new(
                shared::ErrorCode::RefundTooLarge,
                params,
                lang.get_untracked(),
            );
            return error.set(Some(Failure::Api(refused)));
        }
        let l = lang.get_untracked();
        let text = T::RefundQuestion
            .text(l)
            .replace("{amount}", &Fen(fen).to_string())
            .replace("{member}", &member)
            .replace("{left}", &left.to_string());
        confirm.ask(text, T::ConfirmRefund.text(l), true, move || refund(fen));
    };
    view! {
        <form class="refund-form" on:submit=submit novalidate=true>
            <Field label=T::RefundAmount state=amount id="refund-amount" inputmode="decimal"/>
            {move || error.get().map(|f| view! { <div class="form-error" role="alert">{f.text(lang.get())}</div> })}
            <div class="form-actions">
                <button type="submit" class="btn btn-warn" id="refund-submit" disabled=move || busy.get()>{tr(T::RefundAction)}</button>
            </div>
        </form>
    }
}

tongka_app::split_page!(payments => PaymentsPage);
