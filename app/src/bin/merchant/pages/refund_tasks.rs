//! 退款异常: refunds the payment gateway refused again and again. HQ finance
//! sends each back to the member's stored value, or pays it by transfer and
//! records the reference; either way after a confirmation that says what
//! will happen. HQ admin reads the list.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::api::{ListRefundTasks, ResolveRefundTask};
use shared::dto::{RefundResolution, RefundTask, ResolveRefundInput, Role, StateQuery};
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    FormError, PagedCells, Pager, TopBar, local_time, use_confirm, use_toast,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

fn reason_text(reason: &str) -> Txt {
    match reason {
        "close" => T::CloseCard,
        "payment_refund" => T::KindRefund,
        "late_payment" => T::FlagLatePayment,
        _ => T::FlagOverCap,
    }
}

/// 退款异常
#[component]
pub fn RefundTasksPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    // No state: the list's default (the server refuses an empty one).
    let pager = Pager::new::<ListRefundTasks>(
        |after| ((), StateQuery { state: None, after }),
        move || ctx.token(),
    );
    view! {
        <TopBar title=Signal::derive(move || tr(T::RefundTasks)().to_string()) back=true/>
        <section class="page">
            <p class="cell-desc">{tr(T::RefundTasksHint)}</p>
            <PagedCells pager=pager id="refund-task-list" class="" row=move |t| view! {
                <RefundTaskCard task=t on_done=move |_| pager.load(false)/>
            }/>
        </section>
    }
}

#[component]
fn RefundTaskCard(task: RefundTask, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    // Paid outside needs the transfer's reference first.
    let choosing = RwSignal::new(None::<RefundResolution>);
    let confirm = use_confirm();
    let facts = StoredValue::new((task.amount.to_string(), task.member_phone_masked.clone()));
    let reference = RwSignal::new(String::new());
    let id = task.id;
    let finance = move || ctx.role() == Some(Role::HqFinance);
    let send = move |way: RefundResolution| {
        busy.set(true);
        error.set(None);
        let body = ResolveRefundInput {
            way,
            reference: (way == RefundResolution::PaidOutside).then(|| reference.get_untracked()),
        };
        leptos::task::spawn_local(async move {
            let result = api::send::<ResolveRefundTask>(&id, &body, ctx.token()).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    toast.show(T::Saved.text(lang.get_untracked()).to_string());
                    on_done.run(());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let resolve = move |way: RefundResolution| {
        error.set(None);
        if way == RefundResolution::PaidOutside && choosing.get_untracked() != Some(way) {
            choosing.set(Some(way));
            return;
        }
        let l = lang.get_untracked();
        let (amount, member) = facts.get_value();
        let text = match way {
            RefundResolution::StoredValue => T::ResolveToBalanceQuestion,
            RefundResolution::PaidOutside => T::ResolvePaidOutsideQuestion,
        }
        .text(l)
        .replace("{amount}", &amount)
        .replace("{member}", &member)
        .replace("{reference}", &reference.get_untracked());
        confirm.ask(text, T::ConfirmResolve.text(l), false, move || send(way));
    };
    let amount = task.amount.to_string();
    view! {
        <div class="cells refund-task" data-id=id>
            <div class="cell">
                <span class="cell-main">
                    <span class="cell-title tabular">{amount.clone()}" · "{tr(reason_text(&task.reason))}</span>
                    <span class="cell-desc">{task.member_phone_masked.clone()}" · "{task.order_no.clone()}</span>
                    <span class="cell-desc tabular">{local_time(&task.created_at)}" · "{task.failure.clone().unwrap_or_default()}</span>
                </span>
            </div>
            {move || (choosing.get() == Some(RefundResolution::PaidOutside)).then(|| view! {
                <label class="cell field">
                    <span class="cell-label">{tr(T::TransferReference)}</span>
                    <input class="cell-input refund-reference" maxlength=64 prop:value=move || reference.get()
                        on:input=move |ev| reference.set(event_target_value(&ev))/>
                </label>
            })}
            <FormError error=error/>
            {move || finance().then(|| view! {
                <div class="form-actions">
                    <button class="btn btn-primary refund-to-balance" disabled=move || busy.get()
                        on:click=move |_| resolve(RefundResolution::StoredValue)>{tr(T::ToStoredValue)}</button>
                    <button class="btn refund-paid-outside" disabled=move || busy.get()
                        on:click=move |_| resolve(RefundResolution::PaidOutside)>{tr(T::PaidOutside)}</button>
                    {move || choosing.get().is_some().then(|| view! {
                        <button class="btn" on:click=move |_| choosing.set(None)>{tr(T::Cancel)}</button>
                    })}
                </div>
            })}
        </div>
    }
}

tongka_app::split_page!(refund_tasks => RefundTasksPage);
