//! What comes back from the providers: messages clients send (matched to their client by
//! address or number; an unknown sender becomes a lead) and reports on the messages we sent
//! (delivered, read, failed). The webhooks that carry them are verified before anything here
//! runs.

use chrono::{DateTime, Utc};
use db::communications::NewCommunication;
use db::crypto::TenantCipher;
use domain::communications::{Channel, Direction, MessageStatus};
use domain::{Email, EventType, Phone};
use serde_json::json;
use uuid::Uuid;

use super::flows::{channel_name, headline};
use super::output::{excerpt, snapshot};
use crate::clients::ClientInput;
use crate::{Change, Error, Result, Scope};

/// A message a client sent.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub channel: Channel,
    /// The sender's e-mail address, or phone number (with or without `+`).
    pub from: String,
    pub subject: String,
    pub body: String,
    /// The provider's id of the message (deduplicates the provider's retries).
    pub provider_id: String,
    pub received_at: DateTime<Utc>,
    /// The name the sender goes by (WhatsApp profile, e-mail display name).
    pub sender_name: Option<String>,
    /// Our message this one answers, when the provider says (an e-mail's `In-Reply-To`).
    pub in_reply_to: Option<Uuid>,
}

/// What a provider reported about a message we sent.
#[derive(Debug, Clone)]
pub struct StatusReport {
    pub channel: Channel,
    pub provider_id: String,
    /// Our message key, when the provider echoes it (WhatsApp's `biz_opaque_callback_data`).
    pub client_reference: Option<String>,
    pub status: MessageStatus,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// The sender's address as the CRM stores addresses.
fn normalised_sender(channel: Channel, from: &str) -> Result<String> {
    let checked = if channel == Channel::Email {
        Email::parse(from).map(|e| e.as_str().to_owned())
    } else {
        let raw = from.trim();
        let with_plus = if raw.starts_with('+') {
            raw.to_owned()
        } else {
            format!("+{raw}")
        };
        Phone::parse(&with_plus, None).map(|p| p.as_str().to_owned())
    };
    checked.map_err(|e| Error::field("/from", e.0))
}

/// The client `from` belongs to, or a new lead for an unknown sender.
async fn client_of(
    scope: &mut Scope,
    cipher: &TenantCipher,
    m: &InboundMessage,
    from: &str,
) -> Result<(Uuid, bool)> {
    if let Some(answered) = m.in_reply_to
        && let Some(ours) = db::communications::get(&mut scope.tx, answered).await?
        && db::clients::get(&mut scope.tx, ours.client_id, false)
            .await?
            .is_some()
    {
        return Ok((ours.client_id, false));
    }
    if let Some(id) = db::communications::client_of_sender(&mut scope.tx, from).await? {
        return Ok((id, false));
    }
    let by_email = m.channel == Channel::Email;
    let name = m
        .sender_name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(from);
    let input = ClientInput {
        company_name: Some(name.chars().take(300).collect()),
        emails: by_email.then(|| vec![from.to_owned()]),
        phones: (!by_email).then(|| vec![from.to_owned()]),
        source: Some(Some("other".to_owned())),
        ..ClientInput::default()
    };
    let lead = crate::clients::create(scope, cipher, input).await?;
    Ok((lead.value.id, true))
}

/// Stores a message a client sent and records it on its timeline; answers the outbound
/// message it replies to. `None` when the provider delivered this message already.
pub async fn receive(
    scope: &mut Scope,
    cipher: &TenantCipher,
    m: InboundMessage,
) -> Result<Option<Uuid>> {
    let channel = m.channel.as_str();
    if db::communications::inbound_by_provider_id(&mut scope.tx, channel, &m.provider_id)
        .await?
        .is_some()
    {
        return Ok(None);
    }
    let from = normalised_sender(m.channel, &m.from)?;
    let (client_id, new_lead) = client_of(scope, cipher, &m, &from).await?;
    let answered = db::communications::last_unanswered_outbound(
        &mut scope.tx,
        client_id,
        channel,
        m.received_at,
    )
    .await?;
    let id = Uuid::now_v7();
    let sentiment = (!m.body.trim().is_empty()).then(|| domain::sentiment::score(&m.body));
    let new = NewCommunication {
        id,
        client_id,
        contact_id: None,
        channel: m.channel.as_str(),
        direction: Direction::Inbound.as_str(),
        counterpart: from,
        subject: m.subject.chars().take(super::SUBJECT_CHARS).collect(),
        body: m.body.chars().take(super::BODY_CHARS).collect(),
        body_html: None,
        template_id: None,
        status: MessageStatus::Received.as_str(),
        message_key: id.to_string(),
        provider_message_id: Some(m.provider_id.clone()),
        reply_to_id: answered.as_ref().map(|(id, _)| *id),
        duration_seconds: None,
        outcome: None,
        sentiment_score: sentiment,
        created_by: None,
        occurred_at: m.received_at,
    };
    let row = db::communications::insert(&mut scope.tx, &new).await?;
    if let Some((answered_id, _)) = answered {
        db::communications::mark_replied(&mut scope.tx, answered_id, m.received_at).await?;
    }
    let description = format!(
        "{} received{}: {}",
        channel_name(m.channel),
        if new_lead { " from a new lead" } else { "" },
        headline(&row)
    );
    scope
        .record(
            Change::of(EventType::CommunicationReceived, "communication", id)
                .after(snapshot(&row))
                .on_timeline_of(
                    client_id,
                    description,
                    json!({
                        "communication_id": id,
                        "channel": row.channel,
                        "direction": row.direction,
                        "excerpt": excerpt(&row.body),
                        "sentiment_score": row.sentiment_score,
                        "new_lead": new_lead,
                    }),
                )
                .dated(m.received_at),
        )
        .await?;
    onto_open_ticket(scope, client_id, &m).await?;
    Ok(Some(id))
}

/// A client's e-mail or WhatsApp message lands, as the customer's message, on the client's
/// open ticket changed last (it restarts next response and reopens a ticket pending the
/// customer); an SMS does not (too short to be a ticket's thread).
async fn onto_open_ticket(scope: &mut Scope, client_id: Uuid, m: &InboundMessage) -> Result<()> {
    if !matches!(m.channel, Channel::Email | Channel::Whatsapp) || m.body.trim().is_empty() {
        return Ok(());
    }
    let Some(ticket) = db::tickets::latest_open_of_client(&mut scope.tx, client_id).await? else {
        return Ok(());
    };
    let input = crate::tickets::CommentInput {
        body: m.body.chars().take(crate::tickets::BODY_CHARS).collect(),
        public: true,
        author_kind: Some("customer".to_owned()),
    };
    crate::tickets::comments::add_at(scope, ticket, input, m.received_at).await?;
    Ok(())
}

/// The event a reported status is recorded as.
fn event_of(status: MessageStatus) -> Option<EventType> {
    match status {
        MessageStatus::Sent => Some(EventType::CommunicationSent),
        MessageStatus::Delivered => Some(EventType::CommunicationDelivered),
        MessageStatus::Read => Some(EventType::CommunicationRead),
        MessageStatus::Failed => Some(EventType::CommunicationFailed),
        _ => None,
    }
}

/// Moves a sent message on as its provider reports (never backwards: reports arrive out of
/// order). True when the message moved.
pub async fn apply_report(scope: &mut Scope, r: StatusReport) -> Result<bool> {
    let channel = r.channel.as_str();
    let mut row =
        db::communications::by_provider_id_for_update(&mut scope.tx, channel, &r.provider_id)
            .await?;
    if row.is_none()
        && let Some(id) = r
            .client_reference
            .as_deref()
            .and_then(|k| Uuid::try_parse(k).ok())
    {
        // The report came before the worker stored the provider's id.
        row = db::communications::get_for_update(&mut scope.tx, id)
            .await?
            .filter(|m| m.channel == channel && m.direction == Direction::Outbound.as_str());
    }
    let Some(row) = row else {
        return Ok(false);
    };
    let current = MessageStatus::parse(&row.status).map_err(|e| Error::Corrupt(e.0))?;
    let Some(kind) = event_of(r.status).filter(|_| current.accepts_report(r.status)) else {
        return Ok(false);
    };
    db::communications::set_status(
        &mut scope.tx,
        row.id,
        r.status.as_str(),
        r.reason.as_deref(),
        r.at,
    )
    .await?;
    let what = match &r.reason {
        Some(reason) => format!("{} ({reason})", r.status),
        None => r.status.to_string(),
    };
    scope
        .record(
            Change::of(kind, "communication", row.id)
                .before(json!({ "status": row.status }))
                .after(json!({ "status": r.status.as_str(), "failure_reason": r.reason }))
                .on_timeline_of(
                    row.client_id,
                    format!("{} {what}: {}", channel_name(r.channel), headline(&row)),
                    json!({
                        "communication_id": row.id,
                        "channel": row.channel,
                        "status": r.status.as_str(),
                        "failure_reason": r.reason,
                    }),
                )
                .dated(r.at),
        )
        .await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatsapp_senders_get_their_plus() {
        assert_eq!(
            normalised_sender(Channel::Whatsapp, "34612345678")
                .ok()
                .as_deref(),
            Some("+34612345678")
        );
        assert_eq!(
            normalised_sender(Channel::Email, " Ana@Example.COM ")
                .ok()
                .as_deref(),
            Some("ana@example.com")
        );
        assert!(normalised_sender(Channel::Sms, "not a number").is_err());
    }

    #[test]
    fn only_provider_statuses_are_recorded() {
        assert_eq!(
            event_of(MessageStatus::Read),
            Some(EventType::CommunicationRead)
        );
        assert_eq!(event_of(MessageStatus::Received), None);
    }
}
