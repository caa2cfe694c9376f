//! The tenant registry (not tenant-owned: sign-in resolves a slug before a tenant is set).

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::TenantTx;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub time_zone: String,
    pub currency: String,
    pub locale: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewTenant<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
    pub locale: &'a str,
}

/// Inserts the tenant whose id the transaction is scoped to.
#[tracing::instrument(skip_all)]
pub async fn insert(tx: &mut TenantTx, new: &NewTenant<'_>) -> Result<Tenant, sqlx::Error> {
    let id = tx.tenant_id();
    sqlx::query_as!(
        Tenant,
        r#"INSERT INTO tenants (id, slug, name, time_zone, currency, locale)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING id, slug, name, status, time_zone, currency as "currency!", locale, created_at"#,
        id,
        new.slug,
        new.name,
        new.time_zone,
        new.currency,
        new.locale
    )
    .fetch_one(tx.conn())
    .await
}

/// A tenant by slug (before any tenant is set: sign-in).
#[tracing::instrument(skip(pool))]
pub async fn find_by_slug(pool: &PgPool, slug: &str) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as!(
        Tenant,
        r#"SELECT id, slug, name, status, time_zone, currency as "currency!", locale, created_at
           FROM tenants WHERE slug = $1"#,
        slug
    )
    .fetch_optional(pool)
    .await
}

/// Every tenant's id (platform jobs go through them one by one).
#[tracing::instrument(skip(pool))]
pub async fn list_ids(pool: &PgPool) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM tenants ORDER BY id")
        .fetch_all(pool)
        .await
}

/// Suspends or reactivates a tenant; returns false when there is no such tenant.
#[tracing::instrument(skip(pool))]
pub async fn set_status(pool: &PgPool, slug: &str, status: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE tenants SET status = $2, updated_at = now() WHERE slug = $1",
        slug,
        status
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The tenant of the transaction.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query_as!(
        Tenant,
        r#"SELECT id, slug, name, status, time_zone, currency as "currency!", locale, created_at
           FROM tenants WHERE id = $1"#,
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// What a tenant's administrators may change of it.
pub struct TenantSettings<'a> {
    pub name: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
    pub locale: &'a str,
}

/// Changes the settings of the transaction's tenant (never another: the id is the scope's).
#[tracing::instrument(skip_all)]
pub async fn update_settings(
    tx: &mut TenantTx,
    settings: &TenantSettings<'_>,
) -> Result<Tenant, sqlx::Error> {
    let id = tx.tenant_id();
    sqlx::query_as!(
        Tenant,
        r#"UPDATE tenants SET name = $2, time_zone = $3, currency = $4, locale = $5,
                  updated_at = now()
            WHERE id = $1
        RETURNING id, slug, name, status, time_zone, currency as "currency!", locale, created_at"#,
        id,
        settings.name,
        settings.time_zone,
        settings.currency,
        settings.locale
    )
    .fetch_one(tx.conn())
    .await
}
