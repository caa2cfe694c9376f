//! Users of the tenant: invite, list, read, change (name, status, roles), delete.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use db::audit::Change;
use domain::{BuiltinRole, Email};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{existing_roles, parse_id};
use crate::auth::{Ctx, grants, password};
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::pagination::PageRequest;
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, FieldError, Page, PageQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, invite_user))
        .routes(routes!(get_user, update_user, delete_user))
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// `active`, `invited` or `disabled`.
    pub status: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn user_out(u: db::users::User, roles: Vec<String>) -> UserOut {
    UserOut {
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        status: u.status,
        roles,
        created_at: u.created_at,
        updated_at: u.updated_at,
    }
}

async fn load(ctx: &mut Ctx, id: Uuid) -> ApiResult<(db::users::User, Vec<String>)> {
    let user = db::users::get(&mut ctx.tx, id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let roles = db::users::roles_of(&mut ctx.tx, &[id])
        .await?
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    Ok((user, roles))
}

fn with_etag(version: i32, status: StatusCode, body: UserOut) -> impl IntoResponse {
    (
        status,
        [(header::ETAG, etag::header_value(version))],
        ApiJson(body),
    )
}

/// Lists users, oldest first.
#[utoipa::path(get, path = "/users", tag = "users", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.view"))),
    params(PageQuery),
    responses((status = 200, description = "One page of users", body = Page<UserOut>)))]
async fn list_users(
    mut ctx: Ctx,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<ApiJson<Page<UserOut>>> {
    ctx.require("users.view").await?;
    let page: PageRequest = q.request()?;
    let rows = db::users::list(&mut ctx.tx, page.after, page.fetch_limit()).await?;
    let ids: Vec<Uuid> = rows.iter().map(|u| u.id).collect();
    let roles = db::users::roles_of(&mut ctx.tx, &ids).await?;
    ctx.done();
    Ok(ApiJson(Page::from_rows(
        rows,
        page,
        |u| u.id,
        |u| {
            let mine = roles
                .iter()
                .filter(|(id, _)| *id == u.id)
                .map(|(_, r)| r.clone())
                .collect();
            user_out(u, mine)
        },
    )))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteUser {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// 1-200 characters.
    #[schema(pattern = r"\S", max_length = 200)]
    pub display_name: String,
    /// Names of roles of the tenant (built-in or custom); at most 20 (`MAX_ROLES`).
    #[serde(default)]
    #[schema(max_items = 20)]
    pub roles: Vec<String>,
    /// Set a password now (the user is active); without one the user is invited. 10-256
    /// characters and hard to guess (not common, breached or made of the user's or tenant's
    /// names).
    #[schema(pattern = r"\S", min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InvitedUser {
    #[serde(flatten)]
    pub user: UserOut,
    /// Shown once: the token for `POST /api/v1/auth/accept-invite`.
    pub invite_token: Option<String>,
}

/// Invites a user (or creates one with a password) and assigns roles.
#[utoipa::path(post, path = "/users", tag = "users", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.manage"))),
    request_body = InviteUser,
    responses(
        (status = 201, description = "The user, with its `ETag`, `Location` and (when invited) the invitation token", body = InvitedUser),
        (status = 403, description = "Handing out a role with a permission the caller does not hold (`forbidden`)."),
        (status = 409, description = "A user with this e-mail exists (`email-taken`).")))]
