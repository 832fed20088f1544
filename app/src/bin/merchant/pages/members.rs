//! HQ's member list: search, masked phones, keyset paging, freeze.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::api::{FreezeMember, ListMembers, UnfreezeMember};
use shared::dto::{MemberSearch, Role};
use tongka_app::api::{self, Failure};
use tongka_app::components::{PagedCells, Pager, TopBar, local_time, use_confirm};
use tongka_app::i18n::{T, tr, use_i18n};

/// 会员
#[component]
pub fn MembersPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let query = RwSignal::new(String::new());
    let act_error = RwSignal::new(None::<Failure>);
    let pager = Pager::new::<ListMembers>(
        move |after| {
            // An empty search is no search (the server reads it as absent).
            let q = Some(query.get_untracked().trim().to_string()).filter(|q| !q.is_empty());
            ((), MemberSearch { q, after })
        },
        move || ctx.token(),
    );
    let items = pager.items;

    let set_frozen = move |id: i64, freeze: bool| {
        act_error.set(None);
        leptos::task::spawn_local(async move {
            let result = if freeze {
                api::fetch::<FreezeMember>(&id, ctx.token()).await
            } else {
                api::fetch::<UnfreezeMember>(&id, ctx.token()).await
            };
            match result {
                Ok(m) => items.update(|v| {
                    if let Some(x) = v.iter_mut().find(|x| x.id == m.id) {
                        *x = m;
                    }
                }),
                Err(f) => act_error.set(Some(f)),
            }
        });
    };
    let is_admin = move || ctx.role() == Some(Role::HqAdmin);
    let confirm = use_confirm();

    view! {
        <TopBar title=Signal::derive(move || tr(T::Members)().to_string()) back=true/>
        <section class="page">
            <form class="searchbar" on:submit=move |ev| { ev.prevent_default(); pager.load(false); }>
                <input id="member-search" type="search" placeholder=move || T::SearchMembers.text(lang.get())
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                <button type="submit" class="btn btn-primary btn-small">{tr(T::Search)}</button>
            </form>
            {move || act_error.get().map(|f| view! { <div class="form-error" role="alert">{f.text(lang.get())}</div> })}
            <PagedCells pager=pager id="member-list" show_end=true row=move |m| {
                let id = m.id;
                let frozen = m.frozen;
                let closed = m.closed;
                let who = StoredValue::new(format!("{} {}", m.name, m.phone_masked).trim().to_string());
                view! {
                    <div class="cell member-row">
                        <A href=ctx.path(&format!("/members/{id}")) attr:class="cell-main member-link">
                            <span class="cell-title">
                                {if m.name.is_empty() { T::NoName.text(lang.get()).to_string() } else { m.name.clone() }}
                                {closed.then(|| view! { <span class="tag tag-grey member-closed">{tr(T::ClosedTag)}</span> })}
                                {(frozen && !closed).then(|| view! { <span class="tag tag-red">{tr(T::FrozenTag)}</span> })}
                            </span>
                            <span class="cell-desc tabular member-phone">{m.phone_masked.clone()}</span>
                            <span class="cell-desc">
                                {m.home_store.clone().unwrap_or_default()}" · "{tr(T::Registered)}" "{local_time(&m.registered_at)}
                            </span>
                        </A>
                        {move || (is_admin() && !closed).then(|| view! {
                            <button class="btn btn-plain btn-small freeze-btn" on:click=move |_| {
                                let l = lang.get_untracked();
                                let (text, action) = if frozen {
                                    (T::UnfreezeQuestion, T::Unfreeze)
                                } else {
                                    (T::FreezeQuestion, T::Freeze)
                                };
                                confirm.ask(text.text(l).replace("{who}", &who.get_value()), action.text(l), !frozen, move || set_frozen(id, !frozen))
                            }>
                                {if frozen { tr(T::Unfreeze)() } else { tr(T::Freeze)() }}
                            </button>
                        })}
                    </div>
                }
            }/>
        </section>
    }
}

tongka_app::split_page!(members => MembersPage);
