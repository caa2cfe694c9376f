//! The Cloud API's webhooks: the subscription handshake, and the `messages` field's
//! payload, flattened into inbound messages and delivery statuses. Check the signature
//! ([`crate::webhook_signatures::verify_meta`]) before parsing.

use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Where a sent message got to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageStatus {
    Sent,
    Delivered,
    Read,
    Failed,
}

impl MessageStatus {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "sent" => Some(Self::Sent),
            "delivered" => Some(Self::Delivered),
            "read" => Some(Self::Read),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One thing a webhook reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatsAppEvent {
    /// A customer wrote to the business number `phone_number_id`.
    Inbound {
        phone_number_id: String,
        /// The customer's number (E.164 digits).
        from: String,
        wamid: String,
        /// The message type: text, image, button, interactive, location...
        kind: String,
        /// The text, a button's or list item's title, or a media caption.
        text: Option<String>,
        /// The `wamid` this message answers, when the customer replied to one.
        reply_to: Option<String>,
        /// Unix seconds.
        timestamp: i64,
        profile_name: Option<String>,
    },
    /// A message the business sent moved on.
    Status {
        phone_number_id: String,
        wamid: String,
        status: MessageStatus,
        /// Why it failed, for `Failed`.
        reason: Option<String>,
        /// Unix seconds.
        timestamp: i64,
        /// What was given as `client_reference` when sending.
        client_reference: Option<String>,
    },
}

/// The body is not a WhatsApp webhook payload.
#[derive(Debug, thiserror::Error)]
#[error("not a WhatsApp webhook payload: {0}")]
pub struct WebhookError(String);

/// The `hub.challenge` to answer when Meta verifies the subscription (`hub.mode=subscribe`
/// with our verify token), `None` to refuse.
pub fn verify_subscription(
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
    expected_token: &str,
) -> Option<String> {
    let token_ok = token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(expected_token.as_bytes())));
    (mode == Some("subscribe") && token_ok && !expected_token.is_empty())
        .then(|| challenge.map(str::to_owned))
        .flatten()
}

#[derive(Deserialize)]
struct Payload {
    object: String,
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    value: Value,
}

#[derive(Deserialize)]
struct Value {
    #[serde(default)]
    metadata: Metadata,
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<Message>,
    #[serde(default)]
    statuses: Vec<Status>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    phone_number_id: String,
}

#[derive(Deserialize)]
struct Contact {
    #[serde(default)]
    wa_id: String,
    profile: Option<Profile>,
}

#[derive(Deserialize)]
struct Profile {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    from: String,
    id: String,
    timestamp: String,
    #[serde(rename = "type", default)]
    kind: String,
    text: Option<Body>,
    button: Option<ButtonReply>,
    interactive: Option<Interactive>,
    context: Option<Context>,
    image: Option<Media>,
    video: Option<Media>,
    document: Option<Media>,
}

#[derive(Deserialize)]
struct Body {
    body: String,
}

#[derive(Deserialize)]
struct ButtonReply {
    text: String,
}

#[derive(Deserialize)]
struct Interactive {
    button_reply: Option<Titled>,
    list_reply: Option<Titled>,
}

#[derive(Deserialize)]
struct Titled {
    title: String,
}

#[derive(Deserialize)]
struct Context {
    id: Option<String>,
}

#[derive(Deserialize)]
struct Media {
    caption: Option<String>,
}

#[derive(Deserialize)]
struct Status {
    id: String,
    status: String,
    timestamp: String,
    biz_opaque_callback_data: Option<String>,
    #[serde(default)]
    errors: Vec<StatusError>,
}

#[derive(Deserialize)]
struct StatusError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    title: String,
    error_data: Option<StatusErrorData>,
}

#[derive(Deserialize)]
struct StatusErrorData {
    details: Option<String>,
}

impl Message {
    fn text(&self) -> Option<String> {
        let media = [&self.image, &self.video, &self.document];
        self.text
            .as_ref()
            .map(|t| t.body.clone())
            .or_else(|| self.button.as_ref().map(|b| b.text.clone()))
            .or_else(|| {
                let i = self.interactive.as_ref()?;
                i.button_reply
                    .as_ref()
                    .or(i.list_reply.as_ref())
                    .map(|t| t.title.clone())
            })
            .or_else(|| media.into_iter().flatten().find_map(|m| m.caption.clone()))
    }
}

