//! E-mail over SMTP: the settings of a tenant's outgoing server, the mail the CRM sends, and
//! the transport that delivers it ([`SmtpMailer`], built on lettre).

pub mod inbound;
mod message;
pub mod public_host;
mod smtp;

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::delivery::DeliveryError;

pub use smtp::SmtpMailer;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// Plain text (a local relay or a test server only).
    None,
    /// Plain connect, then STARTTLS, required (port 587).
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// A tenant's outgoing mail server and sender.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: Option<String>,
    pub password: Option<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    /// Bound on one whole delivery: connect, greeting, authentication and the transaction.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from_address", &self.from_address)
            .field("from_name", &self.from_name)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// One e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// `<id@domain>`, the same on every attempt so the recipient's side sees one message.
    pub message_id: String,
    /// The recipient's address.
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    /// When present, sent with `text` as `multipart/alternative`.
    pub html: Option<String>,
    /// Message-ID of the mail this one answers.
    pub in_reply_to: Option<String>,
    /// Message-IDs of the thread, oldest first.
    pub references: Vec<String>,
    /// Files sent with the mail, in order; when present the message is `multipart/mixed`
    /// with the body first.
    pub attachments: Vec<MailAttachment>,
}

/// A file sent with an e-mail (base64 in the message).
#[derive(Clone, PartialEq, Eq)]
pub struct MailAttachment {
    /// The name the recipient sees, e.g. `PRO-2026-0003.pdf`.
    pub filename: String,
    /// Its MIME type, e.g. `application/pdf`.
    pub content_type: String,
    pub content: Vec<u8>,
}

impl std::fmt::Debug for MailAttachment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailAttachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.content.len())
            .finish()
    }
}

/// Sends one e-mail through a tenant's SMTP server.
#[async_trait]
pub trait MailTransport: Send + Sync {
    /// Delivers `mail` to the server, which accepts it for delivery or says why not.
    async fn send(&self, settings: &SmtpSettings, mail: &OutgoingMail)
    -> Result<(), DeliveryError>;
}

/// The Message-ID of the CRM's message `id`: `<id@domain>`.
pub fn message_id_for(id: &str, domain: &str) -> String {
    format!("<{id}@{domain}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_bracketed_and_stable() {
        let id = "0190f7a2-5b1c-7c3e-9d2a-1b2c3d4e5f60";
        assert_eq!(
            message_id_for(id, "mail.acme.example"),
            "<0190f7a2-5b1c-7c3e-9d2a-1b2c3d4e5f60@mail.acme.example>"
        );
        assert_eq!(message_id_for(id, "a.b"), message_id_for(id, "a.b"));
    }

    #[test]
    fn debug_hides_the_password_and_security_reads_snake_case() {
        let s = SmtpSettings {
            host: "smtp.example.com".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: Some("crm".into()),
            password: Some("hunter2".into()),
            from_address: "crm@example.com".into(),
            from_name: None,
            timeout: Duration::from_secs(30),
        };
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("[redacted]"));
        let parsed: SmtpSecurity = serde_json::from_str("\"start_tls\"").expect("parse");
        assert_eq!(parsed, SmtpSecurity::StartTls);
        assert_eq!(
            serde_json::to_string(&SmtpSecurity::None).expect("json"),
            "\"none\""
        );
    }
}
