//! Users' iCal feeds (`migrations/…_calendar_feeds.sql`): the hash of each user's secret feed
//! token, when it was issued and last read.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// A user's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    pub user_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_read_at: Option<DateTime<Utc>>,
}

/// Issues `user`'s feed with the token hashed as `token_hash`, replacing the one they had.
#[tracing::instrument(skip(tx, token_hash))]
pub async fn issue(tx: &mut TenantTx, user: Uuid, token_hash: &[u8]) -> Result<Feed, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        Feed,
        "INSERT INTO calendar_feeds (tenant_id, user_id, token_hash) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, user_id) DO UPDATE
            SET token_hash = EXCLUDED.token_hash, created_at = now(), last_read_at = NULL
         RETURNING user_id, created_at, last_read_at",
        tenant,
        user,
        token_hash
    )
    .fetch_one(tx.conn())
    .await
}

/// `user`'s feed, if they have one.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, user: Uuid) -> Result<Option<Feed>, sqlx::Error> {
    sqlx::query_as!(
        Feed,
        "SELECT user_id, created_at, last_read_at FROM calendar_feeds WHERE user_id = $1",
        user
    )
    .fetch_optional(tx.conn())
    .await
}

/// Revokes `user`'s feed; false when they had none.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, user: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM calendar_feeds WHERE user_id = $1", user)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// The feed whose token hashes to `token_hash`, noted as read now.
#[tracing::instrument(skip(tx, token_hash))]
pub async fn read(tx: &mut TenantTx, token_hash: &[u8]) -> Result<Option<Feed>, sqlx::Error> {
    sqlx::query_as!(
        Feed,
        "UPDATE calendar_feeds SET last_read_at = now() WHERE token_hash = $1
         RETURNING user_id, created_at, last_read_at",
        token_hash
    )
    .fetch_optional(tx.conn())
    .await
}
