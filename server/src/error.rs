//! The one error type of the server, its JSON envelope and status mapping.
//! An internal error's detail goes to the log, never to the client.

use axum::body::Bytes;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use serde::de::DeserializeOwned;
use shared::error::ErrorEnvelope;
use shared::{ApiError, ErrorCode, Lang, validate};
use std::collections::BTreeMap;

/// Every failure a handler can return.
#[derive(Debug)]
pub enum AppError {
    /// A client-facing error with a stable code.
    Api {
        status: StatusCode,
        code: ErrorCode,
        params: BTreeMap<String, String>,
    },
    /// Our fault; logged in full, answered with a bare 500.
    Internal(anyhow::Error),
}

/// Handler result.
pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// What went wrong, for HQ's list of failed job items and for logs: an
    /// internal error with its causes, or a refusal's code and parameters.
    pub fn detail(&self) -> String {
        match self {
            AppError::Internal(e) => format!("{e:#}"),
            AppError::Api { code, params, .. } if params.is_empty() => format!("{code:?}"),
            AppError::Api { code, params, .. } => format!("{code:?} {params:?}"),
        }
    }

    /// An error with a code and no parameters.
    pub fn new(status: StatusCode, code: ErrorCode) -> Self {
        // The API's documentation says which statuses a code comes with.
        debug_assert!(
            code.statuses().contains(&status.as_u16()),
            "{code:?} sent with {status}, documented as {:?}",
            code.statuses()
        );
        AppError::Api {
            status,
            code,
            params: BTreeMap::new(),
        }
    }

    /// Adds a parameter.
    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        if let AppError::Api { params, .. } = &mut self {
            params.insert(key.to_string(), value.to_string());
        }
        self
    }

    /// A field failed validation (422).
    pub fn invalid(field: &str, reason: &str) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidField)
            .with("field", field)
            .with("reason", reason)
    }

    /// A sum of stored amounts that does not fit (500: the data is wrong,
    /// not the request).
    pub fn overflow(what: &str) -> Self {
        Self::Internal(anyhow::anyhow!("the sum of {what} overflows"))
    }

    /// Someone else moved the thing first: it is now in `state` (409).
    pub fn state_changed(state: &str) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::StateChanged).with("state", state)
    }

    /// No such thing, or not visible to the caller (404).
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound)
    }

    /// Not allowed for this role or scope (403).
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorCode::Forbidden)
    }

    /// Needs a login (401).
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated)
    }

    /// A unique value is taken (409).
    pub fn already_exists(field: &str) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::AlreadyExists).with("field", field)
    }

    /// The request body or parameters are unreadable (400).
    pub fn malformed(detail: impl ToString) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::MalformedRequest).with("detail", detail)
    }
}

/// Validates with a `shared::validate` rule, naming the field on failure.
pub fn check<T>(field: &str, result: Result<T, &'static str>) -> AppResult<T> {
    result.map_err(|reason| AppError::invalid(field, reason))
}

/// Turns "not found" into "`field` names nothing" (422) for an id given in a
/// body; any other error (a database failure) stays what it is, so it is
/// never answered, or recorded under an idempotency key, as the client's
/// mistake.
pub fn unknown_as(field: &'static str) -> impl FnOnce(AppError) -> AppError {
    move |e| match e {
        AppError::Api {
            code: ErrorCode::NotFound,
            ..
        } => AppError::invalid(field, "unknown"),
        other => other,
    }
}

/// Maps a unique-constraint violation to `already_exists(field)`; any other
/// database error stays internal.
pub fn unique_as(field: &'static str) -> impl FnOnce(DbErr) -> AppError {
    move |e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AppError::already_exists(field),
        _ => AppError::Internal(e.into()),
    }
}

impl From<DbErr> for AppError {
    fn from(e: DbErr) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        AppError::Internal(e)
    }
}

impl From<PathRejection> for AppError {
    fn from(_: PathRejection) -> Self {
        AppError::not_found()
    }
}

impl From<QueryRejection> for AppError {
    fn from(r: QueryRejection) -> Self {
        AppError::malformed(r.body_text())
    }
}

/// Marks a response whose error body is not ours to rewrite (answers to
/// another system, e.g. the payment gateway's callback).
#[derive(Clone, Copy, Debug)]
pub struct RawBody;

