//! A ticket as every reader sees it, with its SLA computed at the moment of reading; a comment;
//! and what the audit trail keeps of a ticket.

use chrono::{DateTime, Utc};
use db::tickets::{CommentRow, PauseRow, TicketData, TicketRow};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::sla::{Policy, TicketSla, resolution_hours, sla_view};
use crate::{Result, Versioned};

/// A stretch during which the ticket's SLA clock stood still.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PauseOut {
    pub started_at: DateTime<Utc>,
    /// `null` while the pause lasts.
    pub ended_at: Option<DateTime<Utc>>,
    /// The status that stopped the clock: `pending_customer`, `on_hold`, or `resolved` (the
    /// time a reopened ticket stood resolved).
    pub reason: String,
    /// Why, in the agent's words.
    pub note: Option<String>,
}

/// A support ticket.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketOut {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub category_id: Option<Uuid>,
    pub title: String,
    pub description: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::status_out))]
    pub status: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::priority_out))]
    pub priority: String,
    /// Why the ticket has its priority: the automatic rules that applied, or a person's words.
    pub priority_reason: String,
    pub assignee_id: Option<Uuid>,
    pub team: Option<String>,
    /// The first public reply of an agent.
    pub first_response_at: Option<DateTime<Utc>>,
    /// The customer's latest message.
    pub last_customer_at: Option<DateTime<Utc>>,
    /// The latest public reply of an agent.
    pub last_agent_reply_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The client's satisfaction, 1-5.
    pub satisfaction: Option<i16>,
    /// Business hours from creation to resolution, pauses left out (on the category's calendar,
    /// or around the clock); `null` until resolved.
    pub resolution_time_hours: Option<f64>,
    /// The escalation pass's latest estimate (0-1) that a target will be breached.
    pub breach_risk: Option<f32>,
    /// Why the estimate is what it is.
    pub breach_risk_reason: Option<String>,
    pub sla: TicketSla,
    /// Every pause of the SLA clock, oldest first.
    pub pauses: Vec<PauseOut>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored ticket as readers see it at `now`, with its version.
pub fn ticket_out(
    row: TicketRow,
    pauses: &[PauseRow],
    policy: Option<&Policy>,
    now: DateTime<Utc>,
) -> Result<Versioned<TicketOut>> {
    let data = TicketData::from(&row);
    let sla = sla_view(row.created_at, &data, row.breach_risk, pauses, policy, now)?;
    let resolution_time_hours = resolution_hours(row.created_at, &data, pauses, policy);
    Ok(Versioned {
        version: row.version,
        value: TicketOut {
            id: row.id,
            client_id: row.client_id,
            contact_id: row.contact_id,
            category_id: row.category_id,
            title: row.title,
            description: row.description,
            status: row.status,
            priority: row.priority,
            priority_reason: row.priority_reason,
            assignee_id: row.assignee_id,
            team: row.team,
            first_response_at: row.first_response_at,
            last_customer_at: row.last_customer_at,
            last_agent_reply_at: row.last_agent_reply_at,
            resolved_at: row.resolved_at,
            closed_at: row.closed_at,
            satisfaction: row.satisfaction,
            resolution_time_hours,
            breach_risk: row.breach_risk,
            breach_risk_reason: row.breach_risk_reason,
            sla,
            pauses: pauses
                .iter()
                .map(|p| PauseOut {
                    started_at: p.started_at,
                    ended_at: p.ended_at,
                    reason: p.reason.clone(),
                    note: p.note.clone(),
                })
                .collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        },
    })
}

/// What the audit trail keeps of a ticket: what people change (not the text of the
/// description, which may hold personal data).
pub(super) fn snapshot(d: &TicketData) -> Value {
    json!({
        "title": d.title,
        "status": d.status,
        "priority": d.priority,
        "priority_reason": d.priority_reason,
        "assignee_id": d.assignee_id,
        "team": d.team,
        "category_id": d.category_id,
        "contact_id": d.contact_id,
        "satisfaction": d.satisfaction,
    })
}

/// A comment on a ticket.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommentOut {
    pub id: Uuid,
    pub ticket_id: Uuid,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::author_kind_out))]
    pub author_kind: String,
    /// The user (an agent's comment) or the ticket's contact (a customer's), if known.
    pub author_id: Option<Uuid>,
    pub body: String,
    /// A reply the client sees; otherwise an internal note.
    pub public: bool,
    pub created_at: DateTime<Utc>,
}

impl From<CommentRow> for CommentOut {
    fn from(c: CommentRow) -> Self {
        Self {
            id: c.id,
            ticket_id: c.ticket_id,
            author_kind: c.author_kind,
            author_id: c.author_id,
            body: c.body,
            public: c.public,
            created_at: c.created_at,
        }
    }
}
