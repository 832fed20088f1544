//! The API, one module per area, each with its own `router()`. Every route
//! is an endpoint declared in `shared::api`, routed with [`Api::at`]: the
//! path and method come from the declaration, never from a string here.

use crate::state::AppState;
use axum::Router;
use axum::handler::Handler;
use axum::routing::{MethodRouter, get, patch, post, put};
use shared::api::{Endpoint, Info, Method};

pub mod audit;
pub mod cash;
pub mod chain;
pub mod member_auth;
pub mod members_admin;
pub mod money;
pub mod money_settings;
pub mod pay_code;
pub mod pin;
pub mod public;
pub mod refund_tasks;
pub mod sandbox;
pub mod self_topup;
pub mod staff_admin;
pub mod staff_auth;
pub mod statement;
pub mod wallet;
pub mod withdrawals;

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

    /// Routes endpoint `E` to `handler`.
    pub fn at<E: Endpoint, H, T>(mut self, _endpoint: E, handler: H) -> Api
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let info = E::INFO;
        let method: MethodRouter<AppState> = match info.method {
            Method::Get => get(handler),
            Method::Post => post(handler),
            Method::Put => put(handler),
            Method::Patch => patch(handler),
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
