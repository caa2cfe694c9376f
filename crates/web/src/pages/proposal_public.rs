//! The client's page of a sent proposal, opened from the signed link its e-mail carries
//! (`/p/<tenant>/<proposal>?e=<expiry>&s=<signature>`), without an account: the proposal as it
//! was sent (framed, from `/p/…/document`), and while it awaits an answer, the buttons to
//! accept it or reject it (with an optional note). The signature is the capability: these
//! routes take no console session and no CSRF cookie (`lib.rs` mounts them outside both); each
//! request checks the link with the tenant's key (`services::proposals::link`) in a scope of
//! the system in the tenant of the path. A forged or altered link is not found; an expired one
//! says so (410). The first view is noted on the client's timeline; an answer is recorded with
//! everything it causes (`services::proposals::decisions`), then the page thanks the client.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use db::proposals::ProposalRow;
use serde::Deserialize;
use services::proposals::decisions::{self, Answer};
use services::proposals::link::{self, Refusal as LinkRefusal};
use services::{Error, Scope};
use uuid::Uuid;

use super::pipeline_view::{date, money};
use super::proposals_documents::document;
use super::proposals_view::{refusal, status_class, status_label};
use crate::form::{Refusal, field_error};
use crate::i18n::Locale;
use crate::page::{PageError, PageResult, encode_component};
use crate::render::{Plain, html, html_with};
use crate::state::WebState;

/// The public routes (no session, no CSRF cookie: the link's signature is the capability).
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/p/{tenant}/{id}", get(show))
        .route("/p/{tenant}/{id}/document", get(sent_document))
        .route("/p/{tenant}/{id}/accept", post(accept))
        .route("/p/{tenant}/{id}/reject", post(reject))
}

/// The link's expiry and signature as its address carries them.
#[derive(Debug, Default, Deserialize)]
pub struct Signed {
    #[serde(default)]
    e: String,
    #[serde(default)]
    s: String,
    /// The answer just given (`accepted`, `rejected`), to thank the client for.
    done: Option<String>,
}

/// An answer as the page's forms post it, with the link's expiry and signature.
#[derive(Debug, Default, Deserialize)]
pub struct Decision {
    #[serde(default)]
    e: String,
    #[serde(default)]
    s: String,
    #[serde(default)]
    note: String,
}

/// A proposal opened through a valid link: the tenant's scope, the tenant's language and name,
/// and the link.
struct Visit {
    scope: Scope,
    id: Uuid,
    locale: Locale,
    tenant_name: String,
    /// `/p/<tenant>/<proposal>`.
    path: String,
    /// `e=…&s=…`.
    signed: String,
}

/// Opens the proposal of a link; `Err(locale)` when the link has expired.
async fn visit(
    ws: &WebState,
    tenant: &str,
    id: &str,
    e: &str,
    s: &str,
) -> Result<Result<Visit, Locale>, PageError> {
    let id = Uuid::try_parse(id).map_err(|_| api::http::ApiError::not_found())?;
    let (mut scope, cipher) = api::routes::webhooks::system_scope(&ws.app, tenant).await?;
    let settings = services::tenants::settings(&mut scope).await?;
    let locale = Locale::from_tag(&settings.locale).unwrap_or_default();
    match link::check(&cipher, id, e, s, Utc::now()) {
        Ok(()) => {}
        Err(LinkRefusal::Expired) => return Ok(Err(locale)),
        Err(LinkRefusal::Forged) => return Err(Error::NotFound.into()),
    }
    Ok(Ok(Visit {
        scope,
        id,
        locale,
        tenant_name: settings.name,
        path: format!("/p/{}/{id}", settings.id),
        signed: format!("e={}&s={}", encode_component(e), encode_component(s)),
    }))
}

#[derive(Template)]
#[template(path = "proposal_public_expired.html")]
struct ExpiredPage {
    c: Plain,
}

/// The page of an expired link (410).
fn expired(ws: &WebState, locale: Locale) -> Response {
    let c = Plain::new(&ws.assets, locale, String::new(), "proposal-public-expired");
    html_with(StatusCode::GONE, &ExpiredPage { c })
}

#[derive(Template)]
#[template(path = "proposal_public.html")]
struct PublicPage {
    c: Plain,
    tenant_name: String,
    title: String,
    status: String,
    status_label: String,
    status_class: &'static str,
    total: String,
    valid_until: String,
    decided_at: Option<DateTime<Utc>>,
    note: Option<String>,
    /// `/p/<tenant>/<proposal>`, where the forms post.
    path: String,
    e: String,
    s: String,
    document_url: String,
    thanks: Option<String>,
    /// Why there is nothing to answer (accepted, rejected or expired).
    closed: Option<String>,
    refusal: Option<Refusal>,
}

