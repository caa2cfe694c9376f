//! Inbound e-mail through Mailgun's routes (`forward()` to our URL): the parsed message as
//! form fields, signed with the domain's webhook signing key
//! ([`crate::webhook_signatures::verify_mailgun`]). Check the signature before reading it.

/// An e-mail a client sent, as Mailgun parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundMail {
    /// The `From` header's address.
    pub from: String,
    /// The `From` header's display name, if any.
    pub from_name: Option<String>,
    pub subject: String,
    /// The text without the quoted earlier messages (`stripped-text`), else the whole text.
    pub text: String,
    /// The `Message-Id` header, with its angle brackets.
    pub message_id: String,
    /// The `In-Reply-To` header, with its angle brackets.
    pub in_reply_to: Option<String>,
}

/// A required field is missing.
#[derive(Debug, thiserror::Error)]
#[error("the inbound e-mail has no {0}")]
pub struct InboundError(&'static str);

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.trim().is_empty())
}

/// `Name <address>` or a bare address, split.
pub fn split_address(header: &str) -> (Option<String>, String) {
    let header = header.trim();
    match (header.rfind('<'), header.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = header[..open].trim().trim_matches('"').trim();
            let address = header[open + 1..close].trim().to_owned();
            ((!name.is_empty()).then(|| name.to_owned()), address)
        }
        _ => (None, header.to_owned()),
    }
}

/// The `In-Reply-To` (or `Message-Id`) header among `message-headers`, a JSON list of
/// `[name, value]` pairs.
fn from_headers(form: &[(String, String)], name: &str) -> Option<String> {
    let headers: Vec<(String, String)> =
        serde_json::from_str(field(form, "message-headers")?).ok()?;
    headers
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
}

/// Reads Mailgun's fields: `from` (or `sender`), `subject`, `stripped-text` or `body-plain`,
/// `Message-Id` and `In-Reply-To` (as fields or within `message-headers`).
pub fn parse_mailgun(form: &[(String, String)]) -> Result<InboundMail, InboundError> {
    let from_header = field(form, "from")
        .or_else(|| field(form, "sender"))
        .ok_or(InboundError("sender"))?;
    let (from_name, from) = split_address(from_header);
    let text = field(form, "stripped-text")
        .or_else(|| field(form, "body-plain"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    let message_id = field(form, "Message-Id")
        .map(str::to_owned)
        .or_else(|| from_headers(form, "Message-Id"))
        .ok_or(InboundError("Message-Id"))?;
    let in_reply_to = field(form, "In-Reply-To")
        .map(str::to_owned)
        .or_else(|| from_headers(form, "In-Reply-To"));
    Ok(InboundMail {
        from,
        from_name,
        subject: field(form, "subject").unwrap_or_default().to_owned(),
        text,
        message_id,
        in_reply_to,
    })
}

/// The CRM message key in one of our Message-IDs (`<key@domain>`), if it is one.
pub fn message_key_of(message_id: &str) -> Option<&str> {
    let inner = message_id.trim().strip_prefix('<')?.strip_suffix('>')?;
    inner.split_once('@').map(|(key, _)| key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_reply_reads_with_its_threading() {
        let f = form(&[
            ("from", "\"Ana Ruiz\" <ana@bodegas.example>"),
            ("subject", "Re: Su pedido"),
            ("body-plain", "Gracias!\n\n> quoted"),
            ("stripped-text", "Gracias!"),
            (
                "message-headers",
                r#"[["Message-Id", "<abc@mail.example>"], ["In-Reply-To", "<0190-key@crm.example>"]]"#,
            ),
        ]);
        let m = parse_mailgun(&f).expect("parse");
        assert_eq!(m.from, "ana@bodegas.example");
        assert_eq!(m.from_name.as_deref(), Some("Ana Ruiz"));
        assert_eq!(m.text, "Gracias!");
        assert_eq!(m.message_id, "<abc@mail.example>");
        assert_eq!(m.in_reply_to.as_deref(), Some("<0190-key@crm.example>"));
        assert_eq!(message_key_of("<0190-key@crm.example>"), Some("0190-key"));
    }

    #[test]
    fn a_message_without_sender_or_id_is_refused() {
        assert!(parse_mailgun(&form(&[("subject", "x")])).is_err());
        assert!(parse_mailgun(&form(&[("from", "a@b.example")])).is_err());
        assert_eq!(
            split_address("a@b.example"),
            (None, "a@b.example".to_owned())
        );
    }
}
