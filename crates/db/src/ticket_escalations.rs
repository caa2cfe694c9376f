//! What the SLA escalation pass reads and writes: the open tickets whose warning time has come,
//! the assignees' queues, the categories' breach history, the actions taken (each at most once
//! per ticket, target, action and round) and the breach estimates.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;
use crate::tickets::TicketRow;

/// Open tickets whose warning time is at or before `until`, nearest first, at most `limit`.
/// Through `tickets_warn` (`20261206000014_ticket_escalation.sql`).
#[tracing::instrument(skip(tx))]
pub async fn needing_attention(
    tx: &mut TenantTx,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<TicketRow>, sqlx::Error> {
    sqlx::query_as!(
        TicketRow,
        "SELECT id, client_id, contact_id, category_id, title, description, status, priority,
                priority_reason, assignee_id, team, first_response_at, last_customer_at,
                last_agent_reply_at, resolved_at, closed_at, satisfaction, next_due_at,
                next_warn_at, breach_risk, breach_risk_reason, version, created_at, updated_at
           FROM tickets
          WHERE next_warn_at IS NOT NULL AND next_warn_at <= $1
          ORDER BY next_warn_at
          LIMIT $2",
        until,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

/// Records that the pass took `action` on `target` of a ticket in `round`: false when it had
/// already (an earlier pass, or another worker's, which this one waits for and then skips).
#[tracing::instrument(skip(tx))]
pub async fn take(
    tx: &mut TenantTx,
    ticket: Uuid,
    target: &str,
    action: &str,
    round: i64,
) -> Result<bool, sqlx::Error> {
    let tenant = tx.tenant_id();
    let done = sqlx::query!(
        "INSERT INTO ticket_escalations (tenant_id, ticket_id, target, action, round)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        tenant,
        ticket,
        target,
        action,
        round
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The actions already taken on these tickets, as `(ticket, target, action, round)`: the pass
/// then tries to take only new ones.
#[tracing::instrument(skip(tx, tickets))]
pub async fn taken(
    tx: &mut TenantTx,
    tickets: &[Uuid],
) -> Result<Vec<(Uuid, String, String, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT ticket_id, target, action, round FROM ticket_escalations WHERE ticket_id = ANY($1)",
        tickets
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.ticket_id, r.target, r.action, r.round))
        .collect())
}

/// Lets this transaction's commit return before its WAL reaches the disk: a crash may then lose
/// the pass's last actions together with their events, and the next pass takes them again.
#[tracing::instrument(skip(tx))]
pub async fn commit_without_waiting_for_disk(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    sqlx::query!("SET LOCAL synchronous_commit = off")
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// The open tickets of each of these assignees.
#[tracing::instrument(skip(tx))]
pub async fn open_per_assignee(
    tx: &mut TenantTx,
    assignees: &[Uuid],
) -> Result<Vec<(Uuid, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT assignee_id AS "assignee!", count(*) AS "open!"
             FROM tickets
            WHERE assignee_id = ANY($1)
              AND status IN ('new', 'open', 'pending_customer', 'on_hold')
            GROUP BY assignee_id"#,
        assignees
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.assignee, r.open)).collect())
}

/// For each category, the share of its tickets of the last 90 days that breached a target.
#[tracing::instrument(skip(tx))]
pub async fn breach_rates(tx: &mut TenantTx) -> Result<Vec<(Uuid, f64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT t.category_id AS "category!",
                  (count(DISTINCT e.ticket_id)::float8 / count(DISTINCT t.id)) AS "rate!"
             FROM tickets t
             LEFT JOIN ticket_escalations e
               ON e.tenant_id = t.tenant_id AND e.ticket_id = t.id AND e.action = 'breached'
            WHERE t.category_id IS NOT NULL AND t.created_at > now() - interval '90 days'
            GROUP BY t.category_id"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.category, r.rate)).collect())
}

/// Stores the pass's breach estimates (derived data: the tickets' versions stay).
#[tracing::instrument(skip(tx, risks, reasons))]
pub async fn set_risks(
    tx: &mut TenantTx,
    ids: &[Uuid],
    risks: &[f32],
    reasons: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE tickets t SET breach_risk = r.risk, breach_risk_reason = r.reason
           FROM UNNEST($1::uuid[], $2::real[], $3::text[]) AS r(id, risk, reason)
          WHERE t.id = r.id",
        ids,
        risks,
        reasons
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}
