//! The outbox of the platform's own mail to users (invitations, password resets). The text is
//! sealed with the tenant's data key by the caller and dropped once the mail is sent.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// A mail as stored.
#[derive(Debug, Clone)]
pub struct PlatformMailRow {
    pub id: Uuid,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body_cipher: Option<Vec<u8>>,
    pub status: String,
    pub attempts: i32,
    pub failure_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// Stores a mail to send.
#[tracing::instrument(skip(tx, subject, body_cipher))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    kind: &str,
    recipient: &str,
    subject: &str,
    body_cipher: &[u8],
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO platform_mails (tenant_id, id, kind, recipient, subject, body_cipher)
         VALUES ($1, $2, $3, $4, $5, $6)",
        tenant,
        id,
        kind,
        recipient,
        subject,
        body_cipher
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A mail, locked until the transaction ends.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<PlatformMailRow>, sqlx::Error> {
    sqlx::query_as!(
        PlatformMailRow,
        "SELECT id, kind, recipient, subject, body_cipher, status, attempts, failure_reason,
                created_at, sent_at
           FROM platform_mails WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The tenant's mails to `recipient`, newest first (tests and support look here).
#[tracing::instrument(skip(tx))]
pub async fn of_recipient(
    tx: &mut TenantTx,
    recipient: &str,
) -> Result<Vec<PlatformMailRow>, sqlx::Error> {
    sqlx::query_as!(
        PlatformMailRow,
        "SELECT id, kind, recipient, subject, body_cipher, status, attempts, failure_reason,
                created_at, sent_at
           FROM platform_mails WHERE recipient = $1 ORDER BY id DESC LIMIT 100",
        recipient
    )
    .fetch_all(tx.conn())
    .await
}

/// Counts an attempt.
#[tracing::instrument(skip(tx))]
pub async fn count_attempt(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE platform_mails SET attempts = attempts + 1 WHERE id = $1",
        id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Ends a mail: `sent` or `failed` (with why), its text dropped.
#[tracing::instrument(skip(tx))]
pub async fn finish(
    tx: &mut TenantTx,
    id: Uuid,
    status: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE platform_mails
            SET status = $2, failure_reason = $3, body_cipher = NULL,
                sent_at = CASE WHEN $2 = 'sent' THEN $4 ELSE sent_at END
          WHERE id = $1",
        id,
        status,
        reason,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
