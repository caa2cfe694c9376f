//! Cross-site request forgery: every state-changing request (a form post, an htmx call) must
//! send back the token of the `crm_csrf` cookie, as the form field `_csrf` or the header
//! `X-CSRF-Token` (htmx sends it from `hx-headers` on `<body>`), and come from this origin
//! when the browser says where it comes from. A page shown to a browser without the cookie
//! mints one. The session cookies are SameSite=Lax besides. See docs/security.md.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine;
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::cookies;
use crate::state::WebState;

/// The header htmx sends the token in.
pub const HEADER: &str = "x-csrf-token";
/// The form field forms send it in.
pub const FIELD: &str = "_csrf";

/// The request's CSRF token, for the page to put in its forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

fn mint() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Checks unsafe methods; hands every request its token; sets the cookie when it was minted.
pub async fn protect(State(ws): State<WebState>, req: Request, next: Next) -> Response {
    let existing = cookies::get(req.headers(), cookies::CSRF).map(str::to_owned);
    let (mut req, refused) = if is_safe(req.method()) {
        (req, false)
    } else {
        check(req, existing.as_deref(), ws.app.config.max_body_bytes).await
    };
    if refused {
        return crate::errors::forbidden_csrf(req.headers());
    }
    let token = existing.clone().unwrap_or_else(mint);
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(req).await;
    if existing.is_none() {
        let cookie = ws.jar().set(cookies::CSRF, &token, 7 * 24 * 3600);
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The request back (its body read when the token is in a form), and whether it is refused.
async fn check(req: Request, expected: Option<&str>, limit: usize) -> (Request, bool) {
    let Some(expected) = expected else {
        return (req, true);
    };
    if !same_origin(req.headers()) {
        return (req, true);
    }
    if let Some(sent) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        let ok = equal(sent, expected);
        return (req, !ok);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (req, true);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return (Request::from_parts(parts, Body::empty()), true);
    };
    let ok = form_token(&bytes).is_some_and(|sent| equal(&sent, expected));
    (Request::from_parts(parts, Body::from(bytes)), !ok)
}

fn form_token(body: &Bytes) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == FIELD)
        .map(|(_, v)| v)
}

fn equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// True unless the browser names another origin (`Origin`, else `Referer`) than the `Host`.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let claimed = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok());
    match claimed {
        None | Some("null") => claimed.is_none(),
        Some(url) => url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .is_some_and(|authority| authority.eq_ignore_ascii_case(host)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_token_is_found_in_a_form_body() {
        let body = Bytes::from_static(b"a=1&_csrf=ab%2Bc&name=J+Doe");
        assert_eq!(form_token(&body).as_deref(), Some("ab+c"));
        assert_eq!(form_token(&Bytes::from_static(b"a=1")), None);
    }

    #[test]
    fn another_origin_is_refused() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("crm.example:8080"));
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://crm.example:8080"),
        );
        assert!(same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!same_origin(&h));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(equal("abc", "abc"));
        assert!(!equal("abc", "abd"));
        assert!(!equal("abc", "abcd"));
    }
}
