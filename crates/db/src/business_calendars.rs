//! Business calendars of the support team: a name and the calendar itself (time zone, weekly
//! hours, holidays) as the JSON of `domain::tickets::BusinessCalendar`, validated by the caller.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

/// A business calendar as stored.
#[derive(Debug, Clone)]
pub struct CalendarRow {
    pub id: Uuid,
    pub name: String,
    pub calendar: Value,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Stores a new calendar.
#[tracing::instrument(skip(tx, calendar))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    calendar: &Value,
) -> Result<CalendarRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        CalendarRow,
        "INSERT INTO business_calendars (tenant_id, id, name, calendar) VALUES ($1, $2, $3, $4)
         RETURNING id, name, calendar, version, created_at, updated_at",
        tenant,
        id,
        name,
        calendar
    )
    .fetch_one(tx.conn())
    .await
}

/// A calendar by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<CalendarRow>, sqlx::Error> {
    sqlx::query_as!(
        CalendarRow,
        "SELECT id, name, calendar, version, created_at, updated_at
           FROM business_calendars WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// A calendar by id, locked until the transaction ends (a change reads, then writes it).
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<CalendarRow>, sqlx::Error> {
    sqlx::query_as!(
        CalendarRow,
        "SELECT id, name, calendar, version, created_at, updated_at
           FROM business_calendars WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The calendars with these ids (those that exist).
#[tracing::instrument(skip(tx))]
pub async fn get_many(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<CalendarRow>, sqlx::Error> {
    sqlx::query_as!(
        CalendarRow,
        "SELECT id, name, calendar, version, created_at, updated_at
           FROM business_calendars WHERE id = ANY($1)",
        ids
    )
    .fetch_all(tx.conn())
    .await
}

/// Every calendar of the tenant, by name (a tenant has a handful).
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx) -> Result<Vec<CalendarRow>, sqlx::Error> {
    sqlx::query_as!(
        CalendarRow,
        "SELECT id, name, calendar, version, created_at, updated_at
           FROM business_calendars ORDER BY lower(name), id"
    )
    .fetch_all(tx.conn())
    .await
}

/// Replaces a calendar's name and calendar.
#[tracing::instrument(skip(tx, calendar))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    name: &str,
    calendar: &Value,
) -> Result<CalendarRow, sqlx::Error> {
    sqlx::query_as!(
        CalendarRow,
        "UPDATE business_calendars
            SET name = $2, calendar = $3, version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, name, calendar, version, created_at, updated_at",
        id,
        name,
        calendar
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes a calendar; a category still using it makes this fail on the foreign key
/// `ticket_categories_tenant_id_calendar_id_fkey`.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM business_calendars WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}
