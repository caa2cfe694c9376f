//! Roles: the built-in ones (read-only) and the tenant's custom roles.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use db::audit::Change;
use domain::{BuiltinRole, Permission, RoleName};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::{Ctx, grants};
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, FieldError, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_roles, create_role))
        .routes(routes!(get_role, update_role, delete_role))
        .routes(routes!(list_permissions))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoleOut {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub built_in: bool,
}

fn builtin_out(r: BuiltinRole) -> RoleOut {
    RoleOut {
        name: r.name().to_owned(),
        description: r.description().to_owned(),
        permissions: r.permissions().into_iter().map(str::to_owned).collect(),
        built_in: true,
    }
}

fn custom_out(r: db::roles::CustomRole) -> RoleOut {
    RoleOut {
        name: r.name,
        description: r.description,
        permissions: r.permissions,
        built_in: false,
    }
}

fn built_in_is_fixed() -> ApiError {
    ApiError::conflict(
        "built-in-role",
        "Built-in roles cannot be changed or deleted; create a custom role.",
    )
}

/// Every role of the tenant, built-in first.
#[utoipa::path(get, path = "/roles", tag = "roles", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.view"))),
    responses((status = 200, description = "The built-in roles, then the tenant's own", body = Vec<RoleOut>)))]
async fn list_roles(mut ctx: Ctx) -> ApiResult<ApiJson<Vec<RoleOut>>> {
    ctx.require("users.view").await?;
    let mut out: Vec<RoleOut> = BuiltinRole::ALL.into_iter().map(builtin_out).collect();
    out.extend(
        db::roles::list(&mut ctx.tx)
            .await?
            .into_iter()
            .map(custom_out),
    );
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

fn check_permissions(pointer: &str, raw: &[String], errors: &mut Vec<FieldError>) -> Vec<String> {
    // Each entry names a distinct permission at best: more than the catalogue is never needed.
    let most = domain::permissions::ALL.len();
    if raw.len() > most {
        errors.push(FieldError::body(
            pointer,
            format!("at most {most} permissions (the size of the catalogue)"),
        ));
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, p) in raw.iter().enumerate() {
        match Permission::parse(p) {
            Ok(p) => out.push(p.as_str().to_owned()),
            Err(e) => errors.push(FieldError::body(&format!("{pointer}/{i}"), e.0)),
        }
    }
    out.sort();
    out.dedup();
    out
}

fn check_description(raw: Option<&str>, errors: &mut Vec<FieldError>) -> String {
    let d = raw.unwrap_or("").trim().to_owned();
    if d.chars().count() > 500 {
        errors.push(FieldError::body(
            "/description",
            "must be at most 500 characters",
        ));
    }
    d
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
    let mut errors = Vec::new();
    let name = RoleName::parse_custom(&body.name)
        .map_err(|e| errors.push(FieldError::body("/name", e.0)))
        .ok();
    let description = check_description(body.description.as_deref(), &mut errors);
    let permissions = check_permissions("/permissions", &body.permissions, &mut errors);
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    grants::require_all(
        &mut ctx,
        &permissions.iter().cloned().collect(),
        "create a role with these permissions",
    )
    .await?;
    let role = match db::roles::insert(&mut ctx.tx, name.as_str(), &description, &permissions).await
    {
        Err(e) if db::constraint_of(&e) == Some("roles_pkey") => {
            return Err(ApiError::conflict(
                "role-exists",
                "A role with this name already exists.",
            ));
        }
        other => other?,
    };
    let version = role.version;
    let out = custom_out(role);
    ctx.audit(Change {
        action: "role.created",
        target_type: "role",
        target_id: Some(out.name.clone()),
        before: None,
        after: serde_json::to_value(&out).ok(),
    })
    .await?;
    ctx.policies_changed();
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [(header::ETAG, etag::header_value(version))],
        ApiJson(out),
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
    if let Some(b) = BuiltinRole::from_name(&name) {
        ctx.done();
        return Ok((
            [(header::ETAG, etag::header_value(0))],
            ApiJson(builtin_out(b)),
        ));
    }
    let role = db::roles::get(&mut ctx.tx, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    ctx.done();
    Ok((
        [(header::ETAG, etag::header_value(role.version))],
        ApiJson(custom_out(role)),
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
    if BuiltinRole::from_name(&name).is_some() {
        return Err(built_in_is_fixed());
    }
    let before = db::roles::get(&mut ctx.tx, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    etag::check_if_match(&headers, before.version)?;
    let mut errors = Vec::new();
    let description = match body.description.as_deref() {
        Some(d) => check_description(Some(d), &mut errors),
        None => before.description.clone(),
    };
    let permissions = match &body.permissions {
        Some(p) => check_permissions("/permissions", p, &mut errors),
        None => before.permissions.clone(),
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let involved = before
        .permissions
        .iter()
        .chain(&permissions)
        .cloned()
        .collect();
    grants::require_all(&mut ctx, &involved, "change this role").await?;
    let role = db::roles::update(&mut ctx.tx, &name, &description, &permissions).await?;
    let version = role.version;
    let out = custom_out(role);
    ctx.audit(Change {
        action: "role.updated",
        target_type: "role",
        target_id: Some(name),
        before: serde_json::to_value(custom_out(before)).ok(),
        after: serde_json::to_value(&out).ok(),
    })
    .await?;
    ctx.policies_changed();
    ctx.commit().await?;
    Ok(([(header::ETAG, etag::header_value(version))], ApiJson(out)))
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
    if BuiltinRole::from_name(&name).is_some() {
        return Err(built_in_is_fixed());
    }
    let before = db::roles::get(&mut ctx.tx, &name)
        .await?
        .ok_or_else(ApiError::not_found)?;
    etag::check_if_match(&headers, before.version)?;
    let involved = before.permissions.iter().cloned().collect();
    grants::require_all(&mut ctx, &involved, "delete this role").await?;
    db::roles::delete(&mut ctx.tx, &name).await?;
    ctx.audit(Change {
        action: "role.deleted",
        target_type: "role",
        target_id: Some(name),
        before: serde_json::to_value(custom_out(before)).ok(),
        after: None,
    })
    .await?;
    ctx.policies_changed();
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
