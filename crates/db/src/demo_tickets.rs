//! Demo data only (`crm seed-demo`, `services::demo_data::tickets`): dates what the ticket
//! flows just did at the moment the demo's story says it happened. The flows stamp the current
//! time, and a demo ticket must look weeks old; nothing else calls this, and never on a tenant's
//! own data. Comments need no moving: the demo writes them at their moment
//! (`tickets::insert_comment`), as they are never changed once written.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// Dates a demo ticket's latest step at `at`, a moment in the past after every earlier step:
/// every time of the ticket, of its pauses and of its timeline events later than `at` becomes
/// `at`; its reply times follow its thread (the first and latest public agent reply, the
/// customer's latest message, as the comment flow keeps them); its client's last contact is its
/// latest contact event again. Due times are left to the caller to recompute.
#[tracing::instrument(skip(tx))]
pub async fn backdate(
    tx: &mut TenantTx,
    ticket_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    backdate_ticket(tx, ticket_id, at).await?;
    backdate_events(tx, ticket_id, at).await?;
    recount_last_contact(tx, ticket_id).await
}

/// The ticket's own times and its pauses', and its reply times from the thread.
async fn backdate_ticket(
    tx: &mut TenantTx,
    ticket_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "WITH paused AS (
             UPDATE ticket_pauses
                SET started_at = least(started_at, $2),
                    ended_at = CASE WHEN ended_at > $2 THEN $2 ELSE ended_at END
              WHERE ticket_id = $1 AND (started_at > $2 OR ended_at > $2)),
         thread AS (
             SELECT min(created_at) FILTER (WHERE author_kind = 'agent' AND public) AS first_reply,
                    max(created_at) FILTER (WHERE author_kind = 'agent' AND public) AS last_reply,
                    max(created_at) FILTER (WHERE author_kind = 'customer') AS last_customer
               FROM ticket_comments WHERE ticket_id = $1)
         UPDATE tickets t
            SET created_at = least(t.created_at, $2),
                updated_at = least(t.updated_at, $2),
                resolved_at = CASE WHEN t.resolved_at > $2 THEN $2 ELSE t.resolved_at END,
                closed_at = CASE WHEN t.closed_at > $2 THEN $2 ELSE t.closed_at END,
                first_response_at = thread.first_reply,
                last_agent_reply_at = thread.last_reply,
                last_customer_at = thread.last_customer
           FROM thread
          WHERE t.id = $1",
        ticket_id,
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The ticket's timeline events later than `at`.
async fn backdate_events(
    tx: &mut TenantTx,
    ticket_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE timeline_events SET event_date = $2
          WHERE entity_type = 'ticket' AND entity_id = $1 AND event_date > $2",
        ticket_id.to_string(),
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The ticket's client's `last_contact_at`: its latest event that counts as contact, as
/// `timeline::record` keeps it.
async fn recount_last_contact(tx: &mut TenantTx, ticket_id: Uuid) -> Result<(), sqlx::Error> {
    let contact: Vec<&str> = domain::EventType::ALL
        .iter()
        .filter(|e| e.counts_as_contact())
        .map(|e| e.name())
        .collect();
    sqlx::query!(
        "UPDATE clients c
            SET last_contact_at = (SELECT max(e.event_date) FROM timeline_events e
                                    WHERE e.client_id = c.id AND e.event_type = ANY($2)
                                      AND e.event_date <= clock_timestamp())
           FROM tickets t
          WHERE t.id = $1 AND c.id = t.client_id",
        ticket_id,
        &contact as &[&str]
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
