//! The member app (会员端): login by phone + SMS code, home, card wallet,
//! profile. Routes live under `/m/{brand}`.

mod pages;
mod shell;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use tongka_app::components::{Toast, ToastHost};
use tongka_app::i18n::I18n;
use tongka_app::lazy::lazy_page;

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
                    <Route path=path!("cards") view=|| lazy_page(pages::cards::cards)/>
                    <Route path=path!("me") view=|| lazy_page(pages::me::me)/>
                    <Route path=path!("privacy") view=|| lazy_page(pages::privacy::privacy)/>
                    <Route path=path!("history") view=|| lazy_page(pages::history::history)/>
                    <Route path=path!("pay/:store") view=|| lazy_page(pages::pay::pay)/>
                    <Route path=path!("topup") view=|| lazy_page(pages::topup::top_up)/>
                    <Route path=path!("topup/:order") view=|| lazy_page(pages::topup::top_up_order)/>
                </ParentRoute>
            </Routes>
            <ToastHost/>
        </Router>
    }
}
