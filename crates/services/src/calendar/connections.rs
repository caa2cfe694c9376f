//! Each user's connections to their own external calendars: starting the OAuth 2.0
//! authorization (a `state` tied to the user and a PKCE verifier, both kept ten minutes),
//! finishing it with the code the provider sent back (the tokens sealed with the tenant's data
//! key), reading them with their sync health, and disconnecting (the tokens deleted, then
//! revoked at the provider where it can). A connection is its user's alone: nobody else in the
//! tenant reads or removes it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use db::calendar_connections::{self as store, ConnectionRow, SealedTokens};
use db::crypto::TenantCipher;
use domain::EventType;
use integrations::oauth::{self, OAuthClient, OAuthError, Tokens};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::providers::{CalendarProviders, ProviderKind, Registration};
use crate::clock::now;
use crate::record::Change;
use crate::{Error, Result, Scope};

/// How long a started authorization waits for the user to come back.
pub const AUTHORIZATION_MINUTES: i64 = 10;
/// Events set aside shown per connection.
pub const SET_ASIDE_SHOWN: i64 = 20;

/// The body of a connection's start: which provider.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionStart {
    /// `google` or `microsoft`.
    #[cfg_attr(feature = "openapi", schema(pattern = "^(google|microsoft)$"))]
    pub provider: String,
}

/// An authorization started: where to send the user.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuthorizationOut {
    pub provider: String,
    /// The provider's page asking the user to let the CRM use their calendar.
    pub authorize_url: String,
    pub expires_at: DateTime<Utc>,
}

/// An event a sync could not read, with why.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetAsideOut {
    pub external_id: String,
    pub error: String,
    pub seen_at: DateTime<Utc>,
}

/// A connected calendar and its sync health.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionOut {
    pub id: Uuid,
    pub provider: String,
    /// `active`, or `reauthorize` when the provider no longer accepts the connection.
    pub status: String,
    pub calendar_id: String,
    pub connected_at: DateTime<Utc>,
    /// When the provider last gave tokens (the age of the connection's authorization).
    pub tokens_issued_at: DateTime<Utc>,
    pub access_expires_at: Option<DateTime<Utc>>,
    /// When the push channel (Google) or subscription (Outlook) expires.
    pub channel_expires_at: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub next_sync_at: DateTime<Utc>,
    /// Changes brought in from the calendar and sent to it since connecting.
    pub changes_in: i64,
    pub changes_out: i64,
    /// The latest events set aside (at most 20).
    pub set_aside: Vec<SetAsideOut>,
}

/// A connection removed.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisconnectedOut {
    pub provider: String,
    /// Whether the provider confirmed the revocation (false: it has no revocation endpoint or
    /// did not answer; the tokens are deleted here all the same).
    pub revoked: bool,
}

fn me(scope: &Scope) -> Result<Uuid> {
    scope.user_id().ok_or_else(|| {
        Error::Forbidden("an API key has no calendar connections; sign in as a user".into())
    })
}

/// The provider named, registered on this platform.
pub fn registered<'a>(
    providers: &'a CalendarProviders,
    name: &str,
) -> Result<(ProviderKind, &'a Registration)> {
    let kind = ProviderKind::parse(name)
        .ok_or_else(|| Error::field("/provider", "must be one of: google, microsoft"))?;
    let reg = providers.get(kind).ok_or_else(|| {
        Error::conflict(
            "calendar-provider-not-configured",
            format!("this platform is not registered with {name}"),
        )
    })?;
    Ok((kind, reg))
}

fn state_hash(state: &str) -> Vec<u8> {
    Sha256::digest(state.as_bytes()).to_vec()
}

/// Starts the signed-in user's authorization with `provider`; the user comes back to
/// `redirect_uri` with a code and the state.
pub async fn start(
    scope: &mut Scope,
    cipher: &TenantCipher,
    providers: &CalendarProviders,
    start: &ConnectionStart,
    redirect_uri: &str,
) -> Result<AuthorizationOut> {
    let user = me(scope)?;
    let (kind, reg) = registered(providers, &start.provider)?;
    let mut random = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut random);
    let state = URL_SAFE_NO_PAD.encode(random);
    rand::rngs::OsRng.fill_bytes(&mut random);
    let (verifier, challenge) = oauth::pkce_pair(&random);
    let expires_at = now() + Duration::minutes(AUTHORIZATION_MINUTES);
    let sealed = cipher.encrypt(&verifier);
    store::start_authorization(
        &mut scope.tx,
        &state_hash(&state),
        user,
        kind.as_str(),
        &sealed,
        expires_at,
    )
    .await?;
    let authorize_url = oauth::authorize_url(
        &reg.oauth,
        &reg.credentials(redirect_uri),
        &state,
        &challenge,
    )
    .map_err(|e| Error::conflict("calendar-provider-not-configured", e.to_string()))?;
    Ok(AuthorizationOut {
        provider: kind.as_str().into(),
        authorize_url,
        expires_at,
    })
}

