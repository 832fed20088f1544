//! The one error type of the server, its JSON envelope and status mapping.
//! An internal error's detail goes to the log, never to the client.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};
use shared::error::ErrorEnvelope;
use shared::{ApiError, ErrorCode, Lang};
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
    /// An error with a code and no parameters.
    pub fn new(status: StatusCode, code: ErrorCode) -> Self {
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

impl From<JsonRejection> for AppError {
    fn from(r: JsonRejection) -> Self {
        let status = match r {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        AppError::new(status, ErrorCode::MalformedRequest).with("detail", r.body_text())
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
            _ => ErrorCode::MalformedRequest,
        };
        return render(status, code, BTreeMap::new(), lang);
    }
    response
}

/// `Json` whose rejections use our envelope.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct AppJson<T>(pub T);

/// `Path` whose rejections use our envelope (an unparsable id is a 404).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct AppPath<T>(pub T);

/// `Query` whose rejections use our envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct AppQuery<T>(pub T);
