//! The member app (会员端): login by phone + SMS code, home, card wallet,
//! profile. Routes live under `/m/{brand}`.

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
                <ParentRoute path=path!("/m/:brand") view=shell::BrandShell>
                    <Route path=path!("") view=pages::home::HomePage/>
                    <Route path=path!("login") view=pages::login::LoginPage/>
                    <Route path=path!("cards") view=pages::cards::CardsPage/>
                    <Route path=path!("me") view=pages::me::MePage/>
                    <Route path=path!("privacy") view=pages::privacy::PrivacyPage/>
                    <Route path=path!("history") view=pages::history::HistoryPage/>
                    <Route path=path!("pay/:store") view=pages::pay::PayPage/>
                    <Route path=path!("topup") view=pages::topup::TopUpPage/>
                    <Route path=path!("topup/:order") view=pages::topup::TopUpOrderPage/>
                </ParentRoute>
            </Routes>
            <ToastHost/>
        </Router>
    }
}
