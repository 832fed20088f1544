//! The stores a staff member's scope covers; HQ admin can add one.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::dto::{Role, StoreView};
use tongka_app::api;
use tongka_app::components::{EmptyState, TopBar, loaded};
use tongka_app::i18n::{T, tr};

/// 门店
#[component]
pub fn StoresPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let stores = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<shared::api::ListStores>(&(), token).await }
    });
    view! {
        <TopBar title=Signal::derive(move || tr(T::Stores)().to_string()) back=true/>
        <section class="page">
            {move || (ctx.role() == Some(Role::HqAdmin)).then(|| view! {
                <div class="form-actions">
                    <A href=ctx.path("/stores/new") attr:class="btn btn-primary" attr:id="add-store">{tr(T::AddStore)}</A>
                </div>
            })}
            {loaded(stores, move |list: Vec<StoreView>| {
                if list.is_empty() {
                    return view! { <EmptyState/> }.into_any();
                }
                view! {
                    <div class="cells" id="store-list">
                        {list.into_iter().map(|s| view! {
                            <A href=ctx.path(&format!("/stores/{}", s.id)) attr:class="cell cell-link store-row">
                                <span class="cell-main">
                                    <span class="cell-title">
                                        <span class="store-name">{s.name.clone()}</span>
                                        {s.is_default.then(|| view! { <span class="tag tag-green">{tr(T::DefaultStore)}</span> })}
                                        {if s.active {
                                            view! { <span class="tag tag-grey">{tr(T::Open)}</span> }.into_any()
                                        } else {
                                            view! { <span class="tag tag-red">{tr(T::Closed)}</span> }.into_any()
                                        }}
                                    </span>
                                    <span class="cell-desc">{format!("{} · {}", s.region_name, s.address)}</span>
                                    <span class="cell-desc tabular">{format!("{} · {}", s.phone, s.hours)}</span>
                                </span>
                            </A>
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
        </section>
    }
}

tongka_app::split_page!(stores => StoresPage);
