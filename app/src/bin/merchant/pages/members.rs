//! HQ's member list: search, masked phones, keyset paging, freeze.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::dto::{MemberListItem, Page, Role};
use tongka_app::api::{self, Failure};
use tongka_app::components::{EmptyState, ErrorState, Loading, TopBar, local_time};
use tongka_app::i18n::{T, tr, use_i18n};

/// 会员
#[component]
pub fn MembersPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let lang = use_i18n().0;
    let query = RwSignal::new(String::new());
    let items = RwSignal::new(Vec::<MemberListItem>::new());
    let cursor = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(false);
    let loaded_once = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let act_error = RwSignal::new(None::<Failure>);

    // Loads the first page (reset) or the next one.
    let load = move |reset: bool| {
        let after = if reset { None } else { cursor.get_untracked() };
        let q = query.get_untracked();
        loading.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let mut path = format!("/hq/members?q={}", api::encode(q.trim()));
            if let Some(a) = after {
                path.push_str(&format!("&after={a}"));
            }
            let result = api::get::<Page<MemberListItem>>(&path, ctx.token()).await;
            loading.set(false);
            loaded_once.set(true);
            match result {
                Ok(page) => {
                    if reset {
                        items.set(page.items);
                    } else {
                        items.update(|v| v.extend(page.items));
                    }
                    cursor.set(page.next_cursor);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    load(true);

    let set_frozen = move |id: i64, freeze: bool| {
        act_error.set(None);
        leptos::task::spawn_local(async move {
            let action = if freeze { "freeze" } else { "unfreeze" };
            match api::post::<MemberListItem, _>(
                &format!("/hq/members/{id}/{action}"),
                ctx.token(),
                &(),
            )
            .await
            {
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

    view! {
        <TopBar title=Signal::derive(move || tr(T::Members)().to_string()) back=true/>
        <section class="page">
            <form class="searchbar" on:submit=move |ev| { ev.prevent_default(); load(true); }>
                <input id="member-search" type="search" placeholder=move || T::SearchMembers.text(lang.get())
                    prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))/>
                <button type="submit" class="btn btn-primary btn-small">{tr(T::Search)}</button>
            </form>
            {move || act_error.get().map(|f| view! { <div class="form-error" role="alert">{f.text(lang.get())}</div> })}
            {move || {
                let list = items.get();
                if list.is_empty() && loaded_once.get() && !loading.get() && error.get().is_none() {
                    return view! { <EmptyState/> }.into_any();
                }
                view! {
                    <div class="cells" id="member-list">
                        {list.into_iter().map(|m| {
                            let id = m.id;
                            let frozen = m.frozen;
                            view! {
                                <div class="cell member-row">
                                    <span class="cell-main">
                                        <span class="cell-title">
                                            {if m.name.is_empty() { T::NoName.text(lang.get()).to_string() } else { m.name.clone() }}
                                            {frozen.then(|| view! { <span class="tag tag-red">{tr(T::FrozenTag)}</span> })}
                                        </span>
                                        <span class="cell-desc tabular member-phone">{m.phone_masked.clone()}</span>
                                        <span class="cell-desc">
                                            {m.home_store.clone().unwrap_or_default()}" · "{tr(T::Registered)}" "{local_time(&m.registered_at)}
                                        </span>
                                    </span>
                                    {move || is_admin().then(|| view! {
                                        <button class="btn btn-plain btn-small freeze-btn" on:click=move |_| set_frozen(id, !frozen)>
                                            {if frozen { tr(T::Unfreeze)() } else { tr(T::Freeze)() }}
                                        </button>
                                    })}
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
                    let retry_reset = cursor.get_untracked().is_none();
                    view! { <ErrorState failure=f on_retry=move |_| load(retry_reset)/> }.into_any()
                } else if cursor.get().is_some() {
                    view! {
                        <div class="form-actions">
                            <button class="btn btn-default" id="load-more" on:click=move |_| load(false)>{tr(T::LoadMore)}</button>
                        </div>
                    }.into_any()
                } else if !items.get().is_empty() {
                    view! { <p class="state">{tr(T::NoMore)}</p> }.into_any()
                } else {
                    ().into_any()
                }
            }}
        </section>
    }
}
