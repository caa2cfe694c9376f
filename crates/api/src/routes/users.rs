//! Users of the tenant: invite, list, read, change (name, status, roles), delete.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use services::Page;
use services::users::{self, NewUser, SignIn, UserChange, UserOut};
use utoipa::ToSchema;
use utoipa::openapi::schema::Object;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::parse_id;
use crate::auth::{Ctx, password};
use crate::http::etag::{IF_MATCH_FAILED, IfMatch};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, ApiQuery, PageQuery, etag, schemas};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, invite_user))
        .routes(routes!(get_user, update_user, delete_user))
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
    let out = users::list(&mut ctx, q.request()?).await?;
    ctx.done();
    Ok(ApiJson(out))
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
    State(state): State<AppState>,
    mut ctx: Ctx,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<InviteUser>,
) -> ApiResult<impl IntoResponse> {
    ctx.require("users.manage").await?;
    let (sign_in, invite_token) = match body.password {
        Some(p) => {
            let name = body.display_name.trim();
            let owner = password::Owner::in_tenant(&mut ctx.tx, &body.email, name).await?;
            let judged = password::judge(&p, &owner)
                .await
                .map_err(ApiError::internal)?;
            (SignIn::Password(judged), None)
        }
        None => {
            let (token, digest) = crate::auth::sessions::new_invite(ctx.tenant());
            (SignIn::Invitation(digest), Some(token))
        }
    };
    let input = NewUser {
        email: body.email,
        display_name: body.display_name,
        roles: body.roles,
        sign_in,
    };
    let link = invitation_link(&state, &headers, invite_token.as_deref());
    let cipher = super::clients::cipher(&state, &mut ctx).await?;
    let user = users::invite_and_mail(&mut ctx, &cipher, input, &link).await?;
    ctx.commit().await?;
    let location = header::HeaderValue::from_str(&format!("/api/v1/users/{}", user.value.id))
        .map_err(ApiError::internal)?;
    Ok((
        StatusCode::CREATED,
        [
            (header::ETAG, etag::header_value(user.version)),
            (header::LOCATION, location),
        ],
        ApiJson(InvitedUser {
            user: user.value,
            invite_token,
        }),
    ))
}

/// The console's page for accepting the invitation with `token`.
fn invitation_link(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    token: Option<&str>,
) -> String {
    let query =
        serde_urlencoded::to_string([("token", token.unwrap_or_default())]).unwrap_or_default();
    format!(
        "{}/invitation?{query}",
        crate::http::public_base(state, headers)
    )
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
    let user = users::get(&mut ctx, parse_id(&id)?).await?;
    ctx.done();
    Ok(etag::with_etag(StatusCode::OK, user))
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
    let change = UserChange {
        display_name: body.display_name,
        status: body.status,
        roles: body.roles,
    };
    let user = users::update(&mut ctx, id, &etag::expected(&headers), change).await?;
    ctx.commit().await?;
    Ok(etag::with_etag(StatusCode::OK, user))
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
    users::delete(&mut ctx, id, &etag::expected(&headers)).await?;
    ctx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
