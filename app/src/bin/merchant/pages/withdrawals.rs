//! 提现: the store manager's withdrawal form and payee account, the list of
//! withdrawals (HQ finance's approval queue, with filters), one withdrawal
//! with the actions the caller may take, payee changes for HQ finance,
//! every wallet in the caller's scope, and the message centre.

use crate::shell::{go, require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};
use shared::Lang;
use shared::api::{
    ApprovePayee, ApproveWithdrawal, CancelWithdrawal, GetWithdrawal, ListMessages,
    ListPayeeChanges, ListRegions, ListWithdrawals, MarkWithdrawalPaid, ReadMessages, RejectPayee,
    RejectWithdrawal, RequestPayee, RequestWithdrawal, RetryWithdrawal, RevealPayee, ScopeWallets,
    WithdrawalTermsView,
};
use shared::dto::{
    AfterQuery, MessageTopic, PayeeInput, PayeeView, RejectInput, Role, StaffMessage, StateQuery,
    WithdrawalInput, WithdrawalQuery, WithdrawalState, WithdrawalTerms, WithdrawalView,
};
use shared::error::withdrawal_state_name;
use shared::money::{Bp, Fen, withdrawal_fee};
use shared::validate::{self, Reason};
use tongka_app::api::{self, Failure};
use tongka_app::components::{
    DateRangeFilter, EmptyState, Field, FieldState, FormError, PagedCells, Pager, SelectFilter,
    TopBar, loaded, local_time, path_id, use_confirm, use_toast, yuan_rule,
};
use tongka_app::i18n::{T, Txt, tr, use_i18n};

/// The state as a tag: green when paid, red when it went wrong.
fn state_tag(state: &str, lang: Lang) -> impl IntoView + use<> {
    let class = match state {
        "paid" | "approved" => "tag tag-green",
        "failed" | "rejected" | "unknown" => "tag tag-red",
        _ => "tag tag-grey",
    };
    let text = state_label(state, lang);
    view! { <span class=class data-state=state.to_string()>{text}</span> }
}

/// A state on its own (a tag, an option, a message's end): capitalised in
/// English, as every other label is.
fn state_label(state: &str, lang: Lang) -> String {
    let text = withdrawal_state_name(state, lang);
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn rate_text(bp: u32) -> String {
    format!("{}.{:02}%", bp / 100, bp % 100)
}

fn account_name_rule(v: &str) -> Result<String, Reason> {
    validate::account_holder(v)
}

fn bank_name_rule(v: &str) -> Result<String, Reason> {
    validate::bank_name(v)
}

fn account_no_rule(v: &str) -> Result<String, Reason> {
    validate::bank_account_no(v)
}

/// A filter's id: none when empty. What is not a number fails as the server
/// fails such a query (malformed), without asking.
fn filter_id(name: &str, value: &str) -> api::ApiResult<Option<i64>> {
    if value.is_empty() {
        return Ok(None);
    }
    value.parse().map(Some).map_err(|_| {
        Failure::Api(shared::ApiError::new(
            shared::ErrorCode::MalformedRequest,
            [("detail".to_string(), format!("{name}: not a number"))].into(),
            tongka_app::i18n::current(),
        ))
    })
}

/// The withdrawal terms of the store in the URL (`stores/:id/…`).
fn store_terms() -> LocalResource<api::ApiResult<WithdrawalTerms>> {
    let ctx = use_ctx();
    let params = use_params_map();
    LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = params.read().get("id").unwrap_or_default();
        async move { api::fetch::<WithdrawalTermsView>(&path_id(&id)?, token).await }
    })
}

/// 提现 (the store manager)
#[component]
pub fn WithdrawPage() -> impl IntoView {
    require_login();
    let terms = store_terms();
    view! {
        <TopBar title=Signal::derive(move || tr(T::Cashout)().to_string()) back=true/>
        <section class="page">
            {loaded(terms, move |t: WithdrawalTerms| view! { <WithdrawForm terms=t/> }.into_any())}
        </section>
    }
}

