//! The append-only audit log: one row per state change, written in the change's transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

/// Who did it and from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    /// `user`, `api_key` or `system`.
    pub kind: &'static str,
    pub id: Option<Uuid>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// The platform itself (jobs, the CLI).
    pub fn system() -> Self {
        Self {
            kind: "system",
            ..Self::default()
        }
    }
}

/// One change; before/after are already redacted.
pub struct Change<'a> {
    pub action: domain::EventType,
    pub target_type: &'a str,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Appends one audit row, attributed to `actor` (the table is append-only for the app role).
#[tracing::instrument(skip_all, fields(action = change.action.name()))]
pub async fn record(
    tx: &mut TenantTx,
    actor: &Actor,
    change: Change<'_>,
) -> Result<(), sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query!(
        "INSERT INTO audit_events (tenant_id, id, actor_type, actor_id, action, target_type, target_id,
                                   before, after, ip, user_agent, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        tenant,
        Uuid::now_v7(),
        actor.kind,
        actor.id,
        change.action.name(),
        change.target_type,
        change.target_id,
        change.before,
        change.after,
        actor.ip,
        actor.user_agent,
        actor.request_id
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEvent {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub actor_type: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
}

/// Filters of the audit listing; `action` ending in `.*` matches a prefix.
#[derive(Debug, Default)]
pub struct Filter {
    pub actor_id: Option<Uuid>,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub before_id: Option<Uuid>,
    pub limit: i64,
}

/// Newest first, keyset-paginated by id (UUIDv7, so time order).
#[tracing::instrument(skip(tx))]
pub async fn list(tx: &mut TenantTx, f: &Filter) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let (exact, prefix) = match f.action.as_deref() {
        Some(a) if a.ends_with(".*") => (None, Some(format!("{}.%", a.trim_end_matches(".*")))),
        Some(a) => (Some(a.to_owned()), None),
        None => (None, None),
    };
    sqlx::query_as!(
        AuditEvent,
        "SELECT id, occurred_at, actor_type, actor_id, action, target_type, target_id,
                before, after, ip, user_agent, request_id
           FROM audit_events
          WHERE ($1::uuid IS NULL OR actor_id = $1)
            AND ($2::text IS NULL OR action = $2)
            AND ($3::text IS NULL OR action LIKE $3)
            AND ($4::text IS NULL OR target_type = $4)
            AND ($5::text IS NULL OR target_id = $5)
            AND ($6::timestamptz IS NULL OR occurred_at >= $6)
            AND ($7::timestamptz IS NULL OR occurred_at < $7)
            AND ($8::uuid IS NULL OR id < $8)
          ORDER BY id DESC
          LIMIT $9",
        f.actor_id,
        exact,
        prefix,
        f.target_type,
        f.target_id,
        f.from,
        f.to,
        f.before_id,
        f.limit
    )
    .fetch_all(tx.conn())
    .await
}
