//! Sessions: signing in with a password, rotating the refresh token (a token presented twice
//! ends its whole family), signing out, and accepting an invitation. One flow each, called by
//! the JSON routes (`routes/auth.rs`) and by the web console with its form's fields.

use axum::http::StatusCode;
use chrono::Utc;
use db::TenantTx;
use db::audit::Actor;
use domain::{Email, TenantSlug};
use serde::{Deserialize, Serialize};
use services::{Scope, users};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{password, secrets};
use crate::http::{ApiError, InvalidField, request_id};
use crate::rate_limit::Verdict;
use crate::state::AppState;

const REFRESH_PREFIX: &str = "rt";
const INVITE_PREFIX: &str = "inv";
const RESET_PREFIX: &str = "rst";

/// A session's tokens.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

/// Who is signing in or out: the address and program the audit trail records.
#[derive(Debug, Clone)]
pub struct Caller {
    pub ip: String,
    pub user_agent: Option<String>,
}

impl Caller {
    /// The scope of a sign-in change made by `user`, in `tx`.
    fn scope(&self, tx: TenantTx, user: Uuid) -> Scope {
        let actor = Actor {
            kind: "user",
            id: Some(user),
            ip: Some(self.ip.clone()),
            user_agent: self.user_agent.clone(),
            request_id: request_id::current(),
        };
        Scope::new(tx, actor)
    }
}

fn invalid_credentials() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-credentials",
        "Sign-in failed",
        "The tenant, e-mail or password is not right.",
    )
}

fn invalid_refresh() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid-refresh-token",
        "Refresh token not accepted",
        "The refresh token is unknown, expired, already used or revoked; sign in again.",
    )
}

/// Starts a session for a user: a new refresh-token family and an access token.
async fn start_session(
    state: &AppState,
    tx: &mut TenantTx,
    user: Uuid,
) -> Result<TokenResponse, ApiError> {
    let session = Uuid::now_v7();
    db::sessions::create(tx, session, user).await?;
    issue_pair(state, tx, user, session).await
}