#[component]
fn WithdrawForm(terms: WithdrawalTerms) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let store_id = terms.wallet.store_id;
    let amount = FieldState::new("amount", "", yuan_rule);
    let error = RwSignal::new(None::<Failure>);
    let busy = RwSignal::new(false);
    // One key per intended withdrawal: a retry of the same amount reuses it.
    let key = StoredValue::new((String::new(), api::new_key()));
    // What may be withdrawn: the wallet less counter cash not handed in.
    let (fixed, bp, available) = (terms.fee_fixed, terms.fee_bp, terms.wallet.withdrawable);
    let min = terms.min;
    let cash = terms.wallet.cash_to_hand_in;
    // A new amount clears the last refusal.
    Effect::new(move |_| {
        amount.value.track();
        error.set(None);
    });
    let preview = move || {
        let fen: i64 = yuan_rule(&amount.value.get()).ok()?.parse().ok()?;
        let fee = withdrawal_fee(Fen(fen), fixed, Bp(bp));
        Some((fee, Fen(fen - fee.0)))
    };
    let Some(payee) = terms.payee.clone() else {
        return view! {
            <div class="notice" id="no-payee">{tr(T::CashoutNoPayee)}</div>
            <div class="form-actions">
                <A href=ctx.path(&format!("/stores/{store_id}/payee")) attr:class="btn btn-primary" attr:id="set-payee">{tr(T::PayeeAccount)}</A>
            </div>
        }
        .into_any();
    };
    let confirm = use_confirm();
    let payee_text = format!(
        "{} · {} {}",
        payee.account_name, payee.bank_name, payee.account_no_masked
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let Some(fen) = amount.checked() else {
            return;
        };
        let fen: i64 = fen.parse().unwrap_or(0);
        // Below the minimum, or more than is available, is refused before
        // asking (the server would).
        if fen < min.0 {
            let params = [("min".to_string(), min.0.to_string())]
                .into_iter()
                .collect();
            let refused = shared::ApiError::new(
                shared::ErrorCode::WithdrawalBelowMinimum,
                params,
                lang.get_untracked(),
            );
            return error.set(Some(Failure::Api(refused)));
        }
        if fen > available.0 {
            let params = [
                ("available".to_string(), available.0.to_string()),
                ("cash".to_string(), cash.0.to_string()),
            ]
            .into_iter()
            .collect();
            let refused = shared::ApiError::new(
                shared::ErrorCode::WithdrawalAboveAvailable,
                params,
                lang.get_untracked(),
            );
            return error.set(Some(Failure::Api(refused)));
        }
        let k =
            key.with_value(|(for_amount, k)| (for_amount == &fen.to_string()).then(|| k.clone()));
        let k = k.unwrap_or_else(|| {
            let fresh = api::new_key();
            key.set_value((fen.to_string(), fresh.clone()));
            fresh
        });
        let send = move || {
            let k = k.clone();
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                let body = WithdrawalInput { amount: Fen(fen) };
                let result =
                    api::send_once::<RequestWithdrawal>(&store_id, &body, ctx.token(), &k).await;
                busy.set(false);
                match result {
                    Ok(id) => {
                        toast.show(T::CashoutSent.text(lang.get_untracked()).to_string());
                        go(ctx, &format!("/withdrawals/{id}"));
                    }
                    Err(f) => error.set(Some(f)),
                }
            });
        };
        let l = lang.get_untracked();
        let (fee, receive) = preview().unwrap_or((Fen::ZERO, Fen(fen)));
        let text = T::RequestWithdrawalQuestion
            .text(l)
            .replace("{amount}", &Fen(fen).to_string())
            .replace("{fee}", &fee.to_string())
            .replace("{payout}", &receive.to_string())
            .replace("{payee}", &payee_text);
        confirm.ask(text, T::CashoutSubmit.text(l), false, send);
    };
    view! {
        <div class="wallet-card">
            <span class="wallet-label">{tr(T::Withdrawable)}</span>
            <span class="wallet-amount tabular" id="withdraw-available">{available.to_string()}</span>
            {cash.is_positive().then(|| view! {
                <p class="wallet-hint" id="withdraw-cash-note">{tr(T::CashToHandInNote)}" "{cash.to_string()}</p>
            })}
        </div>
        <form class="cells" on:submit=submit novalidate=true id="withdraw-form">
            <div class="cell">
                <span class="cell-label">{tr(T::CashoutTo)}</span>
                <span class="cell-main" id="withdraw-payee">
                    <span class="cell-title">{payee.account_name.clone()}</span>
                    <span class="cell-desc">{payee.bank_name.clone()}" "{payee.account_no_masked.clone()}</span>
                </span>
            </div>
            <Field label=T::CashoutAmount state=amount id="withdraw-amount" inputmode="decimal"/>
            <div class="cell cell-sub">
                <span class="cell-main">
                    <button type="button" class="btn btn-plain btn-small" id="withdraw-all"
                        on:click=move |_| amount.value.set(format!("{}.{:02}", available.0 / 100, available.0 % 100))>
                        {tr(T::CashoutAll)}
                    </button>
                </span>
                <span class="cell-desc">{tr(T::CashoutMin)}" "{terms.min.to_string()}" · "{tr(T::CashoutFeeRule)}" "{terms.fee_fixed.to_string()}" + "{rate_text(bp)}</span>
            </div>
            <div class="cell">
                <span class="cell-main">{tr(T::CashoutFee)}</span>
                <span class="cell-value tabular" id="withdraw-fee">{move || preview().map(|(f, _)| f.to_string()).unwrap_or_else(|| "—".into())}</span>
            </div>
            <div class="cell">
                <span class="cell-main">{tr(T::CashoutReceive)}</span>
                <span class="cell-value tabular" id="withdraw-receive">{move || preview().map(|(_, r)| r.to_string()).unwrap_or_else(|| "—".into())}</span>
            </div>
            <FormError error=error/>
            <div class="form-actions">
                <button type="submit" class="btn btn-primary" id="withdraw-submit" disabled=move || busy.get()>{tr(T::CashoutSubmit)}</button>
            </div>
        </form>
    }
    .into_any()
}

