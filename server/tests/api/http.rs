//! Requests to a test server and the replies, read in full, with the
//! assertions every test makes on them (status, body, error envelope).

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::ErrorCode;
use shared::error::{ApiError, ErrorEnvelope};

/// A request being built; `send` it to get a [`Reply`].
pub struct Req {
    pub(crate) what: String,
    pub(crate) builder: reqwest::RequestBuilder,
}

impl Req {
    /// Sends `Authorization: Bearer <token>`.
    pub fn token(self, token: &str) -> Self {
        Req {
            builder: self.builder.bearer_auth(token),
            ..self
        }
    }

    /// Sends `Accept-Language`.
    pub fn lang(self, lang: &str) -> Self {
        Req {
            builder: self.builder.header(reqwest::header::ACCEPT_LANGUAGE, lang),
            ..self
        }
    }

    /// Sends any header, e.g. `Idempotency-Key`.
    pub fn header(self, name: &str, value: &str) -> Self {
        Req {
            builder: self.builder.header(name, value),
            ..self
        }
    }

    /// A JSON body.
    pub fn json(self, body: &impl Serialize) -> Self {
        Req {
            builder: self.builder.json(body),
            ..self
        }
    }

    /// A body sent verbatim as `application/json`, well-formed or not.
    pub fn raw_json(self, body: &str) -> Self {
        let builder = self
            .builder
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        Req { builder, ..self }
    }

    /// A body of bytes with its type (an uploaded picture).
    pub fn bytes(self, content_type: &str, body: Vec<u8>) -> Self {
        let builder = self
            .builder
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body);
        Req { builder, ..self }
    }

    /// Sends it; the status and body are kept for the assertions.
    pub async fn send(self) -> Reply {
        let response = self
            .builder
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.what));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{}: reading the body: {e}", self.what));
        Reply {
            what: self.what,
            status,
            content_type,
            body,
        }
    }
}

/// A response, read in full.
#[derive(Debug)]
pub struct Reply {
    /// `METHOD /path`, for failure messages.
    pub what: String,
    /// HTTP status.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: String,
    /// The body text.
    pub body: String,
}

impl Reply {
    /// Asserts a 2xx and parses the body.
    #[track_caller]
    pub fn ok<T: DeserializeOwned>(&self) -> T {
        assert!(
            (200..300).contains(&self.status),
            "{} answered {}: {}",
            self.what,
            self.status,
            self.body
        );
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{}: unexpected body ({e}): {}", self.what, self.body))
    }

    /// Asserts this exact status.
    #[track_caller]
    pub fn status(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "{} answered {}: {}",
            self.what, self.status, self.body
        );
        self
    }

    /// Parses the error envelope, whatever the status.
    #[track_caller]
    pub fn envelope(&self) -> ErrorEnvelope {
        assert!(
            self.content_type.starts_with("application/json"),
            "{} ({}) is not JSON but {:?}: {}",
            self.what,
            self.status,
            self.content_type,
            self.body
        );
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} ({}): not an error envelope ({e}): {}",
                self.what, self.status, self.body
            )
        })
    }

    /// Asserts the status and the error code; returns the error.
    #[track_caller]
    pub fn error(&self, status: u16, code: ErrorCode) -> ApiError {
        self.status(status);
        let error = self.envelope().error;
        assert_eq!(error.code, code, "{}: {}", self.what, self.body);
        error
    }

    /// Asserts a 422 `invalid_field` naming `field` for `reason`.
    #[track_caller]
    pub fn invalid_because(&self, field: &str, reason: &str) -> ApiError {
        let error = self.invalid(field);
        assert_eq!(
            error.params.get("reason").map(String::as_str),
            Some(reason),
            "{}: {}",
            self.what,
            self.body
        );
        error
    }

    /// Asserts a 422 `invalid_field` naming `field`; returns the error.
    #[track_caller]
    pub fn invalid(&self, field: &str) -> ApiError {
        let error = self.error(422, ErrorCode::InvalidField);
        assert_eq!(
            error.params.get("field").map(String::as_str),
            Some(field),
            "{}: {}",
            self.what,
            self.body
        );
        error
    }
}
