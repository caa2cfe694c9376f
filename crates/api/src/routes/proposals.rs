//! Proposals: draft one for a client from a template, read, list, change and delete drafts,
//! render them (HTML, PDF), send them by e-mail with their PDF, revise a sent one into a new
//! draft, and read a sent one's public link. Reading needs `proposals.view`, drafting and
//! revising `proposals.create`, the rest `proposals.edit`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use services::proposals::link::PublicLink;
use services::proposals::{NewProposal, ProposalOut, ProposalPatch, ProposalQuery, SendInput};
use services::{Expected, Page};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::clients::cipher;
use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, etag, public_base};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_proposals, create_proposal))
        .routes(routes!(get_proposal, update_proposal, delete_proposal))
        .routes(routes!(send_proposal))
        .routes(routes!(revise_proposal))
        .routes(routes!(render_proposal))
        .routes(routes!(render_proposal_pdf))
        .routes(routes!(proposal_link))
}

/// What sending says: the version of the draft the salesperson checked (so that what leaves
/// is what they saw), and to whom.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SendRequest {
    /// The draft's `version` as last read: a draft changed since is not sent (412).
    #[serde(deserialize_with = "services::number::whole")]
    version: i32,
    /// A contact of the client to address (default: the client's first e-mail address).
    contact_id: Option<uuid::Uuid>,
    /// The address to send to instead.
    #[schema(format = "email", max_length = 320)]
    to: Option<String>,
    /// A note put before the link in the e-mail (at most 5,000 characters).
    #[schema(max_length = 5000)]
    note: Option<String>,
}

fn created(value: services::Versioned<ProposalOut>) -> Response {
    let location = format!("/api/v1/proposals/{}", value.value.id);
    let mut res = etag::with_etag(StatusCode::CREATED, value).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// Drafts a proposal for a client from a template version (default: its newest); the items'
/// figures and the totals are computed, each line rounded to the cent.
#[utoipa::path(post, path = "/proposals", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.create"))),
    request_body = NewProposal,
    responses((status = 201, description = "The draft, with its `ETag` and `Location`", body = ProposalOut)))]
async fn create_proposal(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<NewProposal>,
) -> ApiResult<Response> {
    ctx.require("proposals.create").await?;
    let made = services::proposals::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok(created(made))
}

/// One proposal.
#[utoipa::path(get, path = "/proposals/{id}", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(("id" = Uuid, Path, description = "The proposal")),
    responses(
        (status = 200, description = "The proposal, with its `ETag`", body = ProposalOut),
        (status = 404, description = "No such proposal")))]
async fn get_proposal(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let proposal = services::proposals::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, proposal))
}

/// Proposals, newest first, filtered by client, opportunity, owner or status.
#[utoipa::path(get, path = "/proposals", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(ProposalQuery),
    responses((status = 200, description = "One page of proposals", body = Page<ProposalOut>)))]
async fn list_proposals(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<ProposalQuery>,
) -> ApiResult<ApiJson<Page<ProposalOut>>> {
    ctx.require("proposals.view").await?;
    let (filter, page) = q.parse()?;
    let proposals = services::proposals::list(&mut ctx, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(proposals))
}

/// Changes a draft (`If-Match` honoured); `items` and `variables` replace the whole list or
/// map. A sent proposal changes only as a new revision (`proposal-not-draft`).
#[utoipa::path(patch, path = "/proposals/{id}", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    params(("id" = Uuid, Path, description = "The proposal"), IfMatch),
    request_body = ProposalPatch,
    responses(
        (status = 200, description = "The draft as changed, with its new `ETag`", body = ProposalOut),
        (status = 404, description = "No such proposal"),
        (status = 409, description = "The proposal is no longer a draft (`proposal-not-draft`)"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_proposal(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<ProposalPatch>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let proposal = services::proposals::update(&mut ctx, id, patch, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, proposal))
}

/// Deletes a draft; a sent proposal stays in the client's history (`proposal-not-draft`).
#[utoipa::path(delete, path = "/proposals/{id}", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    params(("id" = Uuid, Path, description = "The proposal")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such proposal"),
        (status = 409, description = "The proposal is no longer a draft (`proposal-not-draft`)")))]