/// 收款账户 (the store manager; others read)
#[component]
pub fn PayeePage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let terms = store_terms();
    view! {
        <TopBar title=Signal::derive(move || tr(T::PayeeAccount)().to_string()) back=true/>
        <section class="page">
            <p class="notice">{tr(T::PayeeHint)}</p>
            {loaded(terms, move |t: WithdrawalTerms| {
                let store = t.wallet.store_id;
                // One change at a time: the form returns once HQ has decided.
                let waiting = t.pending_payee.is_some();
                view! {
                    <h2 class="cells-title">{tr(T::PayeeCurrent)}</h2>
                    {match t.payee {
                        Some(p) => view! { <PayeeCard payee=p/> }.into_any(),
                        None => view! { <EmptyState/> }.into_any(),
                    }}
                    {t.pending_payee.map(|p| view! {
                        <h2 class="cells-title">{tr(T::PayeePending)}</h2>
                        <PayeeCard payee=p/>
                    })}
                    {t.rejected_payee.map(|p| view! {
                        <h2 class="cells-title" id="payee-rejected">{tr(T::PayeeRejectedTitle)}</h2>
                        <PayeeCard payee=p/>
                    })}
                    {move || (ctx.role() == Some(Role::StoreManager) && !waiting).then(|| view! {
                        <PayeeForm store_id=store on_done=move || terms.refetch()/>
                    })}
                }
                .into_any()
            })}
        </section>
    }
}