async fn invite_user(
    mut ctx: Ctx,
    ApiJson(body): ApiJson<InviteUser>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("users.manage").await?;
    let mut errors = Vec::new();
    let email = Email::parse(&body.email)
        .map_err(|e| errors.push(FieldError::body("/email", e.0)))
        .ok();
    let name = body.display_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::body(
            "/display_name",
            "must be 1-200 characters",
        ));
    }
    if let Some(p) = &body.password {
        let owner = password::Owner::in_tenant(&mut ctx.tx, &body.email, &name).await?;
        if let Err(e) = password::check_policy(p, &owner).await {
            errors.push(FieldError::body("/password", e));
        }
    }
    let roles = match existing_roles(&mut ctx, "/roles", &body.roles).await {
        Ok(r) => r,
        Err(e) => {
            errors.extend(e.errors);
            Vec::new()
        }
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    grants::require_roles(&mut ctx, &roles, "grant these roles").await?;
    let password_hash = match body.password {
        Some(p) => Some(password::hash(p).await.map_err(ApiError::internal)?),
        None => None,
    };
    let (invite_token, invite_hash) = if password_hash.is_none() {
        let (t, h) = super::auth::new_invite(ctx.tenant());
        (Some(t), Some(h))
    } else {
        (None, None)
    };
    let id = Uuid::now_v7();
    let inserted = db::users::insert(
        &mut ctx.tx,
        &db::users::NewUser {
            id,
            email: email.as_str(),
            display_name: &name,
            password_hash: password_hash.as_deref(),
            status: if password_hash.is_some() {
                "active"
            } else {
                "invited"
            },
            invite_hash: invite_hash.as_deref(),
        },
    )
    .await;
    let user = match inserted {
        Err(e) if db::constraint_of(&e) == Some("users_email_uq") => {
            return Err(ApiError::conflict(
                "email-taken",
                "A user with this e-mail already exists.",
            ));
        }
        other => other?,
    };
    db::users::set_roles(&mut ctx.tx, id, &roles).await?;
    let out = user_out(user.clone(), roles);
    ctx.audit(Change {
        action: "user.invited",
        target_type: "user",
        target_id: Some(id.to_string()),
        before: None,
        after: serde_json::to_value(&out).ok(),
    })
    .await?;
    ctx.policies_changed();
    ctx.commit().await?;
    Ok((
        StatusCode::CREATED,
        [
            (header::ETAG, etag::header_value(user.version)),
            (
                header::LOCATION,
                header::HeaderValue::from_str(&format!("/api/v1/users/{id}"))
                    .map_err(ApiError::internal)?,
            ),
        ],
        ApiJson(InvitedUser {
            user: out,
            invite_token,
        }),
    ))
}

/// One user, with its `ETag`.
#[utoipa::path(get, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.view"))),
    params(("id" = Uuid, Path, description = "The user")),
    responses(
        (status = 200, description = "The user, with its `ETag`", body = UserOut),
        (status = 404, description = "No such user")))]
