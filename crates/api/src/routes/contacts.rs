//! Contacts: the people at a client. Phone numbers are encrypted at rest.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use services::Page;
use services::contacts::{ContactInput, ContactOut};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::clients::cipher;
use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, PageQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(erase_contact))
}

/// The body of `POST /clients/{id}/contacts`: a `ContactInput` with its name.
pub struct NewContact;

impl PartialSchema for NewContact {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(200).description(Some("1-200 characters."));
        schemas::requiring(ContactInput::schema(), [("name", name.build())])
    }
}

impl ToSchema for NewContact {}

/// A contact with its `ETag`.
/// The client and contact ids of a contact's path; anything else is not found.
fn ids(client: &str, contact: &str) -> ApiResult<(Uuid, Uuid)> {
    Ok((parse_id(client)?, parse_id(contact)?))
}

/// A client's contacts, oldest first.
#[utoipa::path(get, path = "/clients/{id}/contacts", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(("id" = Uuid, Path, description = "The client"), PageQuery),
    responses(
        (status = 200, description = "One page of the client's contacts", body = Page<ContactOut>),
        (status = 404, description = "No such client")))]
async fn list_contacts(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<ApiJson<Page<ContactOut>>> {
    ctx.require("clients.view").await?;
    let id = parse_id(&id)?;
    let page = q.request()?;
    let cipher = cipher(&state, &mut ctx).await?;
    let out = services::contacts::list(&mut ctx, &cipher, id, &page).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// Adds a contact to a client.
#[utoipa::path(post, path = "/clients/{id}/contacts", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The client")),
    request_body = NewContact,
    responses(
        (status = 201, description = "The contact, with its `ETag`", body = ContactOut),
        (status = 404, description = "No such client")))]
async fn create_contact(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.edit").await?;
    let client_id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let out = services::contacts::create(&mut ctx, &cipher, client_id, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::CREATED, out))
}

/// One contact.
#[utoipa::path(get, path = "/clients/{id}/contacts/{contact_id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(("id" = Uuid, Path, description = "The client"), ("contact_id" = Uuid, Path, description = "The contact")),
    responses(
        (status = 200, description = "The contact, with its `ETag`", body = ContactOut),
        (status = 404, description = "No such contact of this client")))]
async fn get_contact(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path((client, contact)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.view").await?;
    let (client, contact) = ids(&client, &contact)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let out = services::contacts::get(&mut ctx, &cipher, client, contact).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, out))
}

/// Changes a contact (`If-Match` honoured).
#[utoipa::path(patch, path = "/clients/{id}/contacts/{contact_id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The client"), ("contact_id" = Uuid, Path, description = "The contact"), IfMatch),
    request_body = ContactInput,
    responses(
        (status = 200, description = "The contact as changed, with its new `ETag`", body = ContactOut),
        (status = 404, description = "No such contact of this client"),
        (status = 409, description = "The contact was erased: its personal data cannot be written again (`contact-erased`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_contact(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path((client, contact)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.edit").await?;
    let (client, contact) = ids(&client, &contact)?;
    let expected = etag::expected(&headers);
    let cipher = cipher(&state, &mut ctx).await?;
    let out =
        services::contacts::update(&mut ctx, &cipher, client, contact, &expected, input).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, out))
}

/// Removes a contact.
#[utoipa::path(delete, path = "/clients/{id}/contacts/{contact_id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The client"), ("contact_id" = Uuid, Path, description = "The contact")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such contact of this client")))]
async fn delete_contact(
    mut ctx: Ctx,
    Path((client, contact)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    ctx.require("clients.edit").await?;
    let (client, contact) = ids(&client, &contact)?;
    services::contacts::delete(&mut ctx, client, contact).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erases a person's personal data everywhere (GDPR art. 17): the contact keeps only its id and
/// the fact that it was erased; timeline events about it are scrubbed; an audit row records it.
#[utoipa::path(post, path = "/contacts/{id}/erase", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.delete"))),
    params(("id" = Uuid, Path, description = "The contact")),
    responses(
        (status = 204, description = "Erased (or it already was)"),
        (status = 404, description = "No such contact")))]
async fn erase_contact(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("clients.delete").await?;
    let id = parse_id(&id)?;
    services::contacts::erase(&mut ctx, id).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
