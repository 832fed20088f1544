//! Pages whose code loads when they are first visited.
//!
//! Each app's wasm holds only its shell and entry pages; every other page is
//! its own wasm chunk, fetched the first time its route is opened (the build
//! splits the binary at the functions [`split_page!`] declares). A page is
//! made lazy with two lines:
//!
//! ```ignore
//! // in the page's module
//! tongka_app::split_page!(member_topup => TopUpPage);
//! // in the app's routes
//! <Route path=path!("topup") view=|| lazy_page(pages::topup::member_topup)/>
//! ```
//!
//! A chunk that cannot be fetched (the network dropped) does not take the app
//! down: the page says so, offers a retry and tries again by itself when the
//! browser is back online. Leptos' own `#[lazy_route]` is not used because
//! its split functions are not `fallible`: a failed fetch there panics, and a
//! panic aborts the whole wasm module.

use crate::components::Loading;
use crate::i18n::{T, tr};
use leptos::prelude::*;
pub use wasm_split_helpers::SplitLoaderError;

/// Declares `pub async fn $name() -> Result<AnyView, SplitLoaderError>`,
/// which fetches the chunk holding `$page` (once) and renders it. `$name` is
/// the chunk's name: unique within the app.
#[macro_export]
macro_rules! split_page {
    ($name:ident => $page:ident) => {
        #[allow(unsafe_code)]
        #[::wasm_split_helpers::wasm_split($name, fallible)]
        pub fn $name()
        -> ::std::result::Result<::leptos::prelude::AnyView, $crate::lazy::SplitLoaderError> {
            use ::leptos::prelude::IntoAny;
            ::std::result::Result::Ok(::leptos::view! { <$page/> }.into_any())
        }
    };
}

/// A route's view as a plain function pointer: every lazy route then has
/// the same view type, so the router's code for choosing and building a
/// view is compiled once for all of them rather than once per route.
pub type PageView = fn() -> AnyView;

/// `page!(pages::stores::stores)`: the route view of a [`split_page!`] page;
/// `page!(gate, pages::me::me)` passes the loader through `gate` (e.g. a
/// "signed in first" check) instead of straight to [`lazy_page`].
#[macro_export]
macro_rules! page {
    ($load:path) => {
        $crate::page!($crate::lazy::lazy_page, $load)
    };
    ($gate:path, $load:path) => {
        (|| $gate($load)) as $crate::lazy::PageView
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Loading,
    Failed,
    Ready,
}

/// A route's view for a [`split_page!`] page: a spinner while its chunk is
/// fetched, the page when it is there, and a notice with a retry when the
/// fetch failed.
pub fn lazy_page<F, Fut>(load: F) -> AnyView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, SplitLoaderError>> + 'static,
{
    // Only this line is compiled once per route: the loader is boxed and
    // everything else is one function the routes share, so a new page adds
    // its route, not another copy of the loading and retry code, to the
    // entry.
    load_page(std::rc::Rc::new(move || Box::pin(load()) as PageFuture))
}

/// A route's view for a page only the signed-in may see: with no session,
/// `to_login` sends the visitor to the login page (and back after) while a
/// spinner shows, and the page's code is not fetched at all, so the way to
/// the login page never waits on a chunk that is slow or cannot come.
pub fn signed_in_first<F, Fut>(signed_in: bool, to_login: impl FnOnce(), load: F) -> AnyView
where
    F: Fn() -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<AnyView, SplitLoaderError>> + 'static,
{
    if signed_in {
        return lazy_page(load);
    }
    to_login();
    view! { <Loading/> }.into_any()
}

/// A page chunk's fetch, boxed.
type PageFuture = std::pin::Pin<Box<dyn Future<Output = Result<AnyView, SplitLoaderError>>>>;

fn load_page(load: std::rc::Rc<dyn Fn() -> PageFuture>) -> AnyView {
    let load = StoredValue::new_local(load);
    let phase = RwSignal::new(Phase::Loading);
    let page = StoredValue::new_local(None::<AnyView>);
    // The page is built when its code arrives, under the route's owner, so
    // it finds the contexts (brand, session) the shell provided.
    let owner = StoredValue::new_local(Owner::current().unwrap_or_default());
    let attempt = move || {
        phase.set(Phase::Loading);
        let owner = owner.get_value();
        owner.with(|| {
            let fetch = load.with_value(|l| l());
            leptos::task::spawn_local_scoped(async move {
                match fetch.await {
                    Ok(view) => {
                        page.try_set_value(Some(view));
                        phase.try_set(Phase::Ready);
                    }
                    Err(_) => {
                        phase.try_set(Phase::Failed);
                    }
                }
            })
        });
    };
    attempt();
    // Back online: try again without waiting for a tap.
    let online = window_event_listener(leptos::ev::online, move |_| {
        if phase.get_untracked() == Phase::Failed {
            attempt();
        }
    });
    on_cleanup(move || online.remove());
    (move || {
        match phase.get() {
        Phase::Loading => view! { <Loading/> }.into_any(),
        Phase::Failed => view! {
            <div class="state state-error chunk-error" role="alert">
                <p class="state-error-text">{tr(T::PageLoadFailed)}</p>
                <button class="btn btn-default btn-small" on:click=move |_| attempt()>{tr(T::Retry)}</button>
            </div>
        }
        .into_any(),
        Phase::Ready => page
            .try_update_value(Option::take)
            .flatten()
            .unwrap_or_else(|| ().into_any()),
    }
    })
    .into_any()
}
