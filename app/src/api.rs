//! The one HTTP client of the apps: every call goes through an endpoint
//! declared in `shared::api` (no URL string in any page); it sends the token
//! and language, and turns every failure into a [`Failure`].

use gloo::net::http::{Method, RequestBuilder};
use shared::api::{Csv, Endpoint};
use shared::error::ErrorEnvelope;
use shared::{ApiError, ErrorCode, Lang};

use crate::i18n::{self, T};

/// Why a call failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// The server answered with an error envelope.
    Api(ApiError),
    /// No answer (offline, server down) or an unreadable one.
    Network,
}

impl Failure {
    /// The text a person reads: a field's error from the field texts the
    /// app carries (it follows a change of language), any other (and a
    /// field the app has no text for) the message the server (or the page
    /// refusing before asking) wrote in the language of the moment. The
    /// apps do not carry the whole error catalogue: the server holds it.
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Failure::Api(e) if e.code == ErrorCode::InvalidField => {
                i18n::field_message(&e.params, lang).unwrap_or_else(|| e.message.clone())
            }
            Failure::Api(e) => e.message.clone(),
            Failure::Network => T::NetworkError.text(lang).to_string(),
        }
    }

    /// Nobody is signed in (said without asking the server).
    pub fn signed_out() -> Failure {
        Failure::Api(ApiError {
            code: ErrorCode::Unauthenticated,
            message: T::SignInFirst.text(i18n::current()).to_string(),
            params: Default::default(),
        })
    }

    /// Whether the session is gone (log in again).
    pub fn is_unauthenticated(&self) -> bool {
        matches!(self, Failure::Api(e) if e.code == ErrorCode::Unauthenticated)
    }

    /// The field a validation error names, if any.
    pub fn field(&self) -> Option<&str> {
        match self {
            Failure::Api(e) if e.code == ErrorCode::InvalidField => {
                e.params.get("field").map(String::as_str)
            }
            _ => None,
        }
    }
}

/// Result of an API call.
pub type ApiResult<T> = Result<T, Failure>;

/// The URL of endpoint `E` with its path parameter and query.
fn url<E: Endpoint>(path: &E::Path, query: &E::Query) -> String {
    let mut url = format!("/api{}", E::path(path));
    if E::INFO.has_query {
        append_query(&mut url, serde_json::to_value(query).ok());
    }
    url
}

/// `?name=value&…` for a query's fields (none left out but absent ones).
fn append_query(url: &mut String, query: Option<serde_json::Value>) {
    let Some(serde_json::Value::Object(fields)) = query else {
        return;
    };
    let mut sep = '?';
    for (name, value) in fields {
        let value = match value {
            serde_json::Value::Null => continue,
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
        url.push(sep);
        url.push_str(&name);
        url.push('=');
        url.push_str(&encode(&value));
        sep = '&';
    }
}

fn method_of(m: shared::api::Method) -> Method {
    match m {
        shared::api::Method::Get => Method::GET,
        shared::api::Method::Post => Method::POST,
        shared::api::Method::Put => Method::PUT,
        shared::api::Method::Patch => Method::PATCH,
        shared::api::Method::Delete => Method::DELETE,
    }
}

/// A request with the language and, when given, the token.
fn request(method: Method, url: &str, token: Option<String>) -> RequestBuilder {
    let mut req = RequestBuilder::new(url)
        .method(method)
        .header("Accept-Language", i18n::current().tag());
    if let Some(token) = token {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    req
}

/// Sends one request; the body of a success, or the failure. Not generic,
/// so each endpoint adds only its own types' code to the apps.
async fn exchange(
    method: Method,
    url: String,
    body: Option<String>,
    token: Option<String>,
    key: Option<String>,
) -> ApiResult<String> {
    let mut req = request(method, &url, token);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", &key);
    }
    let sent = match body {
        Some(json) => {
            req.header("Content-Type", "application/json")
                .body(json)
                .map_err(|_| Failure::Network)?
                .send()
                .await
        }
        None => req.send().await,
    };
    answer(sent.map_err(|_| Failure::Network)?).await
}

/// The body of a success, or the failure the server described.
async fn answer(resp: gloo::net::http::Response) -> ApiResult<String> {
    let text = resp.text().await.map_err(|_| Failure::Network)?;
    if resp.ok() {
        return Ok(if text.trim().is_empty() {
            "null".to_string()
        } else {
            text
        });
    }
    match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(env) => Err(Failure::Api(env.error)),
        Err(_) => Err(Failure::Network),
    }
}

