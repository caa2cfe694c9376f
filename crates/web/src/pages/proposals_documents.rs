//! A proposal's documents in the console: its HTML page (what was sent, or a draft's preview),
//! shown in a frame of the proposal's page, and its PDF to download. The page is the services'
//! own (`services::proposals::html`): a whole document with its style inline, served with a
//! policy of its own that lets it style itself and nothing more (no script, no request
//! anywhere) and be framed by the console only.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::page::{Page, PageResult};
use crate::pages::clients::parse_id;

/// The policy of a proposal's page: its inline style, no script, framed by this origin only.
pub const DOCUMENT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
    img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

/// A proposal's HTML page as an answer, under [`DOCUMENT_POLICY`].
pub fn document(html: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, DOCUMENT_POLICY),
        ],
        html,
    )
        .into_response()
}

/// `GET /proposals/{id}/preview`
pub async fn preview(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let html = services::proposals::html(&mut page.ctx, id).await?;
    page.ctx.done();
    Ok(document(html))
}

/// `GET /proposals/{id}/pdf`: the PDF, as a download named by the proposal's reference.
pub async fn pdf(mut page: Page, Path(id): Path<String>) -> PageResult {
    page.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let (filename, pdf) = services::proposals::pdf_of(&mut page.ctx, id).await?;
    page.ctx.done();
    let disposition = format!("attachment; filename=\"{filename}\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}
