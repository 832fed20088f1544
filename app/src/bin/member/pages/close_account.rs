//! 注销账户: what closing means (stored value is refunded through 退卡 at a
//! store first), then, confirmed, the account closes and every session
//! ends.

use crate::shell::{require_login, use_brand, use_session};
use leptos::prelude::*;
use shared::api::{CloseMemberAccount, MemberBalance};
use shared::dto::BalanceView;
use tongka_app::api::{self, Failure};
use tongka_app::components::{FormError, TopBar, loaded, use_confirm, use_nav, use_toast};
use tongka_app::i18n::{T, tr, use_i18n};

/// 注销账户
#[component]
pub fn CloseAccountPage() -> impl IntoView {
    require_login();
    let session = use_session();
    let balance = LocalResource::new(move || {
        let token = session.token.get();
        async move { api::fetch::<MemberBalance>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::CloseAccount)().to_string()) back=true/>
        <section class="page">
            {loaded(balance, move |b: BalanceView| view! { <CloseForm balance=b/> }.into_any())}
        </section>
    }
}

#[component]
fn CloseForm(balance: BalanceView) -> impl IntoView {
    let session = use_session();
    let brand = use_brand();
    let nav = use_nav();
    let toast = use_toast();
    let confirm = use_confirm();
    let lang = use_i18n().0;
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let holds = balance.total.is_positive();
    let close = move || {
        let token = session.current();
        let to = brand.path("/login");
        busy.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            match api::fetch::<CloseMemberAccount>(&(), token).await {
                Ok(()) => {
                    toast.show(T::AccountClosed.text(lang.get_untracked()).to_string());
                    session.clear();
                    nav.replace(&to);
                }
                Err(f) => {
                    busy.set(false);
                    error.set(Some(f));
                }
            }
        });
    };
    view! {
        <div class="cells">
            <div class="cell">
                <span class="cell-main">{tr(T::Balance)}</span>
                <span class="cell-value tabular" id="close-balance">{balance.total.to_string()}</span>
            </div>
        </div>
        <div class="notice" id="close-explained">
            <p>{tr(T::CloseAccountWhat)}</p>
            {holds.then(|| view! { <p id="close-refund-first"><strong>{tr(T::CloseAccountRefundFirst)}</strong></p> })}
        </div>
        <FormError error=error/>
        <div class="form-actions">
            <button class="btn btn-warn" id="close-account" disabled=move || busy.get() || holds
                on:click=move |_| {
                    let l = lang.get_untracked();
                    confirm.ask(T::CloseAccountQuestion.text(l), T::CloseAccount.text(l), true, close.clone());
                }>{tr(T::CloseAccount)}</button>
        </div>
    }
}

tongka_app::split_page!(close_account => CloseAccountPage);
