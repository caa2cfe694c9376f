//! A console page's request: the API's `Ctx` (the signed-in user's tenant transaction, with
//! the same permission checks), who the user is with their permissions, the locale, and the
//! CSRF token its forms carry. Signed out, a page answers 303 to `/login?next=<path>` (htmx
//! requests get `HX-Redirect`).

use api::auth::ctx::Ctx;
use api::http::ApiError;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use services::access::MeResponse;

use crate::csrf::CsrfToken;
use crate::errors;
use crate::i18n::Locale;
use crate::state::WebState;

pub struct Page {
    pub ctx: Ctx,
    pub me: MeResponse,
    pub locale: Locale,
    pub csrf: String,
    /// The request came from htmx (answer with a fragment).
    pub htmx: bool,
    pub assets: crate::assets::Assets,
    pub app: api::state::AppState,
}

impl FromRequestParts<WebState> for Page {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, ws: &WebState) -> Result<Self, Response> {
        let csrf = parts
            .extensions
            .get::<CsrfToken>()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        let htmx = parts.headers.contains_key("hx-request");
        let mut ctx = match Ctx::from_request_parts(parts, &ws.app).await {
            Ok(ctx) => ctx,
            Err(e) if e.status == StatusCode::UNAUTHORIZED => return Err(to_login(parts, htmx)),
            Err(e) => return Err(errors::page(&parts.headers, e)),
        };
        let me = match services::access::me(&mut ctx).await {
            Ok(Some(me)) => me,
            Ok(None) => return Err(to_login(parts, htmx)),
            Err(e) => return Err(errors::page(&parts.headers, e.into())),
        };
        // The user's own choice wins over the tenant's default.
        let locale =
            Locale::from_tag(me.locale.as_deref().unwrap_or(&me.tenant.locale)).unwrap_or_default();
        Ok(Self {
            ctx,
            me,
            locale,
            csrf,
            htmx,
            assets: ws.assets.clone(),
            app: ws.app.clone(),
        })
    }
}

impl Page {
    /// Whether the user may do `permission` (to show or hide a button; the handler behind it
    /// checks again with `ctx.require`).
    pub fn can(&self, permission: &str) -> bool {
        self.me.permissions.iter().any(|p| p == permission)
    }

    /// The tenant's cipher (cached), which client data is decrypted and encrypted with.
    pub async fn cipher(&mut self) -> Result<std::sync::Arc<db::crypto::TenantCipher>, PageError> {
        Ok(api::routes::clients::cipher(&self.app, &mut self.ctx).await?)
    }

    /// Fails with the console's 403 page unless the user holds `permission`.
    pub async fn require(&self, permission: &str) -> Result<(), PageError> {
        self.ctx.require(permission).await.map_err(PageError::from)
    }
}

/// Where a signed-out browser goes: the sign-in page, coming back here afterwards.
fn to_login(parts: &Parts, htmx: bool) -> Response {
    let next = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|p| *p != "/")
        .map(|p| format!("?next={}", encode_component(p)))
        .unwrap_or_default();
    let target = format!("/login{next}");
    if htmx {
        return ([("hx-redirect", target)], StatusCode::UNAUTHORIZED).into_response();
    }
    axum::response::Redirect::to(&target).into_response()
}

/// A path or query value, percent-encoded for a URL's query.
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A page that could not be shown: the API's problem, rendered as the console's error page
/// in the browser's language on the way out ([`errors::render_problems`]).
pub struct PageError(Box<ApiError>);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        Self(Box::new(error))
    }
}

impl From<services::Error> for PageError {
    fn from(error: services::Error) -> Self {
        ApiError::from(error).into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        errors::problem_response(*self.0)
    }
}

pub type PageResult = Result<Response, PageError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_way_back_is_encoded() {
        assert_eq!(
            encode_component("/clients?q=a b&x=ñ"),
            "/clients%3Fq%3Da%20b%26x%3D%C3%B1"
        );
    }
}
