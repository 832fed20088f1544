//! What both Tongka apps share: the one API client, the UI text catalogue,
//! session storage and the widgets. Each app (`src/bin/member`,
//! `src/bin/merchant`) is its own wasm bundle with its own pages, so a
//! member never downloads merchant code.

pub mod api;
pub mod components;
pub mod coupons;
pub mod i18n;
pub mod lazy;
pub mod session;

/// Logs panics to the browser console instead of failing silently.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        leptos::logging::error!("{info}");
    }));
}
