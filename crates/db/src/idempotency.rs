//! Idempotency keys of creating POSTs, kept 24 hours.

use serde_json::Value;

use crate::TenantTx;

/// What a claim on a key found.
#[derive(Debug)]
pub enum Claim {
    /// The key is ours: run the request, then `complete` or `release`.
    Fresh,
    /// Another request with this key is still running.
    InProgress,
    /// The key was used with a different request body.
    Mismatch,
    /// The first response, to replay.
    Done {
        status: i16,
        headers: Value,
        body: Vec<u8>,
    },
}

/// Claims a key (to be committed at once, so concurrent requests see it). A claim older than
/// 24 hours, or one left in progress for 5 minutes by a crashed request, is taken over.
#[tracing::instrument(skip(tx, request_hash))]
pub async fn claim(
    tx: &mut TenantTx,
    principal: &str,
    key: &str,
    request_hash: &[u8],
) -> Result<Claim, sqlx::Error> {
    let tenant = tx.tenant_id();
    let fresh = sqlx::query_scalar!(
        "INSERT INTO idempotency_keys (tenant_id, principal, key, request_hash, state)
         VALUES ($1, $2, $3, $4, 'in_progress')
         ON CONFLICT (tenant_id, principal, key) DO UPDATE
            SET request_hash = excluded.request_hash, state = 'in_progress', created_at = now(),
                response_status = NULL, response_headers = NULL, response_body = NULL
          WHERE idempotency_keys.created_at < now() - interval '24 hours'
             OR (idempotency_keys.state = 'in_progress'
                 AND idempotency_keys.created_at < now() - interval '5 minutes')
         RETURNING 1",
        tenant,
        principal,
        key,
        request_hash
    )
    .fetch_optional(tx.conn())
    .await?;
    if fresh.is_some() {
        return Ok(Claim::Fresh);
    }
    let row = sqlx::query!(
        "SELECT request_hash, state, response_status, response_headers, response_body
           FROM idempotency_keys WHERE principal = $1 AND key = $2",
        principal,
        key
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(if row.request_hash != request_hash {
        Claim::Mismatch
    } else if row.state == "in_progress" {
        Claim::InProgress
    } else {
        Claim::Done {
            status: row.response_status.unwrap_or(200),
            headers: row.response_headers.unwrap_or(Value::Null),
            body: row.response_body.unwrap_or_default(),
        }
    })
}

#[tracing::instrument(skip(tx, headers, body))]
pub async fn complete(
    tx: &mut TenantTx,
    principal: &str,
    key: &str,
    status: i16,
    headers: Value,
    body: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys
            SET state = 'done', response_status = $3, response_headers = $4, response_body = $5
          WHERE principal = $1 AND key = $2",
        principal,
        key,
        status,
        headers,
        body
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Gives a key back (the request failed on our side), so the client may retry with it.
#[tracing::instrument(skip(tx))]
pub async fn release(tx: &mut TenantTx, principal: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND state = 'in_progress'",
        principal,
        key
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Deletes this tenant's keys older than 24 hours; returns how many.
#[tracing::instrument(skip(tx))]
pub async fn purge_expired(tx: &mut TenantTx) -> Result<u64, sqlx::Error> {
    let done =
        sqlx::query!("DELETE FROM idempotency_keys WHERE created_at < now() - interval '24 hours'")
            .execute(tx.conn())
            .await?;
    Ok(done.rows_affected())
}
