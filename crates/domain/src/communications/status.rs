//! Where a message stands, and how a provider's report may move it.

use super::kinds::spelled;
use crate::Invalid;

/// Attempts the worker makes to hand a message to its provider before it gives up and marks
/// the message failed (spaced 2, 4, 8 ... seconds apart by the queue, at most 10 minutes).
pub const MAX_DELIVERY_ATTEMPTS: i32 = 8;

/// The delivery state of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Committed, waiting for the worker to hand it to the provider.
    Queued,
    /// The provider accepted it.
    Sent,
    /// The provider reports it reached the recipient's device or mailbox.
    Delivered,
    /// The provider reports the recipient read it (or an e-mail was opened).
    Read,
    /// It will not be delivered; the reason is kept.
    Failed,
    /// It came in from the client.
    Received,
    /// A phone call, logged.
    Logged,
}
spelled!(MessageStatus {
    Queued = "queued",
    Sent = "sent",
    Delivered = "delivered",
    Read = "read",
    Failed = "failed",
    Received = "received",
    Logged = "logged",
});

impl MessageStatus {
    /// How far along the outbound path a status is: reports arrive out of order (a `read`
    /// before its `delivered`), and a later one never moves a message back.
    fn progress(self) -> u8 {
        match self {
            Self::Queued => 0,
            Self::Sent => 1,
            Self::Delivered => 2,
            Self::Read => 3,
            Self::Failed | Self::Received | Self::Logged => 4,
        }
    }

    /// Whether a provider's report of `to` moves a message standing at `self`. `failed` ends
    /// a message not yet delivered (a bounce after acceptance included); a report never moves
    /// a message backwards, nor an inbound message or a logged call.
    pub fn accepts_report(self, to: Self) -> bool {
        match (self, to) {
            (Self::Received | Self::Logged | Self::Failed, _) => false,
            (_, Self::Failed) => matches!(self, Self::Queued | Self::Sent),
            (_, Self::Received | Self::Logged | Self::Queued) => false,
            _ => to.progress() > self.progress(),
        }
    }

    /// The status a report names, refusing the ones only the CRM itself sets.
    pub fn parse_report(raw: &str) -> Result<Self, Invalid> {
        match Self::parse(raw)? {
            s @ (Self::Sent | Self::Delivered | Self::Read | Self::Failed) => Ok(s),
            _ => Err(Invalid::new(
                "must be one of: sent, delivered, read, failed",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;
    use super::*;

    #[test]
    fn reports_only_move_a_message_forward() {
        assert!(Queued.accepts_report(Sent));
        assert!(Sent.accepts_report(Read));
        assert!(!Read.accepts_report(Delivered));
        assert!(!Delivered.accepts_report(Sent));
        assert!(!Delivered.accepts_report(Delivered));
    }

    #[test]
    fn a_failure_ends_only_an_undelivered_message() {
        assert!(Queued.accepts_report(Failed));
        assert!(Sent.accepts_report(Failed));
        assert!(!Delivered.accepts_report(Failed));
        assert!(!Failed.accepts_report(Delivered));
    }

    #[test]
    fn inbound_messages_and_calls_take_no_reports() {
        for to in [Sent, Delivered, Read, Failed] {
            assert!(!Received.accepts_report(to));
            assert!(!Logged.accepts_report(to));
        }
        assert!(MessageStatus::parse_report("received").is_err());
        assert_eq!(MessageStatus::parse_report("read"), Ok(Read));
    }
}
