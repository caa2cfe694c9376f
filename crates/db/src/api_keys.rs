//! API keys for machine clients: stored as a hash, scoped to one role, revocable.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub role_name: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Stores a new key (only the hash of its secret).
#[tracing::instrument(skip(tx, secret_hash))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    role_name: &str,
    secret_hash: &[u8],
    created_by: Option<Uuid>,
) -> Result<ApiKey, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ApiKey,
        "INSERT INTO api_keys (tenant_id, id, name, role_name, secret_hash, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, name, role_name, created_by, created_at, last_used_at, revoked_at",
        tenant,
        id,
        name,
        role_name,
        secret_hash,
        created_by
    )
    .fetch_one(tx.conn())
    .await
}

/// One page of the tenant's keys by id, revoked ones included.
#[tracing::instrument(skip(tx))]
pub async fn list(
    tx: &mut TenantTx,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApiKey>, sqlx::Error> {
    sqlx::query_as!(
        ApiKey,
        "SELECT id, name, role_name, created_by, created_at, last_used_at, revoked_at
         FROM api_keys WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2",
        after,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// A key by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<ApiKey>, sqlx::Error> {
    sqlx::query_as!(
        ApiKey,
        "SELECT id, name, role_name, created_by, created_at, last_used_at, revoked_at
         FROM api_keys WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Revokes a key (a revoked key keeps its first revocation time); None when there is none.
#[tracing::instrument(skip(tx))]
pub async fn revoke(tx: &mut TenantTx, id: Uuid) -> Result<Option<ApiKey>, sqlx::Error> {
    sqlx::query_as!(
        ApiKey,
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
         RETURNING id, name, role_name, created_by, created_at, last_used_at, revoked_at",
        id
    )
    .fetch_optional(tx.conn())
    .await
}