async fn delete_proposal(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    services::proposals::delete(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sends a draft at the `version` given: it is rendered for the last time, e-mailed to the
/// client with its PDF and a signed link to view, accept or reject it (the e-mail is queued
/// and sent by the worker), and its opportunity moves to the pipeline's "proposal sent" stage
/// when it stands before it. Every variable the template uses needs a value.
#[utoipa::path(post, path = "/proposals/{id}/send", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    params(("id" = Uuid, Path, description = "The proposal")),
    request_body = SendRequest,
    responses(
        (status = 200, description = "The proposal, `sent`, with its new `ETag`", body = ProposalOut),
        (status = 404, description = "No such proposal"),
        (status = 409, description = "The proposal is not a draft (`proposal-not-draft`), or the e-mail channel is not ready"),
        (status = 412, description = "The draft changed since `version`")))]
async fn send_proposal(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendRequest>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let expected = Expected::OneOf(vec![body.version]);
    let input = SendInput {
        contact_id: body.contact_id,
        to: body.to,
        note: body.note,
    };
    let cipher = cipher(&state, &mut ctx).await?;
    let base = public_base(&state, &headers);
    let sent = services::proposals::send(&mut ctx, &cipher, &base, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, sent))
}

/// Makes the next revision of a sent, answered or expired proposal: a new draft with the same
/// items on the newest version of its template, valid for 30 days from today.
#[utoipa::path(post, path = "/proposals/{id}/revise", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.create"))),
    params(("id" = Uuid, Path, description = "The proposal to revise")),
    responses(
        (status = 201, description = "The new draft, with its `ETag` and `Location`", body = ProposalOut),
        (status = 404, description = "No such proposal"),
        (status = 409, description = "The proposal is still a draft (`proposal-is-draft`)")))]
async fn revise_proposal(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<Response> {
    ctx.require("proposals.create").await?;
    let id = parse_id(&id)?;
    let revised = services::proposals::revise(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(created(revised))
}

/// The proposal as an HTML page: what the client received, or a draft's preview.
#[utoipa::path(get, path = "/proposals/{id}/render", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(("id" = Uuid, Path, description = "The proposal")),
    responses(
        (status = 200, description = "The HTML page", content_type = "text/html", body = String),
        (status = 404, description = "No such proposal")))]
async fn render_proposal(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<Response> {
    ctx.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let html = services::proposals::html(&mut ctx, id).await?;
    ctx.done();
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'",
            ),
        ],
        html,
    )
        .into_response())
}

/// The proposal as a PDF (with a text layer), rendered on the day it was sent.
#[utoipa::path(get, path = "/proposals/{id}/render.pdf", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.view"))),
    params(("id" = Uuid, Path, description = "The proposal")),
    responses(
        (status = 200, description = "The PDF file", content_type = "application/pdf", body = String),
        (status = 404, description = "No such proposal")))]
async fn render_proposal_pdf(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<Response> {
    ctx.require("proposals.view").await?;
    let id = parse_id(&id)?;
    let (filename, pdf) = services::proposals::pdf_of(&mut ctx, id).await?;
    ctx.done();
    let disposition = format!("inline; filename=\"{filename}\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        pdf,
    )
        .into_response())
}

/// The public link of a sent proposal (the one its e-mail carries): the client views, accepts
/// or rejects it there without an account, until the end of its last valid day.
#[utoipa::path(get, path = "/proposals/{id}/link", tag = "proposals", security(("bearer" = [])),
    extensions(("x-permission" = json!("proposals.edit"))),
    params(("id" = Uuid, Path, description = "The proposal")),
    responses(
        (status = 200, description = "The link and when it stops opening", body = PublicLink),
        (status = 404, description = "No such proposal"),
        (status = 409, description = "The proposal is a draft (`proposal-is-draft`)")))]
async fn proposal_link(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<ApiJson<PublicLink>> {
    ctx.require("proposals.edit").await?;
    let id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let base = public_base(&state, &headers);
    let link = services::proposals::public_link(&mut ctx, &cipher, &base, id).await?;
    ctx.done();
    Ok(ApiJson(link))
}
