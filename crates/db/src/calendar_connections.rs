//! Each user's connections to their external calendars and the authorizations they started
//! (migration `20261212000024_calendar_connections`). Tokens arrive sealed by the caller with
//! the tenant's data key; this module never sees them in the clear.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// A connection as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConnectionRow {
    pub id: Uuid,
    pub user_id: Uuid,
    pub provider: String,
    pub calendar_id: String,
    pub access_token_cipher: Vec<u8>,
    pub refresh_token_cipher: Option<Vec<u8>>,
    pub access_expires_at: Option<DateTime<Utc>>,
    pub tokens_issued_at: DateTime<Utc>,
    pub status: String,
    pub sync_cursor: Option<String>,
    pub channel_id: Option<String>,
    pub channel_resource_id: Option<String>,
    pub channel_expires_at: Option<DateTime<Utc>>,
    pub next_sync_at: DateTime<Utc>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub changes_in: i64,
    pub changes_out: i64,
    pub connected_at: DateTime<Utc>,
}

/// Tokens a provider gave, sealed.
#[derive(Debug, Clone)]
pub struct SealedTokens {
    pub access: Vec<u8>,
    /// `None` keeps the stored refresh token (a refresh that gave no new one).
    pub refresh: Option<Vec<u8>>,
    pub access_expires_at: Option<DateTime<Utc>>,
}

/// What one sync run ends with.
#[derive(Debug, Clone)]
pub struct RunEnd {
    /// The cursor the next run starts from (`None` on success: a full read next time).
    pub cursor: Option<String>,
    pub succeeded: bool,
    pub error: Option<String>,
    pub changes_in: i64,
    pub changes_out: i64,
    pub next_sync_at: DateTime<Utc>,
}

/// Starts an authorization of `user` with `provider` under the hash of its `state`, and drops
/// that user's expired ones.
#[tracing::instrument(skip(tx, verifier_cipher))]
pub async fn start_authorization(
    tx: &mut TenantTx,
    state_hash: &[u8],
    user: Uuid,
    provider: &str,
    verifier_cipher: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "DELETE FROM calendar_authorizations WHERE user_id = $1 AND expires_at < now()",
        user
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "INSERT INTO calendar_authorizations (tenant_id, state_hash, user_id, provider,
                                              verifier_cipher, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        state_hash,
        user,
        provider,
        verifier_cipher,
        expires_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Takes (deletes) `user`'s unexpired authorization with `provider` under `state_hash`, giving
/// its sealed verifier; `None` if there is none (unknown, expired, another user's, used).
#[tracing::instrument(skip(tx))]
pub async fn take_authorization(
    tx: &mut TenantTx,
    state_hash: &[u8],
    user: Uuid,
    provider: &str,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    let row = sqlx::query_scalar!(
        "DELETE FROM calendar_authorizations
          WHERE state_hash = $1 AND user_id = $2 AND provider = $3 AND expires_at > now()
         RETURNING verifier_cipher",
        state_hash,
        user,
        provider
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row)
}

/// Stores `user`'s connection with `provider` (replacing the tokens of an existing one, which
/// becomes active again and is synced next).
#[tracing::instrument(skip(tx, tokens))]
pub async fn connect(
    tx: &mut TenantTx,
    id: Uuid,
    user: Uuid,
    provider: &str,
    tokens: &SealedTokens,
) -> Result<ConnectionRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ConnectionRow,
        r#"INSERT INTO calendar_connections (tenant_id, id, user_id, provider, access_token_cipher,
                                            refresh_token_cipher, access_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tenant_id, user_id, provider) DO UPDATE
            SET access_token_cipher = EXCLUDED.access_token_cipher,
                refresh_token_cipher = COALESCE(EXCLUDED.refresh_token_cipher,
                                                calendar_connections.refresh_token_cipher),
                access_expires_at = EXCLUDED.access_expires_at, tokens_issued_at = now(),
                status = 'active', last_error = NULL, next_sync_at = now()
         RETURNING id, user_id, provider, calendar_id, access_token_cipher, refresh_token_cipher,
                   access_expires_at, tokens_issued_at, status, sync_cursor, channel_id,
                   channel_resource_id, channel_expires_at, next_sync_at, last_sync_at,
                   last_success_at, last_error, changes_in, changes_out, connected_at"#,
        tenant,
        id,
        user,
        provider,
        tokens.access,
        tokens.refresh,
        tokens.access_expires_at
    )
    .fetch_one(tx.conn())
    .await
}