async fn get_user(mut ctx: Ctx, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    ctx.require("users.view").await?;
    let (user, roles) = load(&mut ctx, parse_id(&id)?).await?;
    ctx.done();
    Ok(with_etag(
        user.version,
        StatusCode::OK,
        user_out(user, roles),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// 1-200 characters.
    #[schema(pattern = r"\S", max_length = 200)]
    pub display_name: Option<String>,
    /// `active` or `disabled` (an invited user becomes active by accepting the invitation).
    #[schema(schema_with = user_status)]
    pub status: Option<String>,
    /// Replaces the user's roles (at most 20, `MAX_ROLES`).
    #[schema(max_items = 20)]
    pub roles: Option<Vec<String>>,
}

fn user_status() -> Object {
    schemas::one_of_or_null(["active", "disabled"]).build()
}

/// Changes a user; send `If-Match` with the `ETag` to avoid overwriting someone else's change.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.manage"))),
    params(("id" = Uuid, Path, description = "The user"), IfMatch),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The user as changed, with its new `ETag`", body = UserOut),
        (status = 403, description = "Acting on a user with a permission the caller does not hold, or handing one out (`forbidden`)."),
        (status = 404, description = "No such user"),
        (status = 409, description = "Disabling oneself (`cannot-disable-self`) or the last active owner (`last-owner`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn update_user(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("users.manage").await?;
    let id = parse_id(&id)?;
    let (before, before_roles) = load(&mut ctx, id).await?;
    etag::check_if_match(&headers, before.version)?;

    let mut errors = Vec::new();
    let name = body
        .display_name
        .as_deref()
        .map(str::trim)
        .unwrap_or(&before.display_name)
        .to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::body(
            "/display_name",
            "must be 1-200 characters",
        ));
    }
    let status = match body.status.as_deref() {
        None => before.status.clone(),
        Some(s @ ("active" | "disabled")) => {
            if before.status == "invited" && s == "active" {
                errors.push(FieldError::body(
                    "/status",
                    "an invited user becomes active by accepting the invitation",
                ));
            }
            s.to_owned()
        }
        Some(_) => {
            errors.push(FieldError::body(
                "/status",
                "must be 'active' or 'disabled'",
            ));
            before.status.clone()
        }
    };
    let roles = match &body.roles {
        None => before_roles.clone(),
        Some(r) => match existing_roles(&mut ctx, "/roles", r).await {
            Ok(r) => r,
            Err(e) => {
                errors.extend(e.errors);
                before_roles.clone()
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if ctx.user_id() == Some(id) && status == "disabled" {
        return Err(ApiError::conflict(
            "cannot-disable-self",
            "You cannot disable yourself.",
        ));
    }
    // Acting on a user needs every permission they hold; adding roles, every one they grant.
    grants::require_roles(&mut ctx, &before_roles, "change this user").await?;
    if roles != before_roles {
        grants::require_roles(&mut ctx, &roles, "grant these roles").await?;
    }
    let owner = BuiltinRole::Owner.name().to_owned();
    let loses_owner = before_roles.contains(&owner)
        && before.status == "active"
        && (!roles.contains(&owner) || status != "active");
    if loses_owner && db::users::count_active_with_role(&mut ctx.tx, &owner).await? <= 1 {
        return Err(ApiError::conflict(
            "last-owner",
            "A tenant must keep at least one active owner.",
        ));
    }

    let user = db::users::update(&mut ctx.tx, id, &name, &status).await?;
    if roles != before_roles {
        db::users::set_roles(&mut ctx.tx, id, &roles).await?;
    }
    if status == "disabled" && before.status != "disabled" {
        db::sessions::revoke_all_of_user(&mut ctx.tx, id, "user disabled").await?;
    }
    let out = user_out(user.clone(), roles.clone());
    ctx.audit(Change {
        action: "user.updated",
        target_type: "user",
        target_id: Some(id.to_string()),
        before: serde_json::to_value(user_out(before, before_roles.clone())).ok(),
        after: serde_json::to_value(&out).ok(),
    })
    .await?;
    if roles != before_roles {
        ctx.policies_changed();
    }
    ctx.commit().await?;
    Ok(with_etag(user.version, StatusCode::OK, out))
}

/// Deletes a user: they can no longer sign in; their history stays attributed.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", security(("bearer" = [])),
    extensions(("x-permission" = json!("users.manage"))),
    params(("id" = Uuid, Path, description = "The user"), IfMatch),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "The user holds a permission the caller does not (`forbidden`)."),
        (status = 404, description = "No such user"),
        (status = 409, description = "Deleting oneself (`cannot-delete-self`) or the last active owner (`last-owner`)."),
        (status = 412, description = IF_MATCH_FAILED)))]
async fn delete_user(
    mut ctx: Ctx,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<StatusCode> {
    ctx.require("users.manage").await?;
    let id = parse_id(&id)?;
    let (before, roles) = load(&mut ctx, id).await?;
    etag::check_if_match(&headers, before.version)?;
    if ctx.user_id() == Some(id) {
        return Err(ApiError::conflict(
            "cannot-delete-self",
            "You cannot delete yourself.",
        ));
    }
    grants::require_roles(&mut ctx, &roles, "delete this user").await?;
    let owner = BuiltinRole::Owner.name().to_owned();
    if roles.contains(&owner)
        && before.status == "active"
        && db::users::count_active_with_role(&mut ctx.tx, &owner).await? <= 1
    {
        return Err(ApiError::conflict(
            "last-owner",
            "A tenant must keep at least one active owner.",
        ));
    }
    db::users::soft_delete(&mut ctx.tx, id).await?;
    db::users::set_roles(&mut ctx.tx, id, &[]).await?;
    db::sessions::revoke_all_of_user(&mut ctx.tx, id, "user deleted").await?;
    ctx.audit(Change {
        action: "user.deleted",
        target_type: "user",
        target_id: Some(id.to_string()),
        before: serde_json::to_value(user_out(before, roles)).ok(),
        after: None,
    })
    .await?;
    ctx.policies_changed();
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
