//! The audit log, newest first, paged.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::dto::{AuditEntry, Page};
use tongka_app::api::{self, Failure};
use tongka_app::components::{EmptyState, ErrorState, Loading, TopBar, local_time};
use tongka_app::i18n::{T, tr};

/// 操作日志
#[component]
pub fn AuditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let items = RwSignal::new(Vec::<AuditEntry>::new());
    let cursor = RwSignal::new(None::<i64>);
    let loading = RwSignal::new(false);
    let done_once = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let load = move |more: bool| {
        let after = if more { cursor.get_untracked() } else { None };
        loading.set(true);
        error.set(None);
        leptos::task::spawn_local(async move {
            let path = match after {
                Some(a) => format!("/hq/audit?after={a}"),
                None => "/hq/audit".to_string(),
            };
            let result = api::get::<Page<AuditEntry>>(&path, ctx.token()).await;
            loading.set(false);
            done_once.set(true);
            match result {
                Ok(page) => {
                    items.update(|v| v.extend(page.items));
                    cursor.set(page.next_cursor);
                }
                Err(f) => error.set(Some(f)),
            }
        });
    };
    load(false);
    view! {
        <TopBar title=Signal::derive(move || tr(T::AuditLog)().to_string()) back=true/>
        <section class="page">
            {move || {
                let list = items.get();
                if list.is_empty() && done_once.get() && error.get().is_none() && !loading.get() {
                    return view! { <EmptyState/> }.into_any();
                }
                view! {
                    <div class="cells" id="audit-list">
                        {list.into_iter().map(|e| view! {
                            <div class="cell audit-row">
                                <span class="cell-main">
                                    <span class="cell-title">{e.action.clone()}" · "{e.target.clone()}</span>
                                    <span class="cell-desc tabular">{local_time(&e.at)}" · "{e.actor.clone()}</span>
                                </span>
                            </div>
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
