//! The frame around every page of one brand: its session, its public face,
//! the login guard and the tab bar.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::use_params_map;
use shared::dto::BrandPublic;
use tongka_app::api::{self, ApiResult};
use tongka_app::components::{AuthGate, Nav, use_nav};
use tongka_app::i18n::{T, Txt, tr};
use tongka_app::session::Session;

/// The brand in the URL.
#[derive(Clone)]
pub struct Brand {
    /// URL slug.
    pub slug: StoredValue<String>,
    /// Its public face, loading.
    pub info: LocalResource<ApiResult<BrandPublic>>,
}

impl Brand {
    /// `/m/{slug}{rest}`.
    pub fn path(&self, rest: &str) -> String {
        format!("/m/{}{rest}", self.slug.get_value())
    }
}

/// The brand context.
pub fn use_brand() -> Brand {
    expect_context::<Brand>()
}

/// The member session context.
pub fn use_session() -> Session {
    expect_context::<Session>()
}

/// Provides brand, session and auth gate to the pages below.
#[component]
pub fn BrandShell() -> impl IntoView {
    let params = use_params_map();
    let slug = params.read_untracked().get("brand").unwrap_or_default();
    let session = Session::load("member", &slug);
    let info = {
        let slug = slug.clone();
        LocalResource::new(move || {
            let slug = slug.clone();
            async move { api::fetch::<shared::api::BrandInfo>(slug.as_str(), None).await }
        })
    };
    let brand = Brand {
        slug: StoredValue::new(slug.clone()),
        info,
    };
    let nav = Nav::provide();
    provide_context(session);
    AuthGate::provide(session, format!("/m/{slug}/login"), nav);
    provide_context(brand.clone());
    Effect::new(move |_| {
        if let Some(Ok(b)) = info.get() {
            tongka_app::components::set_time_zone(&b.time_zone);
            gloo::utils::document().set_title(&b.name);
            if let Some(root) = gloo::utils::document().document_element() {
                let _ = root.set_attribute("style", &format!("--brand: {}", b.theme_color));
            }
        }
    });
    view! { <div class="app"><Outlet/></div> }
}

/// Sends a visitor without a session to the login page.
pub fn require_login() {
    let session = use_session();
    let brand = use_brand();
    let nav = use_nav();
    Effect::new(move |_| {
        if session.token.get().is_none() {
            nav.replace(&tongka_app::components::login_with_return(
                &brand.path("/login"),
            ));
        }
    });
}

/// Which tab is active.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// 首页
    Home,
    /// 卡包
    Cards,
    /// 我的
    Me,
}

/// The bottom tab bar.
#[component]
pub fn TabBar(active: Tab) -> impl IntoView {
    let brand = use_brand();
    let item = move |tab: Tab, href: String, icon: &'static str, label: Txt| {
        view! {
            <A href=href exact=true attr:class=if tab == active { "tab tab-active" } else { "tab" }>
                <span class="tab-icon" aria-hidden="true">{icon}</span>
                <span class="tab-label">{tr(label)}</span>
            </A>
        }
    };
    view! {
        <nav class="tabbar">
            {item(Tab::Home, brand.path(""), "⌂", T::TabHome)}
            {item(Tab::Cards, brand.path("/cards"), "▤", T::TabCards)}
            {item(Tab::Me, brand.path("/me"), "☺", T::TabMe)}
        </nav>
    }
}
