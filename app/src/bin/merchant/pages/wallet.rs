//! 钱包: a store's wallet (available, frozen, every movement) for its
//! manager, its region manager and HQ; 资金概览: HQ's view of every wallet,
//! what the brand owes its members and what bonuses cost.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use shared::api::{
    BrandMoneyView, HandInCash, ScopeWallets, StoreStatement, StoreStatementCsv, StoreWallet,
    WalletEntries, WalletEntriesCsv,
};
use shared::dto::{
    AfterQuery, BrandMoney, CashHandInInput, EntryKind, RangeQuery, Role, Statement, WalletView,
    WithdrawalState,
};
use shared::money::Fen;
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    EmptyState, Field, FieldState, FormError, PagedCells, Pager, TopBar, loaded, local_time,
    path_id, use_confirm, use_toast, yuan_rule,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

fn kind_text(kind: EntryKind, withdrawal: Option<WithdrawalState>) -> Txt {
    match kind {
        EntryKind::Refund => T::KindRefund,
        EntryKind::Withdrawal if withdrawal == Some(WithdrawalState::Paid) => T::KindWithdrawalPaid,
        EntryKind::Withdrawal => T::KindWithdrawal,
        EntryKind::WithdrawalRelease => T::KindWithdrawalRelease,
        _ => T::KindReceipt,
    }
}

/// 钱包
#[component]
pub fn WalletPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let store_id = move || params.read().get("id").unwrap_or_default();
    let wallet = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = store_id();
        async move { api::fetch::<StoreWallet>(&path_id(&id)?, token).await }
    });
    let pager = Pager::try_new::<WalletEntries>(
        move |after| Ok((path_id(&store_id())?, AfterQuery { after })),
        move || ctx.token(),
    );
    view! {
        <TopBar title=Signal::derive(move || tr(T::Wallet)().to_string()) back=true/>
        <section class="page">
            {loaded(wallet, move |w: WalletView| view! {
                <div class="wallet-card" id="wallet-card">
                    <h2>{w.store_name.clone()}</h2>
                    <div class="wallet-figures">
                        <div>
                            <span class="wallet-label">{tr(T::WalletAvailable)}</span>
                            <span class="wallet-amount tabular" id="wallet-available">{w.available.to_string()}</span>
                        </div>
                        <div>
                            <span class="wallet-label">{tr(T::WalletFrozen)}</span>
                            <span class="wallet-amount wallet-amount-minor tabular" id="wallet-frozen">{w.frozen.to_string()}</span>
                        </div>
                    </div>
                    <div class="wallet-figures">
                        <div>
                            <span class="wallet-label">{tr(T::CashToHandIn)}</span>
                            <span class="wallet-amount wallet-amount-minor tabular" id="wallet-cash">{w.cash_to_hand_in.to_string()}</span>
                        </div>
                        <div>
                            <span class="wallet-label">{tr(T::Withdrawable)}</span>
                            <span class="wallet-amount wallet-amount-minor tabular" id="wallet-withdrawable">{w.withdrawable.to_string()}</span>
                        </div>
                    </div>
                    <p class="wallet-hint">{tr(T::WalletHint)}</p>
                </div>
                {(w.cash_to_hand_in.is_positive() && ctx.role() == Some(Role::HqFinance)).then(|| view! {
                    <HandInForm store_id=w.store_id cash=w.cash_to_hand_in on_done=move |_| wallet.refetch()/>
                })}
                <WalletActions store_id=w.store_id/>
            }.into_any())}
            <h2 class="cells-title">{tr(T::WalletEntries)}</h2>
            <PagedCells pager=pager id="wallet-entries" row=move |e| {
                let sign = if e.amount.is_positive() { "+" } else { "" };
                view! {
                    <div class="cell wallet-entry" data-kind=e.kind.as_str()>
                        <span class="cell-main">
                            <span class="cell-title">{tr(kind_text(e.kind, e.withdrawal_state))}</span>
                            <span class="cell-desc tabular">
                                {e.member_phone_masked.clone().map(|p| format!("{p} · "))}
                                {local_time(&e.at)}
                            </span>
                        </span>
                        <span class="cell-value tabular" class:amount-out=!e.amount.is_positive()>{sign}{e.amount.to_string()}</span>
                    </div>
                }
            }/>
        </section>
    }
}

