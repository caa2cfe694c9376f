//! WhatsApp through Meta's Cloud API (Graph API): sending text and template messages, and
//! reading the webhooks that bring replies and delivery statuses back.

mod errors;
mod webhook;
mod wire;

use async_trait::async_trait;

use crate::delivery::DeliveryError;
use crate::http;
use crate::tls::TlsSetupError;

pub use webhook::{MessageStatus, WebhookError, WhatsAppEvent, parse_webhook, verify_subscription};

/// Meta's Graph API.
pub const DEFAULT_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph API version the payloads here follow.
pub const DEFAULT_API_VERSION: &str = "v21.0";

/// A tenant's WhatsApp Business number and the token that may send from it.
#[derive(Clone, PartialEq, Eq)]
pub struct WhatsAppSettings {
    /// [`DEFAULT_BASE_URL`] except in tests.
    pub base_url: String,
    /// [`DEFAULT_API_VERSION`] unless the tenant pins another.
    pub api_version: String,
    pub phone_number_id: String,
    pub access_token: String,
}

impl WhatsAppSettings {
    /// Settings for Meta's API at the default version.
    pub fn new(phone_number_id: impl Into<String>, access_token: impl Into<String>) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            api_version: DEFAULT_API_VERSION.to_owned(),
            phone_number_id: phone_number_id.into(),
            access_token: access_token.into(),
        }
    }
}

impl std::fmt::Debug for WhatsAppSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatsAppSettings")
            .field("base_url", &self.base_url)
            .field("api_version", &self.api_version)
            .field("phone_number_id", &self.phone_number_id)
            .field("access_token", &"[redacted]")
            .finish()
    }
}

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WhatsAppMessage {
    /// Free text: only inside the 24-hour window opened by the customer's last message.
    Text { body: String },
    /// An approved template, with its body's `{{1}}`, `{{2}}`... in order.
    Template {
        name: String,
        language: String,
        parameters: Vec<String>,
    },
}

/// Sends WhatsApp messages from a business number.
#[async_trait]
pub trait WhatsAppApi: Send + Sync {
    /// Sends `message` to `to` (E.164, with or without `+`); returns the message's `wamid`.
    /// `client_reference` comes back in the status webhooks of this message.
    async fn send(
        &self,
        s: &WhatsAppSettings,
        to: &str,
        message: &WhatsAppMessage,
        client_reference: &str,
    ) -> Result<String, DeliveryError>;
}

/// The real client of the Cloud API.
#[derive(Debug, Clone)]
pub struct WhatsAppCloud {
    http: reqwest::Client,
}

impl WhatsAppCloud {
    /// A client with bounded waits and its own TLS configuration.
    pub fn new() -> Result<Self, TlsSetupError> {
        Ok(Self {
            http: http::api_client()?,
        })
    }
}

/// `POST {base}/{version}/{phone_number_id}/messages`.
fn messages_url(s: &WhatsAppSettings) -> Result<String, DeliveryError> {
    let id_ok = !s.phone_number_id.is_empty()
        && s.phone_number_id.chars().all(|c| c.is_ascii_alphanumeric());
    let version_ok = !s.api_version.is_empty()
        && s.api_version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.');
    if !id_ok || !version_ok {
        return Err(DeliveryError::rejected(
            "invalid WhatsApp settings (phone number id or API version)",
        ));
    }
    let base = s.base_url.trim_end_matches('/');
    Ok(format!(
        "{base}/{}/{}/messages",
        s.api_version, s.phone_number_id
    ))
}

#[async_trait]
impl WhatsAppApi for WhatsAppCloud {
    #[tracing::instrument(skip_all, fields(phone_number_id = %s.phone_number_id))]
    async fn send(
        &self,
        s: &WhatsAppSettings,
        to: &str,
        message: &WhatsAppMessage,
        client_reference: &str,
    ) -> Result<String, DeliveryError> {
        let body = wire::request(&wire::recipient(to)?, message, client_reference);
        let res = self
            .http
            .post(messages_url(s)?)
            .bearer_auth(&s.access_token)
            .json(&body)
            .send()
            .await
            .map_err(|e| http::call_failed(&e))?;
        let (status, bytes) = http::body_of(res).await?;
        if status.is_success() {
            wire::sent_id(&bytes).map_err(http::unreadable_success)
        } else {
            Err(errors::classify(status, &bytes))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_joins_base_version_and_number_and_refuses_odd_ids() {
        let mut s = WhatsAppSettings::new("106540352242922", "token");
        s.base_url = "http://127.0.0.1:9/".into();
        assert_eq!(
            messages_url(&s).expect("url"),
            "http://127.0.0.1:9/v21.0/106540352242922/messages"
        );
        s.phone_number_id = "1/../../me".into();
        assert!(!messages_url(&s).expect_err("odd").is_retryable());
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", WhatsAppSettings::new("1", "EAAG-secret"));
        assert!(
            !shown.contains("EAAG-secret") && shown.contains("[redacted]"),
            "{shown}"
        );
    }
}
