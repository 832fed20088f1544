//! The merchant app (商家端): staff login, a workbench by role, and the HQ
//! section (stores, regions, staff, members, audit log, API keys). Routes
//! live under `/biz/{brand}`.

mod pages;
mod shell;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use tongka_app::components::{Confirm, ConfirmHost, Toast, ToastHost};
use tongka_app::i18n::I18n;
use tongka_app::page;

fn main() {
    tongka_app::install_panic_hook();
    tongka_app::components::remember_entry();
    tongka_app::i18n::carry_field_texts(shared::error::FieldTexts::ALL);
    mount_to_body(App);
}

/// A page for signed-in staff (every page but login and home): a visitor
/// without a session is sent to the login page (and back after) without
/// fetching the page's code first.
fn staff_only<F, Fut>(load: F) -> AnyView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, tongka_app::lazy::SplitLoaderError>> + 'static,
{
    let signed_in = shell::use_ctx().session.token.get_untracked().is_some();
    tongka_app::lazy::signed_in_first(signed_in, shell::require_login, load)
}

#[component]
fn App() -> impl IntoView {
    I18n::provide();
    Toast::provide();
    Confirm::provide();
    view! {
        <Router>
            <Routes fallback=tongka_app::components::NotFound>
                <ParentRoute path=path!("/biz/:brand") view=shell::BrandShell>
                    <Route path=path!("") view=pages::home::HomePage/>
                    <Route path=path!("login") view=page!(pages::login::login)/>
                    <Route path=path!("stores") view=page!(staff_only, pages::stores::stores)/>
                    <Route path=path!("stores/new") view=page!(staff_only, pages::store_edit::store_new)/>
                    <Route path=path!("stores/:id") view=page!(staff_only, pages::store_edit::store_edit)/>
                    <Route path=path!("regions") view=page!(staff_only, pages::regions::regions)/>
                    <Route path=path!("staff") view=page!(staff_only, pages::staff::staff)/>
                    <Route path=path!("staff/new") view=page!(staff_only, pages::staff_edit::staff_new)/>
                    <Route path=path!("staff/:id") view=page!(staff_only, pages::staff_edit::staff_edit)/>
                    <Route path=path!("members") view=page!(staff_only, pages::members::members)/>
                    <Route path=path!("members/:id") view=page!(staff_only, pages::member::member)/>
                    <Route path=path!("audit") view=page!(staff_only, pages::audit::audit)/>
                    <Route path=path!("api-keys") view=page!(staff_only, pages::api_keys::api_keys)/>
                    <Route path=path!("me") view=page!(staff_only, pages::me::me)/>
                    <Route path=path!("stores/:id/pay-code") view=page!(staff_only, pages::pay_code::pay_code)/>
                    <Route path=path!("topup") view=page!(staff_only, pages::topup::top_up)/>
                    <Route path=path!("sell-card") view=page!(staff_only, pages::sell_card::sell_card)/>
                    <Route path=path!("service-items") view=page!(staff_only, pages::catalogue::service_items)/>
                    <Route path=path!("card-types") view=page!(staff_only, pages::catalogue::card_types)/>
                    <Route path=path!("card-types/new") view=page!(staff_only, pages::catalogue::card_type_edit)/>
                    <Route path=path!("card-types/:id") view=page!(staff_only, pages::catalogue::card_type_edit)/>
                    <Route path=path!("coupon-templates") view=page!(staff_only, pages::coupons::coupon_templates)/>
                    <Route path=path!("coupon-templates/new") view=page!(staff_only, pages::coupons::coupon_template_edit)/>
                    <Route path=path!("coupon-templates/:id") view=page!(staff_only, pages::coupons::coupon_template_edit)/>
                    <Route path=path!("issue-coupon") view=page!(staff_only, pages::coupons::issue_coupon)/>
                    <Route path=path!("payments") view=page!(staff_only, pages::payments::payments)/>
                    <Route path=path!("scan") view=page!(staff_only, pages::scan::merchant_scan)/>
                    <Route path=path!("write-offs") view=page!(staff_only, pages::write_offs::write_offs)/>
                    <Route path=path!("money") view=page!(staff_only, pages::money::money)/>
                    <Route path=path!("levels") view=page!(staff_only, pages::levels::levels)/>
                    <Route path=path!("sign-in-rewards") view=page!(staff_only, pages::sign_in_rewards::sign_in_rewards)/>
                    <Route path=path!("invites") view=page!(staff_only, pages::invite_programme::invite_programme)/>
                    <Route path=path!("close-card") view=page!(staff_only, pages::close_card::close_card)/>
                    <Route path=path!("gateway-flags") view=page!(staff_only, pages::gateway_flags::gateway_flags)/>
                    <Route path=path!("refund-tasks") view=page!(staff_only, pages::refund_tasks::refund_tasks)/>
                    <Route path=path!("job-failures") view=page!(staff_only, pages::job_failures::job_failures)/>
                    <Route path=path!("stores/:id/wallet") view=page!(staff_only, pages::wallet::wallet)/>
                    <Route path=path!("brand-money") view=page!(staff_only, pages::wallet::brand_money)/>
                    <Route path=path!("stores/:id/statement") view=page!(staff_only, pages::wallet::statement)/>
                    <Route path=path!("stores/:id/withdraw") view=page!(staff_only, pages::withdrawals::withdraw)/>
                    <Route path=path!("stores/:id/payee") view=page!(staff_only, pages::withdrawals::payee)/>
                    <Route path=path!("withdrawals") view=page!(staff_only, pages::withdrawals::withdrawals)/>
                    <Route path=path!("withdrawals/:id") view=page!(staff_only, pages::withdrawals::withdrawal)/>
                    <Route path=path!("payee-changes") view=page!(staff_only, pages::withdrawals::payee_changes)/>
                    <Route path=path!("wallets") view=page!(staff_only, pages::wallet::wallets)/>
                    <Route path=path!("messages") view=page!(staff_only, pages::withdrawals::messages)/>
                </ParentRoute>
            </Routes>
            <ToastHost/>
            <ConfirmHost/>
        </Router>
    }
}