/// HQ finance: record counter cash the store handed in (after a
/// confirmation saying how much and under which reference).
#[component]
fn HandInForm(store_id: i64, cash: Fen, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let amount = FieldState::new(
        "amount",
        &format!("{}.{:02}", cash.0 / 100, cash.0 % 100),
        yuan_rule,
    );
    let reference = FieldState::new("reference", "", shared::validate::transfer_reference);
    let error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    let confirm = use_confirm();
    let key = StoredValue::new(api::new_key());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        let (Some(a), Some(r)) = (amount.checked(), reference.checked()) else {
            return;
        };
        let fen = Fen(a.parse().unwrap_or(0));
        let l = lang.get_untracked();
        let text = T::HandInQuestion
            .text(l)
            .replace("{amount}", &fen.to_string())
            .replace("{reference}", &r);
        let body = CashHandInInput {
            amount: fen,
            reference: r,
        };
        confirm.ask(text, T::ConfirmHandIn.text(l), false, move || {
            let body = body.clone();
            busy.set(true);
            leptos::task::spawn_local(async move {
                let result =
                    api::send_once::<HandInCash>(&store_id, &body, ctx.token(), &key.get_value())
                        .await;
                busy.set(false);
                match result {
                    Ok(_) => {
                        key.set_value(api::new_key());
                        toast.show(T::HandInDone.text(lang.get_untracked()).to_string());
                        on_done.run(());
                    }
                    // A refusal is the answer under that key: a corrected
                    // hand-in is a new request. No answer keeps the key, so a
                    // retry cannot record it twice.
                    Err(f) => {
                        if matches!(f, Failure::Api(_)) {
                            key.set_value(api::new_key());
                        }
                        error.set(Some(f));
                    }
                }
            });
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::RecordHandIn)}</h2>
        <form class="cells" on:submit=submit novalidate=true id="hand-in-form">
            <Field label=T::HandInAmount state=amount id="hand-in-amount" inputmode="decimal"/>
            <Field label=T::TransferReference state=reference id="hand-in-reference"/>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="hand-in-submit" disabled=move || busy.get()>
                    {tr(T::RecordHandIn)}
                </button>
            </div>
        </form>
    }
}

/// Under the wallet: withdraw and payee account for the store's manager,
/// the store's withdrawals for everyone who reads the wallet.
#[component]
fn WalletActions(store_id: i64) -> impl IntoView {
    let ctx = use_ctx();
    let own = move || ctx.role() == Some(Role::StoreManager) && ctx.store_id() == Some(store_id);
    view! {
        <nav class="cells" id="wallet-actions">
            {move || own().then(|| view! {
                <A href=ctx.path(&format!("/stores/{store_id}/withdraw")) attr:class="cell cell-link" attr:id="wallet-withdraw">
                    <span class="cell-main">{tr(T::Cashout)}</span>
                </A>
            })}
            <A href=ctx.path(&format!("/stores/{store_id}/payee")) attr:class="cell cell-link" attr:id="wallet-payee">
                <span class="cell-main">{tr(T::PayeeAccount)}</span>
            </A>
            <A href=ctx.path(&format!("/stores/{store_id}/statement")) attr:class="cell cell-link" attr:id="wallet-statement">
                <span class="cell-main">{tr(T::Statement)}</span>
            </A>
            <A href=ctx.path(&format!("/withdrawals?store={store_id}")) attr:class="cell cell-link" attr:id="wallet-withdrawals">
                <span class="cell-main">{tr(T::CashoutRecords)}</span>
            </A>
        </nav>
    }
}

