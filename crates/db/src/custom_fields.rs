//! Tenant-defined custom field definitions (the definition itself is a domain JSON value).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::TenantTx;

#[derive(Debug, Clone)]
pub struct DefinitionRow {
    pub key: String,
    pub definition: Value,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every definition of the tenant, by key.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<DefinitionRow>, sqlx::Error> {
    sqlx::query_as!(
        DefinitionRow,
        "SELECT key, definition, version, created_at, updated_at FROM custom_field_definitions ORDER BY key"
    )
    .fetch_all(tx.conn())
    .await
}

/// A definition by key.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, key: &str) -> Result<Option<DefinitionRow>, sqlx::Error> {
    sqlx::query_as!(
        DefinitionRow,
        "SELECT key, definition, version, created_at, updated_at FROM custom_field_definitions WHERE key = $1",
        key
    )
    .fetch_optional(tx.conn())
    .await
}

/// Adds a definition.
#[tracing::instrument(skip(tx, definition))]
pub async fn insert(
    tx: &mut TenantTx,
    key: &str,
    definition: &Value,
) -> Result<DefinitionRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        DefinitionRow,
        "INSERT INTO custom_field_definitions (tenant_id, key, definition) VALUES ($1, $2, $3)
         RETURNING key, definition, version, created_at, updated_at",
        tenant,
        key,
        definition
    )
    .fetch_one(tx.conn())
    .await
}

/// Replaces a definition; bumps its version.
#[tracing::instrument(skip(tx, definition))]
pub async fn update(
    tx: &mut TenantTx,
    key: &str,
    definition: &Value,
) -> Result<DefinitionRow, sqlx::Error> {
    sqlx::query_as!(
        DefinitionRow,
        "UPDATE custom_field_definitions SET definition = $2, version = version + 1, updated_at = now()
          WHERE key = $1 RETURNING key, definition, version, created_at, updated_at",
        key,
        definition
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a definition (values stored under its key stay in the clients).
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM custom_field_definitions WHERE key = $1", key)
        .execute(tx.conn())
        .await?;
    Ok(())
}
