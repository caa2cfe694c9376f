//! Sign-in over JSON: login, refresh-token rotation, logout, invitations, JWKS. The flows are
//! `auth::sessions`, shared with the web console.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use crate::auth::sessions::TokenResponse;
use crate::auth::sessions::{self, Caller};
use crate::http::ApiJson;
use crate::http::problem::ApiResult;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(accept_invite))
        .routes(routes!(request_password_reset))
        .routes(routes!(reset_password))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The tenant's slug.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9-]{1,62}$")]
    pub tenant: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// Asks for a password reset: when the e-mail is an active user's in the tenant, a one-time
/// link valid for an hour is mailed to it. The answer is the same whether or not the account
/// exists.
#[utoipa::path(post, path = "/password-reset", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "Accepted: a link is mailed if the account exists"),
        (status = 429, description = "Too many requests for this account or from this address (`rate-limited`).")))]
async fn request_password_reset(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<StatusCode> {
    let base = crate::http::public_base(&state, &headers);
    sessions::request_password_reset(&state, &caller, &body.tenant, &body.email, &base).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetConfirm {
    /// The token of the mailed link.
    pub token: String,
    /// 10-256 characters and hard to guess (not common, breached or made of the user's or
    /// tenant's names).
    #[schema(pattern = r"\S", min_length = 10, max_length = 256)]
    pub password: String,
}

/// Sets a new password with the token of a reset link (once, within the hour); every session
/// of the user ends.
#[utoipa::path(post, path = "/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is changed; sign in with it"),
        (status = 404, description = "No valid reset link has this token (unknown, used or expired)")))]
async fn reset_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> ApiResult<StatusCode> {
    sessions::reset_password(&state, &caller, &body.token, body.password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The tenant's slug.
    #[schema(pattern = "^[A-Za-z0-9][A-Za-z0-9-]{1,62}$")]
    pub tenant: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1)]
    pub password: String,
}

/// Signs in with tenant, e-mail and password.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session's tokens", body = TokenResponse),
        (status = 401, description = "The tenant, e-mail or password is not right (`invalid-credentials`)."),
        (status = 429, description = "Too many attempts for this account or from this address (`rate-limited`).")))]
async fn login(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<TokenResponse>> {
    let tokens =
        sessions::sign_in(&state, &caller, &body.tenant, &body.email, body.password).await?;
    Ok(ApiJson(tokens))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Exchanges a refresh token for a new pair. A token presented twice revokes its whole family.
#[utoipa::path(post, path = "/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "The new pair; the refresh token sent is used up", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, expired, used or revoked (`invalid-refresh-token`).")))]
async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<ApiJson<TokenResponse>> {
    let pair = sessions::refresh(&state, &caller, &body.refresh_token).await?;
    Ok(ApiJson(pair))
}

/// Ends the session the refresh token belongs to; its access tokens stop working at once.
#[utoipa::path(post, path = "/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also when the token was unknown)")))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    sessions::sign_out(&state, &caller, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInviteRequest {
    /// The invitation token from `POST /api/v1/users`.
    pub token: String,
    /// 10-256 characters and hard to guess (not common, breached or made of the user's or
    /// tenant's names).
    #[schema(pattern = r"\S", min_length = 10, max_length = 256)]
    pub password: String,
}

/// Accepts an invitation by choosing a password; answers with a signed-in session.
#[utoipa::path(post, path = "/accept-invite", tag = "auth", request_body = AcceptInviteRequest,
    responses(
        (status = 200, description = "The new user's first session", body = TokenResponse),
        (status = 404, description = "No pending invitation has this token")))]
async fn accept_invite(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<AcceptInviteRequest>,
) -> ApiResult<impl IntoResponse> {
    let tokens = sessions::accept_invitation(&state, &caller, &body.token, body.password).await?;
    Ok(ApiJson(tokens))
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.tokens.jwks().clone()),
    )
}