impl PublicPage {
    fn error(&self, pointer: &str) -> Option<String> {
        field_error(&self.refusal, pointer)
    }
}

/// The page of `row` for the visit.
fn public_page(ws: &WebState, v: &Visit, row: &ProposalRow, e: &str, s: &str) -> PublicPage {
    let locale = v.locale;
    PublicPage {
        c: Plain::new(&ws.assets, locale, String::new(), "proposal-public-title"),
        tenant_name: v.tenant_name.clone(),
        title: row.title.clone(),
        status_label: status_label(locale, &row.status),
        status_class: status_class(&row.status),
        total: money(locale, row.total, &row.currency),
        valid_until: date(locale, row.valid_until),
        decided_at: row.decided_at,
        note: row.decision_note.clone(),
        status: row.status.clone(),
        document_url: format!("{}/document?{}", v.path, v.signed),
        path: v.path.clone(),
        e: e.to_owned(),
        s: s.to_owned(),
        thanks: None,
        closed: (row.status != "sent")
            .then(|| locale.t(&format!("proposal-public-closed-{}", row.status))),
        refusal: None,
    }
}

/// `GET /p/{tenant}/{id}`: the proposal, noting the client's first look.
pub async fn show(
    State(ws): State<WebState>,
    Path((tenant, id)): Path<(String, String)>,
    Query(link): Query<Signed>,
) -> PageResult {
    let mut v = match visit(&ws, &tenant, &id, &link.e, &link.s).await? {
        Ok(v) => v,
        Err(locale) => return Ok(expired(&ws, locale)),
    };
    let row = decisions::open(&mut v.scope, v.id, Utc::now()).await?;
    let mut body = public_page(&ws, &v, &row, &link.e, &link.s);
    body.thanks = link
        .done
        .filter(|d| *d == row.status)
        .map(|d| v.locale.t(&format!("proposal-public-thanks-{d}")));
    api::routes::webhooks::commit(&ws.app, v.scope).await?;
    Ok(html(&body))
}

/// `GET /p/{tenant}/{id}/document`: the proposal as it was sent, for the page's frame.
pub async fn sent_document(
    State(ws): State<WebState>,
    Path((tenant, id)): Path<(String, String)>,
    Query(link): Query<Signed>,
) -> PageResult {
    let mut v = match visit(&ws, &tenant, &id, &link.e, &link.s).await? {
        Ok(v) => v,
        Err(locale) => return Ok(expired(&ws, locale)),
    };
    let row = decisions::open(&mut v.scope, v.id, Utc::now()).await?;
    api::routes::webhooks::commit(&ws.app, v.scope).await?;
    Ok(document(row.sent_html.unwrap_or_default()))
}

/// `POST /p/{tenant}/{id}/accept`
pub async fn accept(
    State(ws): State<WebState>,
    Path((tenant, id)): Path<(String, String)>,
    Form(form): Form<Decision>,
) -> PageResult {
    decide(ws, &tenant, &id, form, Answer::Accept).await
}

/// `POST /p/{tenant}/{id}/reject`
pub async fn reject(
    State(ws): State<WebState>,
    Path((tenant, id)): Path<(String, String)>,
    Form(form): Form<Decision>,
) -> PageResult {
    decide(ws, &tenant, &id, form, Answer::Reject).await
}

/// Records the client's answer, then thanks them; a refused answer shows the page as the
/// proposal now stands with the reason.
async fn decide(
    ws: WebState,
    tenant: &str,
    id: &str,
    form: Decision,
    answer: Answer,
) -> PageResult {
    let mut v = match visit(&ws, tenant, id, &form.e, &form.s).await? {
        Ok(v) => v,
        Err(locale) => return Ok(expired(&ws, locale)),
    };
    let note =
        Some(form.note.trim().to_owned()).filter(|n| answer == Answer::Reject && !n.is_empty());
    match decisions::answer(&mut v.scope, v.id, answer, note, Utc::now()).await {
        Ok(row) => {
            api::routes::webhooks::commit(&ws.app, v.scope).await?;
            let to = format!("{}?{}&done={}", v.path, v.signed, row.status);
            Ok(Redirect::to(&to).into_response())
        }
        Err(Error::Conflict {
            code: "proposal-expired",
            ..
        }) => Ok(expired(&ws, v.locale)),
        Err(e) => {
            let refused = refusal(v.locale, e)?;
            let status = refused.status();
            let row = decisions::open(&mut v.scope, v.id, Utc::now()).await?;
            let mut body = public_page(&ws, &v, &row, &form.e, &form.s);
            body.refusal = Some(refused);
            Ok(html_with(status, &body))
        }
    }
}
