//! The audit log, newest first, paged.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::dto::AfterQuery;
use tongka_app::components::{PagedCells, Pager, TopBar, local_time};
use tongka_app::i18n::{T, tr};

/// 操作日志
#[component]
pub fn AuditPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let pager = Pager::new::<shared::api::ListAudit>(
        |after| ((), AfterQuery { after }),
        move || ctx.token(),
    );
    view! {
        <TopBar title=Signal::derive(move || tr(T::AuditLog)().to_string()) back=true/>
        <section class="page">
            <PagedCells pager=pager id="audit-list" row=move |e| view! {
                <div class="cell audit-row">
                    <span class="cell-main">
                        <span class="cell-title">{e.action.clone()}" · "{e.target.clone()}</span>
                        <span class="cell-desc tabular">{local_time(&e.at)}" · "{e.actor.clone()}</span>
                    </span>
                </div>
            }/>
        </section>
    }
}

tongka_app::split_page!(audit => AuditPage);
