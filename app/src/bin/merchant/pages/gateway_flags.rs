//! 支付异常: gateway orders HQ should look at (paid after we closed them,
//! sent back because they could not be credited, refunds the gateway
//! refused).

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::dto::{AfterQuery, OrderState};
use tongka_app::components::{PagedCells, Pager, TopBar, local_time};
use tongka_app::i18n::{T, tr};

/// 支付异常
#[component]
pub fn GatewayFlagsPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let pager = Pager::new::<shared::api::ListGatewayFlags>(
        |after| ((), AfterQuery { after }),
        move || ctx.token(),
    );
    view! {
        <TopBar title=Signal::derive(move || tr(T::GatewayFlags)().to_string()) back=true/>
        <section class="page">
            <p class="cell-desc sandbox-hint">{tr(T::GatewayFlagsHint)}</p>
            <PagedCells pager=pager id="flag-list" row=move |f| {
                let why = match (f.late, f.state, f.failed_refunds.is_positive()) {
                    (_, _, true) => T::FlagRefundFailed,
                    (true, OrderState::Refunded, _) => T::FlagLatePayment,
                    (true, _, _) => T::FlagLateTopUp,
                    _ => T::FlagOverCap,
                };
                view! {
                    <div class="cell">
                        <span class="cell-main">
                            <span class="cell-title tabular">{f.amount.to_string()}" · "{tr(why)}</span>
                            <span class="cell-desc">{f.member_phone_masked.clone()}" · "{f.order_no.clone()}</span>
                            <span class="cell-desc tabular">{local_time(&f.created_at)}" · "{tr(T::Refunded)}" "{f.refunded.to_string()}</span>
                        </span>
                    </div>
                }
            }/>
        </section>
    }
}

tongka_app::split_page!(gateway_flags => GatewayFlagsPage);
