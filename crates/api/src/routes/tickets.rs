//! Support tickets: open, read with their SLA, list the queue, change (status, priority,
//! assignee, category, satisfaction), and their thread of replies, notes and customer
//! messages. Each handler checks the permission, calls one flow of `services::tickets` and
//! answers; the flows record every change and keep the SLA's due times.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use services::Page;
use services::tickets::{CommentInput, CommentOut, NewTicket, TicketOut, TicketPatch, TicketQuery};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, PageQuery, etag};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets, create_ticket))
        .routes(routes!(get_ticket, update_ticket))
        .routes(routes!(list_comments, add_comment))
        .routes(routes!(client_tickets))
}

/// Opens a ticket for a client (status `new`). Without `priority` the automatic rules choose
/// one and say why in `priority_reason`; the category's SLA starts at once.
#[utoipa::path(post, path = "/tickets", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.create"))),
    request_body = NewTicket,
    responses((status = 201, description = "The ticket with its SLA, its `ETag` and `Location`", body = TicketOut)))]
async fn create_ticket(
    mut ctx: Ctx,
    ApiJson(input): ApiJson<NewTicket>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.create").await?;
    let created = services::tickets::create(&mut ctx, input).await?;
    ctx.commit().await?;
    let location = format!("/api/v1/tickets/{}", created.value.id);
    let mut res = etag::with_etag(StatusCode::CREATED, created).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One ticket with its `ETag` and its SLA now: per target the due time, the business minutes
/// left, and whether it is met, breached or at risk.
#[utoipa::path(get, path = "/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(("id" = Uuid, Path, description = "The ticket")),
    responses(
        (status = 200, description = "The ticket, with its `ETag`", body = TicketOut),
        (status = 404, description = "No such ticket")))]
async fn get_ticket(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.view").await?;
    let id = parse_id(&id)?;
    let ticket = services::tickets::get(&mut ctx, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, ticket))
}

/// Changes a ticket (`If-Match` honoured): `null` clears an optional member. A status moves as
/// the life cycle allows (`pending_customer` and `on_hold` pause the SLA clock, leaving them
/// resumes it), a new priority needs `priority_reason`, and `satisfaction` comes once resolved.
#[utoipa::path(patch, path = "/tickets/{id}", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.edit"))),
    params(("id" = Uuid, Path, description = "The ticket"), IfMatch),
    request_body = TicketPatch,
    responses(
        (status = 200, description = "The ticket as changed, with its new `ETag`", body = TicketOut),
        (status = 404, description = "No such ticket"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_ticket(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(patch): ApiJson<TicketPatch>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let ticket = services::tickets::update(&mut ctx, id, patch, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, ticket))
}

/// The ticket queue, each ticket with its SLA now: filters add up; newest first or by the
/// nearest due time; keyset pages.
#[utoipa::path(get, path = "/tickets", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(TicketQuery),
    responses((status = 200, description = "One page of tickets", body = Page<TicketOut>)))]
async fn list_tickets(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> ApiResult<ApiJson<Page<TicketOut>>> {
    ctx.require("tickets.view").await?;
    let (filter, page) = q.parse()?;
    let tickets = services::tickets::list(&mut ctx, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(tickets))
}

/// A client's tickets, with the queue's filters and order (a `client_id` filter naming another
/// client keeps none).
#[utoipa::path(get, path = "/clients/{id}/tickets", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(("id" = Uuid, Path, description = "The client"), TicketQuery),
    responses(
        (status = 200, description = "One page of the client's tickets", body = Page<TicketOut>),
        (status = 404, description = "No such client")))]
async fn client_tickets(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> ApiResult<ApiJson<Page<TicketOut>>> {
    ctx.require("tickets.view").await?;
    let id = parse_id(&id)?;
    let (filter, page) = q.parse()?;
    let tickets = services::tickets::list_of_client(&mut ctx, id, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(tickets))
}

/// A ticket's thread, oldest first: public replies, internal notes and the customer's
/// messages.
#[utoipa::path(get, path = "/tickets/{id}/comments", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.view"))),
    params(("id" = Uuid, Path, description = "The ticket"), PageQuery),
    responses(
        (status = 200, description = "One page of the ticket's comments", body = Page<CommentOut>),
        (status = 404, description = "No such ticket")))]
async fn list_comments(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<ApiJson<Page<CommentOut>>> {
    ctx.require("tickets.view").await?;
    let id = parse_id(&id)?;
    let page = q.request()?;
    let comments = services::tickets::comments::list(&mut ctx, id, &page).await?;
    ctx.done();
    Ok(ApiJson(comments))
}

/// Adds a comment: a public reply (an agent's first meets the first-response target, each
/// answers the customer's latest message), an internal note (counts for no target), or, with
/// `author_kind: customer`, the customer's message (restarts next response; a ticket pending
/// the customer opens again).
#[utoipa::path(post, path = "/tickets/{id}/comments", tag = "tickets", security(("bearer" = [])),
    extensions(("x-permission" = json!("tickets.create"))),
    params(("id" = Uuid, Path, description = "The ticket")),
    request_body = CommentInput,
    responses(
        (status = 201, description = "The comment", body = CommentOut),
        (status = 404, description = "No such ticket")))]
async fn add_comment(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommentInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("tickets.create").await?;
    let id = parse_id(&id)?;
    let comment = services::tickets::comments::add(&mut ctx, id, input).await?;
    ctx.commit().await?;
    Ok((StatusCode::CREATED, ApiJson(comment)))
}
