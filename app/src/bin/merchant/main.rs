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
                    <Route path=path!("stores") view=page!(pages::stores::stores)/>
                    <Route path=path!("stores/new") view=page!(pages::store_edit::store_new)/>
                    <Route path=path!("stores/:id") view=page!(pages::store_edit::store_edit)/>
                    <Route path=path!("regions") view=page!(pages::regions::regions)/>
                    <Route path=path!("staff") view=page!(pages::staff::staff)/>
                    <Route path=path!("staff/new") view=page!(pages::staff_edit::staff_new)/>
                    <Route path=path!("staff/:id") view=page!(pages::staff_edit::staff_edit)/>
                    <Route path=path!("members") view=page!(pages::members::members)/>
                    <Route path=path!("members/:id") view=page!(pages::member::member)/>
                    <Route path=path!("audit") view=page!(pages::audit::audit)/>
                    <Route path=path!("api-keys") view=page!(pages::api_keys::api_keys)/>
                    <Route path=path!("me") view=page!(pages::me::me)/>
                    <Route path=path!("stores/:id/pay-code") view=page!(pages::pay_code::pay_code)/>
                    <Route path=path!("topup") view=page!(pages::topup::top_up)/>
                    <Route path=path!("sell-card") view=page!(pages::sell_card::sell_card)/>
                    <Route path=path!("service-items") view=page!(pages::catalogue::service_items)/>
                    <Route path=path!("card-types") view=page!(pages::catalogue::card_types)/>
                    <Route path=path!("card-types/new") view=page!(pages::catalogue::card_type_edit)/>
                    <Route path=path!("card-types/:id") view=page!(pages::catalogue::card_type_edit)/>
                    <Route path=path!("coupon-templates") view=page!(pages::coupons::coupon_templates)/>
                    <Route path=path!("coupon-templates/new") view=page!(pages::coupons::coupon_template_edit)/>
                    <Route path=path!("coupon-templates/:id") view=page!(pages::coupons::coupon_template_edit)/>
                    <Route path=path!("issue-coupon") view=page!(pages::coupons::issue_coupon)/>
                    <Route path=path!("payments") view=page!(pages::payments::payments)/>
                    <Route path=path!("scan") view=page!(pages::scan::merchant_scan)/>
                    <Route path=path!("write-offs") view=page!(pages::write_offs::write_offs)/>
                    <Route path=path!("money") view=page!(pages::money::money)/>
                    <Route path=path!("levels") view=page!(pages::levels::levels)/>
                    <Route path=path!("sign-in-rewards") view=page!(pages::sign_in_rewards::sign_in_rewards)/>
                    <Route path=path!("invites") view=page!(pages::invite_programme::invite_programme)/>
                    <Route path=path!("close-card") view=page!(pages::close_card::close_card)/>
                    <Route path=path!("gateway-flags") view=page!(pages::gateway_flags::gateway_flags)/>
                    <Route path=path!("refund-tasks") view=page!(pages::refund_tasks::refund_tasks)/>
                    <Route path=path!("job-failures") view=page!(pages::job_failures::job_failures)/>
                    <Route path=path!("stores/:id/wallet") view=page!(pages::wallet::wallet)/>
                    <Route path=path!("brand-money") view=page!(pages::wallet::brand_money)/>
                    <Route path=path!("stores/:id/statement") view=page!(pages::wallet::statement)/>
                    <Route path=path!("stores/:id/withdraw") view=page!(pages::withdrawals::withdraw)/>
                    <Route path=path!("stores/:id/payee") view=page!(pages::withdrawals::payee)/>
                    <Route path=path!("withdrawals") view=page!(pages::withdrawals::withdrawals)/>
                    <Route path=path!("withdrawals/:id") view=page!(pages::withdrawals::withdrawal)/>
                    <Route path=path!("payee-changes") view=page!(pages::withdrawals::payee_changes)/>
                    <Route path=path!("wallets") view=page!(pages::wallet::wallets)/>
                    <Route path=path!("messages") view=page!(pages::withdrawals::messages)/>
                </ParentRoute>
            </Routes>
            <ToastHost/>
            <ConfirmHost/>
        </Router>
    }
}
