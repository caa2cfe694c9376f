//! Ticket categories: a name, the business calendar the SLA is measured on (none: 24/7), the
//! SLA policy as the JSON of `domain::tickets::SlaPolicy`, a default priority, and the
//! escalation policy (the warning share, the team lead).

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

/// A category as stored.
#[derive(Debug, Clone)]
pub struct CategoryRow {
    pub id: Uuid,
    pub name: String,
    pub calendar_id: Option<Uuid>,
    pub sla: Value,
    pub default_priority: Option<String>,
    pub warn_at_percent: i32,
    pub team_lead_id: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every writable column of a category, validated by the caller.
#[derive(Debug, Clone)]
pub struct CategoryData {
    pub name: String,
    pub calendar_id: Option<Uuid>,
    pub sla: Value,
    pub default_priority: Option<String>,
    pub warn_at_percent: i32,
    pub team_lead_id: Option<Uuid>,
}

/// Stores a new category; a name taken (ignoring case) fails on `ticket_categories_name`.
#[tracing::instrument(skip(tx, d))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    d: &CategoryData,
) -> Result<CategoryRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        CategoryRow,
        "INSERT INTO ticket_categories (tenant_id, id, name, calendar_id, sla, default_priority,
                                        warn_at_percent, team_lead_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, name, calendar_id, sla, default_priority, warn_at_percent, team_lead_id,
                   version, created_at, updated_at",
        tenant,
        id,
        d.name,
        d.calendar_id,
        d.sla,
        d.default_priority,
        d.warn_at_percent,
        d.team_lead_id
    )
    .fetch_one(tx.conn())
    .await
}

/// A category by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<CategoryRow>, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, calendar_id, sla, default_priority, warn_at_percent, team_lead_id,
                version, created_at, updated_at
           FROM ticket_categories WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A category by id, locked until the transaction ends (a change reads, then writes it).
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<CategoryRow>, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, calendar_id, sla, default_priority, warn_at_percent, team_lead_id,
                version, created_at, updated_at
           FROM ticket_categories WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The categories with these ids (those that exist).
#[tracing::instrument(skip(tx))]
pub async fn get_many(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, calendar_id, sla, default_priority, warn_at_percent, team_lead_id,
                version, created_at, updated_at
           FROM ticket_categories WHERE id = ANY($1)",
        ids
    )
    .fetch_all(tx.conn())
    .await
}

/// Every category of the tenant, by name (a tenant has a handful).
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT id, name, calendar_id, sla, default_priority, warn_at_percent, team_lead_id,
                version, created_at, updated_at
           FROM ticket_categories ORDER BY lower(name), id"
    )
    .fetch_all(tx.conn())
    .await
}

/// Replaces every writable column of a category; a name taken fails as [`insert`] does.
#[tracing::instrument(skip(tx, d))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    d: &CategoryData,
) -> Result<CategoryRow, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "UPDATE ticket_categories
            SET name = $2, calendar_id = $3, sla = $4, default_priority = $5, warn_at_percent = $6,
                team_lead_id = $7, version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, name, calendar_id, sla, default_priority, warn_at_percent, team_lead_id,
                   version, created_at, updated_at",
        id,
        d.name,
        d.calendar_id,
        d.sla,
        d.default_priority,
        d.warn_at_percent,
        d.team_lead_id
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a category; a ticket still in it makes this fail on the foreign key
/// `tickets_tenant_id_category_id_fkey`.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM ticket_categories WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