/// Finishes the signed-in user's authorization: the provider's `code` exchanged (with the
/// verifier of the authorization `state` names) for tokens, stored sealed.
#[allow(clippy::too_many_arguments)]
pub async fn finish(
    scope: &mut Scope,
    cipher: &TenantCipher,
    providers: &CalendarProviders,
    client: &OAuthClient,
    provider: &str,
    code: &str,
    state: &str,
    redirect_uri: &str,
) -> Result<ConnectionOut> {
    let user = me(scope)?;
    let (kind, reg) = registered(providers, provider)?;
    let sealed = store::take_authorization(&mut scope.tx, &state_hash(state), user, kind.as_str())
        .await?
        .ok_or_else(|| {
            Error::conflict(
                "calendar-authorization-expired",
                "this authorization is unknown, used or expired: connect again",
            )
        })?;
    let verifier = cipher.decrypt(&sealed)?;
    let tokens = client
        .exchange(&reg.oauth, &reg.credentials(redirect_uri), code, &verifier)
        .await
        .map_err(refused_by_provider)?;
    let row = store::connect(
        &mut scope.tx,
        Uuid::now_v7(),
        user,
        kind.as_str(),
        &seal(cipher, &tokens),
    )
    .await?;
    scope
        .record(
            Change::of(EventType::CalendarConnected, "calendar_connection", row.id)
                .after(json!({ "provider": row.provider })),
        )
        .await?;
    Ok(out(row, Vec::new()))
}

/// Seals tokens a provider gave.
pub fn seal(cipher: &TenantCipher, tokens: &Tokens) -> SealedTokens {
    SealedTokens {
        access: cipher.encrypt(&tokens.access_token),
        refresh: tokens.refresh_token.as_deref().map(|t| cipher.encrypt(t)),
        access_expires_at: tokens
            .expires_in
            .map(|s| now() + Duration::seconds(s.clamp(0, 366 * 86_400))),
    }
}

fn refused_by_provider(e: OAuthError) -> Error {
    Error::conflict("calendar-provider-refused", e.to_string())
}

/// The signed-in user's connections with their sync health.
pub async fn list(scope: &mut Scope) -> Result<Vec<ConnectionOut>> {
    let user = me(scope)?;
    let mut out_rows = Vec::new();
    for row in store::of_user(&mut scope.tx, user).await? {
        let set_aside =
            db::calendar_event_links::set_aside_of(&mut scope.tx, row.id, SET_ASIDE_SHOWN).await?;
        out_rows.push(out(row, set_aside));
    }
    Ok(out_rows)
}

/// Removes the signed-in user's connection `id`: its tokens, links and set-aside events are
/// deleted, then its token revoked at the provider where it can be.
pub async fn disconnect(
    scope: &mut Scope,
    cipher: &TenantCipher,
    providers: &CalendarProviders,
    client: &OAuthClient,
    id: Uuid,
) -> Result<DisconnectedOut> {
    let user = me(scope)?;
    let row = store::disconnect(&mut scope.tx, id, user)
        .await?
        .ok_or(Error::NotFound)?;
    scope
        .record(
            Change::of(
                EventType::CalendarDisconnected,
                "calendar_connection",
                row.id,
            )
            .before(json!({ "provider": row.provider })),
        )
        .await?;
    let reg = ProviderKind::parse(&row.provider).and_then(|k| providers.get(k));
    let revoked = match reg {
        Some(reg) if reg.oauth.revoke_url.is_some() => {
            // Revoking the refresh token ends the whole grant (RFC 7009 §2.1).
            let sealed = row
                .refresh_token_cipher
                .as_deref()
                .unwrap_or(&row.access_token_cipher);
            let token = cipher.decrypt(sealed)?;
            client
                .revoke(&reg.oauth, &reg.credentials(""), &token)
                .await
                .is_ok()
        }
        _ => false,
    };
    Ok(DisconnectedOut {
        provider: row.provider,
        revoked,
    })
}

fn out(row: ConnectionRow, set_aside: Vec<db::calendar_event_links::SetAsideRow>) -> ConnectionOut {
    ConnectionOut {
        id: row.id,
        provider: row.provider,
        status: row.status,
        calendar_id: row.calendar_id,
        connected_at: row.connected_at,
        tokens_issued_at: row.tokens_issued_at,
        access_expires_at: row.access_expires_at,
        channel_expires_at: row.channel_expires_at,
        last_sync_at: row.last_sync_at,
        last_success_at: row.last_success_at,
        last_error: row.last_error,
        next_sync_at: row.next_sync_at,
        changes_in: row.changes_in,
        changes_out: row.changes_out,
        set_aside: set_aside
            .into_iter()
            .map(|s| SetAsideOut {
                external_id: s.external_id,
                error: s.error,
                seen_at: s.seen_at,
            })
            .collect(),
    }
}
