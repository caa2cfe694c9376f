//! WhatsApp's customer-service window: a business may write free text to a person only within
//! 24 hours of that person's last message; outside it, only a template Meta approved.

use chrono::{DateTime, TimeDelta, Utc};

/// How long after the client's last message free text may be sent.
pub const CUSTOMER_SERVICE_WINDOW: TimeDelta = TimeDelta::hours(24);

/// Whether a WhatsApp message may go out now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowCheck {
    /// Free text is allowed until this instant.
    OpenUntil(DateTime<Utc>),
    /// Only an approved template may be sent; the window closed at this instant (`None`: the
    /// client never wrote).
    Closed(Option<DateTime<Utc>>),
}

/// The window at `now`, given when the client last wrote on WhatsApp.
pub fn whatsapp_window(last_inbound: Option<DateTime<Utc>>, now: DateTime<Utc>) -> WindowCheck {
    match last_inbound.map(|at| at + CUSTOMER_SERVICE_WINDOW) {
        Some(until) if until > now => WindowCheck::OpenUntil(until),
        closed => WindowCheck::Closed(closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).expect("a time")
    }

    #[test]
    fn free_text_is_allowed_for_24_hours_after_the_clients_last_message() {
        assert_eq!(
            whatsapp_window(Some(at(0)), at(23)),
            WindowCheck::OpenUntil(at(24))
        );
        assert_eq!(
            whatsapp_window(Some(at(0)), at(24)),
            WindowCheck::Closed(Some(at(24)))
        );
        assert_eq!(whatsapp_window(None, at(0)), WindowCheck::Closed(None));
    }
}
