//! Support KPIs: the tickets a period's SLA figures are computed from (read slim: the SLA
//! clock's inputs, no text; the SLA itself is `services::tickets::sla`'s), and the counts SQL
//! answers by itself (the backlog, the breaches recorded).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::TenantTx;

/// What the support KPIs read of a ticket: its SLA clock's inputs and its satisfaction score.
#[derive(Debug, Clone)]
pub struct TicketTimes {
    pub id: Uuid,
    pub category_id: Option<Uuid>,
    pub status: String,
    pub priority: String,
    pub created_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub last_customer_at: Option<DateTime<Utc>>,
    pub last_agent_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i16>,
}

/// The tickets created before `to` that may have met or missed an SLA target, had their first
/// response or been resolved at or after `from`: the unresolved ones, and those whose
/// resolution or latest reply is at or after `from` (a target is decided at the latest at
/// those instants). Reopening clears `resolved_at` and only resolved and closed tickets hold
/// one, so this is the open backlog plus the period's resolved tickets: tens of thousands
/// at most for a busy tenant.
#[tracing::instrument(skip(tx))]
pub async fn tickets_of_period(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TicketTimes>, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        TicketTimes,
        "SELECT id, category_id, status, priority, created_at, first_response_at, last_customer_at,
                last_agent_reply_at, resolved_at, closed_at, satisfaction
           FROM tickets
          WHERE tenant_id = $1 AND created_at < $3
            AND (resolved_at IS NULL
                 OR greatest(resolved_at, first_response_at, last_agent_reply_at) >= $2)",
        tenant,
        from,
        to
    )
    .fetch_all(tx.conn())
    .await
}

/// The open tickets (new, open, pending customer, on hold) at `now` by status and by age, and
/// the SLA breaches the escalation pass recorded in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogCounts {
    pub new: i64,
    pub open: i64,
    pub pending_customer: i64,
    pub on_hold: i64,
    /// Created less than a day before `now`.
    pub under_1_day: i64,
    /// One to three days old.
    pub from_1_to_3_days: i64,
    /// Three to seven days old.
    pub from_3_to_7_days: i64,
    /// Seven days old or more.
    pub over_7_days: i64,
    /// `ticket_escalations` rows with `action = 'breached'` taken in the period.
    pub breaches: i64,
}

/// Counts the backlog at `now` and the breaches of `[from, to)`, in one statement.
#[tracing::instrument(skip(tx))]
pub async fn backlog_and_breaches(
    tx: &mut TenantTx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<BacklogCounts, sqlx::Error> {
    let tenant = tx.tenant_id();
    sqlx::query_as!(
        BacklogCounts,
        r#"SELECT count(*) FILTER (WHERE status = 'new') AS "new!",
                  count(*) FILTER (WHERE status = 'open') AS "open!",
                  count(*) FILTER (WHERE status = 'pending_customer') AS "pending_customer!",
                  count(*) FILTER (WHERE status = 'on_hold') AS "on_hold!",
                  count(*) FILTER (WHERE created_at > $4::timestamptz - interval '1 day') AS "under_1_day!",
                  count(*) FILTER (WHERE created_at <= $4::timestamptz - interval '1 day'
                                     AND created_at > $4::timestamptz - interval '3 days') AS "from_1_to_3_days!",
                  count(*) FILTER (WHERE created_at <= $4::timestamptz - interval '3 days'
                                     AND created_at > $4::timestamptz - interval '7 days') AS "from_3_to_7_days!",
                  count(*) FILTER (WHERE created_at <= $4::timestamptz - interval '7 days') AS "over_7_days!",
                  (SELECT count(*) FROM ticket_escalations e
                    WHERE e.tenant_id = $1 AND e.action = 'breached'
                      AND e.taken_at >= $2 AND e.taken_at < $3) AS "breaches!"
             FROM tickets
            WHERE tenant_id = $1 AND status IN ('new', 'open', 'pending_customer', 'on_hold')"#,
        tenant,
        from,
        to,
        now
    )
    .fetch_one(tx.conn())
    .await
}
