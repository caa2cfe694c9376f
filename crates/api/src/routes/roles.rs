//! Roles: the built-in ones (read-only) and the tenant's custom roles.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use domain::BuiltinRole;
use serde::Deserialize;
use services::roles::{self, NewRole, RoleChange, RoleOut};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Ctx;
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiJson, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_permissions))
}

/// Every role of the tenant, built-in first.
#[utoipa::path(get, path = "/roles", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.view"))),
    responses((status = 200, description = "The built-in roles, then the tenant's own", body = Vec<RoleOut>)))]
async fn list_roles(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<RoleOut>>> {
    ctx.require("users.view").await?;
    let out = roles::list(&mut ctx).await?;
    ctx.done();
    Ok(ApiJson(out))
}

/// The permission catalogue.
#[utoipa::path(get, path = "/permissions", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.view"))),
    responses((status = 200, description = "Every permission, `<module>.<action>`", body = Vec<String>)))]
async fn list_permissions(ctx: Ctx) -> ApiResult<ApiJson<Vec<&'static str>>> {
    ctx.require("users.view").await?;
    ctx.done();
    Ok(ApiJson(domain::permissions::ALL.to_vec()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRole {
    /// 2-40 lower-case letters, digits, `_` or `-`, starting with a letter; not a built-in
    /// role's name.
    #[schema(schema_with = custom_role_name)]
    pub name: String,
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Permissions of the catalogue (`GET /api/v1/permissions`), at most its size.
    #[schema(max_items = 37, inline, value_type = Vec<PermissionName>)]
    pub permissions: Vec<String>,
}

/// Creates a custom role.
#[utoipa::path(post, path = "/roles", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("roles.manage"))),
    request_body = CreateRole,
    responses(
        (status = 201, description = "The role, with its `ETag`", body = RoleOut),
        (status = 403, description = "A permission the caller does not hold (`forbidden`)."),
        (status = 409, description = "A role with this name exists (`role-exists`).")))]
async fn create_role(
    mut ctx: Ctx,
    ApiJson(body): ApiJson<CreateRole>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("roles.manage").await?;
    let input = NewRole {
        name: body.name,
        description: body.description,
        permissions: body.permissions,
    };
    let role = roles::create(&mut ctx, input).await?;
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag::header_value(role.version))],
        ApiJson(role.value),
    ))
}

/// One role.
#[utoipa::path(get, path = "/roles/{name}", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.view"))),
    params(("name" = String, Path, description = "The role's name")),
    responses(
        (status = 200, description = "The role, with its `ETag`", body = RoleOut),
        (status = 404, description = "No such role")))]
async fn get_role(mut ctx: Ctx, Path(name): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("users.view").await?;
    let role = roles::get(&mut ctx, &name).await?;
    ctx.done();
    Ok((
        [(header::ETAG, etag::header_value(role.version))],
        ApiJson(role.value),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateRole {
    /// At most 500 characters.
    #[schema(max_length = 500)]
    pub description: Option<String>,
    /// Replaces the permissions: of the catalogue (`GET /api/v1/permissions`), at most its size.
    #[schema(max_items = 37, inline, value_type = Option<Vec<PermissionName>>)]
    pub permissions: Option<Vec<String>>,
}

fn custom_role_name() -> utoipa::openapi::schema::Object {
    let built_in: Vec<&str> = BuiltinRole::ALL.iter().map(|r| r.name()).collect();
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .pattern(Some(format!(
            "^(?!({})$)[a-z][a-z0-9_-]{{1,39}}$",
            built_in.join("|")
        )))
        .build()
}

/// A permission of the catalogue, in documentation.
struct PermissionName;

impl utoipa::PartialSchema for PermissionName {
    fn schema() -> RefOr<Schema> {
        schemas::permission().into()
    }
}

impl ToSchema for PermissionName {}

/// Changes a custom role's description or permissions (`If-Match` honoured).
#[utoipa::path(patch, path = "/roles/{name}", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("roles.manage"))),
    params(("name" = String, Path, description = "The custom role's name"), IfMatch),
    request_body = UpdateRole,
    responses(
        (status = 200, description = "The role as changed, with its new `ETag`", body = RoleOut),
        (status = 403, description = "A permission the caller does not hold, before or after (`forbidden`)."),
        (status = 404, description = "No such role"),
        (status = 409, description = "A built-in role, which cannot change (`built-in-role`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_role(
    mut ctx: Ctx,
    Path(name): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateRole>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("roles.manage").await?;
    let change = RoleChange {
        description: body.description,
        permissions: body.permissions,
    };
    let role = roles::update(&mut ctx, &name, &etag::expected(&headers), change).await?;
    ctx.commit().await?;
    Ok((
        [(header::ETAG, etag::header_value(role.version))],
        ApiJson(role.value),
    ))
}

/// Deletes a custom role and removes it from every user.
#[utoipa::path(delete, path = "/roles/{name}", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("roles.manage"))),
    params(("name" = String, Path, description = "The custom role's name"), IfMatch),
    responses(
        (status = 204, description = "Deleted, and removed from every user"),
        (status = 403, description = "A permission the caller does not hold (`forbidden`)."),
        (status = 404, description = "No such role"),
        (status = 409, description = "A built-in role, which cannot be deleted (`built-in-role`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn delete_role(
    mut ctx: Ctx,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    ctx.require("roles.manage").await?;
    roles::delete(&mut ctx, &name, &etag::expected(&headers)).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
