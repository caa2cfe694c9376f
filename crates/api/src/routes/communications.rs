//! Messages to and from clients: send one (committed `queued`, delivered by the worker) or log
//! a call, read one, list the tenant's inbox and a client's conversation, mark an inbound one
//! read. Each handler checks the permission, calls one flow of `services::communications` and
//! answers.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use services::Page;
use services::communications::kpis::ClientConversation;
use services::communications::{CommunicationOut, CommunicationQuery, NewMessage};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::clients::cipher;
use super::parse_id;
use crate::auth::Ctx;
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_communications))
        .routes(routes!(get_communication))
        .routes(routes!(mark_seen))
        .routes(routes!(client_communications, send_communication))
        .routes(routes!(client_conversation))
}

/// A client's conversation in brief: the channel it writes on most and, month by month over
/// the last year, its messages and the mean sentiment of its own.
#[utoipa::path(get, path = "/clients/{id}/communications/summary", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(("id" = Uuid, Path, description = "The client")),
    responses(
        (status = 200, description = "The summary", body = ClientConversation),
        (status = 404, description = "No such client")))]
async fn client_conversation(
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<ClientConversation>> {
    ctx.require("communications.view").await?;
    let id = parse_id(&id)?;
    let out = services::communications::kpis::client_conversation(&mut ctx, id).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Sends a message to a client on `email`, `whatsapp` or `sms` (written, or from a template
/// rendered for the client), or logs a `phone` call. A message is stored `queued` with its
/// delivery job and sent by the worker after this answer; a call is stored `logged`.
#[utoipa::path(post, path = "/clients/{id}/communications", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.send"))),
    params(("id" = Uuid, Path, description = "The client")),
    request_body = NewMessage,
    responses(
        (status = 201, description = "The message (`queued`) or the call (`logged`), with its `Location`", body = CommunicationOut),
        (status = 404, description = "No such client")))]
async fn send_communication(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewMessage>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("communications.send").await?;
    let id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let sent = services::communications::send(&mut ctx, &cipher, id, input).await?;
    ctx.commit().await?;
    let location = format!("/api/v1/communications/{}", sent.id);
    let mut res = (StatusCode::CREATED, ApiJson(sent)).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One message with its delivery and engagement facts.
#[utoipa::path(get, path = "/communications/{id}", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(("id" = Uuid, Path, description = "The message")),
    responses(
        (status = 200, description = "The message", body = CommunicationOut),
        (status = 404, description = "No such message")))]
async fn get_communication(
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<CommunicationOut>> {
    ctx.require("communications.view").await?;
    let id = parse_id(&id)?;
    let message = services::communications::get(&mut ctx, id).await?;
    ctx.done();
    Ok(ApiJson(message))
}

/// Marks an inbound message read (the inbox's unread ones come first); a message already read,
/// or an outbound one, is left as it is.
#[utoipa::path(post, path = "/communications/{id}/seen", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(("id" = Uuid, Path, description = "The message")),
    responses(
        (status = 200, description = "The message", body = CommunicationOut),
        (status = 404, description = "No such message")))]
async fn mark_seen(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<ApiJson<CommunicationOut>> {
    ctx.require("communications.view").await?;
    let id = parse_id(&id)?;
    let message = services::communications::mark_seen(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(ApiJson(message))
}

/// The tenant's messages, newest first, with filters on channel, direction, status, sentiment
/// and time; `unseen=true` keeps the inbound ones nobody has read.
#[utoipa::path(get, path = "/communications", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(CommunicationQuery),
    responses((status = 200, description = "One page of messages", body = Page<CommunicationOut>)))]
async fn list_communications(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<CommunicationQuery>,
) -> ApiResult<ApiJson<Page<CommunicationOut>>> {
    ctx.require("communications.view").await?;
    let (filter, page) = q.parse()?;
    let messages = services::communications::list(&mut ctx, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(messages))
}

/// A client's conversation across channels, newest first, with the list's filters.
#[utoipa::path(get, path = "/clients/{id}/communications", tag = "communications",
    security(("bearer" = [])),
    extensions(("x-permission" = json!("communications.view"))),
    params(("id" = Uuid, Path, description = "The client"), CommunicationQuery),
    responses(
        (status = 200, description = "One page of the client's messages", body = Page<CommunicationOut>),
        (status = 404, description = "No such client")))]
async fn client_communications(
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<CommunicationQuery>,
) -> ApiResult<ApiJson<Page<CommunicationOut>>> {
    ctx.require("communications.view").await?;
    let id = parse_id(&id)?;
    let (filter, page) = q.parse()?;
    let messages = services::communications::list_of_client(&mut ctx, id, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(messages))
}
