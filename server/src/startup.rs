//! Builds the router (API + both apps' static files) and serves it.

use crate::error::{AppError, localize_errors};
use crate::routes;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware;
use std::net::SocketAddr;
use std::path::Path;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application: `/api/*`, `/m/*` (member app), `/biz/*` (merchant
/// app), `/assets/*` (hashed, precompressed, cached for a year).
pub fn app(state: AppState, site_dir: &Path) -> Router {
    let sandbox = state.sandbox.clone();
    // The API's docs page for integrators: the vendored viewer the build
    // put in the site, showing `/api/openapi.json`.
    let docs = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .service(
            ServeFile::new(site_dir.join("api-docs/index.html"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    let api = routes::api()
        .into_router()
        .route_service(shared::api::DOCS_PAGE, docs)
        .fallback(|| async { AppError::not_found() })
        .layer(middleware::from_fn(
            crate::error::refuse_control_chars_in_uri,
        ))
        .layer(middleware::from_fn(localize_errors))
        .layer(axum::extract::DefaultBodyLimit::max(
            crate::error::MAX_BODY_BYTES,
        ))
        .with_state(state);

    let immutable = SetResponseHeaderLayer::overriding(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    let no_cache = || {
        SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        )
    };
    let vary = SetResponseHeaderLayer::overriding(
        header::VARY,
        HeaderValue::from_static("accept-encoding"),
    );
    let assets = ServiceBuilder::new()
        .layer(immutable)
        .layer(vary.clone())
        .service(
            ServeDir::new(site_dir.join("assets"))
                .precompressed_br()
                .precompressed_gzip(),
        );
    // An app's page, compressed when the build left .br / .gz beside it.
    let index = |app: &str| {
        ServiceBuilder::new()
            .layer(no_cache())
            .layer(vary.clone())
            .service(
                ServeFile::new(site_dir.join(app).join("index.html"))
                    .precompressed_br()
                    .precompressed_gzip(),
            )
    };
    let member_index = index("member");
    let merchant_index = index("merchant");
    let public = ServiceBuilder::new()
        .layer(no_cache())
        .service(ServeDir::new(site_dir.join("public")));

    let mut router = Router::new();
    if let Some(sandbox) = sandbox {
        router = router.nest("/sandbox/gateway", crate::gateway::sandbox::router(sandbox));
    }
    router
        // `/api/` (trailing slash) is not inside the nest; answer it the same way.
        .route("/api/", axum::routing::any(|| async { AppError::not_found() }))
        .nest("/api", api)
        .nest_service("/assets", assets)
        .nest_service("/m", member_index)
        .nest_service("/biz", merchant_index)
        .fallback_service(public)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
                    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID)),
        )
}

/// Serves until `shutdown` resolves, finishing requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::app;
    use axum::body::Body;
    use axum::http::{Request, header};
    use tower::ServiceExt;

    /// A site folder with a member page and its precompressed copies
    /// (their bytes stand for the compressed page).
    fn site() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tongka-site-{}", std::process::id()));
        let member = dir.join("member");
        std::fs::create_dir_all(&member).expect("site folder");
        std::fs::write(
            member.join("index.html"),
            "<!doctype html><title>通卡</title>",
        )
        .expect("page");
        std::fs::write(member.join("index.html.br"), "brotli bytes").expect("br");
        std::fs::write(member.join("index.html.gz"), "gzip bytes").expect("gz");
        dir
    }

    async fn get(router: axum::Router, accept: Option<&str>) -> (Option<String>, Vec<u8>) {
        let mut req = Request::get("/m/demo/pay/1");
        if let Some(a) = accept {
            req = req.header(header::ACCEPT_ENCODING, a);
        }
        let res = router
            .oneshot(req.body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        assert!(res.status().is_success(), "{}", res.status());
        assert_eq!(
            res.headers()
                .get(header::VARY)
                .and_then(|v| v.to_str().ok()),
            Some("accept-encoding")
        );
        let encoding = res
            .headers()
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (encoding, body.to_vec())
    }

    #[tokio::test]
    async fn an_app_page_is_served_compressed_to_a_browser_that_accepts_it() {
        let state = crate::testing::demo().await.state;
        let router = app(state, &site());
        let (enc, body) = get(router.clone(), Some("gzip, deflate, br")).await;
        assert_eq!(
            (enc.as_deref(), body.as_slice()),
            (Some("br"), &b"brotli bytes"[..])
        );
        let (enc, body) = get(router.clone(), Some("gzip")).await;
        assert_eq!(
            (enc.as_deref(), body.as_slice()),
            (Some("gzip"), &b"gzip bytes"[..])
        );
        let (enc, body) = get(router, None).await;
        assert_eq!(enc, None);
        assert!(body.starts_with(b"<!doctype html>"));
    }
}