#[component]
fn PayeeCard(payee: PayeeView) -> impl IntoView {
    let lang = use_i18n().0;
    let state = payee.state;
    view! {
        <div class="cells payee-card" data-payee=payee.id.to_string()>
            <div class="cell">
                <span class="cell-main">
                    <span class="cell-title">{payee.account_name.clone()}{move || state_tag(state.as_str(), lang.get())}</span>
                    <span class="cell-desc">{payee.bank_name.clone()}" "{payee.account_no_masked.clone()}</span>
                    <span class="cell-desc">{tr(T::RequestedBy)}" "{payee.requested_by.clone()}" · "{local_time(&payee.requested_at)}</span>
                    {payee.reason.clone().map(|r| view! { <span class="cell-desc">{tr(T::Reason)}" "{r}</span> })}
                </span>
            </div>
        </div>
    }
}

#[component]
fn PayeeForm(store_id: i64, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let toast = use_toast();
    let lang = use_i18n().0;
    let name = FieldState::new("account_name", "", account_name_rule);
    let bank = FieldState::new("bank_name", "", bank_name_rule);
    let number = FieldState::new("account_no", "", account_no_rule);
    let error = RwSignal::new(None::<Failure>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A new attempt: the last one's error goes (never two at once).
        error.set(None);
        let (Some(n), Some(b), Some(no)) = (name.checked(), bank.checked(), number.checked())
        else {
            return;
        };
        error.set(None);
        leptos::task::spawn_local(async move {
            let body = PayeeInput {
                account_name: n,
                bank_name: b,
                account_no: no,
            };
            match api::send::<RequestPayee>(&store_id, &body, ctx.token()).await {
                Ok(_) => {
                    toast.show(T::PayeeSubmitted.text(lang.get_untracked()).to_string());
                    on_done.run(());
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <h2 class="cells-title">{tr(T::PayeeNew)}</h2>
        <form class="cells" on:submit=submit novalidate=true id="payee-form">
            <Field label=T::AccountName state=name id="payee-name"/>
            <Field label=T::BankName state=bank id="payee-bank"/>
            <Field label=T::AccountNo state=number id="payee-number" inputmode="numeric" autocomplete="off"/>
            <FormError error=error/>
            <div class="form-actions"><button type="submit" class="btn btn-primary" id="payee-submit">{tr(T::PayeeSubmit)}</button></div>
        </form>
    }
}

/// 提现记录 / 提现审核: withdrawals in the caller's scope, filtered.
#[component]
pub fn WithdrawalsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let query = use_query_map();
    let state = RwSignal::new(query.read_untracked().get("state").unwrap_or_default());
    let store = RwSignal::new(query.read_untracked().get("store").unwrap_or_default());
    let region = RwSignal::new(String::new());
    let hq = move || matches!(ctx.role(), Some(Role::HqAdmin | Role::HqFinance));
    let regions = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let wanted = hq();
        async move {
            if wanted {
                api::fetch::<ListRegions>(&(), token).await
            } else {
                Ok(Vec::new())
            }
        }
    });
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let stores = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<ScopeWallets>(&(), token).await }
    });
    let pager = Pager::try_new::<ListWithdrawals>(
        move |after| {
            // An empty filter is no filter.
            let text = |s: RwSignal<String>| Some(s.get_untracked()).filter(|v| !v.is_empty());
            let query = WithdrawalQuery {
                state: text(state),
                store_id: filter_id("store_id", &store.get_untracked())?,
                region_id: filter_id("region_id", &region.get_untracked())?,
                from: text(from),
                to: text(to),
                after,
            };
            Ok(((), query))
        },
        move || ctx.token(),
    );
    let title = move || {
        if ctx.role() == Some(Role::HqFinance) {
            tr(T::CashoutQueue)()
        } else {
            tr(T::CashoutRecords)()
        }
    };
    view! {
        <TopBar title=Signal::derive(move || title().to_string()) back=true/>
        <section class="page">
            <div class="cells filters" id="withdrawal-filters">
                <SelectFilter label=T::FilterState id="filter-state" value=state all=T::StateAll
                    options=Signal::derive(move || {
                        let l = lang.get();
                        WithdrawalState::ALL.into_iter().map(|s| (s.as_str().to_string(), state_label(s.as_str(), l))).collect()
                    })
                    on_change=move || pager.load(false)/>
                {move || (ctx.role() != Some(Role::StoreManager)).then(|| view! {
                    <SelectFilter label=T::FilterStore id="filter-store" value=store all=T::AllStores
                        options=Signal::derive(move || {
                            stores.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|w| (w.store_id.to_string(), w.store_name)).collect()
                        })
                        on_change=move || pager.load(false)/>
                })}
                {move || hq().then(|| view! {
                    <SelectFilter label=T::FilterRegion id="filter-region" value=region all=T::AllRegions
                        options=Signal::derive(move || {
                            regions.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|r| (r.id.to_string(), r.name)).collect()
                        })
                        on_change=move || pager.load(false)/>
                })}
                <DateRangeFilter from=from to=to on_change=move || pager.load(false)/>
            </div>
            <PagedCells pager=pager id="withdrawal-list" nav=true row=move |w| {
                let st = w.state.as_str();
                view! {
                    <A href=ctx.path(&format!("/withdrawals/{}", w.id)) attr:class="cell cell-link withdrawal-row" attr:data-withdrawal=w.id.to_string()>
                        <span class="cell-main">
                            <span class="cell-title">{w.store_name.clone()}{move || state_tag(st, lang.get())}</span>
                            <span class="cell-desc">{w.requested_by.clone()}" · "{local_time(&w.requested_at)}</span>
                        </span>
                        <span class="cell-value tabular">{w.amount.to_string()}</span>
                    </A>
                }
            }/>
        </section>
    }
}

