//! The frame around every merchant page of one brand: session, the logged-in
//! staff member (role decides the menu), and the login guard.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use shared::dto::{Role, StaffSession};
use tongka_app::api::{self, ApiResult};
use tongka_app::components::{AuthGate, Nav};
use tongka_app::session::Session;

/// The brand in the URL and the logged-in staff member.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// URL slug.
    pub slug: StoredValue<String>,
    /// The session.
    pub session: Session,
    /// Who is logged in (reloads when the token changes).
    pub me: LocalResource<ApiResult<StaffSession>>,
    /// Navigation.
    pub nav: Nav,
}

impl Ctx {
    /// `/biz/{slug}{rest}`.
    pub fn path(&self, rest: &str) -> String {
        format!("/biz/{}{rest}", self.slug.get_value())
    }

    /// The token now.
    pub fn token(&self) -> Option<String> {
        self.session.current()
    }

    /// The role, once loaded.
    pub fn role(&self) -> Option<Role> {
        match self.me.get() {
            Some(Ok(s)) => Some(s.staff.role),
            _ => None,
        }
    }

    /// The store the staff member works at (clerks and store managers).
    pub fn store_id(&self) -> Option<i64> {
        match self.me.get() {
            Some(Ok(s)) => s.staff.store_id,
            _ => None,
        }
    }
}

/// The merchant context.
pub fn use_ctx() -> Ctx {
    expect_context::<Ctx>()
}

/// Provides the context to the pages below.
#[component]
pub fn BrandShell() -> impl IntoView {
    let params = use_params_map();
    let slug = params.read_untracked().get("brand").unwrap_or_default();
    let session = Session::load("merchant", &slug);
    let me = LocalResource::new(move || {
        let token = session.token.get();
        async move {
            match token {
                Some(_) => api::fetch::<shared::api::StaffMe>(&(), token).await,
                None => Err(api::Failure::signed_out()),
            }
        }
    });
    let nav = Nav::provide();
    let ctx = Ctx {
        slug: StoredValue::new(slug.clone()),
        session,
        me,
        nav,
    };
    provide_context(ctx);
    let gate = AuthGate::provide(session, format!("/biz/{slug}/login"), nav);
    // A session the server ended (expired, deactivated, password changed
    // elsewhere) is caught on every page, whatever the page itself loads.
    Effect::new(move |_| {
        if let Some(Err(f)) = me.get()
            && f.is_unauthenticated()
            && session.token.get_untracked().is_some()
        {
            gate.expire();
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = me.get() {
            tongka_app::components::set_time_zone(&s.brand.time_zone);
            // One title per brand, as the member app's.
            gloo::utils::document().set_title(&s.brand.name);
        }
    });
    view! { <div class="app app-wide"><leptos_router::components::Outlet/></div> }
}

/// Sends a visitor without a session to the login page.
pub fn require_login() {
    let ctx = use_ctx();
    Effect::new(move |_| {
        if ctx.session.token.get().is_none() {
            ctx.nav.replace(&tongka_app::components::login_with_return(
                &ctx.path("/login"),
            ));
        }
    });
}

/// Navigates within the brand.
pub fn go(ctx: Ctx, rest: &str) {
    ctx.nav.push(&ctx.path(rest));
}