fn failure_reason(errors: &[StatusError]) -> Option<String> {
    let e = errors.first()?;
    let details = e.error_data.as_ref().and_then(|d| d.details.as_deref());
    Some(match details {
        Some(d) => format!("{}: {} ({d})", e.code, e.title),
        None => format!("{}: {}", e.code, e.title),
    })
}

fn seconds(text: &str) -> i64 {
    // Meta always sends digits; a malformed one must not lose the event.
    text.parse().unwrap_or_default()
}

fn inbound(value: &Value, m: &Message) -> WhatsAppEvent {
    let profile_name = value
        .contacts
        .iter()
        .find(|c| c.wa_id == m.from)
        .or(value.contacts.first())
        .and_then(|c| c.profile.as_ref()?.name.clone());
    WhatsAppEvent::Inbound {
        phone_number_id: value.metadata.phone_number_id.clone(),
        from: m.from.clone(),
        wamid: m.id.clone(),
        kind: m.kind.clone(),
        text: m.text(),
        reply_to: m.context.as_ref().and_then(|c| c.id.clone()),
        timestamp: seconds(&m.timestamp),
        profile_name,
    }
}

fn status(value: &Value, s: &Status) -> Option<WhatsAppEvent> {
    let Some(status) = MessageStatus::parse(&s.status) else {
        tracing::debug!(status = %s.status, "WhatsApp status not tracked");
        return None;
    };
    Some(WhatsAppEvent::Status {
        phone_number_id: value.metadata.phone_number_id.clone(),
        wamid: s.id.clone(),
        status,
        reason: failure_reason(&s.errors),
        timestamp: seconds(&s.timestamp),
        client_reference: s.biz_opaque_callback_data.clone(),
    })
}

/// The events of one webhook call, in the order they came.
pub fn parse_webhook(body: &[u8]) -> Result<Vec<WhatsAppEvent>, WebhookError> {
    let payload: Payload = serde_json::from_slice(body).map_err(|e| WebhookError(e.to_string()))?;
    if payload.object != "whatsapp_business_account" {
        return Err(WebhookError(format!("object is {:?}", payload.object)));
    }
    let mut events = Vec::new();
    for change in payload.entry.iter().flat_map(|e| &e.changes) {
        if change.field != "messages" {
            continue;
        }
        let value = &change.value;
        events.extend(value.messages.iter().map(|m| inbound(value, m)));
        events.extend(value.statuses.iter().filter_map(|s| status(value, s)));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handshake_answers_only_our_token() {
        let ok = verify_subscription(
            Some("subscribe"),
            Some("s3cret"),
            Some("1158201444"),
            "s3cret",
        );
        assert_eq!(ok.as_deref(), Some("1158201444"));
        assert_eq!(
            verify_subscription(Some("subscribe"), Some("nope"), Some("1"), "s3cret"),
            None
        );
        assert_eq!(
            verify_subscription(Some("unsubscribe"), Some("s3cret"), Some("1"), "s3cret"),
            None
        );
        assert_eq!(
            verify_subscription(Some("subscribe"), Some(""), Some("1"), ""),
            None
        );
    }

    #[test]
    fn other_objects_and_garbage_are_errors() {
        assert!(parse_webhook(br#"{"object":"page","entry":[]}"#).is_err());
        assert!(parse_webhook(b"not json").is_err());
        assert_eq!(
            parse_webhook(br#"{"object":"whatsapp_business_account","entry":[]}"#).expect("ok"),
            vec![]
        );
    }

    #[test]
    fn a_button_reply_reads_as_its_title() {
        let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{
            "messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"PN"},
            "messages":[{"from":"34600","id":"wamid.B","timestamp":"1700000000","type":"interactive",
              "interactive":{"type":"button_reply","button_reply":{"id":"yes","title":"Yes please"}}}]}}]}]}"#;
        let events = parse_webhook(body).expect("parse");
        let WhatsAppEvent::Inbound {
            text,
            kind,
            profile_name,
            ..
        } = &events[0]
        else {
            panic!("{events:?}");
        };
        assert_eq!(text.as_deref(), Some("Yes please"));
        assert_eq!(kind, "interactive");
        assert_eq!(profile_name, &None);
    }
}
