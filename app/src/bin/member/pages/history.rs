//! 明细: every movement of the member's money, points, cards' uses and
//! coupons, newest first, by kind and by store.

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{MemberHistoryDetail, MemberHistoryStores};
use shared::dto::{EntryKind, HistoryDetail, HistoryQuery, MoneyParts, PaymentDetail};
use shared::money::Fen;
use tongka_app::api;
use tongka_app::components::{
    HistoryRowBody, PagedCells, Pager, TopBar, entry_kind_text, has_detail, loaded, local_time,
    path_id,
};
use tongka_app::i18n::{T, Txt, tr};

/// The kinds of movement a member can pick (the server's filter names).
const TABS: [(&str, Txt); 9] = [
    ("", T::HistoryAll),
    ("topup", T::KindTopup),
    ("payment", T::KindPayment),
    ("refund", T::KindRefund),
    ("points", T::HistoryPointsTab),
    ("cards", T::HistoryCardsTab),
    ("coupons", T::HistoryCouponsTab),
    ("sign_in", T::HistorySignInTab),
    ("invite", T::HistoryInviteTab),
];

/// 明细
#[component]
pub fn HistoryPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let brand = use_brand();
    let kind = RwSignal::new(String::new());
    let store = RwSignal::new(None::<i64>);
    let pager = Pager::new::<shared::api::MemberHistory>(
        move |after| {
            // An empty kind is all kinds (the server reads it as absent).
            let kind = Some(kind.get_untracked()).filter(|k| !k.is_empty());
            let store = store.get_untracked();
            ((), HistoryQuery { after, kind, store })
        },
        move || session.current(),
    );
    // The store filter lists the stores the history names; without them
    // (none yet, or they did not load) it is simply not shown.
    let stores = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberHistoryStores>(&(), token).await }
    });
    let store_filter = move || {
        let list = stores
            .get()
            .and_then(Result::ok)
            .filter(|l| !l.is_empty())?;
        Some(view! {
            <label class="history-store">
                <span class="visually-hidden">{tr(T::HistoryStoreFilter)}</span>
                <select class="cell-input" id="history-store"
                    prop:value=move || store.get().map(|s| s.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        store.set(event_target_value(&ev).parse().ok());
                        pager.load(false);
                    }>
                    <option value="">{tr(T::HistoryAllStores)}</option>
                    {list.into_iter().map(|s| view! { <option value=s.id.to_string()>{s.name}</option> }).collect_view()}
                </select>
            </label>
        })
    };
    let tab = move |value: &'static str, label: Txt| {
        view! {
            <button class="seg" class:seg-active=move || kind.get() == value aria-pressed=move || bool::to_string(&(kind.get() == value))
                data-kind=value
                on:click=move |_| { kind.set(value.to_string()); pager.load(false); }>
                {tr(label)}
            </button>
        }
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::History)().to_string()) back=true/>
        <section class="page">
            <div class="segments" id="history-kinds">
                {TABS.into_iter().map(|(value, label)| tab(value, label)).collect_view()}
            </div>
            {store_filter}
            <PagedCells pager=pager id="history-list" nav=true row=move |h| {
                let kind = h.kind.as_str();
                if has_detail(h.kind) {
                    let href = brand.path(&format!("/history/{}", h.id));
                    view! {
                        <A href=href attr:class="cell cell-link history-row" attr:data-kind=kind>
                            <HistoryRowBody h=h/>
                        </A>
                    }.into_any()
                } else {
                    view! {
                        <div class="cell history-row" data-kind=kind>
                            <HistoryRowBody h=h/>
                        </div>
                    }.into_any()
                }
            }/>
        </section>
    }
}

/// One labelled amount of a detail.
fn line(label: Txt, amount: Fen, id: &'static str) -> impl IntoView {
    view! {
        <div class="cell">
            <span class="cell-main">{tr(label)}</span>
            <span class="cell-value tabular" data-part=id>{amount.to_string()}</span>
        </div>
    }
}

/// The non-zero parts, each under its label.
fn parts_view(parts: &MoneyParts, labels: [Txt; 4]) -> impl IntoView {
    [
        (labels[0], parts.principal, "principal"),
        (labels[1], parts.bonus, "bonus"),
        (labels[2], parts.online, "online"),
        (labels[3], parts.cash, "cash"),
    ]
    .into_iter()
    .filter(|(_, a, _)| a.is_positive())
    .map(|(l, a, id)| line(l, a, id))
    .collect_view()
}

const PAID_WITH: [Txt; 4] = [
    T::PartPrincipal,
    T::PartBonus,
    T::PartOnlinePaid,
    T::PartCash,
];
const BACK_TO: [Txt; 4] = [T::PartPrincipal, T::PartBonus, T::PartOnline, T::PartCash];

