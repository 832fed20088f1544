//! The member app (会员端): login by phone + SMS code, home, card wallet,
//! profile. Routes live under `/m/{brand}`.

mod pages;
mod shell;

use leptos::prelude::*;
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;
use tongka_app::components::{Confirm, ConfirmHost, Toast, ToastHost};
use tongka_app::i18n::I18n;
use tongka_app::lazy::signed_in_first;
use tongka_app::page;

fn main() {
    tongka_app::install_panic_hook();
    tongka_app::components::remember_entry();
    tongka_app::i18n::carry_field_texts(shared::error::FieldTexts::MEMBER);
    mount_to_body(App);
}

/// A page for signed-in members: a visitor without a session is sent to the
/// login page (and back after) without fetching the page's code first.
fn members_only<F, Fut>(load: F) -> AnyView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, tongka_app::lazy::SplitLoaderError>> + 'static,
{
    let signed_in = shell::use_session().token.get_untracked().is_some();
    signed_in_first(signed_in, shell::require_login, load)
}

#[component]
fn App() -> impl IntoView {
    I18n::provide();
    Toast::provide();
    Confirm::provide();
    view! {
        <Router>
            <Routes fallback=tongka_app::components::NotFound>
                <ParentRoute path=path!("/m/:brand") view=shell::BrandShell>
                    <Route path=path!("") view=pages::home::HomePage/>
                    <Route path=path!("login") view=page!(pages::login::login)/>
                    <Route path=path!("code") view=page!(members_only, pages::code::member_code)/>
                    <Route path=path!("cards") view=page!(members_only, pages::cards::cards)/>
                    <Route path=path!("cards/shop") view=page!(members_only, pages::cards::card_shop)/>
                    <Route path=path!("cards/:id") view=page!(members_only, pages::cards::card_detail)/>
                    <Route path=path!("coupons") view=page!(members_only, pages::coupons::coupons)/>
                    <Route path=path!("coupons/centre") view=page!(members_only, pages::coupons::coupon_centre)/>
                    <Route path=path!("me") view=page!(members_only, pages::me::me)/>
                    <Route path=path!("level") view=page!(members_only, pages::level::level)/>
                    <Route path=path!("points") view=page!(members_only, pages::points::points)/>
                    <Route path=path!("sign-in") view=page!(members_only, pages::sign_in::sign_in)/>
                    <Route path=path!("invites") view=page!(members_only, pages::invites::invites)/>
                    <Route path=path!("invite/:code") view=page!(pages::invites::invite_landing)/>
                    <Route path=path!("privacy") view=page!(pages::privacy::privacy)/>
                    <Route path=path!("history") view=page!(members_only, pages::history::history)/>
                    <Route path=path!("history/:id") view=page!(members_only, pages::history::history_detail)/>
                    <Route path=path!("messages") view=page!(members_only, pages::messages::messages)/>
                    <Route path=path!("close-account") view=page!(members_only, pages::close_account::close_account)/>
                    <Route path=path!("pay/:store") view=page!(members_only, pages::pay::pay)/>
                    <Route path=path!("topup") view=page!(members_only, pages::topup::top_up)/>
                    <Route path=path!("topup/:order") view=page!(members_only, pages::topup::top_up_order)/>
                </ParentRoute>
            </Routes>
            <ToastHost/>
            <ConfirmHost/>
        </Router>
    }
}
