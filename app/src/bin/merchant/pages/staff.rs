//! Staff accounts the caller may see; HQ admin and store managers add.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use leptos_router::components::A;
use shared::dto::{Role, StaffView};
use tongka_app::api;
use tongka_app::components::{EmptyState, TopBar, loaded};
use tongka_app::i18n::{T, role_text, tr};

/// 员工
#[component]
pub fn StaffPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let staff = LocalResource::new(move || {
        let token = ctx.session.token.get();
        async move { api::fetch::<shared::api::ListStaff>(&(), token).await }
    });
    let can_add = move || matches!(ctx.role(), Some(Role::HqAdmin | Role::StoreManager));
    view! {
        <TopBar title=Signal::derive(move || tr(T::Staff)().to_string()) back=true/>
        <section class="page">
            {move || can_add().then(|| view! {
                <div class="form-actions">
                    <A href=ctx.path("/staff/new") attr:class="btn btn-primary" attr:id="add-staff">{tr(T::AddStaff)}</A>
                </div>
            })}
            {loaded(staff, move |list: Vec<StaffView>| {
                if list.is_empty() {
                    return view! { <EmptyState/> }.into_any();
                }
                view! {
                    <div class="cells" id="staff-list">
                        {list.into_iter().map(|s| view! {
                            <A href=ctx.path(&format!("/staff/{}", s.id)) attr:class="cell cell-link staff-row">
                                <span class="cell-main">
                                    <span class="cell-title">
                                        {s.name.clone()}
                                        <span class="tag tag-grey">{tr(role_text(s.role))}</span>
                                        {(!s.active).then(|| view! { <span class="tag tag-red">{tr(T::Deactivated)}</span> })}
                                    </span>
                                    <span class="cell-desc">{s.account.clone()}{s.scope_name.clone().map(|n| format!(" · {n}"))}</span>
                                </span>
                            </A>
                        }).collect_view()}
                    </div>
                }.into_any()
            })}
        </section>
    }
}

tongka_app::split_page!(staff => StaffPage);
