//! `ETag` on single resources and `If-Match` on updates.

use axum::http::{HeaderMap, HeaderValue, header};

use services::{Expected, Versioned};

use super::problem::ApiError;

/// The `If-Match` request header, as documented on the operations that honour it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The `ETag` last read: the change applies only while the resource still has it (`*`
    /// matches any). Without it the change applies whatever happened meanwhile.
    #[param(rename = "If-Match", value_type = String, required = false)]
    pub if_match: Option<String>,
}

/// The 412 of an operation that honours `If-Match`.
pub const IF_MATCH_FAILED: &str = "`If-Match` does not match the current `ETag`: someone changed \
    the resource since it was read (`precondition-failed`).";

/// The entity tag of a resource at a version.
pub fn of(version: i32) -> String {
    format!("\"{version}\"")
}

pub fn header_value(version: i32) -> HeaderValue {
    HeaderValue::from_str(&of(version)).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// A versioned resource as an answer: `status`, its `ETag`, and the resource as JSON.
pub fn with_etag<T: serde::Serialize>(
    status: axum::http::StatusCode,
    resource: Versioned<T>,
) -> impl axum::response::IntoResponse {
    (
        status,
        [(header::ETAG, header_value(resource.version))],
        super::ApiJson(resource.value),
    )
}

/// The versions `If-Match` allows: absent or `*` allows any; otherwise the listed tags (weak
/// or strong), and a tag this API did not issue matches nothing.
pub fn expected(headers: &HeaderMap) -> Expected {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Expected::Any;
    };
    let Ok(raw) = value.to_str() else {
        return Expected::OneOf(Vec::new());
    };
    let tags: Vec<&str> = raw.split(',').map(str::trim).collect();
    if tags.contains(&"*") {
        return Expected::Any;
    }
    Expected::OneOf(
        tags.iter()
            .filter_map(|t| {
                let t = t.strip_prefix("W/").unwrap_or(t);
                t.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
            })
            .collect(),
    )
}

/// Checks `If-Match` against the current version: absent passes, `*` passes, a stale tag is 412.
pub fn check_if_match(headers: &HeaderMap, current_version: i32) -> Result<(), ApiError> {
    Ok(expected(headers).check(current_version)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_rules() {
        let mut h = HeaderMap::new();
        assert!(check_if_match(&h, 3).is_ok());
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"3\""));
        assert!(check_if_match(&h, 3).is_ok());
        assert!(check_if_match(&h, 4).is_err());
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert!(check_if_match(&h, 9).is_ok());
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"1\", W/\"2\""));
        assert!(check_if_match(&h, 2).is_ok());
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"x\""));
        assert!(check_if_match(&h, 0).is_err());
    }
}
