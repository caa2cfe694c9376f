//! The Cloud API's request and success bodies.

use serde::Deserialize;
use serde_json::{Value, json};

use super::WhatsAppMessage;
use crate::delivery::DeliveryError;

/// The recipient as the API wants it: E.164 digits without `+`, spaces or dashes.
pub(super) fn recipient(to: &str) -> Result<String, DeliveryError> {
    let digits: String = to
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
        .collect();
    if (7..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) {
        Ok(digits)
    } else {
        Err(DeliveryError::rejected(format!(
            "invalid WhatsApp recipient {to:?}"
        )))
    }
}

/// The body of `POST .../messages` for one message.
pub(super) fn request(to: &str, message: &WhatsAppMessage, client_reference: &str) -> Value {
    let mut body = json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "biz_opaque_callback_data": client_reference,
    });
    match message {
        WhatsAppMessage::Text { body: text } => {
            body["type"] = json!("text");
            body["text"] = json!({ "preview_url": false, "body": text });
        }
        WhatsAppMessage::Template {
            name,
            language,
            parameters,
        } => {
            let mut template = json!({ "name": name, "language": { "code": language } });
            if !parameters.is_empty() {
                let values: Vec<Value> = parameters
                    .iter()
                    .map(|p| json!({ "type": "text", "text": p }))
                    .collect();
                template["components"] = json!([{ "type": "body", "parameters": values }]);
            }
            body["type"] = json!("template");
            body["template"] = template;
        }
    }
    body
}

#[derive(Deserialize)]
struct Sent {
    messages: Vec<SentMessage>,
}

#[derive(Deserialize)]
struct SentMessage {
    id: String,
}

/// The `wamid` of an accepted message: `{"messages":[{"id":"wamid..."}]}`.
pub(super) fn sent_id(body: &[u8]) -> Result<String, String> {
    let sent: Sent = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    sent.messages
        .into_iter()
        .next()
        .map(|m| m.id)
        .ok_or_else(|| "no message id in the answer".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_lose_their_plus_and_separators() {
        assert_eq!(recipient("+34 600-111-222").expect("ok"), "34600111222");
        assert!(recipient("hello").is_err());
        assert!(recipient("+12").is_err());
    }

    #[test]
    fn a_template_without_parameters_has_no_components() {
        let m = WhatsAppMessage::Template {
            name: "hello_world".into(),
            language: "en_US".into(),
            parameters: vec![],
        };
        let body = request("1555", &m, "ref");
        assert_eq!(
            body["template"],
            json!({ "name": "hello_world", "language": { "code": "en_US" } })
        );
    }

    #[test]
    fn the_answer_yields_the_first_id() {
        let body = br#"{"messaging_product":"whatsapp","contacts":[{"input":"1","wa_id":"1"}],"messages":[{"id":"wamid.X"}]}"#;
        assert_eq!(sent_id(body).expect("id"), "wamid.X");
        assert!(sent_id(br#"{"messages":[]}"#).is_err());
    }
}
