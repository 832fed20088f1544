//! The one HTTP client of the apps: it alone knows URLs' shape, sends the
//! token and language, and turns every failure into a [`Failure`].

use gloo::net::http::{Method, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
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
    /// The text a person reads, from our catalogue (the server's message is
    /// the fallback only for codes this build does not know).
    pub fn text(&self, lang: Lang) -> String {
        match self {
            Failure::Api(e) => e.localized(lang),
            Failure::Network => T::NetworkError.text(lang).to_string(),
        }
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

/// Calls `/api{path}`.
pub async fn call<T: DeserializeOwned, B: Serialize>(
    method: Method,
    path: &str,
    token: Option<String>,
    body: Option<&B>,
) -> ApiResult<T> {
    call_with_key(method, path, token, None, body).await
}

/// Calls `/api{path}` with an `Idempotency-Key` (value-moving routes).
pub async fn call_with_key<T: DeserializeOwned, B: Serialize>(
    method: Method,
    path: &str,
    token: Option<String>,
    key: Option<&str>,
    body: Option<&B>,
) -> ApiResult<T> {
    let url = format!("/api{path}");
    let mut req = RequestBuilder::new(&url)
        .method(method)
        .header("Accept-Language", i18n::current().tag());
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    if let Some(token) = token {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    let sent = match body {
        Some(b) => req.json(b).map_err(|_| Failure::Network)?.send().await,
        None => req.send().await,
    };
    let resp = sent.map_err(|_| Failure::Network)?;
    let text = resp.text().await.map_err(|_| Failure::Network)?;
    if resp.ok() {
        let text = if text.trim().is_empty() {
            "null"
        } else {
            text.as_str()
        };
        return serde_json::from_str(text).map_err(|_| Failure::Network);
    }
    match serde_json::from_str::<ErrorEnvelope>(&text) {
        Ok(env) => Err(Failure::Api(env.error)),
        Err(_) => Err(Failure::Network),
    }
}

/// GET.
pub async fn get<T: DeserializeOwned>(path: &str, token: Option<String>) -> ApiResult<T> {
    call::<T, ()>(Method::GET, path, token, None).await
}

/// POST with a JSON body.
pub async fn post<T: DeserializeOwned, B: Serialize>(
    path: &str,
    token: Option<String>,
    body: &B,
) -> ApiResult<T> {
    call(Method::POST, path, token, Some(body)).await
}

/// POST that moves value: the same `key` on a retry makes it happen once.
pub async fn post_once<T: DeserializeOwned, B: Serialize>(
    path: &str,
    token: Option<String>,
    key: &str,
    body: &B,
) -> ApiResult<T> {
    call_with_key(Method::POST, path, token, Some(key), Some(body)).await
}

/// A fresh idempotency key for one intended operation (keep it across retries).
pub fn new_key() -> String {
    let now = js_sys::Date::now() as u64;
    let a = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let b = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    format!("{now:x}-{a:08x}{b:08x}")
}

/// PUT with a JSON body.
pub async fn put<T: DeserializeOwned, B: Serialize>(
    path: &str,
    token: Option<String>,
    body: &B,
) -> ApiResult<T> {
    call(Method::PUT, path, token, Some(body)).await
}

/// PATCH with a JSON body.
pub async fn patch<T: DeserializeOwned, B: Serialize>(
    path: &str,
    token: Option<String>,
    body: &B,
) -> ApiResult<T> {
    call(Method::PATCH, path, token, Some(body)).await
}

/// Percent-encodes a query parameter value.
pub fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Downloads a file the API serves (a CSV export) with the token, and hands
/// it to the browser as `filename`.
pub async fn download(path: &str, token: Option<String>, filename: &str) -> ApiResult<()> {
    use wasm_bindgen::JsCast;
    let url = format!("/api{path}");
    let mut req = RequestBuilder::new(&url)
        .method(Method::GET)
        .header("Accept-Language", i18n::current().tag());
    if let Some(token) = token {
        req = req.header("Authorization", &format!("Bearer {token}"));
    }
    let resp = req.send().await.map_err(|_| Failure::Network)?;
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
