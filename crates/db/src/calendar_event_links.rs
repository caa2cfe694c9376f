//! The links between activities and their copies in connected calendars, and the events a
//! sync set aside (migration `20261212000024_calendar_connections`).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// One activity's copy in one connected calendar.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub connection_id: Uuid,
    pub external_id: String,
    pub activity_id: Uuid,
    pub ical_uid: Option<String>,
    pub etag: Option<String>,
    pub activity_version: i32,
    pub synced_at: DateTime<Utc>,
    pub conflict: Option<String>,
}

/// An activity of the connection's user that the calendar does not show as it is now: never
/// copied (`external_id` None) or changed since.
#[derive(Debug, Clone)]
pub struct Unsynced {
    pub activity_id: Uuid,
    pub external_id: Option<String>,
    pub etag: Option<String>,
}

/// An event a sync could not read.
#[derive(Debug, Clone)]
pub struct SetAsideRow {
    pub external_id: String,
    pub error: String,
    pub seen_at: DateTime<Utc>,
}

/// The link of the connection's event `external_id`.
#[tracing::instrument(skip(tx))]
pub async fn by_external(
    tx: &mut TenantTx,
    connection: Uuid,
    external_id: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    sqlx::query_as!(
        LinkRow,
        "SELECT connection_id, external_id, activity_id, ical_uid, etag, activity_version,
                synced_at, conflict
           FROM calendar_event_links WHERE connection_id = $1 AND external_id = $2",
        connection,
        external_id
    )
    .fetch_optional(tx.conn())
    .await
}

/// The activity some calendar of the tenant already links to the iCalendar UID `uid` (one
/// meeting in several teammates' calendars).
#[tracing::instrument(skip(tx))]
pub async fn activity_of_uid(tx: &mut TenantTx, uid: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT activity_id FROM calendar_event_links WHERE ical_uid = $1 LIMIT 1",
        uid
    )
    .fetch_optional(tx.conn())
    .await
}

/// Writes the link of the connection's event `external_id` as the sync left it.
#[tracing::instrument(skip(tx, link))]
pub async fn save(tx: &mut TenantTx, link: &LinkRow) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO calendar_event_links (tenant_id, connection_id, external_id, activity_id,
                                           ical_uid, etag, activity_version, conflict)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (tenant_id, connection_id, external_id) DO UPDATE
            SET activity_id = EXCLUDED.activity_id, ical_uid = EXCLUDED.ical_uid,
                etag = EXCLUDED.etag, activity_version = EXCLUDED.activity_version,
                conflict = COALESCE(EXCLUDED.conflict, calendar_event_links.conflict),
                synced_at = now()",
        tenant,
        link.connection_id,
        link.external_id,
        link.activity_id,
        link.ical_uid,
        link.etag,
        link.activity_version,
        link.conflict
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The activities assigned to `user` still to come at `since` (or recurring on) that the
/// connection's calendar lacks or shows at an older version, at most `limit`.
#[tracing::instrument(skip(tx))]
pub async fn unsynced(
    tx: &mut TenantTx,
    connection: Uuid,
    user: Uuid,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Unsynced>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT a.id, l.external_id AS "external_id?", l.etag
             FROM activities a
             LEFT JOIN calendar_event_links l
               ON l.tenant_id = a.tenant_id AND l.activity_id = a.id AND l.connection_id = $1
            WHERE $2 = ANY (a.assignee_ids)
              AND (a.occurs_until IS NULL OR a.occurs_until >= $3)
              AND CASE WHEN l.external_id IS NULL THEN a.status = 'planned'
                       ELSE l.activity_version <> a.version END
            ORDER BY a.starts_at LIMIT $4"#,
        connection,
        user,
        since,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Unsynced {
            activity_id: r.id,
            external_id: r.external_id,
            etag: r.etag,
        })
        .collect())
}

/// The latest conflict a sync resolved on the activity, if any.
#[tracing::instrument(skip(tx))]
pub async fn conflict_of(tx: &mut TenantTx, activity: Uuid) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query_scalar!(
        "SELECT conflict FROM calendar_event_links
          WHERE activity_id = $1 AND conflict IS NOT NULL
          ORDER BY synced_at DESC LIMIT 1",
        activity
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.flatten())
}

/// Sets the connection's event `external_id` aside with `error` (once; the latest error wins).
#[tracing::instrument(skip(tx))]
pub async fn set_aside(
    tx: &mut TenantTx,
    connection: Uuid,
    external_id: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO calendar_events_set_aside (tenant_id, connection_id, external_id, error)
         VALUES ($1, $2, left($3, 1024), left($4, 1000))
         ON CONFLICT (tenant_id, connection_id, external_id) DO UPDATE
            SET error = EXCLUDED.error, seen_at = now()",
        tenant,
        connection,
        external_id,
        error
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The event was read well: it is no longer set aside.
#[tracing::instrument(skip(tx))]
pub async fn take_back(
    tx: &mut TenantTx,
    connection: Uuid,
    external_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM calendar_events_set_aside WHERE connection_id = $1 AND external_id = $2",
        connection,
        external_id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The connection's events set aside, the latest first, at most `limit`.
#[tracing::instrument(skip(tx))]
pub async fn set_aside_of(
    tx: &mut TenantTx,
    connection: Uuid,
    limit: i64,
) -> Result<Vec<SetAsideRow>, sqlx::Error> {
    sqlx::query_as!(
        SetAsideRow,
        "SELECT external_id, error, seen_at FROM calendar_events_set_aside
          WHERE connection_id = $1 ORDER BY seen_at DESC LIMIT $2",
        connection,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Removes the link of the connection's event `external_id`.
#[tracing::instrument(skip(tx))]
pub async fn remove(
    tx: &mut TenantTx,
    connection: Uuid,
    external_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM calendar_event_links WHERE connection_id = $1 AND external_id = $2",
        connection,
        external_id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// How many calendars still show the activity.
#[tracing::instrument(skip(tx))]
pub async fn count_of_activity(tx: &mut TenantTx, activity: Uuid) -> Result<i64, sqlx::Error> {
    let n = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM calendar_event_links WHERE activity_id = $1"#,
        activity
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(n)
}
