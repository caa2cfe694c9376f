//! The JSON body extractor: content type, size, syntax and unknown fields, each its own problem.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::problem::{ApiError, InvalidField};

/// A JSON request body (types deny unknown fields) or a JSON response.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|m| {
                let m = m.trim().to_ascii_lowercase();
                m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "Send the body as `Content-Type: application/json`.",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::payload_too_large()
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "unreadable-body",
                    "Unreadable body",
                    rejection.body_text(),
                )
            }
        })?;
        parse(&bytes).map(ApiJson)
    }
}

/// Parses a JSON body, naming the field that failed by JSON pointer.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if let Some(pointer) = nul_pointer(bytes) {
        return Err(ApiError::field(&pointer, "must not contain NUL characters"));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let pointer = pointer_of(err.path());
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                malformed(&inner)
            }
            _ => {
                let message = inner.to_string();
                let message = message
                    .split(" at line")
                    .next()
                    .unwrap_or(&message)
                    .to_owned();
                if message.starts_with("unknown field") {
                    let mut e = ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "unknown-field",
                        "Unknown field",
                        "The body has a field this endpoint does not accept.",
                    );
                    e.errors = vec![InvalidField::at(&pointer, message)];
                    e
                } else if let Some(field) = missing_field(&message) {
                    ApiError::validation(vec![InvalidField::at(
                        &format!("{pointer}/{field}"),
                        "is required",
                    )])
                } else {
                    ApiError::validation(vec![InvalidField::at(&pointer, message)])
                }
            }
        }
    })?;
    // Anything after the value (`{"a":1} xx`) makes the body malformed, not ignorable.
    de.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

fn malformed(err: &serde_json::Error) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "malformed-json",
        "Malformed JSON",
        format!("The body is not valid JSON: {err}"),
    )
}

/// The pointer of the first string or object key holding U+0000, which Postgres cannot store
/// in text or jsonb. JSON can only spell it `\u0000` (a raw NUL is a syntax error), so bodies
/// without that text are not parsed twice; `\\u0000` (a backslash, then text) is found clean.
fn nul_pointer(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w == br"\u0000") {
        return None;
    }
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let mut pointer = String::new();
    nul_in(&value, &mut pointer).then_some(pointer)
}

/// Whether `value` holds a NUL; `pointer` then ends at the string or key that does.
fn nul_in(value: &serde_json::Value, pointer: &mut String) -> bool {
    use serde_json::Value;
    let len = pointer.len();
    let found = match value {
        Value::String(s) => return s.contains('\0'),
        Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
            pointer.truncate(len);
            pointer.push_str(&format!("/{i}"));
            nul_in(item, pointer)
        }),
        Value::Object(members) => members.iter().any(|(key, item)| {
            pointer.truncate(len);
            pointer.push('/');
            pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
            key.contains('\0') || nul_in(item, pointer)
        }),
        _ => false,
    };
    if !found {
        pointer.truncate(len);
    }
    found
}

/// serde names a missing field only in its message: "missing field `email`".
fn missing_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
}

fn pointer_of(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                out.push('/');
                out.push_str(&key.replace('~', "~0").replace('/', "~1"));
            }
            Segment::Unknown => {}
        }
    }
    out
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// A query string, with malformed input answered as a problem like every other error.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| ApiQuery(q.0))
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid-query",
                    "Invalid query string",
                    e.body_text(),
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    #[test]
    fn classifies_errors() {
        let e = parse::<Body>(b"{").expect_err("error");
        assert_eq!(e.code, "malformed-json");
        let e = parse::<Body>(br#"{"name":"a","extra":1}"#).expect_err("error");
        assert_eq!(e.code, "unknown-field");
        let e = parse::<Body>(br#"{"name":"a","inner":{"count":"x"}}"#).expect_err("error");
        assert_eq!(e.code, "validation-failed");
        assert_eq!(e.errors[0].pointer, "/inner/count");
        assert!(parse::<Body>(br#"{"name":"a"}"#).is_ok());
        let e = parse::<Body>(br#"{}"#).expect_err("error");
        assert_eq!(e.errors[0].pointer, "/name");
        let e = parse::<Body>(br#"{"name":"a"} xx"#).expect_err("trailing text");
        assert_eq!(e.code, "malformed-json");
        assert!(parse::<Body>(b"{\"name\":\"a\"}\n ").is_ok());
    }

    #[test]
    fn names_the_string_holding_a_nul() {
        let e = parse::<Body>(br#"{"name":"a\u0000b"}"#).expect_err("nul");
        assert_eq!(e.code, "validation-failed");
        assert_eq!(e.errors[0].pointer, "/name");
        let e = parse::<serde_json::Value>(br#"{"a":[{"b":"x"},{"c/d":["ok","\u0000"]}]}"#)
            .expect_err("nested nul");
        assert_eq!(e.errors[0].pointer, "/a/1/c~1d/1");
        let e = parse::<serde_json::Value>(br#"{"a":{"k\u0000":1}}"#).expect_err("nul key");
        assert_eq!(e.errors[0].pointer, "/a/k\u{0}");
        // A backslash followed by the text u0000 is no NUL.
        assert!(parse::<Body>(br#"{"name":"a\\u0000"}"#).is_ok());
    }
}
