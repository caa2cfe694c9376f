//! Reads for the live feed: the timeline events a commit wrote, as they were committed.

use uuid::Uuid;

use crate::TenantTx;
use crate::timeline::Event;

/// The events with these ids, oldest first (ids are time-ordered UUIDv7).
#[tracing::instrument(skip(tx))]
pub async fn events(tx: &mut TenantTx, ids: &[Uuid]) -> Result<Vec<Event>, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        Event,
        r#"SELECT id, client_id, event_type, description, event_date, actor_type, actor_id,
                  entity_type, entity_id, payload
             FROM timeline_events
            WHERE tenant_id = $1 AND id = ANY($2)
            ORDER BY id"#,
        tenant,
        ids
    )
    .fetch_all(tx.conn())
    .await
}

/// The tenant's events with ids from `from_id` on, oldest first, at most `limit`: what a
/// reconnecting stream missed (ids are UUIDv7, so this is by the time each was recorded).
#[tracing::instrument(skip(tx))]
pub async fn since(
    tx: &mut TenantTx,
    from_id: Uuid,
    limit: i64,
) -> Result<Vec<Event>, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        Event,
        r#"SELECT id, client_id, event_type, description, event_date, actor_type, actor_id,
                  entity_type, entity_id, payload
             FROM timeline_events
            WHERE tenant_id = $1 AND id >= $2
            ORDER BY id
            LIMIT $3"#,
        tenant,
        from_id,
        limit
    )
    .fetch_all(tx.conn())
    .await
}
