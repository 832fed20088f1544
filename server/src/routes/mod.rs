//! The API, one module per area, each with its own `router()`. Every route
//! is an endpoint declared in `shared::api`, routed with [`Api::at`]: the
//! path and method come from the declaration, never from a string here.

use crate::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use shared::api::{Access, Endpoint, Info, Method};
use shared::dto::Role;

pub mod api_keys;
pub mod audit;
pub mod cards;
pub mod cash;
pub mod chain;
pub mod coupons;
pub mod invites;
pub mod jobs;
pub mod levels;
pub mod member_auth;
pub mod members_admin;
pub mod money;
pub mod money_settings;
pub mod pay_code;
pub mod pin;
pub mod points;
pub mod public;
pub mod refund_tasks;
pub mod sandbox;
pub mod self_topup;
pub mod sign_in;
pub mod staff_admin;
pub mod staff_auth;
pub mod statement;
pub mod wallet;
pub mod withdrawals;
pub mod write_offs;

/// Routes built from declarations, with the list of what was routed.
pub struct Api {
    router: Router<AppState>,
    routed: Vec<Info>,
}

impl Default for Api {
    fn default() -> Self {
        Api::new()
    }
}

impl Api {
    /// No routes yet.
    pub fn new() -> Api {
        Api {
            router: Router::new(),
            routed: Vec::new(),
        }
    }

    /// Routes endpoint `E` to `handler`, whose body, query and path
    /// parameter must be the declared types (checked when compiling).
    pub fn at<E: Endpoint, H, T>(mut self, _endpoint: E, handler: H) -> Api
    where
        H: Handler<T, AppState>,
        T: Extractors<E> + 'static,
    {
        const {
            assert!(
                T::CALLER_OK,
                "the handler's caller extractor does not let in the declared caller"
            )
        };
        let info = E::INFO;
        let method: MethodRouter<AppState> = match info.method {
            Method::Get => get(handler),
            Method::Post => post(handler),
            Method::Put => put(handler),
            Method::Patch => patch(handler),
            Method::Delete => delete(handler),
        };
        self.router = self.router.route(info.path, method);
        self.routed.push(info);
        self
    }

    /// Both sets of routes.
    pub fn merge(mut self, other: Api) -> Api {
        self.router = self.router.merge(other.router);
        self.routed.extend(other.routed);
        self
    }

    /// What was routed.
    pub fn routed(&self) -> &[Info] {
        &self.routed
    }

