//! The timeline: one append-only stream of what happened, per tenant. Every module writes its
//! events through `record`, in the same transaction as the change.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;
use crate::audit::Actor;

/// An event to record.
pub struct NewEvent<'a> {
    pub client_id: Option<Uuid>,
    /// Dotted, e.g. `client.created`.
    pub event_type: &'a str,
    pub description: String,
    /// Defaults to now; imports and integrations may backdate.
    pub event_date: Option<DateTime<Utc>>,
    pub entity_type: Option<&'a str>,
    pub entity_id: Option<String>,
    pub payload: Value,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Event {
    pub id: Uuid,
    pub client_id: Option<Uuid>,
    pub event_type: String,
    pub description: String,
    pub event_date: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub payload: Value,
}

/// Records one event, attributed to `actor`.
#[tracing::instrument(skip_all, fields(event_type = ev.event_type))]
pub async fn record(
    tx: &mut TenantTx,
    actor: &Actor,
    ev: NewEvent<'_>,
) -> Result<Uuid, sqlx::Error> {
    let tenant = tx.tenant_id();
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO timeline_events (tenant_id, id, client_id, event_type, description, event_date,
                                      actor_type, actor_id, entity_type, entity_id, payload)
         VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8, $9, $10, $11)",
        tenant,
        id,
        ev.client_id,
        ev.event_type,
        ev.description,
        ev.event_date,
        actor.kind,
        actor.id.map(|a| a.to_string()),
        ev.entity_type,
        ev.entity_id,
        ev.payload
    )
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Filters of a timeline listing.
#[derive(Debug, Default)]
pub struct Filter {
    pub client_id: Option<Uuid>,
    /// Exact types.
    pub types: Vec<String>,
    /// Type prefixes (from `ticket.*`), each ending in '.'.
    pub prefixes: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub actor_id: Option<String>,
    /// Keyset: events strictly older than this (event_date, id).
    pub before: Option<(DateTime<Utc>, Uuid)>,
    pub limit: i64,
}

/// Newest first by event date.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<Event>, sqlx::Error> {
    let (before_date, before_id) = f.before.unzip();
    let prefixes: Vec<String> = f.prefixes.iter().map(|p| format!("{p}%")).collect();
    sqlx::query_as!(
        Event,
        r#"SELECT id, client_id, event_type, description, event_date, actor_type, actor_id,
                  entity_type, entity_id, payload
             FROM timeline_events
            WHERE ($1::uuid IS NULL OR client_id = $1)
              AND (cardinality($2::text[]) + cardinality($3::text[]) = 0
                   OR event_type = ANY($2) OR event_type LIKE ANY($3))
              AND ($4::timestamptz IS NULL OR event_date >= $4)
              AND ($5::timestamptz IS NULL OR event_date < $5)
              AND ($6::text IS NULL OR actor_id = $6)
              AND ($7::timestamptz IS NULL OR (event_date, id) < ($7, $8::uuid))
            ORDER BY event_date DESC, id DESC
            LIMIT $9"#,
        f.client_id,
        &f.types,
        &prefixes,
        f.from,
        f.to,
        f.actor_id,
        before_date,
        before_id,
        f.limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Counts per period and type, for the temporal analysis chart.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Bucket {
    pub period: DateTime<Utc>,
    pub event_type: String,
    pub count: i64,
}

/// `bucket` is one of day, week, month (validated by the caller); periods in `time_zone`.
#[tracing::instrument(skip(tx))]
pub async fn stats(
    tx: &mut TenantTx,
    client_id: Option<Uuid>,
    bucket: &str,
    time_zone: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<Vec<Bucket>, sqlx::Error> {
    sqlx::query_as!(
        Bucket,
        r#"SELECT (date_trunc($2, event_date AT TIME ZONE $3) AT TIME ZONE $3) AS "period!",
                  event_type, count(*) AS "count!"
             FROM timeline_events
            WHERE ($1::uuid IS NULL OR client_id = $1)
              AND ($4::timestamptz IS NULL OR event_date >= $4)
              AND ($5::timestamptz IS NULL OR event_date < $5)
            GROUP BY 1, 2
            ORDER BY 1, 2"#,
        client_id,
        bucket,
        time_zone,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}