/// 资金概览 (HQ admin and finance)
#[component]
pub fn BrandMoneyPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let money = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<BrandMoneyView>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::BrandMoney)().to_string()) back=true/>
        <section class="page">
            {loaded(money, move |m: BrandMoney| {
                let owed = m.liability_principal.0 + m.liability_bonus.0 + m.liability_held.0;
                view! {
                    <div class="cells" id="brand-money">
                        <div class="cell">
                            <span class="cell-main">{tr(T::OwedToMembers)}</span>
                            <span class="cell-value tabular" id="owed-total">{shared::money::Fen(owed).to_string()}</span>
                        </div>
                        <div class="cell cell-sub">
                            <span class="cell-main">{tr(T::OwedPrincipal)}</span>
                            <span class="cell-value tabular" id="owed-principal">{m.liability_principal.to_string()}</span>
                        </div>
                        <div class="cell cell-sub">
                            <span class="cell-main">{tr(T::OwedBonus)}</span>
                            <span class="cell-value tabular" id="owed-bonus">{m.liability_bonus.to_string()}</span>
                        </div>
                        {(m.liability_held.0 != 0).then(|| view! {
                            <div class="cell cell-sub">
                                <span class="cell-main">{tr(T::OwedHeld)}</span>
                                <span class="cell-value tabular">{m.liability_held.to_string()}</span>
                            </div>
                        })}
                        <div class="cell">
                            <span class="cell-main">{tr(T::PromotionExpense)}</span>
                            <span class="cell-value tabular" id="promotion-expense">{m.promotion_expense.to_string()}</span>
                        </div>
                        <div class="cell">
                            <span class="cell-main">{tr(T::WalletsTotal)}</span>
                            <span class="cell-value tabular" id="wallets-total">{m.wallets_available.to_string()}</span>
                        </div>
                    </div>
                    <h2 class="cells-title">{tr(T::StoreWallets)}</h2>
                    <WalletList wallets=m.wallets id="store-wallets"/>
                }.into_any()
            })}
        </section>
    }
}

/// Which CSV the statement page exports.
#[derive(Clone, Copy)]
enum Export {
    /// 日结, per business day.
    Statement,
    /// Every wallet movement.
    Entries,
}

/// 日结: a store's daily statement over a range, and its CSV exports.
#[component]
pub fn StatementPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let store_id = move || params.read().get("id").unwrap_or_default();
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    // The range shown: changes only when 查询 is pressed.
    let shown = RwSignal::new((String::new(), String::new()));
    // An empty date is no bound (the server's default range).
    let query = move || {
        let (f, t) = shown.get();
        RangeQuery {
            from: Some(f).filter(|f| !f.is_empty()),
            to: Some(t).filter(|t| !t.is_empty()),
        }
    };
    let statement = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = store_id();
        let query = query();
        async move { api::fetch_q::<StoreStatement>(&path_id(&id)?, &query, token).await }
    });
    // The range fields start with the range shown (the last 7 days).
    Effect::new(move |_| {
        if let Some(Ok(st)) = statement.get() {
            if from.get_untracked().is_empty() {
                from.set(st.from.clone());
            }
            if to.get_untracked().is_empty() {
                to.set(st.to.clone());
            }
        }
    });
    let today = tongka_app::components::local_date_today();
    let error = RwSignal::new(None::<api::Failure>);
    let export = move |what: Export| {
        let id = store_id();
        let query = query();
        let name = format!(
            "{}-{}.csv",
            match what {
                Export::Statement => "statement",
                Export::Entries => "wallet",
            },
            id
        );
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = match path_id(&id) {
                Ok(id) => match what {
                    Export::Statement => {
                        api::download::<StoreStatementCsv>(&id, &query, ctx.token(), &name).await
                    }
                    Export::Entries => {
                        api::download::<WalletEntriesCsv>(&id, &query, ctx.token(), &name).await
                    }
                },
                Err(f) => Err(f),
            };
            if let Err(f) = result {
                error.set(Some(f));
            }
        });
    };
    view! {
        <TopBar title=Signal::derive(move || tr(T::Statement)().to_string()) back=true/>
        <section class="page">
            <div class="cells filters" id="statement-range">
                <label class="cell">
                    <span class="cell-label">{tr(T::DateFrom)}</span>
                    <input class="cell-input" type="date" id="statement-from" prop:value=move || from.get() max=today.clone()
                        on:change=move |ev| from.set(event_target_value(&ev))/>
                </label>
                <label class="cell">
                    <span class="cell-label">{tr(T::DateTo)}</span>
                    <input class="cell-input" type="date" id="statement-to" prop:value=move || to.get() max=today.clone()
                        on:change=move |ev| to.set(event_target_value(&ev))/>
                </label>
                <div class="form-actions">
                    <button class="btn btn-default" id="statement-show"
                        on:click=move |_| shown.set((from.get_untracked(), to.get_untracked()))>{tr(T::Query)}</button>
                </div>
            </div>
            <FormError error=error/>
            {loaded(statement, move |s: Statement| {
                let days = s.days.into_iter().rev().collect::<Vec<_>>();
                view! {
                    <div id="statement-days">
                        {days.into_iter().map(|d| {
                            let quiet = d.opening == d.closing && d.payments == 0 && d.counter_topups.0 == 0 && d.cash_handed_in.0 == 0;
                            if quiet {
                                // A day with nothing: one line, not a table.
                                return view! {
                                    <div class="cells statement-day statement-quiet" data-date=d.date.clone()>
                                        <div class="cell">
                                            <span class="cell-main">{d.date.clone()}" · "{tr(T::StatementQuiet)}</span>
                                            <span class="cell-value tabular">{tr(T::BalanceAfter)}" "{d.closing.to_string()}</span>
                                        </div>
                                    </div>
                                }.into_any();
                            }
                            view! {
                                <h2 class="cells-title">{d.date.clone()}</h2>
                                <div class="cells statement-day" data-date=d.date.clone()>
                                    <StatementRow label=T::StatementOpening amount=d.opening/>
                                    {(!quiet).then(|| view! {
                                        <StatementRow label=T::StatementPrincipal amount=d.principal/>
                                        <StatementRow label=T::StatementBonus amount=d.bonus/>
                                        <StatementRow label=T::StatementOnline amount=d.gateway/>
                                        <div class="cell cell-sub">
                                            <span class="cell-main tabular">{d.payments}" "{tr(T::StatementCount)}</span>
                                        </div>
                                        <StatementRow label=T::StatementRefunds amount=d.refunds/>
                                        <StatementRow label=T::StatementWithdrawals amount=d.withdrawals/>
                                        {(d.other.0 != 0).then(|| view! { <StatementRow label=T::StatementOther amount=d.other/> })}
                                    })}
                                    <StatementRow label=T::StatementClosing amount=d.closing/>
                                    {(d.counter_topups.0 != 0).then(|| view! { <StatementRow label=T::StatementTopups amount=d.counter_topups/> })}
                                    {(d.cash_handed_in.0 != 0).then(|| view! { <StatementRow label=T::StatementHandedIn amount=d.cash_handed_in/> })}
                                    {(d.cash_to_hand_in.0 != 0).then(|| view! { <StatementRow label=T::CashToHandIn amount=d.cash_to_hand_in/> })}
                                </div>
                            }.into_any()
                        }).collect_view()}
                    </div>
                }
                .into_any()
            })}
            <div class="form-actions">
                <button class="btn btn-default" id="export-statement" on:click=move |_| export(Export::Statement)>{tr(T::ExportStatement)}</button>
                <button class="btn btn-default" id="export-entries" on:click=move |_| export(Export::Entries)>{tr(T::ExportEntries)}</button>
            </div>
        </section>
    }
}