/// One withdrawal and what the caller may do with it.
#[component]
pub fn WithdrawalPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let item = LocalResource::new(move || {
        let token = ctx.session.token.get();
        let id = id();
        async move { api::fetch::<GetWithdrawal>(&path_id(&id)?, token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::Cashout)().to_string()) back=true/>
        <section class="page">
            {loaded(item, move |w: WithdrawalView| view! { <WithdrawalDetail w=w on_change=move || item.refetch()/> }.into_any())}
        </section>
    }
}

/// What the caller does with a withdrawal.
#[derive(Clone, Copy)]
enum Act {
    /// HQ finance approves and sends the payout.
    Approve,
    /// HQ finance rejects, with the reason.
    Reject,
    /// HQ finance sends a failed payout again.
    Retry,
    /// The store manager takes back their request.
    Cancel,
}

#[component]
fn WithdrawalDetail(w: WithdrawalView, #[prop(into)] on_change: Callback<()>) -> impl IntoView {
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let error = RwSignal::new(None::<Failure>);
    let rejecting = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    // Manual payouts: HQ finance paid it by bank transfer and says so, with
    // the transfer's reference, after a confirmation.
    let reference = RwSignal::new(String::new());
    let reference_now = move || reference.get_untracked();
    let busy = RwSignal::new(false);
    let id = w.id;
    let confirm = use_confirm();
    // What each act says it will do, with this withdrawal's figures.
    let facts = StoredValue::new([
        ("{store}", w.store_name.clone()),
        ("{amount}", w.amount.to_string()),
        ("{fee}", w.fee.to_string()),
        ("{payout}", w.payout.to_string()),
        ("{payee}", w.payee.clone()),
    ]);
    let ask = move |text: Txt, action: Txt, danger: bool, yes: Box<dyn Fn() + Send + Sync>| {
        let l = lang.get_untracked();
        let mut text = text.text(l).to_string();
        facts.with_value(|f| {
            for (k, v) in f {
                text = text.replace(k, v);
            }
        });
        let text = text.replace("{reference}", &reference_now());
        confirm.ask(text, action.text(l), danger, yes);
    };
    let act = move |action: Act| {
        let body = RejectInput {
            reason: reason.get_untracked(),
        };
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let result = match action {
                Act::Approve => api::fetch::<ApproveWithdrawal>(&id, ctx.token()).await,
                Act::Reject => api::send::<RejectWithdrawal>(&id, &body, ctx.token()).await,
                Act::Retry => api::fetch::<RetryWithdrawal>(&id, ctx.token()).await,
                Act::Cancel => api::fetch::<CancelWithdrawal>(&id, ctx.token()).await,
            };
            busy.set(false);
            match result {
                Ok(_) => on_change.run(()),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let st = w.state.as_str();
    let row = |label: Txt, value: String, id: &'static str| {
        view! {
            <div class="cell">
                <span class="cell-main">{tr(label)}</span>
                <span class="cell-value tabular" id=id>{value}</span>
            </div>
        }
    };
    let decide = w.can_decide;
    let failed = w.state == WithdrawalState::Failed;
    let mark_paid = move || {
        busy.set(true);
        error.set(None);
        let body = shared::dto::MarkPaidInput {
            reference: reference.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            let result = api::send::<MarkWithdrawalPaid>(&id, &body, ctx.token()).await;
            busy.set(false);
            match result {
                Ok(_) => on_change.run(()),
                Err(f) => error.set(Some(f)),
            }
        });
    };
    view! {
        <div class="wallet-card" id="withdrawal-card" data-state=st>
            <h2>{w.store_name.clone()}{move || state_tag(st, lang.get())}</h2>
            <span class="wallet-amount tabular" id="withdrawal-amount">{w.amount.to_string()}</span>
        </div>
        <div class="cells" id="withdrawal-detail">
            {row(T::CashoutFee, w.fee.to_string(), "withdrawal-fee")}
            {row(T::PayoutAmount, w.payout.to_string(), "withdrawal-payout")}
            {row(T::CashoutTo, w.payee.clone(), "withdrawal-payee")}
            {row(T::RequestedBy, format!("{} · {}", w.requested_by, local_time(&w.requested_at)), "withdrawal-requested")}
            {w.decided_by.clone().map(|d| row(T::DecidedBy, format!("{d} · {}", w.decided_at.as_deref().map(local_time).unwrap_or_default()), "withdrawal-decided"))}
            {w.reason.clone().map(|r| row(T::Reason, r, "withdrawal-reason"))}
            {w.payout_no.clone().map(|n| row(T::PayoutNo, n, "withdrawal-payout-no"))}
            {w.paid_at.clone().map(|p| row(T::PaidAt, local_time(&p), "withdrawal-paid-at"))}
        </div>
        <FormError error=error/>
        {move || rejecting.get().then(|| view! {
            <div class="cells">
                <label class="cell field">
                    <span class="cell-label">{tr(T::RejectReason)}</span>
                    <input class="cell-input" id="reject-reason" maxlength=200 prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev))/>
                </label>
            </div>
        })}
        {w.can_mark_paid.then(|| view! {
            <div class="cells" id="mark-paid">
                <label class="cell field">
                    <span class="cell-label">{tr(T::TransferReference)}</span>
                    <input class="cell-input" id="transfer-reference" maxlength=64 prop:value=move || reference.get()
                        on:input=move |ev| reference.set(event_target_value(&ev))/>
                </label>
            </div>
            <div class="form-actions">
                <button class="btn btn-primary" id="mark-paid-submit" disabled=move || busy.get() on:click=move |_| {
                    ask(T::MarkPaidQuestion, T::MarkPaid, false, Box::new(mark_paid))
                }>{tr(T::MarkPaid)}</button>
            </div>
        })}
        <div class="form-actions">
            {(decide && !failed).then(|| view! {
                <button class="btn btn-primary" id="approve" disabled=move || busy.get() on:click=move |_| {
                    ask(T::ApproveWithdrawalQuestion, T::Approve, false, Box::new(move || act(Act::Approve)))
                }>{tr(T::Approve)}</button>
                <button class="btn btn-default" id="reject" disabled=move || busy.get() on:click=move |_| {
                    if rejecting.get_untracked() {
                        ask(T::RejectWithdrawalQuestion, T::Reject, true, Box::new(move || act(Act::Reject)))
                    } else {
                        rejecting.set(true)
                    }
                }>{tr(T::Reject)}</button>
            })}
            {(decide && failed).then(|| view! {
                <button class="btn btn-primary" id="retry" disabled=move || busy.get() on:click=move |_| {
                    ask(T::RetryPayoutQuestion, T::RetryPayout, false, Box::new(move || act(Act::Retry)))
                }>{tr(T::RetryPayout)}</button>
            })}
            {w.can_cancel.then(|| view! {
                <button class="btn btn-default" id="cancel-withdrawal" disabled=move || busy.get() on:click=move |_| {
                    ask(T::CancelWithdrawalQuestion, T::ConfirmCancelRequest, true, Box::new(move || act(Act::Cancel)))
                }>{tr(T::CancelRequest)}</button>
            })}
        </div>
    }
}

