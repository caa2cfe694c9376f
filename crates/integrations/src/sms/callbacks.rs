//! Twilio's form-encoded callbacks: status changes of messages we sent, and messages
//! customers send to our numbers. Check the signature
//! ([`crate::webhook_signatures::verify_twilio`]) before parsing.

/// A message's state as Twilio reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmsStatus {
    Accepted,
    Scheduled,
    Queued,
    Sending,
    Sent,
    Delivered,
    Read,
    Undelivered,
    Failed,
    Canceled,
    /// A state this code does not know yet.
    Other(String),
}

impl SmsStatus {
    fn parse(text: &str) -> Self {
        match text {
            "accepted" => Self::Accepted,
            "scheduled" => Self::Scheduled,
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "undelivered" => Self::Undelivered,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Whether the message did not reach the handset and will not.
    pub fn is_failure(&self) -> bool {
        matches!(self, Self::Undelivered | Self::Failed | Self::Canceled)
    }
}

/// A status callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsStatusUpdate {
    pub sid: String,
    pub status: SmsStatus,
    /// Twilio's error code (e.g. `30003`, unreachable handset) for a failure.
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
}

/// A message a customer sent to one of our numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    pub sid: String,
    pub from: String,
    pub to: String,
    pub body: String,
    /// How many media files came with it (MMS).
    pub num_media: u32,
}

/// A callback without a field it must carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Twilio callback without {0}")]
pub struct CallbackError(&'static str);

fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn required(form: &[(String, String)], name: &'static str) -> Result<String, CallbackError> {
    field(form, name)
        .map(str::to_owned)
        .ok_or(CallbackError(name))
}

/// Reads a status callback: `MessageSid`, `MessageStatus`, `ErrorCode`...
pub fn parse_status_callback(form: &[(String, String)]) -> Result<SmsStatusUpdate, CallbackError> {
    let sid = field(form, "MessageSid")
        .or_else(|| field(form, "SmsSid"))
        .ok_or(CallbackError("MessageSid"))?;
    let status = field(form, "MessageStatus")
        .or_else(|| field(form, "SmsStatus"))
        .ok_or(CallbackError("MessageStatus"))?;
    let owned = |name| field(form, name).map(str::to_owned);
    Ok(SmsStatusUpdate {
        sid: sid.to_owned(),
        status: SmsStatus::parse(status),
        error_code: owned("ErrorCode"),
        error_message: owned("ErrorMessage"),
        to: owned("To"),
        from: owned("From"),
    })
}

/// Reads an incoming message: `MessageSid`, `From`, `To`, `Body`, `NumMedia`.
pub fn parse_inbound(form: &[(String, String)]) -> Result<InboundSms, CallbackError> {
    Ok(InboundSms {
        sid: required(form, "MessageSid")?,
        from: required(form, "From")?,
        to: required(form, "To")?,
        // An MMS may come without text.
        body: field(form, "Body").unwrap_or_default().to_owned(),
        num_media: field(form, "NumMedia")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn unknown_statuses_are_kept_and_failures_are_told() {
        let u = parse_status_callback(&form(&[
            ("SmsSid", "SM1"),
            ("SmsStatus", "partially_delivered"),
        ]))
        .expect("ok");
        assert_eq!(u.status, SmsStatus::Other("partially_delivered".into()));
        assert!(SmsStatus::Undelivered.is_failure() && !SmsStatus::Delivered.is_failure());
        assert_eq!(
            parse_status_callback(&form(&[("MessageSid", "SM1")])),
            Err(CallbackError("MessageStatus"))
        );
    }

    #[test]
    fn an_inbound_without_sender_is_an_error_and_mms_may_lack_a_body() {
        assert_eq!(
            parse_inbound(&form(&[("MessageSid", "SM1"), ("To", "+1")])),
            Err(CallbackError("From"))
        );
        let mms = parse_inbound(&form(&[
            ("MessageSid", "MM1"),
            ("From", "+2"),
            ("To", "+1"),
            ("NumMedia", "2"),
        ]))
        .expect("ok");
        assert_eq!((mms.body.as_str(), mms.num_media), ("", 2));
    }
}
