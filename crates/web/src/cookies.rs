//! The console's cookies: the session's token pair and the CSRF token, all HttpOnly and
//! SameSite=Lax, `Secure` unless the server runs in development mode on plain HTTP.

use axum::http::{HeaderMap, HeaderValue, header};

/// The access token (a short-lived JWT, the API's bearer token).
pub const ACCESS: &str = "crm_access";
/// The refresh token, exchanged for a new pair when the access token has expired.
pub const REFRESH: &str = "crm_refresh";
/// The CSRF token every form and htmx request sends back.
pub const CSRF: &str = "crm_csrf";

/// A cookie's value from the request.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// How cookies are written.
#[derive(Debug, Clone, Copy)]
pub struct Jar {
    pub secure: bool,
}

impl Jar {
    /// A `Set-Cookie` value that keeps `value` for `max_age` seconds.
    pub fn set(self, name: &str, value: &str, max_age: u64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let text =
            format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}");
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// A `Set-Cookie` value that removes the cookie.
    pub fn clear(self, name: &str) -> HeaderValue {
        self.set(name, "", 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; crm_access=tok"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("crm_csrf=c"));
        assert_eq!(get(&h, ACCESS), Some("tok"));
        assert_eq!(get(&h, CSRF), Some("c"));
        assert_eq!(get(&h, REFRESH), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_unless_dev() {
        let v = Jar { secure: true }.set(ACCESS, "x", 60);
        assert_eq!(
            v,
            "crm_access=x; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure"
        );
        let v = Jar { secure: false }.clear(REFRESH);
        assert_eq!(v, "crm_refresh=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    }
}