/// 收款账户审核 (HQ; the region manager reads their region's)
#[component]
pub fn PayeeChangesPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let pending_only = RwSignal::new(true);
    let pager = Pager::new::<ListPayeeChanges>(
        move |after| {
            // All states: no state (the server reads an empty one as absent).
            let state = pending_only.get_untracked().then(|| "pending".to_string());
            ((), StateQuery { state, after })
        },
        move || ctx.token(),
    );
    let show = move |p: bool| {
        pending_only.set(p);
        pager.load(false);
    };
    let error = RwSignal::new(None::<Failure>);
    // The change being rejected and why.
    let rejecting = RwSignal::new(None::<i64>);
    let reason = RwSignal::new(String::new());
    let confirm = use_confirm();
    let lang = use_i18n().0;
    let decide = move |id: i64, approve: bool| {
        error.set(None);
        leptos::task::spawn_local(async move {
            let body = RejectInput {
                reason: reason.get_untracked(),
            };
            let result = if approve {
                api::fetch::<ApprovePayee>(&id, ctx.token()).await
            } else {
                api::send::<RejectPayee>(&id, &body, ctx.token()).await
            };
            match result {
                Ok(_) => {
                    rejecting.set(None);
                    reason.set(String::new());
                    pager.load(false);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    let finance = move || ctx.role() == Some(Role::HqFinance);
    view! {
        <TopBar title=Signal::derive(move || tr(T::PayeeChanges)().to_string()) back=true/>
        <section class="page">
            <div class="segments" role="group">
                <button class="seg" id="payee-pending" class:seg-active=move || pending_only.get() aria-pressed=move || bool::to_string(&(pending_only.get())) on:click=move |_| show(true)>{tr(T::PayeePending)}</button>
                <button class="seg" id="payee-all" class:seg-active=move || !pending_only.get() aria-pressed=move || bool::to_string(&(!pending_only.get())) on:click=move |_| show(false)>{tr(T::HistoryAll)}</button>
            </div>
            <FormError error=error/>
            <PagedCells pager=pager id="payee-list" class="" row=move |p| {
                let id = p.id;
                let open = p.state == "pending";
                let account = StoredValue::new(format!("{} · {} {}", p.store_name, p.account_name, p.account_no_masked));
                let ask = move |approve: bool| {
                    if !approve && rejecting.get_untracked() != Some(id) {
                        rejecting.set(Some(id));
                        return;
                    }
                    let l = lang.get_untracked();
                    let (text, action) = if approve {
                        (T::ApprovePayeeQuestion, T::Approve)
                    } else {
                        (T::RejectPayeeQuestion, T::Reject)
                    };
                    confirm.ask(text.text(l).replace("{account}", &account.get_value()), action.text(l), !approve, move || decide(id, approve));
                };
                // The whole number, on finance's request (each look audited).
                let full = RwSignal::new(None::<String>);
                let reveal = move |_| {
                    error.set(None);
                    leptos::task::spawn_local(async move {
                        match api::fetch::<RevealPayee>(&id, ctx.token()).await {
                            // In fours, as typed and as printed on the card.
                            Ok(n) => full.set(Some(
                                n.account_no.chars().collect::<Vec<_>>().chunks(4)
                                    .map(|c| c.iter().collect::<String>())
                                    .collect::<Vec<_>>().join(" "),
                            )),
                            Err(f) => error.set(Some(f)),
                        }
                    });
                };
                view! {
                    <div class="payee-change">
                        <div class="cells"><div class="cell"><span class="cell-main"><span class="cell-title">{p.store_name.clone()}</span></span></div></div>
                        <PayeeCard payee=p/>
                        {move || (finance() && open).then(|| match full.get() {
                            Some(n) => view! {
                                <div class="cells"><div class="cell">
                                    <span class="cell-main">{tr(T::FullAccountNo)}</span>
                                    <span class="cell-value tabular payee-full-no">{n}</span>
                                </div></div>
                            }.into_any(),
                            None => view! {
                                <div class="form-actions">
                                    <button class="btn btn-plain btn-small payee-reveal" on:click=reveal>{tr(T::ShowFullAccountNo)}</button>
                                </div>
                            }.into_any(),
                        })}
                        {move || (finance() && open && rejecting.get() == Some(id)).then(|| view! {
                            <div class="cells">
                                <label class="cell field">
                                    <span class="cell-label">{tr(T::RejectReason)}</span>
                                    <input class="cell-input payee-reason" maxlength=200 prop:value=move || reason.get()
                                        on:input=move |ev| reason.set(event_target_value(&ev))/>
                                </label>
                            </div>
                        })}
                        {move || (finance() && open).then(|| view! {
                            <div class="form-actions">
                                <button class="btn btn-primary btn-small payee-approve" on:click=move |_| ask(true)>{tr(T::Approve)}</button>
                                <button class="btn btn-default btn-small payee-reject" on:click=move |_| ask(false)>{tr(T::Reject)}</button>
                            </div>
                        })}
                    </div>
                }
            }/>
        </section>
    }
}

fn message_text(m: &StaffMessage, lang: Lang) -> String {
    let state = state_label(&m.state, lang);
    let topic = if m.topic == MessageTopic::Payee {
        T::MsgPayee
    } else {
        T::MsgWithdrawal
    };
    let amount = m.amount.map(|a| format!(" {a}")).unwrap_or_default();
    format!("{} · {}{amount} · {state}", m.store_name, topic.text(lang))
}

/// 消息: the caller's messages, paged; opening the page marks them read
/// (they still show as new this time).
#[component]
pub fn MessagesPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let pager =
        Pager::new::<ListMessages>(move |after| ((), AfterQuery { after }), move || ctx.token());
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) || !pager.loaded_once.get() {
            return done.unwrap_or(false);
        }
        if pager.items.with(|v| v.iter().any(|m| !m.read)) {
            leptos::task::spawn_local(async move {
                // Best effort: if it fails they stay unread for next time.
                let _ = api::fetch::<ReadMessages>(&(), ctx.token()).await;
            });
        }
        true
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::Messages)().to_string()) back=true/>
        <section class="page">
            <PagedCells pager=pager id="message-list" nav=true row=move |m| {
                let href = if m.topic == MessageTopic::Payee {
                    ctx.path(&format!("/stores/{}/payee", m.store_id))
                } else {
                    ctx.path(&format!("/withdrawals/{}", m.subject_id))
                };
                let text = message_text(&m, lang.get());
                view! {
                    <A href=href attr:class="cell cell-link message-row" attr:data-state=m.state.clone()>
                        <span class="cell-main">
                            <span class="cell-title" class:message-unread=!m.read>{text}</span>
                            <span class="cell-desc">{local_time(&m.at)}</span>
                        </span>
                    </A>
                }
            }/>
        </section>
    }
}

tongka_app::split_page!(withdraw => WithdrawPage);
tongka_app::split_page!(payee => PayeePage);
tongka_app::split_page!(withdrawals => WithdrawalsPage);
tongka_app::split_page!(withdrawal => WithdrawalPage);
tongka_app::split_page!(payee_changes => PayeeChangesPage);
tongka_app::split_page!(messages => MessagesPage);
