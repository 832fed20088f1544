//! 明细: every movement of the member's money, newest first, by kind.

use crate::shell::{require_login, use_session};
use leptos::prelude::*;
use shared::dto::{HistoryItem, Page};
use tongka_app::api::{self, Failure};
use tongka_app::components::{EmptyState, ErrorState, Loading, TopBar, local_time};
use tongka_app::i18n::{T, tr};

fn kind_text(kind: &str) -> T {
    match kind {
        "topup" => T::KindTopup,
        "refund" => T::KindRefund,
        "close" => T::KindClose,
        _ => T::KindPayment,
    }
}

/// 明细
#[component]
pub fn HistoryPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let kind = RwSignal::new(String::new());
    let items = RwSignal::new(Vec::<HistoryItem>::new());
    let cursor = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(false);
    let loaded_once = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let load = move |more: bool| {
        let after = if more { cursor.get_untracked() } else { None };
        let k = kind.get_untracked();
        loading.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let mut path = format!("/member/history?kind={k}");
            if let Some(a) = after {
                path.push_str(&format!("&after={a}"));
            }
            let result = api::get::<Page<HistoryItem>>(&path, session.current()).await;
            loading.set(false);
            loaded_once.set(true);
            match result {
                Ok(page) => {
                    if more {
                        items.update(|v| v.extend(page.items));
                    } else {
                        items.set(page.items);
                    }
                    cursor.set(page.next_cursor);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    load(false);
    let tab = move |value: &'static str, label: T| {
        view! {
            <button class="seg" class:seg-active=move || kind.get() == value
                on:click=move |_| { kind.set(value.to_string()); cursor.set(None); load(false); }>
                {tr(label)}
            </button>
        }
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::History)().to_string()) back=true/>
        <section class="page">
            <div class="segments">
                {tab("", T::HistoryAll)}
                {tab("topup", T::KindTopup)}
                {tab("payment", T::KindPayment)}
                {tab("refund", T::KindRefund)}
            </div>
            {move || {
                let list = items.get();
                if list.is_empty() && loaded_once.get() && !loading.get() && error.get().is_none() {
                    return view! { <EmptyState/> }.into_any();
                }
                view! {
                    <div class="cells" id="history-list">
                        {list.into_iter().map(|h| {
                            let sign_class = if h.amount.0 >= 0 { "amount amount-in" } else { "amount amount-out" };
                            let amount = if h.amount.0 > 0 { format!("+{}", h.amount) } else { h.amount.to_string() };
                            view! {
                                <div class="cell history-row">
                                    <span class="cell-main">
                                        <span class="cell-title">{tr(kind_text(&h.kind))}" · "{h.store_name.clone().unwrap_or_default()}</span>
                                        <span class="cell-desc tabular">{local_time(&h.at)}</span>
                                    </span>
                                    <span class="history-amounts">
                                        <span class=sign_class>{amount}</span>
                                        <span class="cell-desc tabular">{tr(T::BalanceAfter)}" "{h.balance_after.to_string()}</span>
                                    </span>
                                </div>
                            }
                        }).collect_view()}
                    </div>
                }.into_any()
            }}
            {move || {
                if loading.get() {
                    view! { <Loading/> }.into_any()
                } else if let Some(f) = error.get() {
                    let more = cursor.get_untracked().is_some();
                    view! { <ErrorState failure=f on_retry=move |_| load(more)/> }.into_any()
                } else if cursor.get().is_some() {
                    view! {
                        <div class="form-actions">
                            <button class="btn btn-default" id="load-more" on:click=move |_| load(true)>{tr(T::LoadMore)}</button>
                        </div>
                    }.into_any()
                } else {
                    ().into_any()
                }
            }}
        </section>
    }
}
