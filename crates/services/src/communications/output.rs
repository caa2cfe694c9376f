//! A message as every reader sees it, and what the audit trail keeps of one.

use chrono::{DateTime, Utc};
use db::communications::CommunicationRow;
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

/// A message to or from a client, or a logged call, with its delivery and engagement facts.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunicationOut {
    pub id: Uuid,
    pub client_id: Uuid,
    pub contact_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::channel))]
    pub channel: String,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::direction))]
    pub direction: String,
    /// The client's address or number the message went to or came from.
    pub counterpart: String,
    /// E-mail only; empty otherwise.
    pub subject: String,
    pub body: String,
    pub template_id: Option<Uuid>,
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::status))]
    pub status: String,
    /// Why the provider refused the message, or why the CRM gave up on it.
    pub failure_reason: Option<String>,
    /// The provider's id: the SMTP `Message-ID`, the WhatsApp `wamid`, the Twilio SID.
    pub provider_message_id: Option<String>,
    /// Phone only: the call's length.
    pub duration_seconds: Option<i32>,
    /// Phone only.
    #[cfg_attr(feature = "openapi", schema(schema_with = super::schema::outcome))]
    pub outcome: Option<String>,
    /// From -1 (negative) to 1 (positive), from the words of the message.
    pub sentiment_score: Option<f32>,
    /// Delivery attempts made so far.
    pub attempts: i32,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub read_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    /// First time the e-mail was opened (its tracking image loaded).
    pub opened_at: Option<DateTime<Utc>>,
    pub open_count: i32,
    /// First click on one of its tracked links.
    pub clicked_at: Option<DateTime<Utc>>,
    pub click_count: i32,
    /// When the client answered it.
    pub replied_at: Option<DateTime<Utc>>,
    /// Inbound only: when someone of the tenant read it in the console.
    pub seen_at: Option<DateTime<Utc>>,
    /// The user who sent it or logged it.
    pub created_by: Option<Uuid>,
    /// When it was written, received or (for a call) held.
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A stored message as readers see it.
pub fn communication_out(r: CommunicationRow) -> CommunicationOut {
    CommunicationOut {
        id: r.id,
        client_id: r.client_id,
        contact_id: r.contact_id,
        channel: r.channel,
        direction: r.direction,
        counterpart: r.counterpart,
        subject: r.subject,
        body: r.body,
        template_id: r.template_id,
        status: r.status,
        failure_reason: r.failure_reason,
        provider_message_id: r.provider_message_id,
        duration_seconds: r.duration_seconds,
        outcome: r.outcome,
        sentiment_score: r.sentiment_score,
        attempts: r.attempts,
        sent_at: r.sent_at,
        delivered_at: r.delivered_at,
        read_at: r.read_at,
        failed_at: r.failed_at,
        opened_at: r.opened_at,
        open_count: r.open_count,
        clicked_at: r.clicked_at,
        click_count: r.click_count,
        replied_at: r.replied_at,
        seen_at: r.seen_at,
        created_by: r.created_by,
        occurred_at: r.occurred_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

/// What the audit trail keeps of a message: its facts, not its words.
pub(super) fn snapshot(r: &CommunicationRow) -> Value {
    json!({
        "client_id": r.client_id,
        "contact_id": r.contact_id,
        "channel": r.channel,
        "direction": r.direction,
        "status": r.status,
        "template_id": r.template_id,
        "duration_seconds": r.duration_seconds,
        "outcome": r.outcome,
    })
}

/// The first characters of a message, for the timeline.
pub(super) fn excerpt(body: &str) -> String {
    const CHARS: usize = 160;
    let mut cut: String = body.chars().take(CHARS).collect();
    if body.chars().count() > CHARS {
        cut.push('…');
    }
    cut
}
