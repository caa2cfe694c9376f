//! Contacts: the people at a client. Phone numbers are encrypted at rest.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use db::audit::Change;
use db::contacts::{ContactData, ContactRow};
use db::crypto::TenantCipher;
use db::timeline::NewEvent;
use domain::CountryCode;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::clients::cipher;
use super::parse_id;
use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, FieldError, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_contacts, create_contact))
        .routes(routes!(get_contact, update_contact, delete_contact))
        .routes(routes!(erase_contact))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactOut {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub role: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
}

fn contact_out(row: ContactRow, cipher: &TenantCipher) -> ApiResult<ContactOut> {
    let phones = match row.phones_cipher.as_deref() {
        Some(c) => serde_json::from_str(&cipher.decrypt(c).map_err(ApiError::internal)?)
            .map_err(ApiError::internal)?,
        None => Vec::new(),
    };
    Ok(ContactOut {
        id: row.id,
        client_id: row.client_id,
        name: row.name,
        role: row.role,
        emails: row.emails,
        phones,
        created_at: row.created_at,
        updated_at: row.updated_at,
        erased_at: row.erased_at,
    })
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    /// 1-200 characters (required on create).
    #[schema(pattern = r"\S", max_length = 200)]
    pub name: Option<String>,
    /// The person's job; blank clears it.
    pub role: Option<String>,
    /// At most 50.
    #[schema(max_items = 50, inline, value_type = Option<Vec<EmailText>>)]
    pub emails: Option<Vec<String>>,
    /// Normalised to E.164 (Spanish numbers by default); at most 50.
    #[schema(max_items = 50)]
    pub phones: Option<Vec<String>>,
}

/// The body of `POST /clients/{id}/contacts`: a `ContactInput` with its name.
pub struct NewContact;

impl utoipa::PartialSchema for NewContact {
    fn schema() -> RefOr<Schema> {
        let name = schemas::not_blank(200).description(Some("1-200 characters."));
        schemas::requiring(ContactInput::schema(), [("name", name.build())])
    }
}

impl ToSchema for NewContact {}

/// An e-mail address, in documentation.
struct EmailText;

impl utoipa::PartialSchema for EmailText {
    fn schema() -> RefOr<Schema> {
        schemas::email().into()
    }
}

impl ToSchema for EmailText {}

fn apply(
    input: ContactInput,
    current: Option<&ContactOut>,
    cipher: &TenantCipher,
) -> ApiResult<ContactData> {
    let mut errors = Vec::new();
    let name = match input.name.map(|n| n.trim().to_owned()) {
        Some(n) if n.is_empty() || n.chars().count() > 200 => {
            errors.push(FieldError::body("/name", "must be 1-200 characters"));
            n
        }
        Some(n) => n,
        None => match current {
            Some(c) => c.name.clone(),
            None => {
                errors.push(FieldError::body("/name", "is required"));
                String::new()
            }
        },
    };
    let role = match input.role {
        Some(r) => Some(r.trim().to_owned()).filter(|r| !r.is_empty()),
        None => current.and_then(|c| c.role.clone()),
    };
    let mut problems = Vec::new();
    let emails = match input.emails {
        Some(list) => services::clients::parse_emails(&list, &mut problems),
        None => current.map(|c| c.emails.clone()).unwrap_or_default(),
    };
    let phones: Vec<String> = match input.phones {
        Some(list) => {
            services::clients::parse_phones(&list, CountryCode::parse("ES").ok(), &mut problems)
        }
        None => current.map(|c| c.phones.clone()).unwrap_or_default(),
    };
    errors.extend(
        problems
            .into_iter()
            .map(|p| FieldError::body(&p.pointer, p.detail)),
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(ContactData {
        name,
        role,
        emails,
        phones_cipher: (!phones.is_empty())
            .then(|| cipher.encrypt(&serde_json::to_string(&phones).unwrap_or_default())),
        phone_hashes: phones.iter().map(|p| cipher.blind_index(p)).collect(),
    })
}

async fn client_exists(ctx: &mut Ctx, client_id: Uuid) -> ApiResult<()> {
    db::clients::get(&mut ctx.tx, client_id, false)
        .await?
        .map(|_| ())
        .ok_or_else(ApiError::not_found)
}

/// A client's contacts.
#[utoipa::path(get, path = "/clients/{id}/contacts", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.view"))),
    params(("id" = Uuid, Path, description = "The client")),
    responses(
        (status = 200, description = "The client's contacts", body = Vec<ContactOut>),
        (status = 404, description = "No such client")))]
