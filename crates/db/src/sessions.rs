//! Sign-in sessions and their rotating refresh tokens.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// Opens a sign-in session for a user.
#[tracing::instrument(skip(tx))]
pub async fn create(tx: &mut TenantTx, id: Uuid, user_id: Uuid) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO auth_sessions (tenant_id, id, user_id) VALUES ($1, $2, $3)",
        tenant,
        id,
        user_id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Ends a session; false when it had ended already.
#[tracing::instrument(skip(tx))]
pub async fn revoke(tx: &mut TenantTx, id: Uuid, reason: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE auth_sessions SET revoked_at = now(), revoke_reason = $2
         WHERE id = $1 AND revoked_at IS NULL",
        id,
        reason
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of a user (disabled, deleted).
#[tracing::instrument(skip(tx))]
pub async fn revoke_all_of_user(
    tx: &mut TenantTx,
    user_id: Uuid,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE auth_sessions SET revoked_at = now(), revoke_reason = $2
         WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
        reason
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Stores (the hash of) a new refresh token of a session.
#[tracing::instrument(skip_all)]
pub async fn insert_refresh_token(
    tx: &mut TenantTx,
    session_id: Uuid,
    token_hash: &[u8],
    expires_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO refresh_tokens (tenant_id, id, session_id, token_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
        tenant,
        Uuid::now_v7(),
        session_id,
        token_hash,
        expires_at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A refresh token as found by its hash, with its session.
#[derive(Debug)]
pub struct RefreshToken {
    pub id: Uuid,
    pub session_id: Uuid,
    pub user_id: Uuid,
    pub expires_at: DateTime<Utc>,
    pub used: bool,
    pub session_revoked: bool,
}

/// A refresh token by its hash, locked for the rotation that reads it.
#[tracing::instrument(skip_all)]
pub async fn find_refresh_token(
    tx: &mut TenantTx,
    token_hash: &[u8],
) -> Result<Option<RefreshToken>, sqlx::Error> {
    sqlx::query_as!(
        RefreshToken,
        r#"SELECT r.id, r.session_id, s.user_id, r.expires_at,
                  r.used_at IS NOT NULL AS "used!", s.revoked_at IS NOT NULL AS "session_revoked!"
           FROM refresh_tokens r JOIN auth_sessions s ON s.tenant_id = r.tenant_id AND s.id = r.session_id
           WHERE r.token_hash = $1
           FOR UPDATE OF r"#,
        token_hash
    )
    .fetch_optional(tx.conn())
    .await
}

/// Marks a refresh token used; false when another request used it first.
#[tracing::instrument(skip(tx))]
pub async fn use_refresh_token(tx: &mut TenantTx, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE refresh_tokens SET used_at = now() WHERE id = $1 AND used_at IS NULL",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}
