//! Idempotency keys of POSTs, kept 24 hours.
//!
//! A key's outcome is written in the same transaction as the request's own changes, so they
//! commit or roll back together: a crash at any point leaves either both or neither.
//! While a request with a key runs, its transaction holds an advisory lock on the key, so a
//! concurrent duplicate is told at once that the first is still running.

use serde_json::Value;

use crate::TenantTx;

/// The stored outcome of a key, as found by `find`.
#[derive(Debug)]
pub struct Stored {
    pub request_hash: Vec<u8>,
    pub status: i16,
    pub headers: Value,
    pub body: Vec<u8>,
}

/// Takes the key's lock for the rest of the transaction; false when another running
/// request (a concurrent duplicate) holds it.
#[tracing::instrument(skip(tx))]
pub async fn lock(tx: &mut TenantTx, principal: &str, key: &str) -> Result<bool, sqlx::Error> {
    let lock_name = format!("idempotency:{}:{principal}:{key}", tx.tenant_id());
    let locked = sqlx::query_scalar!(
        r#"SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS "locked!""#,
        lock_name
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(locked)
}

/// The outcome stored for this key in the last 24 hours, if any.
#[tracing::instrument(skip(tx))]
pub async fn find(
    tx: &mut TenantTx,
    principal: &str,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT request_hash, response_status, response_headers, response_body
           FROM idempotency_keys
          WHERE principal = $1 AND key = $2 AND state = 'done'
            AND created_at >= now() - interval '24 hours'",
        principal,
        key
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| Stored {
        request_hash: r.request_hash,
        status: r.response_status.unwrap_or(200),
        headers: r.response_headers.unwrap_or(Value::Null),
        body: r.response_body.unwrap_or_default(),
    }))
}

/// The answer given to a key, to be replayed.
#[derive(Debug)]
pub struct Outcome<'a> {
    pub request_hash: &'a [u8],
    pub status: i16,
    pub headers: Value,
    pub body: &'a [u8],
}

/// Stores the key's outcome in the request's own transaction (replacing an expired one).
#[tracing::instrument(skip(tx, outcome))]
pub async fn store(
    tx: &mut TenantTx,
    principal: &str,
    key: &str,
    outcome: Outcome<'_>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO idempotency_keys (tenant_id, principal, key, request_hash, state,
                                       response_status, response_headers, response_body)
         VALUES ($1, $2, $3, $4, 'done', $5, $6, $7)
         ON CONFLICT (tenant_id, principal, key) DO UPDATE
            SET request_hash = excluded.request_hash, state = 'done', created_at = now(),
                response_status = excluded.response_status,
                response_headers = excluded.response_headers,
                response_body = excluded.response_body",
        tenant,
        principal,
        key,
        outcome.request_hash,
        outcome.status,
        outcome.headers,
        outcome.body
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
