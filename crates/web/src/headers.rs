//! The security headers of every console answer: a strict Content-Security-Policy (scripts,
//! styles, fonts and images from this origin only; no inline script or style attribute is
//! needed anywhere), no framing, no sniffing, and pages never cached (they hold tenant data).
//! A document the console shows in a frame sets a policy of its own
//! (`pages::proposals_documents`), which is kept.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub async fn security(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    // A document shown in a frame of the console (a proposal's page) comes with a policy of
    // its own, which is kept; only this origin may frame it.
    let framed = h.contains_key(header::CONTENT_SECURITY_POLICY);
    if !framed {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    let framing = if framed { "SAMEORIGIN" } else { "DENY" };
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static(framing));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
