//! Clients and leads: create, read, list with search and filters, change, convert, delete and
//! restore. Every change writes its audit row and timeline event in the same transaction.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use db::audit::Change;
use db::clients::{ClientRow, Sort};
use db::crypto::TenantCipher;
use db::timeline::NewEvent;
use domain::{ClientStatus, CountryCode, TaxId};
use serde::Deserialize;
use serde_json::json;
pub use services::clients::{Address, ClientInput, ClientOut, client_out, redacted};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::params::{parse_limit, parse_time};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, Page, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(restore_client))
        .routes(routes!(convert_client))
}

pub(crate) async fn load(
    ctx: &mut Ctx,
    cipher: &TenantCipher,
    id: Uuid,
    include_deleted: bool,
) -> ApiResult<(ClientOut, i32)> {
    let row = db::clients::get(&mut ctx.tx, id, include_deleted)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let version = row.version;
    Ok((client_out(row, cipher)?, version))
}

pub(crate) async fn cipher(state: &AppState, ctx: &mut Ctx) -> ApiResult<Arc<TenantCipher>> {
    state
        .ciphers
        .get(&mut ctx.tx, &state.master_keys)
        .await
        .map_err(ApiError::internal)
}

fn with_etag(status: StatusCode, version: i32, body: ClientOut) -> impl IntoResponse {
    (
        status,
        [(header::ETAG, etag::header_value(version))],
        ApiJson(body),
    )
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
    let data = services::clients::prepare(&mut ctx.tx, &cipher, input, None).await?;
    let id = Uuid::now_v7();
    let row = db::clients::insert(&mut ctx.tx, id, &data).await?;
    let version = row.version;
    let out = client_out(row, &cipher)?;
    ctx.record(
        Change {
            action: "client.created",
            target_type: "client",
            target_id: Some(id.to_string()),
            before: None,
            after: Some(redacted(&out)),
        },
        NewEvent {
            client_id: Some(id),
            event_type: "client.created",
            description: format!("{} was created as {}", out.company_name, out.status),
            event_date: None,
            entity_type: Some("client"),
            entity_id: Some(id.to_string()),
            payload: json!({ "status": out.status }),
        },
    )
    .await?;
    ctx.commit().await?;
    let mut res = with_etag(StatusCode::CREATED, version, out).into_response();
    if let Ok(v) = header::HeaderValue::from_str(&format!("/api/v1/clients/{id}")) {
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
    let (out, version) = load(&mut ctx, &cipher, id, false).await?;
    ctx.done();
    Ok(with_etag(StatusCode::OK, version, out))
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
    let cipher = cipher(&state, &mut ctx).await?;
    let (before, version) = load(&mut ctx, &cipher, id, false).await?;
    etag::check_if_match(&headers, version)?;
    if input.status.as_deref() == Some("client") && before.status == "lead" {
        return Err(ApiError::field(
            "/status",
            "convert a lead with POST /api/v1/clients/{id}/convert",
        ));
    }
    let data = services::clients::prepare(&mut ctx.tx, &cipher, input, Some(&before)).await?;
    let row = db::clients::update(&mut ctx.tx, id, &data).await?;
    let version = row.version;
    let after = client_out(row, &cipher)?;
    let (before_v, after_v) = (redacted(&before), redacted(&after));
    let changed: Vec<String> = after_v
        .as_object()
        .map(|a| {
            a.iter()
                .filter(|(k, v)| k.as_str() != "updated_at" && before_v.get(k.as_str()) != Some(v))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    ctx.record(
        Change {
            action: "client.updated",
            target_type: "client",
            target_id: Some(id.to_string()),
            before: Some(before_v),
            after: Some(after_v),
        },
        NewEvent {
            client_id: Some(id),
            event_type: "client.updated",
            description: format!("{} was updated: {}", after.company_name, changed.join(", ")),
            event_date: None,
            entity_type: Some("client"),
            entity_id: Some(id.to_string()),
            payload: json!({ "changed": changed }),
        },
    )
    .await?;
    ctx.commit().await?;
    Ok(with_etag(StatusCode::OK, version, after))
}

async fn set_deleted(
    state: &AppState,
    mut ctx: Ctx,
    id: &str,
    headers: &HeaderMap,
    deleted: bool,
) -> ApiResult<StatusCode> {
    ctx.require("clients.delete").await?;
    let id = parse_id(id)?;
    let cipher = cipher(state, &mut ctx).await?;
    let (before, version) = load(&mut ctx, &cipher, id, true).await?;
    etag::check_if_match(headers, version)?;
    if !deleted && before.merged_into.is_some() {
        return Err(ApiError::conflict(
            "merged",
            "This client was merged into another; undo the merge to bring it back.",
        ));
    }
    if before.deleted_at.is_some() != deleted
        && db::clients::set_deleted(&mut ctx.tx, id, deleted).await?
    {
        let (action, verb) = if deleted {
            ("client.deleted", "deleted")
        } else {
            ("client.restored", "restored")
        };
        ctx.record(
            Change {
                action,
                target_type: "client",
                target_id: Some(id.to_string()),
                before: None,
                after: None,
            },
            NewEvent {
                client_id: Some(id),
                event_type: action,
                description: format!("{} was {verb}", before.company_name),
                event_date: None,
                entity_type: Some("client"),
                entity_id: Some(id.to_string()),
                payload: json!({}),
            },
        )
        .await?;
    }
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
    let (before, _) = load(&mut ctx, &cipher, id, false).await?;
    if before.status != "lead" {
        return Err(ApiError::conflict(
            "not-a-lead",
            format!("Only leads convert; this one is {}.", before.status),
        ));
    }
    let by = ctx.user_id();
    db::clients::convert(&mut ctx.tx, id, by).await?;
    let (after, version) = load(&mut ctx, &cipher, id, false).await?;
    ctx.record(
        Change {
            action: "client.converted",
            target_type: "client",
            target_id: Some(id.to_string()),
            before: Some(json!({ "status": before.status })),
            after: Some(json!({ "status": after.status, "converted_at": after.converted_at, "converted_by": by })),
        },
        NewEvent {
            client_id: Some(id),
            event_type: "client.converted",
            description: format!("{} became a client", after.company_name),
            event_date: None,
            entity_type: Some("client"),
            entity_id: Some(id.to_string()),
            payload: json!({ "converted_by": by }),
        },
    )
    .await?;
    ctx.commit().await?;
    Ok(with_etag(StatusCode::OK, version, after))
}

/// The list's query: search, filters and sort (shared with the CSV export), and the page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClientQuery {
    /// Typo-tolerant search over name, e-mail and phone; exact over tax id.
    pub q: Option<String>,
    #[param(schema_with = status_param)]
    pub status: Option<String>,
    pub sector: Option<String>,
    /// The user who owns the client.
    #[param(schema_with = schemas::uuid)]
    pub owner_id: Option<String>,
    /// One tag (compared in lower case).
    pub tag: Option<String>,
    /// Created at or after this time.
    #[param(schema_with = schemas::date_time)]
    pub created_after: Option<String>,
    /// Created before this time.
    #[param(schema_with = schemas::date_time)]
    pub created_before: Option<String>,
    /// Clients with no contact since this time (or never).
    #[param(schema_with = schemas::date_time)]
    pub last_contact_before: Option<String>,
    /// `true` keeps only clients with open tickets (none until the tickets module exists).
    #[param(schema_with = schemas::flag)]
    pub has_open_tickets: Option<String>,
    /// `true` keeps only clients with pending proposals (none until proposals exist).
    #[param(schema_with = schemas::flag)]
    pub has_pending_proposals: Option<String>,
    #[param(schema_with = sort_param)]
    pub sort: Option<String>,
    /// Items per page (default 25).
    #[param(schema_with = schemas::limit)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn status_param() -> Object {
    schemas::one_of(ClientStatus::ALL.map(|s| s.as_str())).build()
}

fn sort_param() -> Object {
    schemas::one_of(["newest", "oldest", "name"])
        .default(Some("newest".into()))
        .build()
}

/// The body of `POST /clients`: a `ClientInput` with its company name.
pub struct NewClient;

impl utoipa::PartialSchema for NewClient {
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

fn flag(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<bool> {
    match raw? {
        "true" => Some(true),
        "false" => Some(false),
        _ => {
            errors.push(FieldError::query(name, "must be true or false"));
            None
        }
    }
}

/// Keyset cursor of the client list: the last id, and its name when sorted by name.
fn encode_list_cursor(row: &ClientRow, sort: Sort) -> String {
    use base64::Engine;
    let name = if sort == Sort::Name {
        row.company_name.to_lowercase()
    } else {
        String::new()
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}|{name}", row.id))
}

fn decode_list_cursor(raw: &str) -> Option<(Uuid, Option<String>)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(raw)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (id, name) = text.split_once('|')?;
    Some((Uuid::try_parse(id).ok()?, Some(name.to_owned())))
}

/// The list filters of a query (shared by the list and the CSV export).
pub(crate) fn client_filter(
    q: &ClientQuery,
    cipher: &TenantCipher,
) -> ApiResult<(db::clients::Filter, Sort, u32)> {
    let mut errors = Vec::new();
    let mut f = db::clients::Filter::default();
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        f.q = Some(domain::normalize_for_search(text));
        f.q_tax_hash = CountryCode::parse("ES")
            .ok()
            .and_then(|es| TaxId::parse(es, text).ok())
            .map(|t| cipher.blind_index(t.as_str()));
    }
    if let Some(s) = q.status.as_deref() {
        match ClientStatus::parse(s) {
            Ok(s) => f.status = Some(s.as_str().to_owned()),
            Err(e) => errors.push(FieldError::query("status", e.0)),
        }
    }
    f.sector = q.sector.clone();
    f.tag = q.tag.as_deref().map(|t| t.trim().to_lowercase());
    if let Some(o) = q.owner_id.as_deref() {
        match Uuid::try_parse(o) {
            Ok(o) => f.owner_id = Some(o),
            Err(_) => errors.push(FieldError::query("owner_id", "must be a UUID")),
        }
    }
    f.created_after = parse_time("created_after", q.created_after.as_deref(), &mut errors);
    f.created_before = parse_time("created_before", q.created_before.as_deref(), &mut errors);
    f.last_contact_before = parse_time(
        "last_contact_before",
        q.last_contact_before.as_deref(),
        &mut errors,
    );
    // No client has open tickets or pending proposals until those modules exist.
    let tickets = flag(
        "has_open_tickets",
        q.has_open_tickets.as_deref(),
        &mut errors,
    );
    let proposals = flag(
        "has_pending_proposals",
        q.has_pending_proposals.as_deref(),
        &mut errors,
    );
    f.matches_nothing = tickets == Some(true) || proposals == Some(true);
    let sort = match q.sort.as_deref().unwrap_or("newest") {
        "newest" => Sort::Newest,
        "oldest" => Sort::Oldest,
        "name" => Sort::Name,
        _ => {
            errors.push(FieldError::query("sort", "must be newest, oldest or name"));
            Sort::Newest
        }
    };
    f.sort = Some(sort);
    let limit = parse_limit(q.limit.as_deref(), &mut errors);
    if let Some(c) = q.cursor.as_deref().filter(|c| !c.is_empty()) {
        match decode_list_cursor(c) {
            Some(pos) => f.after = Some(pos),
            None => errors.push(FieldError::query(
                "cursor",
                "is not a cursor this API issued",
            )),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    f.limit = i64::from(limit) + 1;
    Ok((f, sort, limit))
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
    let (f, sort, limit) = client_filter(&q, &cipher)?;
    let mut rows = db::clients::list(&mut ctx.tx, &f).await?;
    ctx.done();
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let next_cursor = if more {
        rows.last().map(|r| encode_list_cursor(r, sort))
    } else {
        None
    };
    let data = rows
        .into_iter()
        .map(|r| client_out(r, &cipher))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ApiJson(Page { data, next_cursor }))
}