/// `user`'s connections, by provider.
#[tracing::instrument(skip(tx))]
pub async fn of_user(tx: &mut TenantTx, user: Uuid) -> Result<Vec<ConnectionRow>, sqlx::Error> {
    sqlx::query_as!(
        ConnectionRow,
        "SELECT id, user_id, provider, calendar_id, access_token_cipher, refresh_token_cipher,
                access_expires_at, tokens_issued_at, status, sync_cursor, channel_id,
                channel_resource_id, channel_expires_at, next_sync_at, last_sync_at,
                last_success_at, last_error, changes_in, changes_out, connected_at
           FROM calendar_connections WHERE user_id = $1 ORDER BY provider",
        user
    )
    .fetch_all(tx.conn())
    .await
}

/// A connection by id, locked for its sync run; `None` also while another run holds it (a
/// second pass does not wait for the first).
#[tracing::instrument(skip(tx))]
pub async fn get_for_run(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<ConnectionRow>, sqlx::Error> {
    sqlx::query_as!(
        ConnectionRow,
        "SELECT id, user_id, provider, calendar_id, access_token_cipher, refresh_token_cipher,
                access_expires_at, tokens_issued_at, status, sync_cursor, channel_id,
                channel_resource_id, channel_expires_at, next_sync_at, last_sync_at,
                last_success_at, last_error, changes_in, changes_out, connected_at
           FROM calendar_connections WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Deletes `user`'s connection `id` (its links and set-aside events go with it), giving it as
/// it was; `None` if `user` has no such connection.
#[tracing::instrument(skip(tx))]
pub async fn disconnect(
    tx: &mut TenantTx,
    id: Uuid,
    user: Uuid,
) -> Result<Option<ConnectionRow>, sqlx::Error> {
    sqlx::query_as!(
        ConnectionRow,
        "DELETE FROM calendar_connections WHERE id = $1 AND user_id = $2
         RETURNING id, user_id, provider, calendar_id, access_token_cipher, refresh_token_cipher,
                   access_expires_at, tokens_issued_at, status, sync_cursor, channel_id,
                   channel_resource_id, channel_expires_at, next_sync_at, last_sync_at,
                   last_success_at, last_error, changes_in, changes_out, connected_at",
        id,
        user
    )
    .fetch_optional(tx.conn())
    .await
}

/// The active connections whose sync is due at `now`, the longest waiting first.
#[tracing::instrument(skip(tx))]
pub async fn due(
    tx: &mut TenantTx,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM calendar_connections
          WHERE status = 'active' AND next_sync_at <= $1
          ORDER BY next_sync_at LIMIT $2",
        now,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// New tokens from a refresh.
#[tracing::instrument(skip(tx, tokens))]
pub async fn set_tokens(
    tx: &mut TenantTx,
    id: Uuid,
    tokens: &SealedTokens,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE calendar_connections
            SET access_token_cipher = $2,
                refresh_token_cipher = COALESCE($3, refresh_token_cipher),
                access_expires_at = $4, tokens_issued_at = now()
          WHERE id = $1",
        id,
        tokens.access,
        tokens.refresh,
        tokens.access_expires_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The provider refused the refresh token: no sync until the user connects again.
#[tracing::instrument(skip(tx))]
pub async fn needs_reauthorization(
    tx: &mut TenantTx,
    id: Uuid,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE calendar_connections
            SET status = 'reauthorize', last_error = left($2, 1000), last_sync_at = now()
          WHERE id = $1",
        id,
        error
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records how a sync run ended.
#[tracing::instrument(skip(tx, end))]
pub async fn end_run(tx: &mut TenantTx, id: Uuid, end: &RunEnd) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE calendar_connections
            SET sync_cursor = CASE WHEN $3 THEN $2 ELSE sync_cursor END,
                last_sync_at = now(),
                last_success_at = CASE WHEN $3 THEN now() ELSE last_success_at END,
                last_error = left($4, 1000),
                changes_in = changes_in + $5, changes_out = changes_out + $6,
                next_sync_at = $7
          WHERE id = $1",
        id,
        end.cursor,
        end.succeeded,
        end.error,
        end.changes_in,
        end.changes_out,
        end.next_sync_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Keeps the push channel Google opened for connection `id`.
#[tracing::instrument(skip(tx))]
pub async fn set_channel(
    tx: &mut TenantTx,
    id: Uuid,
    channel_id: &str,
    resource_id: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE calendar_connections
            SET channel_id = $2, channel_resource_id = $3, channel_expires_at = $4
          WHERE id = $1",
        id,
        channel_id,
        resource_id,
        expires_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A push notice on channel `channel_id`: its connection is synced at the next pass. False if
/// no active connection has that channel.
#[tracing::instrument(skip(tx))]
pub async fn notice_on_channel(tx: &mut TenantTx, channel_id: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE calendar_connections SET next_sync_at = least(next_sync_at, now())
          WHERE channel_id = $1 AND status = 'active'",
        channel_id
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() > 0)
}
