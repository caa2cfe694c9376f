//! The timeline: one append-only stream of what happened, per tenant. Every module writes its
//! events through `record`, in the same transaction as the change.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{Postgres, QueryBuilder};
use uuid::Uuid;

use crate::TenantTx;
use crate::audit::Actor;

/// An event to record.
pub struct NewEvent<'a> {
    pub client_id: Option<Uuid>,
    pub event_type: domain::EventType,
    pub description: String,
    /// Defaults to now; imports and integrations may backdate.
    pub event_date: Option<DateTime<Utc>>,
    pub entity_type: Option<&'a str>,
    pub entity_id: Option<String>,
    pub payload: Value,
}

#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
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

/// Records one event, attributed to `actor`. An event that counts as contact with the client
/// (see [`domain::EventType::counts_as_contact`]) dated up to now also moves the client's
/// `last_contact_at` forward, in the same statement. (The triggers on `clients` find nothing to
/// do for that column: no count, e-mail or word moves, and the counters' commit-time flush is
/// not even queued, `20261130000009_client_counts_at_commit.sql`.)
#[tracing::instrument(skip_all, fields(event_type = ev.event_type.name()))]
pub async fn record(
    tx: &mut TenantTx,
    actor: &Actor,
    ev: NewEvent<'_>,
) -> Result<Uuid, sqlx::Error> {
    let tenant = tx.tenant_id();
    let id = Uuid::now_v7();
    let interaction = ev.event_type.counts_as_contact();
    sqlx::query!(
        "WITH ev AS (
            INSERT INTO timeline_events (tenant_id, id, client_id, event_type, description, event_date,
                                         actor_type, actor_id, entity_type, entity_id, payload)
            VALUES ($1, $2, $3, $4, $5, coalesce($6, now()), $7, $8, $9, $10, $11)
            RETURNING client_id, event_date)
         UPDATE clients c SET last_contact_at = ev.event_date
           FROM ev
          WHERE $12 AND c.id = ev.client_id AND ev.event_date <= clock_timestamp()
            AND (c.last_contact_at IS NULL OR c.last_contact_at < ev.event_date)",
        tenant,
        id,
        ev.client_id,
        ev.event_type.name(),
        ev.description,
        ev.event_date,
        actor.kind,
        actor.id.map(|a| a.to_string()),
        ev.entity_type,
        ev.entity_id,
        ev.payload,
        interaction
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

/// Newest first by event date. Only the filters given become SQL, so a cached generic plan
/// is the plan of exactly those filters (a catch-all `$1 IS NULL OR ...` plan would walk the
/// whole tenant's timeline for one client's page): that is why this is a `QueryBuilder` and not
/// a compile-checked `query_as!`.
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<Event>, sqlx::Error> {
    let mut q = QueryBuilder::<Postgres>::new(
        "SELECT id, client_id, event_type, description, event_date, actor_type, actor_id, \
         entity_type, entity_id, payload FROM timeline_events WHERE true",
    );
    if let Some(client) = f.client_id {
        q.push(" AND client_id = ").push_bind(client);
    }
    if !f.types.is_empty() || !f.prefixes.is_empty() {
        let prefixes: Vec<String> = f.prefixes.iter().map(|p| format!("{p}%")).collect();
        q.push(" AND (event_type = ANY(")
            .push_bind(&f.types)
            .push(") OR event_type LIKE ANY(")
            .push_bind(prefixes)
            .push("))");
    }
    if let Some(from) = f.from {
        q.push(" AND event_date >= ").push_bind(from);
    }
    if let Some(to) = f.to {
        q.push(" AND event_date < ").push_bind(to);
    }
    if let Some(actor) = &f.actor_id {
        q.push(" AND actor_id = ").push_bind(actor);
    }
    if let Some((date, id)) = f.before {
        q.push(" AND (event_date, id) < (")
            .push_bind(date)
            .push(", ")
            .push_bind(id)
            .push(")");
    }
    q.push(" ORDER BY event_date DESC, id DESC LIMIT ")
        .push_bind(f.limit);
    q.build_query_as::<Event>().fetch_all(tx.conn()).await
}

/// Counts per period and type, for the temporal analysis chart.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
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
    // Built like `list` (and for the same reason a `QueryBuilder`): only the given filters, so
    // the generic plan fits them.
    let mut q = QueryBuilder::<Postgres>::new("SELECT (date_trunc(");
    q.push_bind(bucket)
        .push(", event_date AT TIME ZONE ")
        .push_bind(time_zone)
        .push(") AT TIME ZONE ")
        .push_bind(time_zone)
        .push(") AS period, event_type, count(*) AS count FROM timeline_events WHERE true");
    if let Some(client) = client_id {
        q.push(" AND client_id = ").push_bind(client);
    }
    if let Some(from) = from {
        q.push(" AND event_date >= ").push_bind(from);
    }
    if let Some(to) = to {
        q.push(" AND event_date < ").push_bind(to);
    }
    q.push(" GROUP BY 1, 2 ORDER BY 1, 2");
    q.build_query_as::<Bucket>().fetch_all(tx.conn()).await
}
