//! Sign-in: login, refresh-token rotation with reuse detection, logout, invitations, JWKS.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use chrono::Utc;
use db::TenantTx;
use db::audit::Actor;
use domain::{Email, TenantSlug};
use serde::{Deserialize, Serialize};
use services::{Scope, users};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::ctx::ClientIp;
use crate::auth::{password, secrets};
use crate::http::problem::ApiResult;
use crate::http::{ApiError, ApiJson, InvalidField, request_id};
use crate::rate_limit::Verdict;
use crate::state::AppState;

const REFRESH_PREFIX: &str = "rt";
const INVITE_PREFIX: &str = "inv";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(accept_invite))
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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
        "Sign-in failed",
        "The tenant, e-mail or password is not right.",
    )
}

/// The scope of a sign-in change made by `user` from `ip`, in `tx`.
fn as_user(tx: TenantTx, user: Uuid, ip: &str, headers: &HeaderMap) -> Scope {
    let actor = Actor {
        kind: "user",
        id: Some(user),
        ip: Some(ip.to_owned()),
        user_agent: headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect()),
        request_id: request_id::current(),
    };
    Scope::new(tx, actor)
}

/// Starts a session for a user: a new refresh-token family and an access token.
async fn start_session(
    state: &AppState,
    tx: &mut TenantTx,
    user: Uuid,
) -> ApiResult<TokenResponse> {
    let session = Uuid::now_v7();
    db::sessions::create(tx, session, user).await?;
    issue_pair(state, tx, user, session).await
}

async fn issue_pair(
    state: &AppState,
    tx: &mut TenantTx,
    user: Uuid,
    session: Uuid,
) -> ApiResult<TokenResponse> {
    let refresh = secrets::with_tenant(REFRESH_PREFIX, tx.tenant_id(), &secrets::random_token());
    let expires = Utc::now()
        + chrono::Duration::from_std(state.config.refresh_token_ttl).map_err(ApiError::internal)?;
    db::sessions::insert_refresh_token(tx, session, &secrets::digest(&refresh), expires).await?;
    let access = state
        .tokens
        .issue(tx.tenant_id(), user, session)
        .map_err(ApiError::internal)?;
    Ok(TokenResponse {
        access_token: access,
        refresh_token: refresh,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.ttl().as_secs(),
    })
}

/// Signs in with tenant, e-mail and password.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session's tokens", body = TokenResponse),
        (status = 401, description = "The tenant, e-mail or password is not right (`invalid-credentials`)."),
        (status = 429, description = "Too many attempts for this account or from this address (`rate-limited`).")))]
