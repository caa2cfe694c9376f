//! Clients and leads: create, read, list with search and filters, change, convert, delete and
//! restore. Each handler checks the permission, calls one flow of `services::clients` and
//! answers; the flows record every change (audit row, timeline event, live notice).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use db::crypto::TenantCipher;
use services::Page;
pub use services::clients::{ClientInput, ClientOut, ClientQuery};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(restore_client))
        .routes(routes!(convert_client))
}

/// The tenant's cipher (cached), which the client flows decrypt and encrypt with.
pub async fn cipher(state: &AppState, ctx: &mut Ctx) -> ApiResult<Arc<TenantCipher>> {
    state
        .ciphers
        .get(&mut ctx.tx, &state.master_keys)
        .await
        .map_err(ApiError::internal)
}

/// The body of `POST /clients`: a `ClientInput` with its company name.
pub struct NewClient;

impl PartialSchema for NewClient {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(300).description(Some("1-300 characters."));
        schemas::requiring(ClientInput::schema(), [("company_name", name.build())])
    }
}

impl ToSchema for NewClient {
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((ClientInput::name().into_owned(), ClientInput::schema()));
        ClientInput::schemas(schemas);
    }
}

/// Creates a client (a lead unless `status` says otherwise).
#[utoipa::path(post, path = "/clients", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.create"))),
    request_body = NewClient,
    responses((status = 201, description = "The client, with its `ETag` and `Location`", body = ClientOut)))]
async fn create_client(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.create").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let created = services::clients::create(&mut ctx, &cipher, input).await?;
    ctx.commit().await?;
    let location = format!("/api/v1/clients/{}", created.value.id);
    let mut res = etag::with_etag(StatusCode::CREATED, created).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// One client, with its `ETag`.
#[utoipa::path(get, path = "/clients/{id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(("id" = Uuid, Path, description = "The client")),
    responses(
        (status = 200, description = "The client, with its `ETag`", body = ClientOut),
        (status = 404, description = "No such client (or it was deleted)")))]
async fn get_client(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.view").await?;
    let id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let client = services::clients::get(&mut ctx, &cipher, id).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, client))
}

/// Changes a client (`If-Match` honoured). `null` clears an optional field.
#[utoipa::path(patch, path = "/clients/{id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The client"), IfMatch),
    request_body = ClientInput,
    responses(
        (status = 200, description = "The client as changed, with its new `ETag`", body = ClientOut),
        (status = 404, description = "No such client"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_client(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ClientInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.edit").await?;
    let id = parse_id(&id)?;
    let expected = etag::expected(&headers);
    let cipher = cipher(&state, &mut ctx).await?;
    let client = services::clients::update(&mut ctx, &cipher, id, input, &expected).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, client))
}

/// Deletes (`deleted`) or restores a client.
async fn set_deleted(
    state: &AppState,
    mut ctx: Ctx,
    id: &str,
    headers: &HeaderMap,
    deleted: bool,
) -> ApiResult<StatusCode> {
    ctx.require("clients.delete").await?;
    let id = parse_id(id)?;
    let expected = etag::expected(headers);
    let cipher = cipher(state, &mut ctx).await?;
    services::clients::set_deleted(&mut ctx, &cipher, id, deleted, &expected).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deletes a client (soft: `POST /clients/{id}/restore` brings it back).
#[utoipa::path(delete, path = "/clients/{id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.delete"))),
    params(("id" = Uuid, Path, description = "The client"), IfMatch),
    responses(
        (status = 204, description = "Deleted (or it already was)"),
        (status = 404, description = "No such client"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn delete_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    set_deleted(&state, ctx, &id, &headers, true).await
}

/// Restores a deleted client.
#[utoipa::path(post, path = "/clients/{id}/restore", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.delete"))),
    params(("id" = Uuid, Path, description = "The client"), IfMatch),
    responses(
        (status = 204, description = "Restored (or it was not deleted)"),
        (status = 404, description = "No such client"),
        (status = 409, description = "The client was merged into another; undo the merge instead (`merged`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn restore_client(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    set_deleted(&state, ctx, &id, &headers, false).await
}

/// Converts a lead into a client, recording when and by whom.
#[utoipa::path(post, path = "/clients/{id}/convert", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The lead")),
    responses(
        (status = 200, description = "The client it became, with its new `ETag`", body = ClientOut),
        (status = 404, description = "No such client"),
        (status = 409, description = "Only a lead converts; this one is not (`not-a-lead`).")))]
async fn convert_client(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.edit").await?;
    let id = parse_id(&id)?;
    let cipher = cipher(&state, &mut ctx).await?;
    let client = services::clients::convert(&mut ctx, &cipher, id).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, client))
}

/// Lists clients and leads with search, filters, sort and keyset pagination.
#[utoipa::path(get, path = "/clients", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(ClientQuery),
    responses((status = 200, description = "One page of clients and leads", body = Page<ClientOut>)))]
async fn list_clients(
    State(state): State<AppState>,
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<ClientQuery>,
) -> ApiResult<ApiJson<Page<ClientOut>>> {
    ctx.require("clients.view").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let (filter, page) = q.parse()?;
    let clients = services::clients::list(&mut ctx, &cipher, &filter, &page).await?;
    ctx.done();
    Ok(ApiJson(clients))
}