async fn list_contacts(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path(id): Path<String>,
) -> ApiResult<ApiJson<Vec<ContactOut>>> {
    ctx.require("clients.view").await?;
    let id = parse_id(&id)?;
    client_exists(&mut ctx, id).await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let rows = db::contacts::list_for_client(&mut ctx.tx, id).await?;
    ctx.done();
    Ok(ApiJson(
        rows.into_iter()
            .map(|r| contact_out(r, &cipher))
            .collect::<ApiResult<Vec<_>>>()?,
    ))
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
    client_exists(&mut ctx, client_id).await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let data = apply(input, None, &cipher)?;
    let id = Uuid::now_v7();
    let row = db::contacts::insert(&mut ctx.tx, id, client_id, &data).await?;
    let version = row.version;
    let out = contact_out(row, &cipher)?;
    ctx.record(
        Change {
            action: "contact.created",
            target_type: "contact",
            target_id: Some(id.to_string()),
            before: None,
            after: Some(json!({ "client_id": client_id })),
        },
        NewEvent {
            client_id: Some(client_id),
            event_type: "contact.added",
            description: format!("{} was added as a contact", out.name),
            event_date: None,
            entity_type: Some("contact"),
            entity_id: Some(id.to_string()),
            payload: json!({ "contact_id": id, "name": out.name }),
        },
    )
    .await?;
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag::header_value(version))],
        ApiJson(out),
    ))
}

async fn load(
    ctx: &mut Ctx,
    client: &str,
    contact: &str,
    cipher: &TenantCipher,
) -> ApiResult<(ContactOut, i32)> {
    let (client, contact) = (parse_id(client)?, parse_id(contact)?);
    let row = db::contacts::get(&mut ctx.tx, client, contact)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let version = row.version;
    Ok((contact_out(row, cipher)?, version))
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
    let cipher = cipher(&state, &mut ctx).await?;
    let (out, version) = load(&mut ctx, &client, &contact, &cipher).await?;
    ctx.done();
    Ok(([(header::ETAG, etag::header_value(version))], ApiJson(out)))
}

/// Changes a contact (`If-Match` honoured).
#[utoipa::path(patch, path = "/clients/{id}/contacts/{contact_id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The client"), ("contact_id" = Uuid, Path, description = "The contact"), IfMatch),
    request_body = ContactInput,
    responses(
        (status = 200, description = "The contact as changed, with its new `ETag`", body = ContactOut),
        (status = 404, description = "No such contact of this client"),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_contact(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path((client, contact)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(input): ApiJson<ContactInput>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("clients.edit").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let (before, version) = load(&mut ctx, &client, &contact, &cipher).await?;
    etag::check_if_match(&headers, version)?;
    let data = apply(input, Some(&before), &cipher)?;
    let row = db::contacts::update(&mut ctx.tx, before.id, &data).await?;
    let version = row.version;
    let out = contact_out(row, &cipher)?;
    ctx.record(
        Change {
            action: "contact.updated",
            target_type: "contact",
            target_id: Some(before.id.to_string()),
            before: None,
            after: Some(json!({ "client_id": before.client_id })),
        },
        NewEvent {
            client_id: Some(before.client_id),
            event_type: "contact.updated",
            description: format!("Contact {} was updated", out.name),
            event_date: None,
            entity_type: Some("contact"),
            entity_id: Some(before.id.to_string()),
            payload: json!({ "contact_id": before.id }),
        },
    )
    .await?;
    ctx.commit().await?;
    Ok(([(header::ETAG, etag::header_value(version))], ApiJson(out)))
}

/// Removes a contact.
#[utoipa::path(delete, path = "/clients/{id}/contacts/{contact_id}", tag = "clients", security(("bearer" = [])),
    extensions(("x-permission" = json!("clients.edit"))),
    params(("id" = Uuid, Path, description = "The client"), ("contact_id" = Uuid, Path, description = "The contact")),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "No such contact of this client")))]
async fn delete_contact(
    State(state): State<AppState>,
    mut ctx: Ctx,
    Path((client, contact)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    ctx.require("clients.edit").await?;
    let cipher = cipher(&state, &mut ctx).await?;
    let (before, _) = load(&mut ctx, &client, &contact, &cipher).await?;
    db::contacts::delete(&mut ctx.tx, before.id).await?;
    ctx.record(
        Change {
            action: "contact.deleted",
            target_type: "contact",
            target_id: Some(before.id.to_string()),
            before: Some(json!({ "client_id": before.client_id })),
            after: None,
        },
        NewEvent {
            client_id: Some(before.client_id),
            event_type: "contact.removed",
            description: format!("{} was removed from the contacts", before.name),
            event_date: None,
            entity_type: Some("contact"),
            entity_id: Some(before.id.to_string()),
            payload: json!({ "contact_id": before.id }),
        },
    )
    .await?;
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
    let contact = db::contacts::get_by_id(&mut ctx.tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    if contact.erased_at.is_none() {
        db::contacts::erase(&mut ctx.tx, id).await?;
        ctx.record(
            Change {
                action: "contact.erased",
                target_type: "contact",
                target_id: Some(id.to_string()),
                before: None,
                after: Some(json!({ "client_id": contact.client_id, "erased": true })),
            },
            NewEvent {
                client_id: Some(contact.client_id),
                event_type: "contact.erased",
                description: "A contact's personal data was erased at their request".to_owned(),
                event_date: None,
                entity_type: Some("contact"),
                entity_id: Some(id.to_string()),
                payload: json!({ "contact_id": id, "erased": true }),
            },
        )
        .await?;
    }
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
