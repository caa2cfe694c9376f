//! Demo data only (`crm seed-demo`, `services::demo_data::proposals`): dates what the proposal
//! flows just did at the moment the demo's story says it happened. The flows stamp the current
//! time (drafting, sending) or a validity from today, and a demo proposal must look weeks old,
//! and an expired one must have run out (what the client received is then rendered again on
//! that day); nothing else calls this, and never on a tenant's own data. What the flows date
//! themselves (the client's first look, answer, and the e-mail's sending) is written at its
//! moment by them.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::TenantTx;

/// When a demo proposal was drafted and sent, and its last valid day.
#[derive(Debug, Clone, Copy)]
pub struct ProposalDates {
    pub drafted: DateTime<Utc>,
    /// Ignored for a draft.
    pub sent: Option<DateTime<Utc>>,
    pub valid_until: NaiveDate,
}

/// Dates a demo proposal as `dates` say, with its timeline events: drafted and changed at
/// `drafted`, sent at `sent`, expired when its row says it was decided.
#[tracing::instrument(skip(tx))]
pub async fn backdate(
    tx: &mut TenantTx,
    id: Uuid,
    dates: &ProposalDates,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE proposals
            SET created_at = $2,
                sent_at = CASE WHEN sent_at IS NULL THEN NULL ELSE coalesce($3, sent_at) END,
                valid_until = $4,
                updated_at = greatest($2, CASE WHEN sent_at IS NULL THEN NULL ELSE $3 END,
                                      decided_at, viewed_at)
          WHERE id = $1",
        id,
        dates.drafted,
        dates.sent,
        dates.valid_until
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE timeline_events e
            SET event_date = coalesce(CASE e.event_type
                    WHEN 'proposal.created' THEN p.created_at
                    WHEN 'proposal.updated' THEN p.created_at
                    WHEN 'proposal.sent' THEN p.sent_at
                    WHEN 'proposal.expired' THEN p.decided_at
                END, e.event_date)
           FROM proposals p
          WHERE p.id = $1 AND e.entity_type = 'proposal' AND e.entity_id = $2",
        id,
        id.to_string()
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Replaces what a demo proposal's client received (the HTML and the variables' text), rendered
/// again on the day it was dated back to.
#[tracing::instrument(skip(tx, variables_used, html))]
pub async fn set_sent_document(
    tx: &mut TenantTx,
    id: Uuid,
    variables_used: &Value,
    html: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE proposals SET variables_used = $2, sent_html = $3
          WHERE id = $1 AND status <> 'draft'",
        id,
        variables_used,
        html
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Dates the e-mail a demo proposal went out with as queued at `at` (its sending, a moment
/// later, was written at its moment).
#[tracing::instrument(skip(tx))]
pub async fn backdate_mail(
    tx: &mut TenantTx,
    communication_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE communications
            SET occurred_at = $2, created_at = $2, updated_at = greatest($2, sent_at)
          WHERE id = $1",
        communication_id,
        at
    )
    .execute(tx.conn())
    .await?;
    sqlx::query!(
        "UPDATE timeline_events SET event_date = $2
          WHERE entity_type = 'communication' AND entity_id = $1
            AND event_type = 'communication.queued'",
        communication_id.to_string(),
        at
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
