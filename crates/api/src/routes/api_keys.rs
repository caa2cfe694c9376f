//! API keys for machine clients: shown once, stored hashed, scoped to a role, revocable.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use services::Page;
use services::api_keys::{self, ApiKeyOut, NewKey};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::parse_id;
use crate::auth::principal::API_KEY_PREFIX;
use crate::auth::{Ctx, secrets};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, ApiQuery, PageQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

/// The tenant's API keys (never their secrets).
#[utoipa::path(get, path = "/api-keys", tag = "api-keys", security(("bearer" = [])),
    extensions(("x-permission" = json!("api_keys.manage"))),
    params(PageQuery),
    responses((status = 200, description = "One page of keys, revoked ones included", body = Page<ApiKeyOut>)))]
async fn list_keys(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<ApiJson<Page<ApiKeyOut>>> {
    ctx.require("api_keys.manage").await?;
    let out = api_keys::list(&mut ctx, q.request()?).await?;
    ctx.done();
    Ok(ApiJson(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// 1-100 characters.
    #[schema(pattern = r"\S", max_length = 100)]
    pub name: String,
    /// The role (built-in or of the tenant) whose permissions the key has.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    pub key: ApiKeyOut,
    /// Shown once: send it as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Creates a key; its secret is in this response only.
#[utoipa::path(post, path = "/api-keys", tag = "api-keys", security(("bearer" = [])),
    extensions(("x-permission" = json!("api_keys.manage"))),
    request_body = CreateKey,
    responses(
        (status = 201, description = "The key with its secret, and its `Location`", body = CreatedKey),
        (status = 403, description = "A role with a permission the caller does not hold (`forbidden`).")))]
async fn create_key(
    mut ctx: Ctx,
    ApiJson(body): ApiJson<CreateKey>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("api_keys.manage").await?;
    let (input, secret) = new_key(ctx.tenant(), body.name, body.role);
    let id = input.id;
    let key = api_keys::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/api-keys/{id}"))],
        ApiJson(CreatedKey { key, secret }),
    ))
}

/// A key to create in `tenant` (the input of [`api_keys::create`]) and its secret, to show
/// once. The secret is `crm_<tenant>_<key id>_<random>`; only the random part's digest is kept.
/// The API and the console both make keys with it.
pub fn new_key(tenant: Uuid, name: String, role: String) -> (NewKey, String) {
    let id = Uuid::now_v7();
    let random = secrets::random_token();
    let secret = format!(
        "{}_{random}",
        secrets::with_tenant(API_KEY_PREFIX, tenant, &id.simple().to_string()),
    );
    let input = NewKey {
        id,
        name,
        role,
        secret_digest: secrets::digest(&random),
    };
    (input, secret)
}

/// One key.
#[utoipa::path(get, path = "/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    extensions(("x-permission" = json!("api_keys.manage"))),
    params(("id" = Uuid, Path, description = "The key")),
    responses(
        (status = 200, description = "The key (a revoked one too, with `revoked_at`)", body = ApiKeyOut),
        (status = 404, description = "No such key")))]
async fn get_key(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<ApiJson<ApiKeyOut>> {
    ctx.require("api_keys.manage").await?;
    let key = api_keys::get(&mut ctx, parse_id(&id)?).await?;
    ctx.done();
    Ok(ApiJson(key))
}

/// Revokes a key: it stops working at once.
#[utoipa::path(delete, path = "/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    extensions(("x-permission" = json!("api_keys.manage"))),
    params(("id" = Uuid, Path, description = "The key")),
    responses(
        (status = 204, description = "Revoked (or it already was); it stays listed with `revoked_at`"),
        (status = 403, description = "The key's role has a permission the caller does not hold (`forbidden`)."),
        (status = 404, description = "No such key")))]
async fn revoke_key(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<StatusCode> {
    ctx.require("api_keys.manage").await?;
    api_keys::revoke(&mut ctx, parse_id(&id)?).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
