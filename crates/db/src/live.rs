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
