//! Query parameters and path segments must be text Postgres can store: no NUL character, and
//! UTF-8 in path segments. Checked once for every route, before any handler reads them.

use axum::extract::{MatchedPath, Request};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::problem::{ApiError, InvalidField};

const NUL: &str = "must not contain NUL characters";

/// Answers 400 naming the parameter when a query parameter or path segment is not storable text.
pub async fn middleware(req: Request, next: Next) -> Response {
    let mut errors = Vec::new();
    if let Some(template) = req.extensions().get::<MatchedPath>() {
        check_path(template.as_str(), req.uri().path(), &mut errors);
    }
    if let Some(query) = req.uri().query() {
        check_query(query, &mut errors);
    }
    if errors.is_empty() {
        return next.run(req).await;
    }
    let mut e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid-parameter",
        "Invalid parameter",
        "A query parameter or path segment is not acceptable text; see `errors`.",
    );
    e.errors = errors;
    e.into_response()
}

/// Each `{name}` segment of the route template, decoded from the matching segment of the path.
fn check_path(template: &str, path: &str, errors: &mut Vec<InvalidField>) {
    for (segment, raw) in template.split('/').zip(path.split('/')) {
        let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) else {
            continue;
        };
        // A wildcard tail (static files) is a file path its own service checks.
        if name.starts_with('*') {
            continue;
        }
        match String::from_utf8(percent_decode(raw, false)) {
            Err(_) => errors.push(InvalidField::query(name, "must be UTF-8 text")),
            Ok(text) if text.contains('\0') => errors.push(InvalidField::query(name, NUL)),
            Ok(_) => {}
        }
    }
}

fn check_query(query: &str, errors: &mut Vec<InvalidField>) {
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = String::from_utf8_lossy(&percent_decode(key, true)).into_owned();
        let has_nul = name.contains('\0') || percent_decode(value, true).contains(&0);
        if has_nul && !errors.iter().any(|e| e.parameter.as_deref() == Some(&name)) {
            errors.push(InvalidField::query(&name, NUL));
        }
    }
}

/// `%XX` decoded (and `+` as a space in a query); a malformed escape is kept as it is.
fn percent_decode(raw: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        let escaped = (bytes[i] == b'%')
            .then(|| Some((hex(*bytes.get(i + 1)?)?, hex(*bytes.get(i + 2)?)?)))
            .flatten();
        match (escaped, bytes[i]) {
            (Some((hi, lo)), _) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (None, b'+') if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path_errors(template: &str, path: &str) -> Vec<(Option<String>, String)> {
        let mut errors = Vec::new();
        check_path(template, path, &mut errors);
        errors
            .into_iter()
            .map(|e| (e.parameter, e.detail))
            .collect()
    }

    fn query_errors(query: &str) -> Vec<Option<String>> {
        let mut errors = Vec::new();
        check_query(query, &mut errors);
        errors.into_iter().map(|e| e.parameter).collect()
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(percent_decode("a%20b+c%2", true), b"a b c%2");
        assert_eq!(percent_decode("a+b%zz", false), b"a+b%zz");
        assert_eq!(percent_decode("%00%ff", false), [0, 0xff]);
    }

    #[test]
    fn names_the_path_parameter() {
        let t = "/api/v1/roles/{name}";
        assert!(path_errors(t, "/api/v1/roles/sales%20team").is_empty());
        assert_eq!(
            path_errors(t, "/api/v1/roles/a%00b"),
            [(Some("name".to_owned()), NUL.to_owned())]
        );
        assert_eq!(
            path_errors(t, "/api/v1/roles/%FF"),
            [(Some("name".to_owned()), "must be UTF-8 text".to_owned())]
        );
        assert!(path_errors("/assets/{*rest}", "/assets/%FF").is_empty());
    }

    #[test]
    fn names_the_query_parameter() {
        assert!(query_errors("sector=a%2500&tag=x+y").is_empty());
        assert_eq!(
            query_errors("sector=a%00&tag=%00&tag=b%00"),
            [Some("sector".to_owned()), Some("tag".to_owned())]
        );
        assert_eq!(query_errors("a%00b=1"), [Some("a\0b".to_owned())]);
    }
}