async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> ApiResult<ApiJson<TokenResponse>> {
    let mut errors = Vec::new();
    let slug = TenantSlug::parse(&body.tenant)
        .map_err(|e| errors.push(InvalidField::at("/tenant", e.0)))
        .ok();
    let email = Email::parse(&body.email)
        .map_err(|e| errors.push(InvalidField::at("/email", e.0)))
        .ok();
    if body.password.is_empty() {
        errors.push(InvalidField::at("/password", "must not be empty"));
    }
    let (Some(slug), Some(email)) = (slug, email) else {
        return Err(ApiError::validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let cfg = &state.config;
    for (key, limit) in [
        (format!("login:ip:{ip}"), cfg.login_per_ip_per_minute),
        (
            format!("login:acct:{}:{}", slug.as_str(), email.as_str()),
            cfg.login_per_account_per_minute,
        ),
    ] {
        if let Verdict::Limited(retry) = state.limiter.hit(&state.redis, &key, limit).await {
            return Err(ApiError::rate_limited(retry));
        }
    }

    let tenant = db::tenants::find_by_slug(&state.db, slug.as_str())
        .await?
        .filter(|t| t.status == "active");
    let Some(tenant) = tenant else {
        password::verify(body.password, None).await;
        return Err(invalid_credentials());
    };
    let mut tx = TenantTx::begin(&state.db, tenant.id).await?;
    let creds = db::users::credentials_by_email(&mut tx, email.as_str()).await?;
    let (user_id, stored, active) = match creds {
        Some(c) => (Some(c.id), c.password_hash, c.status == "active"),
        None => (None, None, false),
    };
    let verified = password::verify(body.password, stored).await;
    let Some(user_id) = user_id.filter(|_| verified && active) else {
        return Err(invalid_credentials());
    };
    let tokens = start_session(&state, &mut tx, user_id).await?;
    let mut scope = as_user(tx, user_id, &ip, &headers);
    users::signed_in(&mut scope, user_id).await?;
    scope.commit().await?;
    Ok(ApiJson(tokens))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-refresh-token",
        "Refresh token not accepted",
        "The refresh token is unknown, expired, already used or revoked; sign in again.",
    )
}

/// Exchanges a refresh token for a new pair. A token presented twice revokes its whole family.
#[utoipa::path(post, path = "/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, description = "The new pair; the refresh token sent is used up", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, expired, used or revoked (`invalid-refresh-token`).")))]
async fn refresh(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<ApiJson<TokenResponse>> {
    let (tenant, _) =
        secrets::split_tenant(REFRESH_PREFIX, &body.refresh_token).ok_or_else(invalid_refresh)?;
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let token = db::sessions::find_refresh_token(&mut tx, &secrets::digest(&body.refresh_token))
        .await?
        .ok_or_else(invalid_refresh)?;
    if token.used {
        // Reuse: someone holds a stolen copy. End the whole family, then refuse.
        let mut scope = as_user(tx, token.user_id, &ip, &headers);
        users::end_reused_session(&mut scope, token.session_id).await?;
        scope.commit().await?;
        return Err(invalid_refresh());
    }
    if token.session_revoked || token.expires_at < Utc::now() {
        return Err(invalid_refresh());
    }
    tx.rollback().await?;
    let mut tx = TenantTx::begin_as_user(&state.db, tenant, token.user_id, token.session_id)
        .await?
        .ok_or_else(invalid_refresh)?;
    if !db::sessions::use_refresh_token(&mut tx, token.id).await? {
        return Err(invalid_refresh());
    }
    let pair = issue_pair(&state, &mut tx, token.user_id, token.session_id).await?;
    tx.commit().await?;
    Ok(ApiJson(pair))
}

/// Ends the session the refresh token belongs to; its access tokens stop working at once.
#[utoipa::path(post, path = "/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "Signed out (also when the token was unknown)")))]
async fn logout(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> ApiResult<StatusCode> {
    let Some((tenant, _)) = secrets::split_tenant(REFRESH_PREFIX, &body.refresh_token) else {
        return Ok(StatusCode::NO_CONTENT);
    };
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let token =
        db::sessions::find_refresh_token(&mut tx, &secrets::digest(&body.refresh_token)).await?;
    match token {
        Some(token) => {
            let mut scope = as_user(tx, token.user_id, &ip, &headers);
            users::sign_out(&mut scope, token.session_id).await?;
            scope.commit().await?;
        }
        None => tx.commit().await?,
    }
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
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AcceptInviteRequest>,
) -> ApiResult<impl IntoResponse> {
    let (tenant, _) =
        secrets::split_tenant(INVITE_PREFIX, &body.token).ok_or_else(ApiError::not_found)?;
    let invite = secrets::digest(&body.token);
    // The rule needs whose password it is; the connection is not held while checking and hashing.
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let invited = db::users::find_invited(&mut tx, &invite)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let owner = password::Owner::in_tenant(&mut tx, &invited.email, &invited.display_name).await?;
    tx.rollback().await?;
    password::check_policy(&body.password, &owner)
        .await
        .map_err(|e| ApiError::field("/password", e))?;
    let hash = password::hash(body.password)
        .await
        .map_err(ApiError::internal)?;
    let tx = TenantTx::begin(&state.db, tenant).await?;
    let mut scope = as_user(tx, invited.id, &ip, &headers);
    let user = users::accept_invitation(&mut scope, &invite, &hash).await?;
    let (mut tx, _) = scope.into_parts();
    let tokens = start_session(&state, &mut tx, user).await?;
    tx.commit().await?;
    Ok(ApiJson(tokens))
}

/// A new invitation token for a tenant, and the hash to store.
pub(crate) fn new_invite(tenant: Uuid) -> (String, Vec<u8>) {
    let token = secrets::with_tenant(INVITE_PREFIX, tenant, &secrets::random_token());
    let hash = secrets::digest(&token);
    (token, hash)
}

/// `GET /.well-known/jwks.json`: the public keys that verify access tokens.
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(axum::http::header::CACHE_CONTROL, "public, max-age=300")],
        axum::Json(state.tokens.jwks().clone()),
    )
}
