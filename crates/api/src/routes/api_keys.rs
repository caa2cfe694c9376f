//! API keys for machine clients: shown once, stored hashed, scoped to a role, revocable.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use db::audit::Change;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{existing_roles, parse_id};
use crate::auth::principal::API_KEY_PREFIX;
use crate::auth::{Ctx, grants, secrets};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, Page, PageQuery};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_keys, create_key))
        .routes(routes!(get_key, revoke_key))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKeyOut {
    pub id: Uuid,
    pub name: String,
    pub role: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn out(k: db::api_keys::ApiKey) -> ApiKeyOut {
    ApiKeyOut {
        id: k.id,
        name: k.name,
        role: k.role_name,
        created_by: k.created_by,
        created_at: k.created_at,
        last_used_at: k.last_used_at,
        revoked_at: k.revoked_at,
    }
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
    let page = q.request()?;
    let rows = db::api_keys::list(&mut ctx.tx, page.after, page.fetch_limit()).await?;
    ctx.done();
    Ok(ApiJson(Page::from_rows(rows, page, |k| k.id, out)))
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
    let mut errors = Vec::new();
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::body("/name", "must be 1-100 characters"));
    }
    let role = match existing_roles(&mut ctx, "/role", std::slice::from_ref(&body.role)).await {
        Ok(mut r) => r.pop().unwrap_or_default(),
        Err(e) if e.status != StatusCode::UNPROCESSABLE_ENTITY => return Err(e),
        Err(_) => {
            errors.push(FieldError::body(
                "/role",
                format!("no role named '{}'", body.role),
            ));
            String::new()
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    grants::require_roles(
        &mut ctx,
        std::slice::from_ref(&role),
        "give a key this role",
    )
    .await?;
    let id = Uuid::now_v7();
    let random = secrets::random_token();
    let secret = format!(
        "{}_{random}",
        secrets::with_tenant(API_KEY_PREFIX, ctx.tenant(), &id.simple().to_string()),
    );
    let created_by = ctx.user_id();
    let key = db::api_keys::insert(
        &mut ctx.tx,
        id,
        &name,
        &role,
        &secrets::digest(&random),
        created_by,
    )
    .await?;
    let key = out(key);
    ctx.audit(Change {
        action: "api_key.created",
        target_type: "api_key",
        target_id: Some(id.to_string()),
        before: None,
        after: serde_json::to_value(&key).ok(),
    })
    .await?;
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/api-keys/{id}"))],
        ApiJson(CreatedKey { key, secret }),
    ))
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
    let key = db::api_keys::get(&mut ctx.tx, parse_id(&id)?)
        .await?
        .ok_or_else(ApiError::not_found)?;
    ctx.done();
    Ok(ApiJson(out(key)))
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
    let id = parse_id(&id)?;
    let before = db::api_keys::get(&mut ctx.tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    grants::require_roles(
        &mut ctx,
        std::slice::from_ref(&before.role_name),
        "revoke this key",
    )
    .await?;
    if before.revoked_at.is_none() {
        let after = db::api_keys::revoke(&mut ctx.tx, id).await?;
        ctx.audit(Change {
            action: "api_key.revoked",
            target_type: "api_key",
            target_id: Some(id.to_string()),
            before: serde_json::to_value(out(before)).ok(),
            after: after.map(out).and_then(|a| serde_json::to_value(a).ok()),
        })
        .await?;
    }
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