    /// The axum router.
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

/// An extractor a handler of endpoint `E` may take: the caller, the state,
/// headers, and the body, query and path parameter of the declared types.
pub trait Part<E: ?Sized> {
    /// Whether the caller it lets in is the declared one (a staff
    /// extractor's roles are exactly the declared roles, so no handler
    /// admits more and then checks the role by hand; a member extractor
    /// serves a member endpoint).
    const CALLER_OK: bool = true;
}

/// Whether `a` and `b` are the same set of roles.
const fn same_roles(a: &[Role], b: &[Role]) -> bool {
    covers_all(a, b) && covers_all(b, a)
}

impl<E: Endpoint, R: crate::auth::RoleSet> Part<E> for crate::auth::StaffCaller<R> {
    const CALLER_OK: bool = match E::INFO.access {
        Access::Staff(declared) => same_roles(R::ROLES, declared),
        _ => false,
    };
}
impl<E: Endpoint, S: crate::auth::RoleSet, R: crate::auth::RoleSet> Part<E>
    for crate::auth::SeeThenAct<S, R>
{
    // Who acts is exactly the declared roles; those who may see include them.
    const CALLER_OK: bool = match E::INFO.access {
        Access::Staff(declared) => same_roles(R::ROLES, declared) && covers_all(S::ROLES, R::ROLES),
        _ => false,
    };
}

/// Whether every role in `inner` is in `outer`.
const fn covers_all(outer: &[Role], inner: &[Role]) -> bool {
    let mut i = 0;
    while i < inner.len() {
        if !crate::auth::admits(outer, inner[i]) {
            return false;
        }
        i += 1;
    }
    true
}

impl<E: Endpoint> Part<E> for crate::auth::MemberCaller {
    const CALLER_OK: bool = matches!(E::INFO.access, Access::Member | Access::ActiveMember);
}
impl<E: Endpoint> Part<E> for crate::auth::ActiveMember {
    const CALLER_OK: bool = matches!(E::INFO.access, Access::ActiveMember);
}
impl<E: Endpoint> Part<E> for crate::auth::MemberToken {
    const CALLER_OK: bool = matches!(E::INFO.access, Access::ActiveMember);
}

macro_rules! any_endpoint {
    ($($t:ty),*) => { $(impl<E> Part<E> for $t {})* };
}
any_endpoint!(
    axum::extract::State<AppState>,
    crate::auth::ClientIp,
    crate::auth::RequestLang,
    crate::idempotency::IdemKey,
    axum::http::HeaderMap,
    axum::body::Bytes
);
impl<E: Endpoint<Body = B>, B> Part<E> for crate::error::AppJson<B> {}
impl<E: Endpoint<Body = shared::api::ImageBytes>> Part<E> for crate::error::ImageUpload {}
impl<E: Endpoint<Query = Q>, Q> Part<E> for crate::error::AppQuery<Q> {}
impl<E: Endpoint<Path = i64>> Part<E> for crate::error::AppPath<i64> {}
impl<E: Endpoint<Path = str>> Part<E> for crate::error::AppPath<String> {}

/// A handler's extractors (axum's `(M, T1, …)`), each a [`Part`] of `E`.
pub trait Extractors<E> {
    /// Whether each lets in the declared caller.
    const CALLER_OK: bool;
}
impl<E> Extractors<E> for ((),) {
    const CALLER_OK: bool = true;
}
macro_rules! extractors {
    ($($t:ident),+) => {
        impl<E, M, $($t: Part<E>),+> Extractors<E> for (M, $($t,)+) {
            const CALLER_OK: bool = $($t::CALLER_OK &&)+ true;
        }
    };
}
extractors!(T1);
extractors!(T1, T2);
extractors!(T1, T2, T3);
extractors!(T1, T2, T3, T4);
extractors!(T1, T2, T3, T4, T5);
extractors!(T1, T2, T3, T4, T5, T6);
extractors!(T1, T2, T3, T4, T5, T6, T7);

/// Everything under `/api`.
pub fn api() -> Api {
    Api::new()
        .merge(public::router())
        .merge(member_auth::router())
        .merge(staff_auth::router())
        .merge(chain::router())
        .merge(staff_admin::router())
        .merge(members_admin::router())
        .merge(audit::router())
        .merge(money::router())
        .merge(money_settings::router())
        .merge(pay_code::router())
        .merge(self_topup::router())
        .merge(pin::router())
        .merge(wallet::router())
        .merge(statement::router())
        .merge(withdrawals::router())
        .merge(sandbox::router())
        .merge(cash::router())
        .merge(refund_tasks::router())
        .merge(api_keys::router())
        .merge(jobs::router())
        .merge(cards::router())
        .merge(coupons::router())
        .merge(points::router())
        .merge(levels::router())
        .merge(sign_in::router())
        .merge(invites::router())
        .merge(write_offs::router())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn key(i: &Info) -> (Method, &'static str) {
        (i.method, i.path)
    }

    /// Every declared endpoint is routed, and nothing is routed that is not
    /// declared (each at most once).
    #[test]
    fn declared_and_routed_are_the_same_endpoints() {
        let api = api();
        let routed: Vec<_> = api.routed().iter().map(key).collect();
        let routed_set: BTreeSet<_> = routed.iter().copied().collect();
        assert_eq!(
            routed.len(),
            routed_set.len(),
            "an endpoint is routed twice"
        );
        let declared: BTreeSet<_> = shared::api::all().iter().map(key).collect();
        let missing: Vec<_> = declared.difference(&routed_set).collect();
        let undeclared: Vec<_> = routed_set.difference(&declared).collect();
        assert!(missing.is_empty(), "declared, not routed: {missing:?}");
        assert!(
            undeclared.is_empty(),
            "routed, not declared: {undeclared:?}"
        );
    }

    /// Area modules route only through [`Api::at`]: no path string of
    /// their own.
    #[test]
    fn no_area_routes_a_path_of_its_own() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/routes");
        for entry in std::fs::read_dir(dir).expect("routes dir") {
            let path = entry.expect("entry").path();
            if path.ends_with("mod.rs") {
                continue; // the builder itself
            }
            let text = std::fs::read_to_string(&path).expect("read");
            for needle in [".route(", "Router::new()", ".nest(", "axum::routing"] {
                assert!(!text.contains(needle), "{} uses {needle}", path.display());
            }
        }
    }
}