/// The parts a response carries so that [`localize_errors`] can render the
/// message in the request's language.
#[derive(Clone, Debug)]
struct ErrorParts {
    code: ErrorCode,
    params: BTreeMap<String, String>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, params) = match self {
            AppError::Api {
                status,
                code,
                params,
            } => (status, code, params),
            AppError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    BTreeMap::new(),
                )
            }
        };
        let mut response = render(status, code, params.clone(), Lang::Zh);
        response
            .extensions_mut()
            .insert(ErrorParts { code, params });
        response
    }
}

fn render(
    status: StatusCode,
    code: ErrorCode,
    params: BTreeMap<String, String>,
    lang: Lang,
) -> Response {
    let body = ErrorEnvelope {
        error: ApiError::new(code, params, lang),
    };
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The language a request asked for (`Accept-Language`).
pub fn request_lang(headers: &axum::http::HeaderMap) -> Lang {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(Lang::from_header)
        .unwrap_or_default()
}

/// Middleware on the API: renders every error in the request's language, and
/// turns errors produced outside our handlers (unknown route, wrong method)
/// into the same envelope, so a client never sees an HTML or empty error.
pub async fn localize_errors(request: Request, next: Next) -> Response {
    let lang = request_lang(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if response.extensions().get::<RawBody>().is_some() {
        return response;
    }
    if let Some(parts) = response.extensions().get::<ErrorParts>().cloned() {
        if lang == Lang::Zh {
            return response;
        }
        return render(status, parts.code, parts.params, lang);
    }
    if status.is_client_error() || status.is_server_error() {
        let code = match status {
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => ErrorCode::NotFound,
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            s if s.is_server_error() => ErrorCode::Internal,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            _ => ErrorCode::MalformedRequest,
        };
        let mut params = BTreeMap::new();
        if code == ErrorCode::PayloadTooLarge {
            params.insert("max_kb".to_string(), (MAX_BODY_BYTES / 1024).to_string());
        }
        return render(status, code, params, lang);
    }
    response
}

/// Middleware on the API: a path or query that decodes to a control
/// character (`%00`, `%0A`, `%7F`…) is refused before any handler reads it
/// (a NUL would otherwise reach the database, which refuses it with a 500).
pub async fn refuse_control_chars_in_uri(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let raw = format!("{}?{}", uri.path(), uri.query().unwrap_or(""));
    let bytes = raw.as_bytes();
    let control = bytes.windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                (w[1].to_ascii_lowercase(), w[2].to_ascii_lowercase()),
                (b'0' | b'1', b'0'..=b'9' | b'a'..=b'f') | (b'7', b'f')
            )
    });
    if control {
        return AppError::malformed("control characters in the address").into_response();
    }
    next.run(request).await
}

/// The largest request body the API reads (picture uploads are the one
/// exception, with a limit of their own: [`ImageUpload`]).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A JSON request body, read strictly: a JSON object (nothing else), of at
/// most [`MAX_BODY_BYTES`], without a field the type does not know (a
/// misspelt `amout` must not mean "no amount"), and with no control
/// characters in its text (newlines only in [`validate::MULTI_LINE_FIELDS`]).
/// Every refusal is our envelope; provider callbacks read their bodies
/// themselves, leniently, after checking the signature.
pub struct AppJson<T>(pub T);

impl<T, S> FromRequest<S> for AppJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| {
                let v = v.trim().to_ascii_lowercase();
                v == "application/json" || (v.starts_with("application/") && v.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(AppError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::MalformedRequest,
            )
            .with("detail", "expected Content-Type: application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                AppError::malformed(r.body_text())
            }
        })?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(too_large());
        }
        parse_body(&bytes).map(AppJson)
    }
}

fn too_large() -> AppError {
    too_large_above(MAX_BODY_BYTES)
}

fn too_large_above(max: usize) -> AppError {
    AppError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
        .with("max_kb", max / 1024)
}

/// An uploaded picture's bytes, at most [`shared::api::MAX_IMAGE_BYTES`]
/// (a larger body is refused as soon as it is seen to be, not read to its
/// end). Its type is read from the bytes, not from the Content-Type.
pub struct ImageUpload(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ImageUpload {
    type Rejection = AppError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, AppError> {
        let max = shared::api::MAX_IMAGE_BYTES;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max as u64) {
            return Err(too_large_above(max));
        }
        // Past the limit (or a body cut off) the read fails: nothing was
        // stored, and the client hears the limit.
        let bytes = axum::body::to_bytes(req.into_body(), max)
            .await
            .map_err(|_| too_large_above(max))?;
        Ok(ImageUpload(bytes))
    }
}

