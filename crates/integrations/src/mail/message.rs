//! Turns an [`OutgoingMail`] into the bytes and envelope of an RFC 5322 message.

use lettre::Message;
use lettre::address::{Address, Envelope};
use lettre::message::{Mailbox, MultiPart, SinglePart};

use super::{OutgoingMail, SmtpSettings};
use crate::delivery::DeliveryError;

/// A message ready for the SMTP transaction.
pub(super) struct Prepared {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

fn address(what: &str, value: &str) -> Result<Address, DeliveryError> {
    value
        .trim()
        .parse()
        .map_err(|e| DeliveryError::rejected(format!("invalid {what} address {value:?}: {e}")))
}

/// Builds the message: From with its name, To, Subject (encoded when not ASCII), Date,
/// Message-ID exactly as given, threading headers, and a text or text+HTML body.
pub(super) fn prepare(
    settings: &SmtpSettings,
    mail: &OutgoingMail,
) -> Result<Prepared, DeliveryError> {
    let from = Mailbox::new(
        settings.from_name.clone(),
        address("sender", &settings.from_address)?,
    );
    let to = Mailbox::new(mail.to_name.clone(), address("recipient", &mail.to)?);
    let mut builder = Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.as_str())
        .date_now()
        .message_id(Some(mail.message_id.clone()));
    if let Some(parent) = &mail.in_reply_to {
        builder = builder.in_reply_to(parent.clone());
    }
    if !mail.references.is_empty() {
        // One header holds the whole thread: setting it twice would replace it.
        builder = builder.references(mail.references.join(" "));
    }
    let built = match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        None => builder.singlepart(SinglePart::plain(mail.text.clone())),
    };
    let message =
        built.map_err(|e| DeliveryError::rejected(format!("cannot build the message: {e}")))?;
    Ok(Prepared {
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::mail::SmtpSecurity;

    fn settings() -> SmtpSettings {
        SmtpSettings {
            host: "localhost".into(),
            port: 25,
            security: SmtpSecurity::None,
            username: None,
            password: None,
            from_address: "ventas@acme.example".into(),
            from_name: Some("Acme Ventas".into()),
            timeout: Duration::from_secs(5),
        }
    }

    fn mail() -> OutgoingMail {
        OutgoingMail {
            message_id: "<m1@acme.example>".into(),
            to: "ana@client.example".into(),
            to_name: Some("Ana".into()),
            subject: "Hello".into(),
            text: "Plain body".into(),
            html: None,
            in_reply_to: None,
            references: vec![],
        }
    }

    #[test]
    fn a_text_mail_is_a_single_plain_part_with_its_headers() {
        let p = prepare(&settings(), &mail()).expect("prepare");
        let text = String::from_utf8(p.bytes).expect("ascii");
        assert!(text.contains("Message-ID: <m1@acme.example>\r\n"), "{text}");
        assert!(
            text.contains("From: \"Acme Ventas\" <ventas@acme.example>\r\n")
                || text.contains("From: Acme Ventas <ventas@acme.example>\r\n"),
            "{text}"
        );
        assert!(
            text.contains("Content-Type: text/plain; charset=utf-8"),
            "{text}"
        );
        assert!(!text.contains("multipart"), "{text}");
        assert!(text.contains("\r\nDate: "), "{text}");
        assert_eq!(p.envelope.to()[0].to_string(), "ana@client.example");
        assert_eq!(
            p.envelope.from().map(|a| a.to_string()).as_deref(),
            Some("ventas@acme.example")
        );
    }

    #[test]
    fn a_bad_recipient_is_rejected_before_any_connection() {
        let mut m = mail();
        m.to = "not an address".into();
        let e = prepare(&settings(), &m).err().expect("error");
        assert!(!e.is_retryable());
        assert!(e.reason().contains("recipient"), "{e}");
    }
}
