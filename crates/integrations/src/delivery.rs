//! The shared outcome of one send through a provider: accepted, refused for good, or
//! undecided (retry later), with whether the provider may already hold the message.

/// What a provider said about one send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The provider refused the message for good (SMTP 5xx, HTTP 4xx other than 408/429): do not retry.
    #[error("rejected: {0}")]
    Rejected(String),
    /// Nothing was decided (network error, timeout, SMTP 4xx, HTTP 5xx/408/429): retry later.
    /// `maybe_sent` is true when the provider may have accepted it (the connection broke after
    /// the request was written): the caller checks before resending where it can.
    #[error("not delivered yet: {reason}")]
    Transient { reason: String, maybe_sent: bool },
}

impl DeliveryError {
    /// An undecided outcome.
    pub fn transient(reason: impl Into<String>, maybe_sent: bool) -> Self {
        Self::Transient {
            reason: reason.into(),
            maybe_sent,
        }
    }

    /// A refusal for good.
    pub fn rejected(reason: impl Into<String>) -> Self {
        Self::Rejected(reason.into())
    }

    /// Whether sending again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// Whether the provider may hold the message despite the error.
    pub fn maybe_sent(&self) -> bool {
        matches!(
            self,
            Self::Transient {
                maybe_sent: true,
                ..
            }
        )
    }

    /// The reason, without the kind.
    pub fn reason(&self) -> &str {
        match self {
            Self::Rejected(reason) | Self::Transient { reason, .. } => reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryError;

    #[test]
    fn display_carries_the_reason_and_kinds_answer_their_questions() {
        let r = DeliveryError::rejected("550 no such user");
        assert_eq!(r.to_string(), "rejected: 550 no such user");
        assert!(!r.is_retryable() && !r.maybe_sent());
        let t = DeliveryError::transient("connection reset", true);
        assert_eq!(t.to_string(), "not delivered yet: connection reset");
        assert!(t.is_retryable() && t.maybe_sent());
        assert_eq!(t.reason(), "connection reset");
        assert!(!DeliveryError::transient("421", false).maybe_sent());
    }
}