/// Reads a request body by the rules of [`AppJson`].
pub fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> AppResult<T> {
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| AppError::malformed(e.to_string()))?;
    if !value.is_object() {
        return Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::MalformedRequest,
        )
        .with("detail", "the body must be a JSON object"));
    }
    check_text(&value, "")?;
    let mut unknown: Option<String> = None;
    let parsed = serde_ignored::deserialize(value, |path| {
        unknown.get_or_insert_with(|| field_path(&path));
    });
    // An unknown field is named even when a known one is then missing: a
    // misspelt `amout` is the mistake to show, not "amount is missing".
    match (unknown, parsed) {
        (Some(field), _) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::UnknownField,
        )
        .with("field", field)),
        (None, Err(e)) => Err(AppError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::MalformedRequest,
        )
        .with("detail", e)),
        (None, Ok(parsed)) => Ok(parsed),
    }
}

/// `a.b[2].c` for a path inside the body (what a client would look for).
fn field_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => match field_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

/// Refuses control characters in every string of the body, naming the field
/// (the innermost object key above the string).
fn check_text(value: &serde_json::Value, field: &str) -> AppResult<()> {
    match value {
        serde_json::Value::String(_) if validate::SECRET_FIELDS.contains(&field) => Ok(()),
        serde_json::Value::String(s) => {
            let multi_line = validate::MULTI_LINE_FIELDS.contains(&field);
            check(field, validate::plain_text(s, multi_line))
        }
        serde_json::Value::Array(items) => items.iter().try_for_each(|v| check_text(v, field)),
        serde_json::Value::Object(map) => map.iter().try_for_each(|(k, v)| {
            check("field", validate::plain_text(k, false))?;
            check_text(v, k)
        }),
        _ => Ok(()),
    }
}

/// `Path` whose rejections use our envelope (an unparsable id is a 404).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// `Query` whose rejections use our envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);

#[cfg(test)]
mod tests {
    use super::{AppError, parse_body};
    use serde::Deserialize;
    use shared::ErrorCode;

    #[derive(Debug, Deserialize)]
    struct Decision {
        reason: Option<String>,
        name: Option<String>,
        #[expect(dead_code, reason = "read only to be refused or accepted")]
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    struct Inner {
        #[expect(dead_code, reason = "read only to be refused or accepted")]
        label: String,
    }

    fn refusal(body: &str) -> (ErrorCode, Vec<(String, String)>) {
        match parse_body::<Decision>(body.as_bytes()) {
            Err(AppError::Api { code, params, .. }) => (code, params.into_iter().collect()),
            other => panic!("{body}: {other:?}"),
        }
    }

    #[test]
    fn multi_line_fields_keep_their_newlines_and_others_refuse_them() {
        let ok: Decision = parse_body(br#"{"reason": "line one\r\nline two\tend"}"#)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ok.reason.as_deref(), Some("line one\r\nline two\tend"));
        assert!(ok.name.is_none());
        let (code, params) = refusal(r#"{"name": "a\nb"}"#);
        assert_eq!(code, ErrorCode::InvalidField);
        assert!(params.contains(&("field".into(), "name".into())));
        let (code, _) = refusal(r#"{"reason": "a\u0000b"}"#);
        assert_eq!(
            code,
            ErrorCode::InvalidField,
            "NUL even where lines are kept"
        );
    }

    #[test]
    fn only_a_missing_row_is_an_unknown_id() {
        let missing = super::unknown_as("store_id")(AppError::not_found());
        assert!(matches!(
            missing,
            AppError::Api {
                code: ErrorCode::InvalidField,
                ..
            }
        ));
        let failed = super::unknown_as("store_id")(AppError::from(sea_orm::DbErr::Custom(
            "connection reset".into(),
        )));
        assert!(matches!(failed, AppError::Internal(_)), "{failed:?}");
    }

    #[test]
    fn unknown_fields_are_named_with_their_path() {
        let (code, params) = refusal(r#"{"inner": {"label": "x", "colour": 1}}"#);
        assert_eq!(code, ErrorCode::UnknownField);
        assert_eq!(params, vec![("field".into(), "inner.colour".into())]);
        let (code, _) = refusal(r#"[1, 2]"#);
        assert_eq!(code, ErrorCode::MalformedRequest);
    }
}