/// Calls endpoint `E`: the one way the apps talk to the server.
pub fn call<E: Endpoint>(
    path: &E::Path,
    query: &E::Query,
    body: &E::Body,
    token: Option<String>,
    key: Option<&str>,
) -> impl Future<Output = ApiResult<E::Response>> + use<E> {
    let url = url::<E>(path, query);
    let body = if E::INFO.has_body {
        serde_json::to_string(body).map_err(|_| Failure::Network)
    } else {
        Ok(String::new())
    };
    let key = key.map(str::to_string);
    let method = method_of(E::INFO.method);
    // Nobody is signed in: a call that needs someone is not sent (the
    // server would only say 401); the page goes to its login.
    let anonymous = token.is_none()
        && matches!(
            E::INFO.access,
            shared::api::Access::Member
                | shared::api::Access::ActiveMember
                | shared::api::Access::Staff(_)
        );
    async move {
        if anonymous {
            return Err(Failure::signed_out());
        }
        let body = body?;
        let body = E::INFO.has_body.then_some(body);
        let text = exchange(method, url, body, token, key).await?;
        serde_json::from_str(&text).map_err(|_| Failure::Network)
    }
}

/// Calls an endpoint that takes no query and no body (reads, and actions
/// named by their path).
pub fn fetch<E: Endpoint<Query = (), Body = ()>>(
    path: &E::Path,
    token: Option<String>,
) -> impl Future<Output = ApiResult<E::Response>> + use<E> {
    call::<E>(path, &(), &(), token, None)
}

/// Calls an endpoint that takes a query and no body.
pub fn fetch_q<E: Endpoint<Body = ()>>(
    path: &E::Path,
    query: &E::Query,
    token: Option<String>,
) -> impl Future<Output = ApiResult<E::Response>> + use<E> {
    call::<E>(path, query, &(), token, None)
}

/// Calls an endpoint with a JSON body.
pub fn send<E: Endpoint<Query = ()>>(
    path: &E::Path,
    body: &E::Body,
    token: Option<String>,
) -> impl Future<Output = ApiResult<E::Response>> + use<E> {
    call::<E>(path, &(), body, token, None)
}

/// Calls an endpoint that moves value: the same `key` on a retry makes it
/// happen once.
pub fn send_once<E: Endpoint<Query = ()>>(
    path: &E::Path,
    body: &E::Body,
    token: Option<String>,
    key: &str,
) -> impl Future<Output = ApiResult<E::Response>> + use<E> {
    call::<E>(path, &(), body, token, Some(key))
}

/// Uploads a file the person picked (a picture) as endpoint `E`'s body,
/// with its own type.
pub async fn upload<E: Endpoint<Query = (), Body = shared::api::ImageBytes>>(
    path: &E::Path,
    file: web_sys::File,
    token: Option<String>,
) -> ApiResult<E::Response> {
    let req = request(method_of(E::INFO.method), &url::<E>(path, &()), token)
        .header("Content-Type", &file.type_())
        .body(wasm_bindgen::JsValue::from(file))
        .map_err(|_| Failure::Network)?;
    let text = answer(req.send().await.map_err(|_| Failure::Network)?).await?;
    serde_json::from_str(&text).map_err(|_| Failure::Network)
}

/// A fresh idempotency key for one intended operation (keep it across retries).
pub fn new_key() -> String {
    let now = js_sys::Date::now() as u64;
    let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("{now:x}-{a:08x}{b:08x}")
}

pub use shared::api::encode;

/// Downloads a file the API serves (a CSV export) with the token, and hands
/// it to the browser as `filename`.
pub async fn download<E: Endpoint<Body = (), Response = Csv>>(
    path: &E::Path,
    query: &E::Query,
    token: Option<String>,
    filename: &str,
) -> ApiResult<()> {
    use wasm_bindgen::JsCast;
    let resp = request(method_of(E::INFO.method), &url::<E>(path, query), token)
        .send()
        .await
        .map_err(|_| Failure::Network)?;
    if !resp.ok() {
        let text = resp.text().await.map_err(|_| Failure::Network)?;
        return match serde_json::from_str::<ErrorEnvelope>(&text) {
            Ok(env) => Err(Failure::Api(env.error)),
            Err(_) => Err(Failure::Network),
        };
    }
    let bytes = resp.binary().await.map_err(|_| Failure::Network)?;
    let parts = js_sys::Array::new();
    parts.push(&js_sys::Uint8Array::from(bytes.as_slice()));
    let opts = web_sys::BlobPropertyBag::new();
    opts.set_type("text/csv;charset=utf-8");
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &opts)
        .map_err(|_| Failure::Network)?;
    let href = web_sys::Url::create_object_url_with_blob(&blob).map_err(|_| Failure::Network)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or(Failure::Network)?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| Failure::Network)?
        .unchecked_into();
    a.set_href(&href);
    a.set_download(filename);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&href);
    Ok(())
}
