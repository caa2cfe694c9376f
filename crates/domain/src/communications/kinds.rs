//! What a message travels on, which way, and how a phone call ended.

use crate::Invalid;

/// Generates the stable API spelling of a unit-only enum: `ALL`, `as_str`, `parse`.
macro_rules! spelled {
    ($name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            /// The API spelling.
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            /// The value named by its API spelling.
            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw.trim()).ok_or_else(|| {
                    Invalid::new(format!(
                        "must be one of: {}",
                        [$($text),+].join(", ")
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use spelled;

/// The medium of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Whatsapp,
    Sms,
    /// A call, logged by whoever made or took it (nothing is sent).
    Phone,
}
spelled!(Channel { Email = "email", Whatsapp = "whatsapp", Sms = "sms", Phone = "phone" });

impl Channel {
    /// Whether messages on this channel are handed to a provider by the worker.
    pub fn is_sent_by_provider(self) -> bool {
        !matches!(self, Self::Phone)
    }

    /// Whether a message on this channel has a subject line.
    pub fn has_subject(self) -> bool {
        matches!(self, Self::Email)
    }
}

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the tenant to the client.
    Outbound,
    /// From the client to the tenant.
    Inbound,
}
spelled!(Direction { Outbound = "outbound", Inbound = "inbound" });

/// How a phone call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    Answered,
    NoAnswer,
    Busy,
    Voicemail,
    WrongNumber,
}
spelled!(CallOutcome {
    Answered = "answered",
    NoAnswer = "no_answer",
    Busy = "busy",
    Voicemail = "voicemail",
    WrongNumber = "wrong_number",
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_and_unknown_ones_name_the_choices() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(*c));
            let json = serde_json::to_string(c).expect("serialize");
            assert_eq!(json, format!("\"{c}\""));
        }
        let err = Channel::parse("fax").expect_err("fax is no channel");
        assert_eq!(err.0, "must be one of: email, whatsapp, sms, phone");
        assert_eq!(CallOutcome::parse("no_answer"), Ok(CallOutcome::NoAnswer));
    }

    #[test]
    fn only_calls_are_not_sent_by_a_provider() {
        assert!(!Channel::Phone.is_sent_by_provider());
        assert!(Channel::Sms.is_sent_by_provider());
        assert!(Channel::Email.has_subject() && !Channel::Whatsapp.has_subject());
    }
}