#[component]
fn StatementRow(label: Txt, amount: shared::money::Fen) -> impl IntoView {
    view! {
        <div class="cell">
            <span class="cell-main">{tr(label)}</span>
            <span class="cell-value tabular" class:amount-out=amount.0 < 0>{amount.to_string()}</span>
        </div>
    }
}

/// Store wallets, each linking to its wallet page.
#[component]
fn WalletList(wallets: Vec<WalletView>, id: &'static str) -> impl IntoView {
    let ctx = use_ctx();
    if wallets.is_empty() {
        return view! { <EmptyState/> }.into_any();
    }
    view! {
        <nav class="cells" id=id>
            {wallets.into_iter().map(|w| view! {
                <A href=ctx.path(&format!("/stores/{}/wallet", w.store_id)) attr:class="cell cell-link store-wallet" attr:data-store=w.store_id.to_string()>
                    <span class="cell-main">
                        <span class="cell-title">{w.store_name.clone()}</span>
                        {(w.frozen.0 != 0).then(|| view! { <span class="cell-desc">{tr(T::WalletFrozen)}" "{w.frozen.to_string()}</span> })}
                    </span>
                    <span class="cell-value tabular">{w.available.to_string()}</span>
                </A>
            }).collect_view()}
        </nav>
    }
    .into_any()
}

/// 门店钱包: every wallet in the caller's scope (the region manager's entry).
#[component]
pub fn WalletsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let wallets = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ScopeWallets>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::StoreWallets)().to_string()) back=true/>
        <section class="page">
            {loaded(wallets, move |list: Vec<WalletView>| view! { <WalletList wallets=list id="scope-wallets"/> }.into_any())}
        </section>
    }
}

tongka_app::split_page!(wallet => WalletPage);
tongka_app::split_page!(brand_money => BrandMoneyPage);
tongka_app::split_page!(statement => StatementPage);
tongka_app::split_page!(wallets => WalletsPage);
