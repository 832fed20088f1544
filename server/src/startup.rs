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
    let state_for_apps = state.clone();
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
    // Each app's folder: its service worker, each brand's web app manifest,
    // and the app's page for every other path.
    let app_folder = |app: &'static str, suffix: &'static str| {
        let worker = ServiceBuilder::new()
            .layer(no_cache())
            .layer(vary.clone())
            .service(
                ServeFile::new(site_dir.join(app).join("sw.js"))
                    .precompressed_br()
                    .precompressed_gzip(),
            );
        Router::new()
            .route_service("/sw.js", worker)
            .route(
                "/{brand}/manifest.webmanifest",
                axum::routing::get(
                    move |st: axum::extract::State<AppState>, slug: axum::extract::Path<String>| {
                        manifest(st.0, slug.0, app, suffix)
                    },
                ),
            )
            .fallback_service(index(app))
            .with_state(state_for_apps.clone())
    };
    let member_app = app_folder("member", "");
    let merchant_app = app_folder("merchant", " · 商家");
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
        .nest("/m", member_app)
        .nest("/biz", merchant_app)
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

/// `/m/{brand}/manifest.webmanifest` (and `/biz/…`): the brand's web app
/// manifest, so a phone adds the brand's app to its home screen under the
/// brand's name and colour, opening on the brand's page.
async fn manifest(
    state: AppState,
    slug: String,
    app: &'static str,
    suffix: &'static str,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let brand = crate::identity::find_brand(&state, &slug).await?;
    let prefix = if app == "member" { "/m" } else { "/biz" };
    let start = format!("{prefix}/{}", brand.slug);
    let name = format!("{}{suffix}", brand.name);
    let body = serde_json::json!({
        "id": start,
        "name": name,
        "short_name": name,
        "lang": "zh-CN",
        "start_url": start,
        "scope": format!("{prefix}/"),
        "display": "standalone",
        "background_color": "#F5F5F5",
        "theme_color": brand.theme_color,
        "icons": [{ "src": "/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }],
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response())
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
        std::fs::write(member.join("sw.js"), "// the worker").expect("worker");
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

    async fn answer(router: axum::Router, path: &str) -> (u16, String, String) {
        let res = router
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        let kind = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .expect("body");
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn each_brand_has_a_manifest_and_the_app_its_worker() {
        let state = crate::testing::demo().await.state;
        let router = app(state, &site());
        let (status, kind, body) = answer(router.clone(), "/m/demo/manifest.webmanifest").await;
        assert_eq!(
            (status, kind.as_str()),
            (200, "application/manifest+json"),
            "{body}"
        );
        let manifest: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(manifest["start_url"], "/m/demo");
        assert_eq!(manifest["scope"], "/m/");
        assert_eq!(manifest["display"], "standalone");
        assert!(
            manifest["name"].as_str().is_some_and(|n| !n.is_empty()),
            "{manifest}"
        );
        let (status, _, body) = answer(router.clone(), "/biz/demo/manifest.webmanifest").await;
        assert_eq!(status, 200);
        assert!(body.contains("\"start_url\":\"/biz/demo\""), "{body}");
        let (status, _, _) = answer(router.clone(), "/m/no-such-brand/manifest.webmanifest").await;
        assert_eq!(status, 404);
        let (status, _, body) = answer(router.clone(), "/m/sw.js").await;
        assert_eq!((status, body.as_str()), (200, "// the worker"));
        // Every other path is still the app's page.
        let (status, _, body) = answer(router, "/m/demo/history").await;
        assert_eq!(status, 200);
        assert!(body.starts_with("<!doctype html>"), "{body}");
    }
}
