//! The merchant app (商家端): staff login, a workbench by role, and the HQ
//! section (stores, regions, staff, members, audit log, API keys). Routes
//! live under `/biz/{brand}`.

mod pages;
mod shell;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use tongka_app::components::{Toast, ToastHost};
use tongka_app::i18n::I18n;

fn main() {
    tongka_app::install_panic_hook();
    tongka_app::components::remember_entry();
    mount_to_body(App);
}

#[component]
fn App() -> impl IntoView {
    I18n::provide();
    Toast::provide();
    view! {
        <Router>
            <Routes fallback=pages::not_found::NotFound>
                <ParentRoute path=path!("/biz/:brand") view=shell::BrandShell>
                    <Route path=path!("") view=pages::home::HomePage/>
                    <Route path=path!("login") view=pages::login::LoginPage/>
                    <Route path=path!("stores") view=pages::stores::StoresPage/>
                    <Route path=path!("stores/new") view=pages::store_edit::StoreNewPage/>
                    <Route path=path!("stores/:id") view=pages::store_edit::StoreEditPage/>
                    <Route path=path!("regions") view=pages::regions::RegionsPage/>
                    <Route path=path!("staff") view=pages::staff::StaffPage/>
                    <Route path=path!("staff/new") view=pages::staff_edit::StaffNewPage/>
                    <Route path=path!("staff/:id") view=pages::staff_edit::StaffEditPage/>
                    <Route path=path!("members") view=pages::members::MembersPage/>
                    <Route path=path!("audit") view=pages::audit::AuditPage/>
                    <Route path=path!("api-keys") view=pages::api_keys::ApiKeysPage/>
                    <Route path=path!("me") view=pages::me::MePage/>
                    <Route path=path!("stores/:id/pay-code") view=pages::pay_code::PayCodePage/>
                    <Route path=path!("topup") view=pages::topup::TopUpPage/>
                    <Route path=path!("payments") view=pages::payments::PaymentsPage/>
                    <Route path=path!("money") view=pages::money::MoneyPage/>
                    <Route path=path!("close-card") view=pages::close_card::CloseCardPage/>
                    <Route path=path!("gateway-flags") view=pages::gateway_flags::GatewayFlagsPage/>
                    <Route path=path!("refund-tasks") view=pages::refund_tasks::RefundTasksPage/>
                    <Route path=path!("job-failures") view=pages::job_failures::JobFailuresPage/>
                    <Route path=path!("stores/:id/wallet") view=pages::wallet::WalletPage/>
                    <Route path=path!("brand-money") view=pages::wallet::BrandMoneyPage/>
                    <Route path=path!("stores/:id/statement") view=pages::wallet::StatementPage/>
                    <Route path=path!("stores/:id/withdraw") view=pages::withdrawals::WithdrawPage/>
                    <Route path=path!("stores/:id/payee") view=pages::withdrawals::PayeePage/>
                    <Route path=path!("withdrawals") view=pages::withdrawals::WithdrawalsPage/>
                    <Route path=path!("withdrawals/:id") view=pages::withdrawals::WithdrawalPage/>
                    <Route path=path!("payee-changes") view=pages::withdrawals::PayeeChangesPage/>
                    <Route path=path!("wallets") view=pages::wallet::WalletsPage/>
                    <Route path=path!("messages") view=pages::withdrawals::MessagesPage/>
                </ParentRoute>
            </Routes>
            <ToastHost/>
        </Router>
    }
}