/// A payment: number, total, how it was paid, its refunds; `title` says
/// what it is to the entry shown (the payment itself, or a refund's).
fn payment_view(p: PaymentDetail, title: Txt) -> impl IntoView {
    let refunds = p.refunds.clone();
    view! {
        <h2 class="cells-title">{tr(title)}</h2>
        <div class="cells" id="detail-payment">
            <div class="cell">
                <span class="cell-main">{tr(T::PaymentNo)}</span>
                <span class="cell-value tabular" id="detail-payment-no">{p.payment_id}</span>
            </div>
            <div class="cell">
                <span class="cell-main">{tr(T::DetailTime)}</span>
                <span class="cell-value tabular">{local_time(&p.at)}</span>
            </div>
            {line(T::PaymentTotal, p.total, "total")}
        </div>
        <h2 class="cells-title">{tr(T::PaidWith)}</h2>
        <div class="cells" id="detail-paid-with">{parts_view(&p.parts, PAID_WITH)}</div>
        {(!refunds.is_empty()).then(|| view! {
            <h2 class="cells-title">{tr(T::RefundsOfPayment)}</h2>
            <div class="cells" id="detail-refunds">
                {refunds.into_iter().map(|r| {
                    let where_to = [
                        (T::PartPrincipal, r.parts.principal),
                        (T::PartBonus, r.parts.bonus),
                        (T::PartOnline, r.parts.online),
                    ];
                    view! {
                        <div class="cell refund-part">
                            <span class="cell-main">
                                <span class="cell-title tabular">{local_time(&r.at)}</span>
                                {where_to.into_iter().filter(|(_, a)| a.is_positive()).map(|(l, a)| view! {
                                    <span class="cell-desc">{tr(l)}" "<span class="tabular">{a.to_string()}</span></span>
                                }).collect_view()}
                            </span>
                            <span class="cell-value tabular">{r.total.to_string()}</span>
                        </div>
                    }
                }).collect_view()}
                {line(T::RefundedSoFar, p.refunded, "refunded")}
            </div>
        })}
    }
}

#[component]
fn Detail(d: HistoryDetail) -> impl IntoView {
    let amount = match (&d.payment, d.kind) {
        // A payment reads as what was paid, however it was paid.
        (Some(p), EntryKind::Payment | EntryKind::Hold) => format!("-{}", p.total),
        _ if d.amount.0 > 0 => format!("+{}", d.amount),
        _ => d.amount.to_string(),
    };
    let (section, labels): (Option<Txt>, [Txt; 4]) = match d.kind {
        EntryKind::TopUp => (
            Some(T::TopUpCredited),
            [
                T::PartPrincipal,
                T::PartBonus,
                T::PartOnlinePaid,
                T::PartCash,
            ],
        ),
        EntryKind::Refund => (Some(T::RefundedTo), BACK_TO),
        EntryKind::Close => (
            Some(T::CloseRefunded),
            [
                T::PartPrincipal,
                T::CloseBonusBack,
                T::PartOnline,
                T::PartCash,
            ],
        ),
        _ => (None, PAID_WITH),
    };
    // A top-up's principal is what was paid; its bonus comes on top.
    let parts = d.parts.clone();
    view! {
        <div class="detail-head" id="history-detail" data-kind=d.kind.as_str()>
            <p class="detail-kind">{tr(entry_kind_text(d.kind))}</p>
            <p class="detail-amount tabular" id="detail-amount">{amount}</p>
            {d.balance_after.map(|b| view! { <p class="cell-desc tabular">{tr(T::BalanceAfter)}" "{b.to_string()}</p> })}
        </div>
        <div class="cells">
            <div class="cell">
                <span class="cell-main">{tr(T::DetailTime)}</span>
                <span class="cell-value tabular" id="detail-time">{local_time(&d.at)}</span>
            </div>
            {d.store_name.clone().map(|s| view! {
                <div class="cell">
                    <span class="cell-main">{tr(T::DetailStore)}</span>
                    <span class="cell-value" id="detail-store">{s}</span>
                </div>
            })}
        </div>
        {section.map(|title| view! {
            <h2 class="cells-title">{tr(title)}</h2>
            <div class="cells" id="detail-parts">{parts_view(&parts, labels)}</div>
        })}
        {d.payment.map(|p| {
            let title = if d.kind == EntryKind::Refund { T::OfPayment } else { T::PaymentInfo };
            payment_view(p, title)
        })}
    }
}

/// 明细详情: one movement in full.
#[component]
pub fn HistoryDetailPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let params = use_params_map();
    let detail = LocalResource::new(move || {
        let token = session.token.get();
        let id = params.read().get("id").unwrap_or_default();
        async move { api::fetch::<MemberHistoryDetail>(&path_id(&id)?, token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::HistoryDetailTitle)().to_string()) back=true/>
        <section class="page">
            {loaded(detail, move |d: HistoryDetail| view! { <Detail d=d/> }.into_any())}
        </section>
    }
}

tongka_app::split_page!(history => HistoryPage);
tongka_app::split_page!(history_detail => HistoryDetailPage);
