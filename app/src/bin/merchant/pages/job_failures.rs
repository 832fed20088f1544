//! 后台任务异常: items the brand's background jobs could not handle (a
//! gateway order, a refund, a payout). Each is tried again on every run and
//! leaves the list once it goes through.

use crate::shell::{require_login, use_ctx};
use leptos::prelude::*;
use shared::dto::{AfterQuery, JobName};
use tongka_app::components::{PagedCells, Pager, TopBar, local_time};
use tongka_app::i18n::{T, Txt, tr};

fn job_title(job: JobName) -> Txt {
    match job {
        JobName::GatewayOrders => T::JobGatewayOrders,
        JobName::GatewayRefunds => T::JobGatewayRefunds,
        JobName::Payouts => T::JobPayouts,
        JobName::Sms => T::JobSms,
        JobName::Cards => T::JobCards,
        JobName::Points => T::JobPoints,
        JobName::Birthday => T::JobBirthday,
        JobName::PointsReminders => T::JobPointsReminders,
        JobName::Invites => T::JobInvites,
        JobName::Rollup => T::JobRollup,
    }
}

/// 后台任务异常
#[component]
pub fn JobFailuresPage() -> impl IntoView {
    require_login();
    let ctx = use_ctx();
    let pager = Pager::new::<shared::api::ListJobFailures>(
        |after| ((), AfterQuery { after }),
        move || ctx.token(),
    );
    view! {
        <TopBar title=Signal::derive(move || tr(T::JobFailures)().to_string()) back=true/>
        <section class="page">
            <p class="cell-desc sandbox-hint">{tr(T::JobFailuresHint)}</p>
            <PagedCells pager=pager id="job-failure-list" row=move |f| view! {
                <div class="cell job-failure">
                    <span class="cell-main">
                        <span class="cell-title">{tr(job_title(f.job))}" · "{f.item.clone()}</span>
                        <span class="cell-desc tabular">
                            {local_time(&f.last_at)}" · "{tr(T::JobAttempts)}" "{f.attempts}
                        </span>
                        <span class="cell-desc job-error">{f.error.clone()}</span>
                    </span>
                </div>
            }/>
        </section>
    }
}

tongka_app::split_page!(job_failures => JobFailuresPage);
