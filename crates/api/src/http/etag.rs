//! `ETag` on single resources and `If-Match` on updates.

use axum::http::{HeaderMap, HeaderValue, header};

use super::problem::ApiError;

/// The entity tag of a resource at a version.
pub fn of(version: i32) -> String {
    format!("\"{version}\"")
}

pub fn header_value(version: i32) -> HeaderValue {
    HeaderValue::from_str(&of(version)).unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// Checks `If-Match` against the current version: absent passes, `*` passes, a stale tag is 412.
pub fn check_if_match(headers: &HeaderMap, current_version: i32) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(());
    };
    let current = of(current_version);
    let raw = value
        .to_str()
        .map_err(|_| ApiError::precondition_failed())?;
    let matches = raw.split(',').map(str::trim).any(|tag| {
        tag == "*" || tag == current || tag.strip_prefix("W/") == Some(current.as_str())
    });
    if matches {
        Ok(())
    } else {
        Err(ApiError::precondition_failed())
    }
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
    }
}
