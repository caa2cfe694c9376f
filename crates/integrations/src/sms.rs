//! SMS through a Twilio-compatible Messages API: sending, finding a message already
//! accepted (before resending after an unknown outcome), and reading Twilio's callbacks.

mod callbacks;
mod wire;

use async_trait::async_trait;

use crate::delivery::DeliveryError;
use crate::http;
use crate::tls::TlsSetupError;

pub use callbacks::{
    CallbackError, InboundSms, SmsStatus, SmsStatusUpdate, parse_inbound, parse_status_callback,
};

/// Twilio's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.twilio.com";

/// A tenant's SMS account and sender.
#[derive(Clone, PartialEq, Eq)]
pub struct SmsSettings {
    /// [`DEFAULT_BASE_URL`] except in tests or with a compatible provider.
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// A sender number (E.164), or a Messaging Service SID (`MG...`) that picks one.
    pub from: String,
}

impl std::fmt::Debug for SmsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsSettings")
            .field("base_url", &self.base_url)
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("from", &self.from)
            .finish()
    }
}

impl SmsSettings {
    /// Whether `from` names a Messaging Service rather than a number.
    fn sends_through_a_service(&self) -> bool {
        self.from.starts_with("MG")
    }

    /// `{base}/2010-04-01/Accounts/{sid}/Messages.json`.
    fn messages_url(&self) -> Result<String, DeliveryError> {
        let sid = &self.account_sid;
        if sid.is_empty() || !sid.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(DeliveryError::rejected(
                "invalid SMS settings (account SID)",
            ));
        }
        let base = self.base_url.trim_end_matches('/');
        Ok(format!("{base}/2010-04-01/Accounts/{sid}/Messages.json"))
    }
}

/// Sends SMS and looks them up.
#[async_trait]
pub trait SmsApi: Send + Sync {
    /// Sends `body` to `to` (E.164); returns the message SID. Status callbacks for it go to
    /// `status_callback` when given.
    async fn send(
        &self,
        s: &SmsSettings,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> Result<String, DeliveryError>;
    /// Looks for a message already accepted (same To and Body, sent since `since`): the check
    /// before a resend after an unknown outcome. `since` is in Unix seconds.
    async fn find_sent(
        &self,
        s: &SmsSettings,
        to: &str,
        body: &str,
        since: i64,
    ) -> Result<Option<String>, DeliveryError>;
}

/// The real client of Twilio's Messages API.
#[derive(Debug, Clone)]
pub struct Twilio {
    http: reqwest::Client,
}

impl Twilio {
    /// A client with bounded waits and its own TLS configuration.
    pub fn new() -> Result<Self, TlsSetupError> {
        Ok(Self {
            http: http::api_client()?,
        })
    }
}

/// How many recent messages `find_sent` reads: the check runs minutes after the attempt.
const LOOKUP_PAGE_SIZE: &str = "50";

#[async_trait]
impl SmsApi for Twilio {
    #[tracing::instrument(skip_all, fields(account = %s.account_sid))]
    async fn send(
        &self,
        s: &SmsSettings,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> Result<String, DeliveryError> {
        let sender = if s.sends_through_a_service() {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let mut form = vec![("To", to), (sender, s.from.as_str()), ("Body", body)];
        if let Some(url) = status_callback {
            form.push(("StatusCallback", url));
        }
        let res = self
            .http
            .post(s.messages_url()?)
            .basic_auth(&s.account_sid, Some(&s.auth_token))
            .form(&form)
            .send()
            .await
            .map_err(|e| http::call_failed(&e))?;
        let (status, bytes) = http::body_of(res).await?;
        if status.is_success() {
            wire::sent_sid(&bytes).map_err(http::unreadable_success)
        } else {
            Err(wire::classify(status, &bytes))
        }
    }

    #[tracing::instrument(skip_all, fields(account = %s.account_sid))]
    async fn find_sent(
        &self,
        s: &SmsSettings,
        to: &str,
        body: &str,
        since: i64,
    ) -> Result<Option<String>, DeliveryError> {
        // No `DateSent>=` filter: a message still queued has no send date yet, and it is
        // exactly the one this check must find. The creation time is compared instead.
        let mut query = vec![("To", to), ("PageSize", LOOKUP_PAGE_SIZE)];
        if !s.sends_through_a_service() {
            query.push(("From", s.from.as_str()));
        }
        let mut url = reqwest::Url::parse(&s.messages_url()?)
            .map_err(|e| DeliveryError::rejected(format!("invalid SMS base URL: {e}")))?;
        url.query_pairs_mut().extend_pairs(query);
        let res = self
            .http
            .get(url)
            .basic_auth(&s.account_sid, Some(&s.auth_token))
            .send()
            .await
            .map_err(|e| DeliveryError::transient(format!("lookup failed: {e}"), false))?;
        let (status, bytes) = http::body_of(res)
            .await
            .map_err(|e| DeliveryError::transient(e.reason(), false))?;
        if !status.is_success() {
            // A lookup changes nothing at the provider: never `maybe_sent`.
            return Err(match wire::classify(status, &bytes) {
                DeliveryError::Transient { reason, .. } => DeliveryError::transient(reason, false),
                rejected => rejected,
            });
        }
        wire::find_in_list(&bytes, body, since)
            .map_err(|e| DeliveryError::transient(format!("unreadable message list: {e}"), false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(from: &str) -> SmsSettings {
        SmsSettings {
            base_url: "http://127.0.0.1:9/".into(),
            account_sid: "AC123".into(),
            auth_token: "tok-secret".into(),
            from: from.into(),
        }
    }

    #[test]
    fn the_url_names_the_account_and_odd_sids_are_refused() {
        assert_eq!(
            settings("+1").messages_url().expect("url"),
            "http://127.0.0.1:9/2010-04-01/Accounts/AC123/Messages.json"
        );
        let mut s = settings("+1");
        s.account_sid = "AC/../x".into();
        assert!(!s.messages_url().expect_err("odd").is_retryable());
    }

    #[test]
    fn debug_hides_the_token_and_services_are_told_from_numbers() {
        let shown = format!("{:?}", settings("+1"));
        assert!(!shown.contains("tok-secret"), "{shown}");
        assert!(settings("MG9f").sends_through_a_service());
        assert!(!settings("+34910000000").sends_through_a_service());
    }
}
