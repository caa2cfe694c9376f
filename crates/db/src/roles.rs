//! Custom roles of a tenant (built-in roles live in code).

use chrono::{DateTime, Utc};

use crate::TenantTx;

#[derive(Debug, Clone)]
pub struct CustomRole {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every custom role of the tenant, by name.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<CustomRole>, sqlx::Error> {
    sqlx::query_as!(
        CustomRole,
        "SELECT name, description, permissions, version, created_at, updated_at
         FROM roles ORDER BY name"
    )
    .fetch_all(tx.conn())
    .await
}

/// A custom role by name.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, name: &str) -> Result<Option<CustomRole>, sqlx::Error> {
    sqlx::query_as!(
        CustomRole,
        "SELECT name, description, permissions, version, created_at, updated_at
         FROM roles WHERE name = $1",
        name
    )
    .fetch_optional(tx.conn())
    .await
}

/// Adds a custom role.
#[tracing::instrument(skip(tx))]
pub async fn insert(
    tx: &mut TenantTx,
    name: &str,
    description: &str,
    permissions: &[String],
) -> Result<CustomRole, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        CustomRole,
        "INSERT INTO roles (tenant_id, name, description, permissions) VALUES ($1, $2, $3, $4)
         RETURNING name, description, permissions, version, created_at, updated_at",
        tenant,
        name,
        description,
        permissions
    )
    .fetch_one(tx.conn())
    .await
}

/// Replaces a role's description and permissions; bumps its version.
#[tracing::instrument(skip(tx))]
pub async fn update(
    tx: &mut TenantTx,
    name: &str,
    description: &str,
    permissions: &[String],
) -> Result<CustomRole, sqlx::Error> {
    sqlx::query_as!(
        CustomRole,
        "UPDATE roles SET description = $2, permissions = $3, version = version + 1, updated_at = now()
         WHERE name = $1
         RETURNING name, description, permissions, version, created_at, updated_at",
        name,
        description,
        permissions
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a custom role and every assignment of it.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM user_roles WHERE role_name = $1", name)
        .execute(tx.conn())
        .await?;
    sqlx::query!("DELETE FROM roles WHERE name = $1", name)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The union of the permissions of the named custom roles.
#[tracing::instrument(skip(tx))]
pub async fn permissions_of(
    tx: &mut TenantTx,
    names: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT DISTINCT unnest(permissions) AS "p!" FROM roles WHERE name = ANY($1)"#,
        names
    )
    .fetch_all(tx.conn())
    .await
}
