//! Turns an [`OutgoingMail`] into the bytes and envelope of an RFC 5322 message.

use lettre::Message;
use lettre::address::{Address, Envelope};
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};

use super::{MailAttachment, OutgoingMail, SmtpSettings};
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
/// Message-ID exactly as given, threading headers, and a text or text+HTML body, followed by
/// the attachments when there are any.
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
    let built = match (&mail.html, mail.attachments.is_empty()) {
        (Some(html), true) => builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        (None, true) => builder.singlepart(SinglePart::plain(mail.text.clone())),
        (html, false) => builder.multipart(with_attachments(mail, html.as_deref())?),
    };
    let message =
        built.map_err(|e| DeliveryError::rejected(format!("cannot build the message: {e}")))?;
    Ok(Prepared {
        envelope: message.envelope().clone(),
        bytes: message.formatted(),
    })
}

/// `multipart/mixed`: the body (text, or text and HTML as `multipart/alternative`), then each
/// attachment in base64 with its file name.
fn with_attachments(mail: &OutgoingMail, html: Option<&str>) -> Result<MultiPart, DeliveryError> {
    let mut mixed = match html {
        Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.to_owned(),
        )),
        None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
    };
    for file in &mail.attachments {
        mixed = mixed.singlepart(attachment(file)?);
    }
    Ok(mixed)
}

/// One attachment's part; bytes are always written in base64.
fn attachment(file: &MailAttachment) -> Result<SinglePart, DeliveryError> {
    let content_type = ContentType::parse(&file.content_type).map_err(|e| {
        DeliveryError::rejected(format!(
            "invalid content type {:?} of attachment {:?}: {e}",
            file.content_type, file.filename
        ))
    })?;
    // base64 whatever the bytes (a text file too): mail relays leave it untouched.
    let body = Body::new_with_encoding(file.content.clone(), ContentTransferEncoding::Base64)
        .map_err(|_| DeliveryError::rejected("cannot encode an attachment in base64"))?;
    Ok(Attachment::new(file.filename.clone()).body(body, content_type))
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
            attachments: vec![],
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
    fn attachments_follow_the_body_in_a_mixed_message_in_base64() {
        let mut m = mail();
        m.html = Some("<p>Hola</p>".into());
        m.attachments = vec![MailAttachment {
            filename: "PRO-3.pdf".into(),
            content_type: "application/pdf".into(),
            content: b"%PDF-1.7 tiny".to_vec(),
        }];
        let text =
            String::from_utf8(prepare(&settings(), &m).expect("prepare").bytes).expect("ascii");
        let mixed = text.find("multipart/mixed").expect("mixed");
        let alternative = text.find("multipart/alternative").expect("alternative");
        let file = text
            .find("Content-Disposition: attachment; filename=\"PRO-3.pdf\"")
            .expect("attachment");
        assert!(mixed < alternative && alternative < file, "{text}");
        assert!(text.contains("Content-Type: application/pdf"), "{text}");
        // "%PDF-1.7 tiny" in base64, though it is plain ASCII.
        assert!(text.contains("JVBERi0xLjcgdGlueQ=="), "{text}");

        m.attachments[0].content_type = "not a type".into();
        let e = prepare(&settings(), &m).err().expect("error");
        assert!(
            !e.is_retryable() && e.reason().contains("content type"),
            "{e}"
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