async fn issue_pair(
    state: &AppState,
    tx: &mut TenantTx,
    user: Uuid,
    session: Uuid,
) -> Result<TokenResponse, ApiError> {
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

/// Signs in with tenant, e-mail and password, within the sign-in rate limits.
pub async fn sign_in(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    email: &str,
    password: String,
) -> Result<TokenResponse, ApiError> {
    let mut errors = Vec::new();
    let slug = TenantSlug::parse(tenant)
        .map_err(|e| errors.push(InvalidField::at("/tenant", e.0)))
        .ok();
    let email = Email::parse(email)
        .map_err(|e| errors.push(InvalidField::at("/email", e.0)))
        .ok();
    if password.is_empty() {
        errors.push(InvalidField::at("/password", "must not be empty"));
    }
    let (Some(slug), Some(email), true) = (slug, email, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let cfg = &state.config;
    let ip = &caller.ip;
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
        password::verify(password, None).await;
        return Err(invalid_credentials());
    };
    let mut tx = TenantTx::begin(&state.db, tenant.id).await?;
    let creds = db::users::credentials_by_email(&mut tx, email.as_str()).await?;
    let (user_id, stored, active) = match creds {
        Some(c) => (Some(c.id), c.password_hash, c.status == "active"),
        None => (None, None, false),
    };
    let verified = password::verify(password, stored).await;
    let Some(user_id) = user_id.filter(|_| verified && active) else {
        return Err(invalid_credentials());
    };
    let tokens = start_session(state, &mut tx, user_id).await?;
    let mut scope = caller.scope(tx, user_id);
    users::signed_in(&mut scope, user_id).await?;
    scope.commit().await?;
    Ok(tokens)
}

/// Exchanges a refresh token for a new pair; a token presented twice ends its family.
pub async fn refresh(
    state: &AppState,
    caller: &Caller,
    refresh_token: &str,
) -> Result<TokenResponse, ApiError> {
    let (tenant, _) =
        secrets::split_tenant(REFRESH_PREFIX, refresh_token).ok_or_else(invalid_refresh)?;
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let token = db::sessions::find_refresh_token(&mut tx, &secrets::digest(refresh_token))
        .await?
        .ok_or_else(invalid_refresh)?;
    if token.used {
        // Reuse: someone holds a stolen copy. End the whole family, then refuse.
        let mut scope = caller.scope(tx, token.user_id);
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
    let pair = issue_pair(state, &mut tx, token.user_id, token.session_id).await?;
    tx.commit().await?;
    Ok(pair)
}

/// Ends the session a refresh token belongs to (nothing when the token is unknown); its
/// access tokens stop working at once.
pub async fn sign_out(
    state: &AppState,
    caller: &Caller,
    refresh_token: &str,
) -> Result<(), ApiError> {
    let Some((tenant, _)) = secrets::split_tenant(REFRESH_PREFIX, refresh_token) else {
        return Ok(());
    };
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let token = db::sessions::find_refresh_token(&mut tx, &secrets::digest(refresh_token)).await?;
    match token {
        Some(token) => {
            let mut scope = caller.scope(tx, token.user_id);
            users::sign_out(&mut scope, token.session_id).await?;
            scope.commit().await?;
        }
        None => tx.commit().await?,
    }
    Ok(())
}

/// Accepts an invitation by choosing a password; the new user's first session.
pub async fn accept_invitation(
    state: &AppState,
    caller: &Caller,
    token: &str,
    new_password: String,
) -> Result<TokenResponse, ApiError> {
    let (tenant, _) =
        secrets::split_tenant(INVITE_PREFIX, token).ok_or_else(ApiError::not_found)?;
    let invite = secrets::digest(token);
    // The rule needs whose password it is; the connection is not held while checking and hashing.
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let invited = db::users::find_invited(&mut tx, &invite)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let owner = password::Owner::in_tenant(&mut tx, &invited.email, &invited.display_name).await?;
    tx.rollback().await?;
    password::check_policy(&new_password, &owner)
        .await
        .map_err(|e| ApiError::field("/password", e))?;
    let hash = password::hash(new_password)
        .await
        .map_err(ApiError::internal)?;
    let tx = TenantTx::begin(&state.db, tenant).await?;
    let mut scope = caller.scope(tx, invited.id);
    let user = users::accept_invitation(&mut scope, &invite, &hash).await?;
    let (mut tx, _) = scope.into_parts();
    let tokens = start_session(state, &mut tx, user).await?;
    tx.commit().await?;
    Ok(tokens)
}

/// A new invitation token for a tenant, and the digest to store.
pub fn new_invite(tenant: Uuid) -> (String, Vec<u8>) {
    let token = secrets::with_tenant(INVITE_PREFIX, tenant, &secrets::random_token());
    let hash = secrets::digest(&token);
    (token, hash)
}

/// Asks for a password reset of `email` in tenant `tenant` (a slug): when that is an active
/// user, they are mailed a link to `{base}/reset-password?token=…`. Answers the same whether
/// or not the account exists; limited per address and per account like sign-in.
pub async fn request_password_reset(
    state: &AppState,
    caller: &Caller,
    tenant: &str,
    email: &str,
    base: &str,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let slug = TenantSlug::parse(tenant)
        .map_err(|e| errors.push(InvalidField::at("/tenant", e.0)))
        .ok();
    let email = Email::parse(email)
        .map_err(|e| errors.push(InvalidField::at("/email", e.0)))
        .ok();
    let (Some(slug), Some(email), true) = (slug, email, errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let cfg = &state.config;
    for (key, limit) in [
        (
            format!("reset:ip:{}", caller.ip),
            cfg.login_per_ip_per_minute,
        ),
        (
            format!("reset:acct:{}:{}", slug.as_str(), email.as_str()),
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
        return Ok(());
    };
    let token = secrets::with_tenant(RESET_PREFIX, tenant.id, &secrets::random_token());
    let digest = secrets::digest(&token);
    let query = serde_urlencoded::to_string([("token", token.as_str())]).unwrap_or_default();
    let link = format!("{base}/reset-password?{query}");
    let mut tx = TenantTx::begin(&state.db, tenant.id).await?;
    let cipher = state
        .ciphers
        .get(&mut tx, &state.master_keys)
        .await
        .map_err(ApiError::internal)?;
    let mut scope = Scope::new(tx, Actor::system());
    scope.actor.ip = Some(caller.ip.clone());
    scope.actor.user_agent = caller.user_agent.clone();
    let now = chrono::Utc::now();
    users::password_reset::request_password_reset(
        &mut scope,
        &cipher,
        email.as_str(),
        &digest,
        &link,
        now,
    )
    .await?;
    let (tx, _) = scope.into_parts();
    tx.commit().await?;
    Ok(())
}

/// Sets a new password with a reset token; every session of the user ends. 404 for a token
/// that is unknown, used or expired; 422 for a password the rule refuses.
pub async fn reset_password(
    state: &AppState,
    caller: &Caller,
    token: &str,
    new_password: String,
) -> Result<(), ApiError> {
    let (tenant, _) = secrets::split_tenant(RESET_PREFIX, token).ok_or_else(ApiError::not_found)?;
    let digest = secrets::digest(token);
    let now = chrono::Utc::now();
    let mut tx = TenantTx::begin(&state.db, tenant).await?;
    let user = {
        let mut scope = Scope::new(tx, Actor::system());
        let user = users::password_reset::reset_user(&mut scope, &digest, now).await?;
        tx = scope.into_parts().0;
        user
    };
    let owner = password::Owner::in_tenant(&mut tx, &user.email, &user.display_name).await?;
    tx.rollback().await?;
    password::check_policy(&new_password, &owner)
        .await
        .map_err(|e| ApiError::field("/password", e))?;
    let hash = password::hash(new_password)
        .await
        .map_err(ApiError::internal)?;
    let tx = TenantTx::begin(&state.db, tenant).await?;
    let mut scope = caller.scope(tx, user.id);
    users::password_reset::reset_password(&mut scope, &digest, &hash, now).await?;
    let (tx, _) = scope.into_parts();
    tx.commit().await?;
    Ok(())
}
