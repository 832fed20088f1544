//! Any path the app does not know.

use leptos::prelude::*;
use tongka_app::i18n::{T, tr};

/// 404 page. A trailing slash is dropped first, so `/m/demo/` works.
#[component]
pub fn NotFound() -> impl IntoView {
    let path = gloo::utils::window()
        .location()
        .pathname()
        .unwrap_or_default();
    if path.len() > 1 && path.ends_with('/') {
        let _ = gloo::utils::window()
            .location()
            .replace(path.trim_end_matches('/'));
    }
    view! {
        <div class="app">
            <div class="state state-empty">
                <p>{tr(T::NotFoundPage)}</p>
            </div>
        </div>
    }
}
