//! RFC 9457 problem details: the one error type of the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use services::InvalidField;

use super::request_id;

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<InvalidField>,
    /// On some conflicts, the resource as it stands now (a moved opportunity), so the client
    /// can show it and try again.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
}

/// An error answer: status, stable type code, human title and detail.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<InvalidField>,
    pub retry_after: Option<u64>,
    pub current: Option<Box<serde_json::Value>>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            code,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
            current: None,
        }
    }

    pub fn validation(errors: Vec<InvalidField>) -> Self {
        let mut e = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            "Invalid request",
            "One or more fields are invalid; see `errors`.",
        );
        e.errors = errors;
        e
    }

    pub fn field(pointer: &str, detail: impl Into<String>) -> Self {
        Self::validation(vec![InvalidField::at(pointer, detail)])
    }

    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            "No such resource.",
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    pub fn forbidden(permission: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Permission denied",
            format!("This action needs the `{permission}` permission."),
        )
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict", detail)
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            "Request body too large",
            "The body exceeds the size limit of this endpoint.",
        )
    }

    pub fn precondition_failed() -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            "The resource has changed",
            "`If-Match` does not match the current ETag; fetch the resource again.",
        )
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            format!("Try again in {retry_after} seconds."),
        );
        e.retry_after = Some(retry_after);
        e
    }

    /// An unexpected failure: logged with its cause, answered without it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "Something went wrong on our side; quote the request id when reporting it.",
        )
    }
}

/// The one mapping of the application layer's errors to problems.
impl From<services::Error> for ApiError {
    fn from(err: services::Error) -> Self {
        use services::Error;
        match err {
            Error::Invalid(fields) => Self::validation(fields),
            Error::NotFound => Self::not_found(),
            Error::Conflict {
                code,
                detail,
                current,
            } => {
                let mut e = Self::conflict(code, detail);
                e.current = current;
                e
            }
            Error::Forbidden(detail) => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Permission denied",
                detail,
            ),
            Error::Stale => Self::precondition_failed(),
            Error::Db(e) => e.into(),
            other @ (Error::Corrupt(_) | Error::Crypto(_)) => Self::internal(other),
        }
    }
}

impl From<db::crypto::CryptoError> for ApiError {
    fn from(err: db::crypto::CryptoError) -> Self {
        Self::internal(err)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        if matches!(err, sqlx::Error::PoolTimedOut) {
            tracing::warn!("request refused: no database connection free in time");
            return super::timeout::busy();
        }
        if super::timeout::is_timeout(&err) {
            tracing::warn!(error = %err, "request stopped: the database reached its time limit");
            return super::timeout::timed_out();
        }
        if super::timeout::is_contention(&err) {
            tracing::warn!(error = %err, "request rolled back: it met another on the same rows");
            return super::timeout::contention();
        }
        if super::timeout::is_connection_lost(&err) {
            tracing::warn!(error = %err, "request stopped: the database connection was lost");
            return super::timeout::unavailable();
        }
        Self::internal(err)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("/problems/{}", self.code),
            title: self.title.to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            request_id: request_id::current(),
            errors: self.errors,
            current: self.current.map(|c| *c),
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut res = (self.status, body).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(secs) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
