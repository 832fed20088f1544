//! 明细: every movement of the member's money, newest first, by kind.

use crate::shell::{require_login, use_session};
use leptos::prelude::*;
use shared::dto::{EntryKind, HistoryQuery};
use tongka_app::components::{PagedCells, Pager, TopBar, local_time};
use tongka_app::i18n::{T, Txt, tr};

fn kind_text(kind: EntryKind) -> Txt {
    match kind {
        EntryKind::TopUp => T::KindTopup,
        EntryKind::Refund => T::KindRefund,
        EntryKind::Close => T::KindClose,
        EntryKind::Release => T::KindRelease,
        _ => T::KindPayment,
    }
}

/// 明细
#[component]
pub fn HistoryPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let kind = RwSignal::new(String::new());
    let pager = Pager::new::<shared::api::MemberHistory>(
        move |after| {
            // An empty kind is all kinds (the server reads it as absent).
            let kind = Some(kind.get_untracked()).filter(|k| !k.is_empty());
            ((), HistoryQuery { after, kind })
        },
        move || session.current(),
    );
    let tab = move |value: &'static str, label: Txt| {
        view! {
            <button class="seg" class:seg-active=move || kind.get() == value aria-pressed=move || bool::to_string(&(kind.get() == value))
                on:click=move |_| { kind.set(value.to_string()); pager.load(false); }>
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
            <PagedCells pager=pager id="history-list" row=move |h| {
                let sign_class = if h.amount.0 >= 0 { "amount amount-in" } else { "amount amount-out" };
                let amount = if h.amount.0 > 0 { format!("+{}", h.amount) } else { h.amount.to_string() };
                view! {
                    <div class="cell history-row">
                        <span class="cell-main">
                            <span class="cell-title">{tr(kind_text(h.kind))}" · "{match h.store_name.clone() { Some(s) => s, None => T::OnlineTopUp.text(tongka_app::i18n::current()).to_string() }}</span>
                            <span class="cell-desc tabular">{local_time(&h.at)}</span>
                        </span>
                        <span class="history-amounts">
                            <span class=sign_class>{amount}</span>
                            <span class="cell-desc tabular">{tr(T::BalanceAfter)}" "{h.balance_after.to_string()}</span>
                        </span>
                    </div>
                }
            }/>
        </section>
    }
}

tongka_app::split_page!(history => HistoryPage);
