//! The calendar's activities: one row per activity, a recurring one included (its occurrences
//! are expanded by the service from `recurrence`). A window is found through `occurs_until`,
//! the end of the last occurrence (migration `20261210000020_activities`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// An activity as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub notes: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    pub time_zone: String,
    pub location: Option<String>,
    pub video_url: Option<String>,
    pub assignee_ids: Vec<Uuid>,
    pub status: String,
    pub outcome: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub recurrence: Option<String>,
    pub exceptions: Vec<DateTime<Utc>>,
    pub occurs_until: Option<DateTime<Utc>>,
    pub reminder_minutes: Option<Vec<i32>>,
    pub next_reminder_at: Option<DateTime<Utc>>,
    pub created_by: Option<Uuid>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns a new or changed activity writes, validated by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityData {
    pub contact_id: Option<Uuid>,
    pub opportunity_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub kind: String,
    pub title: String,
    pub notes: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub all_day: bool,
    pub time_zone: String,
    pub location: Option<String>,
    pub video_url: Option<String>,
    pub assignee_ids: Vec<Uuid>,
    pub status: String,
    pub outcome: Option<String>,
    pub completed_at: Option<DateTime<Utc>>,
    pub recurrence: Option<String>,
    pub exceptions: Vec<DateTime<Utc>>,
    pub occurs_until: Option<DateTime<Utc>>,
    /// Minutes before each start; `None`: each assignee's default.
    pub reminder_minutes: Option<Vec<i32>>,
}

/// What a window of the calendar asks for.
#[derive(Debug, Clone, Default)]
pub struct WindowFilter {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub assignee_id: Option<Uuid>,
    pub client_id: Option<Uuid>,
    pub status: Option<String>,
}

/// Stores a new activity for a client, its next reminder due at `next_reminder_at`.
#[tracing::instrument(skip(tx, d))]
pub async fn insert(
    tx: &mut TenantTx,
    id: Uuid,
    client_id: Uuid,
    created_by: Option<Uuid>,
    d: &ActivityData,
    next_reminder_at: Option<DateTime<Utc>>,
) -> Result<ActivityRow, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        ActivityRow,
        "INSERT INTO activities (tenant_id, id, client_id, contact_id, opportunity_id, ticket_id,
                                 kind, title, notes, starts_at, ends_at, all_day, time_zone,
                                 location, video_url, assignee_ids, status, outcome,
                                 completed_at, recurrence, exceptions, occurs_until, created_by,
                                 reminder_minutes, next_reminder_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $23, $24, $25)
         RETURNING id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                   starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids,
                   status, outcome, completed_at, recurrence, exceptions, occurs_until,
                   reminder_minutes, next_reminder_at, created_by, version, created_at,
                   updated_at",
        tenant,
        id,
        client_id,
        d.contact_id,
        d.opportunity_id,
        d.ticket_id,
        d.kind,
        d.title,
        d.notes,
        d.starts_at,
        d.ends_at,
        d.all_day,
        d.time_zone,
        d.location,
        d.video_url,
        &d.assignee_ids,
        d.status,
        d.outcome,
        d.completed_at,
        d.recurrence,
        &d.exceptions,
        d.occurs_until,
        created_by,
        d.reminder_minutes.as_deref(),
        next_reminder_at
    )
    .fetch_one(tx.conn())
    .await
}

/// An activity by id.
#[tracing::instrument(skip(tx))]
pub async fn get(tx: &mut TenantTx, id: Uuid) -> Result<Option<ActivityRow>, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "SELECT id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids,
                status, outcome, completed_at, recurrence, exceptions, occurs_until,
                reminder_minutes, next_reminder_at, created_by, version, created_at, updated_at
           FROM activities WHERE id = $1",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// An activity by id, locked until the transaction ends.
#[tracing::instrument(skip(tx))]
pub async fn get_for_update(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<ActivityRow>, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "SELECT id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids,
                status, outcome, completed_at, recurrence, exceptions, occurs_until,
                reminder_minutes, next_reminder_at, created_by, version, created_at, updated_at
           FROM activities WHERE id = $1 FOR NO KEY UPDATE",
        id
    )
    .fetch_optional(tx.conn())
    .await
}

/// Changes an activity (its next reminder now due at `next_reminder_at`) and bumps its version.
#[tracing::instrument(skip(tx, d))]
pub async fn update(
    tx: &mut TenantTx,
    id: Uuid,
    d: &ActivityData,
    next_reminder_at: Option<DateTime<Utc>>,
) -> Result<ActivityRow, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "UPDATE activities
            SET contact_id = $2, opportunity_id = $3, ticket_id = $4, kind = $5, title = $6,
                notes = $7, starts_at = $8, ends_at = $9, all_day = $10, time_zone = $11,
                location = $12, video_url = $13, assignee_ids = $14, status = $15,
                outcome = $16, completed_at = $17, recurrence = $18, exceptions = $19,
                occurs_until = $20, reminder_minutes = $21, next_reminder_at = $22,
                version = version + 1, updated_at = now()
          WHERE id = $1
         RETURNING id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                   starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids,
                   status, outcome, completed_at, recurrence, exceptions, occurs_until,
                   reminder_minutes, next_reminder_at, created_by, version, created_at,
                   updated_at",
        id,
        d.contact_id,
        d.opportunity_id,
        d.ticket_id,
        d.kind,
        d.title,
        d.notes,
        d.starts_at,
        d.ends_at,
        d.all_day,
        d.time_zone,
        d.location,
        d.video_url,
        &d.assignee_ids,
        d.status,
        d.outcome,
        d.completed_at,
        d.recurrence,
        &d.exceptions,
        d.occurs_until,
        d.reminder_minutes.as_deref(),
        next_reminder_at
    )
    .fetch_one(tx.conn())
    .await
}

/// Deletes an activity.
#[tracing::instrument(skip(tx))]
pub async fn delete(tx: &mut TenantTx, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM activities WHERE id = $1", id)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The activities with an occurrence that may meet the window (their span from the first
/// start to the last end meets it), earliest first, at most `limit`. The ids come from
/// `activity_ids_in_window` (`…000022_calendar_window`: the span and assignee indexes cannot
/// serve a query under the row policy), the rows from the table under it.
#[tracing::instrument(skip(tx))]
pub async fn in_window(
    tx: &mut TenantTx,
    f: &WindowFilter,
    limit: i64,
) -> Result<Vec<ActivityRow>, sqlx::Error> {
    sqlx::query_as!(
        ActivityRow,
        "SELECT id, client_id, contact_id, opportunity_id, ticket_id, kind, title, notes,
                starts_at, ends_at, all_day, time_zone, location, video_url, assignee_ids, status,
                outcome, completed_at, recurrence, exceptions, occurs_until, reminder_minutes,
                next_reminder_at, created_by, version, created_at, updated_at
           FROM activities
          WHERE id = ANY(ARRAY(SELECT activity_ids_in_window($1, $2, $3, $4, $5, $6)))
          ORDER BY starts_at, id",
        f.from,
        f.to,
        f.assignee_id,
        f.client_id,
        f.status,
        limit
    )
    .fetch_all(tx.conn())
    .await
}
