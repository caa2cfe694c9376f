//! The one error type of the application layer. The API maps it to problem+json in one place
//! (`api::http::problem`), the worker to a job failure.

use db::crypto::CryptoError;

/// One invalid field of the input: where it is and why it was refused. (The API serves it in a
/// problem's `errors`, under the schema name `FieldError`.)
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = FieldError))]
pub struct InvalidField {
    /// A JSON pointer into the input, such as `/emails/2`.
    pub pointer: String,
    /// Set when the field is a query parameter, a path segment or a header rather than part of
    /// a body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
    pub detail: String,
}

impl InvalidField {
    /// A field of a body, by JSON pointer.
    pub fn at(pointer: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.to_owned(),
            parameter: None,
            detail: detail.into(),
        }
    }

    /// A query parameter or a path segment, by name.
    pub fn query(name: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{name}"),
            parameter: Some(name.to_owned()),
            detail: detail.into(),
        }
    }

    /// A request header, by its name as sent (e.g. `Idempotency-Key`).
    pub fn header(name: &str, detail: impl Into<String>) -> Self {
        Self {
            pointer: format!("/{}", name.to_ascii_lowercase()),
            parameter: Some(name.to_owned()),
            detail: detail.into(),
        }
    }
}

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input breaks a rule; nothing changed.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<InvalidField>),
    /// The thing named does not exist in this tenant (or is deleted).
    #[error("not found")]
    NotFound,
    /// The request contradicts the current state; `code` is the stable problem type.
    /// `current` is the resource as it stands now, when the caller needs it to try again (a
    /// card someone else moved first).
    #[error("conflict ({code}): {detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        current: Option<Box<serde_json::Value>>,
    },
    /// The caller lacks something this change needs beyond the operation's own permission
    /// (nobody grants what they do not hold).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The caller changed a version it did not read last (`If-Match`).
    #[error("the resource has changed")]
    Stale,
    #[error("stored data could not be read: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl Error {
    /// One invalid body field.
    pub fn field(pointer: &str, detail: impl Into<String>) -> Self {
        Self::Invalid(vec![InvalidField::at(pointer, detail)])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
            current: None,
        }
    }

    /// A conflict with the resource as it stands now.
    pub fn conflict_with(
        code: &'static str,
        detail: impl Into<String>,
        current: serde_json::Value,
    ) -> Self {
        Self::Conflict {
            code,
            detail: detail.into(),
            current: Some(Box::new(current)),
        }
    }

    /// Fails unless `problems` is empty.
    pub fn check(problems: Vec<InvalidField>) -> Result<(), Self> {
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Self::Invalid(problems))
        }
    }
}

/// What a service returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;
